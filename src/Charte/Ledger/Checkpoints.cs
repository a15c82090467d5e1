using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Charte.Ledger;

/// <summary>A checkpoint as a C2SP signed note: the tree's origin, size and root, and the log key's Ed25519 signature.</summary>
public sealed record Checkpoint(string Origin, long Size, byte[] Root)
{
    /// <summary>The signed text, C2SP tlog-checkpoint: <c>origin\nsize\nbase64(root)\n</c>.</summary>
    public string Body => string.Create(CultureInfo.InvariantCulture, $"{Origin}\n{Size}\n{Convert.ToBase64String(Root)}\n");
}

public static class Checkpoints
{
    private const byte Ed25519Type = 0x01;
    private const string Dash = "\u2014 ";

    /// <summary>The 4-byte key ID of C2SP signed-note: SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4].</summary>
    public static byte[] KeyId(string name, ReadOnlySpan<byte> publicKey)
    {
        var input = new List<byte>(Encoding.UTF8.GetBytes(name)) { 0x0A, Ed25519Type };
        input.AddRange(publicKey.ToArray());
        return SHA256.HashData([.. input])[..4];
    }

    public static string VerifierKey(string name, byte[] publicKey) =>
        $"{name}+{Convert.ToHexStringLower(KeyId(name, publicKey))}+{Convert.ToBase64String([Ed25519Type, .. publicKey])}";

    /// <summary>Signs the checkpoint: the whole signed note, ready to publish.</summary>
    public static string Sign(Checkpoint checkpoint, Key key)
    {
        var body = checkpoint.Body;
        var publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        var signature = SignatureAlgorithm.Ed25519.Sign(key, Encoding.UTF8.GetBytes(body));
        return $"{body}\n{Dash}{checkpoint.Origin} {Convert.ToBase64String([.. KeyId(checkpoint.Origin, publicKey), .. signature])}\n";
    }

    /// <summary>
    /// Parses a signed note and checks its signature by <paramref name="publicKey"/> under the name <paramref name="origin"/>.
    /// Returns the checkpoint, or null with the reason.
    /// </summary>
    public static (Checkpoint? Checkpoint, string? Problem) Verify(string note, string origin, byte[] publicKey)
    {
        var split = note.IndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            return (null, "not a signed note: no blank line between the text and the signatures");
        }

        var body = note[..(split + 1)];
        var lines = body.Split('\n');
        if (lines.Length < 4 || !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            return (null, "not a checkpoint: the text is not origin, tree size, root hash");
        }

        byte[] root;
        try
        {
            root = Convert.FromBase64String(lines[2]);
        }
        catch (FormatException)
        {
            return (null, "the root hash is not base64");
        }

        if (lines[0] != origin)
        {
            return (null, $"the checkpoint is for origin '{lines[0]}', not '{origin}'");
        }

        var keyId = KeyId(origin, publicKey);
        var key = NSec.Cryptography.PublicKey.Import(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey);
        foreach (var line in note[(split + 2)..].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!line.StartsWith(Dash + origin + " ", StringComparison.Ordinal))
            {
                continue;
            }

            byte[] signature;
            try
            {
                signature = Convert.FromBase64String(line[(Dash.Length + origin.Length + 1)..]);
            }
            catch (FormatException)
            {
                continue;
            }

            if (signature.Length == 68 && signature.AsSpan(0, 4).SequenceEqual(keyId)
                && SignatureAlgorithm.Ed25519.Verify(key, Encoding.UTF8.GetBytes(body), signature.AsSpan(4)))
            {
                return (new Checkpoint(origin, size, root), null);
            }
        }

        return (null, $"no valid signature by the log key {Convert.ToHexStringLower(keyId)} of '{origin}'");
    }
}
