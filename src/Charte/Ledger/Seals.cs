using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Charte.Ledger;

/// <summary>
/// Electronic seals over evidence: a manifest of SHA-256 digests (the <c>sha256sum</c> format, one line per file),
/// and a detached CMS signature over it by the organisation's seal certificate, with the ESS signing-certificate-v2
/// attribute and an RFC 3161 timestamp over the signature (a CAdES-T shape). <c>openssl cms -verify</c> checks it.
/// </summary>
public static class Seals
{
    private const string Sha256Oid = "2.16.840.1.101.3.4.2.1";
    private const string SigningCertificateV2 = "1.2.840.113549.1.9.16.2.47";
    private const string SignatureTimestamp = "1.2.840.113549.1.9.16.2.14";

    public sealed record Sealed(byte[] Manifest, byte[] Signature, string ManifestSha256);

    /// <summary>Whether a file name can stand on a manifest line: not empty, and no control character (a line break in a
    /// name would let it write a line of its own, with a digest of its choosing).</summary>
    public static bool Listable(string name) => name.Length > 0 && !name.Any(char.IsControl);

    /// <summary>The manifest of the given (name, content digest) pairs, sorted by name: <c>HEX  NAME\n</c>.</summary>
    public static byte[] Manifest(IEnumerable<(string Name, byte[] Sha256)> files)
    {
        var text = new StringBuilder();
        foreach (var (name, digest) in files.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            if (!Listable(name))
            {
                throw new ArgumentException($"a file name in a manifest cannot be empty or hold a control character: {name.ReplaceLineEndings(" ")}");
            }

            text.Append(CultureInfo.InvariantCulture, $"{Convert.ToHexStringLower(digest)}  {name}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public static async Task<Sealed> SealAsync(byte[] manifest, X509Certificate2 seal, ITimestampAuthority timestamps, TimeProvider clock, CancellationToken cancellationToken)
    {
        var cms = new SignedCms(new ContentInfo(manifest), detached: true);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, seal)
        {
            DigestAlgorithm = new Oid(Sha256Oid),
            IncludeOption = X509IncludeOption.EndCertOnly,
        };
        signer.SignedAttributes.Add(new Pkcs9SigningTime(clock.GetUtcNow().UtcDateTime));
        signer.SignedAttributes.Add(new AsnEncodedData(new Oid(SigningCertificateV2), SigningCertificate(seal)));
        cms.ComputeSignature(signer, silent: true);

        var info = cms.SignerInfos[0];
        var token = await timestamps.StampAsync(SHA256.HashData(info.GetSignature()), cancellationToken);
        info.AddUnsignedAttribute(new AsnEncodedData(new Oid(SignatureTimestamp), token));
        return new Sealed(manifest, cms.Encode(), Convert.ToHexStringLower(SHA256.HashData(manifest)));
    }

    /// <summary>ESS SigningCertificateV2 with one ESSCertIDv2 (SHA-256, the default algorithm, so not written).</summary>
    internal static byte[] SigningCertificate(X509Certificate2 certificate)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSequence())
        using (writer.PushSequence())
        {
            writer.WriteOctetString(SHA256.HashData(certificate.RawData));
        }

        return writer.Encode();
    }

    /// <summary>Checks a seal: the signature over the manifest, the seal certificate's chain to <paramref name="trust"/>, and the signature's timestamp.</summary>
    public static string? Verify(byte[] manifest, byte[] signature, X509Certificate2 trust)
    {
        var cms = new SignedCms(new ContentInfo(manifest), detached: true);
        try
        {
            cms.Decode(signature);
            cms.CheckSignature(verifySignatureOnly: true);
        }
        catch (CryptographicException e)
        {
            return $"the seal does not hold: {e.Message}";
        }

        var info = cms.SignerInfos[0];
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(trust);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (info.Certificate is null || !chain.Build(info.Certificate))
        {
            return "the seal certificate does not chain to the trusted authority";
        }

        var stamp = info.UnsignedAttributes.Cast<CryptographicAttributeObject>().FirstOrDefault(a => a.Oid.Value == SignatureTimestamp);
        if (stamp is null)
        {
            return "the seal carries no signature timestamp";
        }

        var (_, problem) = TimestampTokens.Verify(stamp.Values[0].RawData, SHA256.HashData(info.GetSignature()), trust);
        return problem;
    }
}
