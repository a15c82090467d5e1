using System.Security.Cryptography;
using System.Text;

namespace Charte.Keys;

/// <summary>
/// AES-256-GCM with a random 96-bit nonce: <c>nonce ‖ ciphertext ‖ tag</c>. The associated data binds a ciphertext to
/// where it belongs (subject, record, key version), so that a ciphertext moved to another row does not decrypt.
/// </summary>
public static class Envelope
{
    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    /// <summary>A cipher for <paramref name="key"/>, to seal or open many values (one caller at a time).</summary>
    public static AesGcm Cipher(byte[] key) => new(key, TagBytes);

    public static byte[] Seal(byte[] key, ReadOnlySpan<byte> plaintext, string associatedData)
    {
        using var aes = Cipher(key);
        return Seal(aes, plaintext, associatedData);
    }

    public static byte[] Seal(AesGcm aes, ReadOnlySpan<byte> plaintext, string associatedData)
    {
        var output = new byte[NonceBytes + plaintext.Length + TagBytes];
        var nonce = output.AsSpan(0, NonceBytes);
        PublicRandom.Fill(nonce);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceBytes, plaintext.Length), output.AsSpan(NonceBytes + plaintext.Length), Encoding.UTF8.GetBytes(associatedData));
        return output;
    }

    /// <summary>Decrypts, or throws <see cref="CryptographicException"/> when the key, the data or the binding is wrong.</summary>
    public static byte[] Open(byte[] key, ReadOnlySpan<byte> sealedBytes, string associatedData)
    {
        using var aes = Cipher(key);
        return Open(aes, sealedBytes, associatedData);
    }

    public static byte[] Open(AesGcm aes, ReadOnlySpan<byte> sealedBytes, string associatedData)
    {
        if (sealedBytes.Length < NonceBytes + TagBytes)
        {
            throw new CryptographicException("ciphertext too short");
        }

        var length = sealedBytes.Length - NonceBytes - TagBytes;
        var plaintext = new byte[length];
        aes.Decrypt(sealedBytes[..NonceBytes], sealedBytes.Slice(NonceBytes, length), sealedBytes[(NonceBytes + length)..], plaintext, Encoding.UTF8.GetBytes(associatedData));
        return plaintext;
    }
}
