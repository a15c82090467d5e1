using System.Security.Cryptography;
using System.Text;
using Charte.Vault;
using Microsoft.Extensions.Time.Testing;

namespace Charte.Keys;

/// <summary>Ciphertexts are bound to where they belong; identifiers are normalised before they are indexed.</summary>
public sealed class SubjectKeyTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("\"FR76 3000 6000 0112 3456 7890 189\"");

    private static SubjectDataKey NewKey(Guid subject, int version = 1) => new(subject, version, RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void Record_OpensWithItsOwnKeyAndBinding()
    {
        var key = NewKey(Guid.NewGuid());
        var record = Guid.NewGuid();

        var sealedValue = key.SealRecord(record, Secret);

        Assert.Equal(Secret, key.OpenRecord(record, 1, sealedValue));
        Assert.DoesNotContain("FR76", Encoding.UTF8.GetString(sealedValue), StringComparison.Ordinal);
    }

    [Fact]
    public void Record_MovedToAnotherRow_DoesNotOpen()
    {
        var key = NewKey(Guid.NewGuid());
        var sealedValue = key.SealRecord(Guid.NewGuid(), Secret);

        Assert.ThrowsAny<CryptographicException>(() => key.OpenRecord(Guid.NewGuid(), 1, sealedValue));
    }

    [Fact]
    public void Record_WithAnotherKeyVersion_DoesNotOpen()
    {
        var key = NewKey(Guid.NewGuid());
        var record = Guid.NewGuid();
        var sealedValue = key.SealRecord(record, Secret);

        Assert.ThrowsAny<CryptographicException>(() => key.OpenRecord(record, 2, sealedValue));
    }

    [Fact]
    public void Record_WithOneBitFlipped_DoesNotOpen()
    {
        var key = NewKey(Guid.NewGuid());
        var record = Guid.NewGuid();
        var sealedValue = key.SealRecord(record, Secret);
        sealedValue[20] ^= 1;

        Assert.ThrowsAny<CryptographicException>(() => key.OpenRecord(record, 1, sealedValue));
    }

    [Fact]
    public void SameValue_SealedTwice_GivesDifferentCiphertexts()
    {
        var key = NewKey(Guid.NewGuid());
        var record = Guid.NewGuid();

        Assert.NotEqual(key.SealRecord(record, Secret), key.SealRecord(record, Secret));
    }

    [Theory]
    [InlineData("email", " Jeanne.Martin@Example.FR ", "jeanne.martin@example.fr")]
    [InlineData("phone", "06 12 34 56 78", "+33612345678")]
    [InlineData("phone", "+33 (0)6.12.34.56.78", "+33612345678")]
    [InlineData("phone", "0033 6 12 34 56 78", "+33612345678")]
    [InlineData("phone", "+1 415-555-0100", "+14155550100")]
    [InlineData("customer_number", "  C-00042 ", "C-00042")]
    [InlineData("email", "jeanne.martin", null)]
    [InlineData("email", "", null)]
    [InlineData("phone", "call me", null)]
    [InlineData("passport", "X", null)]
    public void Identifier_IsNormalisedOrRefused(string kind, string value, string? expected)
    {
        var ok = Identifiers.TryNormalise(kind, value, out var normalised, out var error);

        Assert.Equal(expected is not null, ok);
        if (ok)
        {
            Assert.Equal(expected, normalised);
        }
        else
        {
            Assert.DoesNotContain(value.Trim() is { Length: > 3 } v ? v : "\u0000", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void BlindIndex_IsTheSameForEquivalentIdentifiers_AndDiffersByKind()
    {
        var keys = MasterKeys.Create(new FakeTimeProvider());
        Identifiers.TryNormalise("email", "A@B.FR", out var a, out _);
        Identifiers.TryNormalise("email", " a@b.fr", out var b, out _);

        Assert.Equal(Identifiers.BlindIndex(keys, "email", a), Identifiers.BlindIndex(keys, "email", b));
        Assert.NotEqual(Identifiers.BlindIndex(keys, "email", a), Identifiers.BlindIndex(keys, "external_id", a));
        Assert.NotEqual(Identifiers.BlindIndex(keys, "email", a), Identifiers.BlindIndex(MasterKeys.Create(new FakeTimeProvider()), "email", a));
    }

    [Fact]
    public void KeyFile_RoundTrips_IsOwnerOnly_AndRefusesToBeReadByOthers()
    {
        var folder = Directory.CreateTempSubdirectory("charte-keys-").FullName;
        try
        {
            var path = Path.Combine(folder, "master.key");
            var keys = MasterKeys.Create(new FakeTimeProvider());
            keys.Rotate(new FakeTimeProvider());
            keys.Save(path);

            var loaded = MasterKeys.Load(path);
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
            var open = Assert.Throws<KeyFileException>(() => MasterKeys.Load(path));

            Assert.Equal(2, loaded.Current);
            Assert.Equal(keys.Kek(1), loaded.Kek(1));
            Assert.Equal(keys.BlindIndexKey, loaded.BlindIndexKey);
            Assert.Contains("chmod 600", open.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
