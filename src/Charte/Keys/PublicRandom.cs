using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Charte.Keys;

/// <summary>
/// Random values that are not secret — the nonces stored beside each ciphertext, the random part of ids — drawn from
/// the system's cryptographic generator a few kilobytes at a time per thread, each byte handed out once. A call to the
/// generator costs about 2 µs whatever its size (OpenSSL checks the process and locks its generator; the kernel's
/// source, used by <see cref="Guid.NewGuid"/>, is a system call), and an import of a thousand people makes about ten
/// thousand such values. Keys are never drawn from here: a secret must not sit in a buffer longer than it is needed.
/// </summary>
public static class PublicRandom
{
    private const int PoolBytes = 4096;

    [ThreadStatic]
    private static byte[]? t_pool;

    [ThreadStatic]
    private static int t_next;

    /// <summary>Fills <paramref name="destination"/> with fresh random bytes (at most 64 at a time; more go straight to the generator).</summary>
    public static void Fill(Span<byte> destination)
    {
        if (destination.Length > 64)
        {
            RandomNumberGenerator.Fill(destination);
            return;
        }

        var pool = t_pool;
        if (pool is null || t_next + destination.Length > PoolBytes)
        {
            pool = t_pool ??= new byte[PoolBytes];
            RandomNumberGenerator.Fill(pool);
            t_next = 0;
        }

        pool.AsSpan(t_next, destination.Length).CopyTo(destination);
        t_next += destination.Length;
    }

    /// <summary>
    /// A version-7 UUID (RFC 9562 §5.7) for <paramref name="at"/>: its Unix time in milliseconds, then 74 random bits, so
    /// that ids made later sort later, as <see cref="Guid.CreateVersion7(DateTimeOffset)"/> makes them.
    /// </summary>
    public static Guid Version7(DateTimeOffset at)
    {
        var milliseconds = at.ToUnixTimeMilliseconds();
        if (milliseconds < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(at), at, "a version-7 UUID holds times from 1970 on");
        }

        Span<byte> bytes = stackalloc byte[16];
        Fill(bytes[6..]);
        Span<byte> time = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(time, milliseconds);
        time[2..].CopyTo(bytes);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true);
    }
}
