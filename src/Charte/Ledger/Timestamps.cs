using System.Formats.Asn1;
using System.Net.Http.Headers;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace Charte.Ledger;

/// <summary>An RFC 3161 timestamp authority: given a SHA-256 digest, a DER timestamp token (CMS SignedData over a TSTInfo).</summary>
public interface ITimestampAuthority
{
    Task<byte[]> StampAsync(byte[] sha256, CancellationToken cancellationToken);
}

/// <summary>Thrown when no token could be had: the caller publishes nothing as stamped (fail closed) and retries later.</summary>
public sealed class TimestampUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The built-in timestamp authority: tokens signed by its own certificate (ECDSA P-256, critical timeStamping
/// extended key usage), with the ESS signing-certificate-v2 attribute that RFC 5816 asks for, so that
/// <c>openssl ts -verify</c> accepts them.
/// </summary>
public sealed class BuiltInTimestampAuthority(X509Certificate2 certificate, TimeProvider clock) : ITimestampAuthority
{
    /// <summary>The TSA policy: a UUID-based OID (ITU-T X.667), Charte's own.</summary>
    public const string Policy = "2.25.233814437937311587061016373012958306425";

    private const string TstInfoType = "1.2.840.113549.1.9.16.1.4";
    private const string Sha256Oid = "2.16.840.1.101.3.4.2.1";
    private const string SigningCertificateV2 = "1.2.840.113549.1.9.16.2.47";

    public Task<byte[]> StampAsync(byte[] sha256, CancellationToken cancellationToken)
    {
        var info = new AsnWriter(AsnEncodingRules.DER);
        using (info.PushSequence())
        {
            info.WriteInteger(1);
            info.WriteObjectIdentifier(Policy);
            using (info.PushSequence())
            {
                using (info.PushSequence())
                {
                    info.WriteObjectIdentifier(Sha256Oid);
                    info.WriteNull();
                }

                info.WriteOctetString(sha256);
            }

            var serial = RandomNumberGenerator.GetBytes(16);
            info.WriteInteger(new BigInteger(serial, isUnsigned: true, isBigEndian: true));
            info.WriteGeneralizedTime(clock.GetUtcNow(), omitFractionalSeconds: false);
            using (info.PushSequence())
            {
                info.WriteInteger(1);
            }
        }

        var cms = new SignedCms(new ContentInfo(new Oid(TstInfoType), info.Encode()), detached: false);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, certificate)
        {
            DigestAlgorithm = new Oid(Sha256Oid),
            IncludeOption = X509IncludeOption.EndCertOnly,
        };
        signer.SignedAttributes.Add(new AsnEncodedData(new Oid(SigningCertificateV2), Seals.SigningCertificate(certificate)));
        cms.ComputeSignature(signer, silent: true);
        return Task.FromResult(cms.Encode());
    }
}

/// <summary>An external RFC 3161 authority reached over HTTP (<c>application/timestamp-query</c>).</summary>
public sealed class HttpTimestampAuthority(HttpClient http, Uri url) : ITimestampAuthority
{
    public async Task<byte[]> StampAsync(byte[] sha256, CancellationToken cancellationToken)
    {
        var request = Rfc3161TimestampRequest.CreateFromHash(sha256, HashAlgorithmName.SHA256, requestSignerCertificates: true, nonce: RandomNumberGenerator.GetBytes(8));
        using var content = new ByteArrayContent(request.Encode());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/timestamp-query");
        try
        {
            using var response = await http.PostAsync(url, content, cancellationToken);
            response.EnsureSuccessStatusCode();
            var token = request.ProcessResponse(await response.Content.ReadAsByteArrayAsync(cancellationToken), out _);
            return token.AsSignedCms().Encode();
        }
        catch (Exception e) when (e is HttpRequestException or CryptographicException or TaskCanceledException)
        {
            throw new TimestampUnavailableException($"the timestamp authority {url} did not answer with a valid token: {e.Message}", e);
        }
    }
}

public static class TimestampAuthorities
{
    /// <summary>The external timestamp authority (<c>Charte:Ledger:TimestampUrl</c>), none for the built-in one, or why the setting is wrong.</summary>
    public static (Uri? Url, string? Problem) UrlFrom(Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        configuration["Charte:Ledger:TimestampUrl"] is not { Length: > 0 } setting ? (null, null)
        : Uri.TryCreate(setting, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" ? (url, null)
        : (null, $"Charte:Ledger:TimestampUrl '{setting}' is not an http:// or https:// address of a timestamp authority");

    /// <summary>The authority the configuration names, as the command line's verbs take it; or why the setting is wrong.</summary>
    public static (ITimestampAuthority? Authority, string? Problem) From(Microsoft.Extensions.Configuration.IConfiguration configuration, SigningKeys signing, TimeProvider clock)
    {
        var (url, problem) = UrlFrom(configuration);
        return problem is null ? (Of(url, signing, clock), null) : (null, problem);
    }

    /// <summary>The external authority at <paramref name="url"/> (<c>Charte:Ledger:TimestampUrl</c>), or the built-in one.</summary>
    public static ITimestampAuthority Of(Uri? url, SigningKeys signing, TimeProvider clock) => url is { } external
        ? new HttpTimestampAuthority(new HttpClient { Timeout = TimeSpan.FromSeconds(10) }, external)
        : new BuiltInTimestampAuthority(signing.Tsa, clock);
}

public static class TimestampTokens
{
    /// <summary>Checks a token: it stamps exactly <paramref name="sha256"/>, its signature holds, and its signer chains to <paramref name="trust"/>.</summary>
    public static (DateTimeOffset? At, string? Problem) Verify(byte[] token, byte[] sha256, X509Certificate2 trust) => Verify(token, sha256, [trust]);

    /// <summary>Checks a token: it stamps exactly <paramref name="sha256"/>, its signature holds, and its signer chains to one of <paramref name="trust"/>.</summary>
    public static (DateTimeOffset? At, string? Problem) Verify(byte[] token, byte[] sha256, X509Certificate2Collection trust)
    {
        if (!Rfc3161TimestampToken.TryDecode(token, out var decoded, out _))
        {
            return (null, "the timestamp token is not an RFC 3161 token");
        }

        if (!decoded.VerifySignatureForHash(sha256, HashAlgorithmName.SHA256, out var signer, []) || signer is null)
        {
            return (null, "the timestamp token does not stamp this checkpoint, or its signature does not hold");
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trust);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = decoded.TokenInfo.Timestamp.UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.8"));
        if (!chain.Build(signer))
        {
            return (null, $"the timestamp authority's certificate ({signer.Subject}) does not chain to a trusted authority (ca.crt, or an external authority's root in signing/timestamp-roots.pem): {string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()))}");
        }

        return (decoded.TokenInfo.Timestamp, null);
    }
}
