namespace Charte.Keys;

/// <summary>Nonces and ids drawn from the per-thread pool are fresh each time, and ids are the UUIDs RFC 9562 describes.</summary>
public sealed class PublicRandomTests
{
    [Fact]
    public void Nonces_AcrossManyRefillsOfThePool_NeverRepeat()
    {
        // 12-byte nonces, 40 pools' worth: a byte handed out twice, or a pool not refilled, would repeat one.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Span<byte> nonce = stackalloc byte[12];
        for (var i = 0; i < 40 * 4096 / 12; i++)
        {
            PublicRandom.Fill(nonce);
            Assert.True(seen.Add(Convert.ToHexString(nonce)), $"nonce {i} repeated an earlier one");
        }
    }

    [Fact]
    public void Nonces_OnManyThreadsAtOnce_NeverRepeat()
    {
        var nonces = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, _ =>
        {
            var nonce = new byte[12];
            for (var i = 0; i < 5_000; i++)
            {
                PublicRandom.Fill(nonce);
                nonces.Add(Convert.ToHexString(nonce));
            }
        });

        Assert.Equal(40_000, nonces.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void LargeRequests_AreFilledWholly()
    {
        var bytes = new byte[100_000];
        PublicRandom.Fill(bytes);

        // Every byte value appears in 100,000 random bytes (each is missing with probability about 1e-170).
        Assert.Equal(256, bytes.Distinct().Count());
    }

    [Theory]
    [InlineData("1970-01-01T00:00:00Z", "00000000-0000")]
    [InlineData("2026-11-23T19:00:00.123Z", "01a209c7-83fb")]
    [InlineData("9999-12-31T23:59:59.999Z", "e677d21f-dbff")]
    public void Version7_CarriesTheMillisecondsTheVersionAndTheVariant(string at, string prefix)
    {
        var time = DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture);

        var id = PublicRandom.Version7(time);

        Assert.StartsWith(prefix, id.ToString(), StringComparison.Ordinal);
        Assert.Equal(7, id.Version);
        Assert.Equal(0b10, id.Variant >> 2);
    }

    [Fact]
    public void Version7_SortsAsTheRuntimesOwn_AndByTime()
    {
        var at = new DateTimeOffset(2026, 11, 23, 19, 0, 0, TimeSpan.Zero);

        var ours = PublicRandom.Version7(at);
        var runtimes = Guid.CreateVersion7(at);
        var later = PublicRandom.Version7(at.AddMilliseconds(1));

        Assert.Equal(runtimes.ToString()[..13], ours.ToString()[..13]);
        Assert.True(string.CompareOrdinal(later.ToString(), ours.ToString()) > 0);
        Assert.True(later.CompareTo(ours) > 0);
        Assert.NotEqual(ours, PublicRandom.Version7(at));
    }

    [Fact]
    public void Version7_BeforeTheUnixEpoch_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PublicRandom.Version7(new DateTimeOffset(1969, 12, 31, 23, 59, 59, TimeSpan.Zero)));
    }
}
