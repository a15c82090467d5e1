using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using NSec.Cryptography;

namespace Charte.Ledger;

/// <summary>
/// The organisation's signing material, in PEM files of one folder (never in the database): the ledger's Ed25519 log
/// key (<c>ledger.key</c>, PKCS#8), the timestamp authority's certificate and key (<c>tsa.crt</c>, <c>tsa.key</c>),
/// the seal certificate and key (<c>seal.crt</c>, <c>seal.key</c>) and the certificate of the authority that issued
/// them (<c>ca.crt</c>). <c>charte keys init</c> makes development ones (a local CA, ECDSA P-256); in production the
/// operator puts the organisation's own PEM files there.
/// </summary>
public sealed class SigningKeys : IDisposable
{
    public const string LogKeyFile = "ledger.key";

    /// <summary>The roots of an external timestamp authority (<c>Charte:Ledger:TimestampUrl</c>), PEM, when one is used.</summary>
    public const string TimestampRootsFile = "timestamp-roots.pem";

    private SigningKeys(Key logKey, X509Certificate2 ca, X509Certificate2 tsa, X509Certificate2 seal, string? folder, X509Certificate2Collection? timestampRoots = null)
    {
        LogKey = logKey;
        Ca = ca;
        Tsa = tsa;
        Seal = seal;
        Folder = folder;
        TimestampTrust = [ca, .. timestampRoots ?? []];
    }

    public Key LogKey { get; }
    public NSec.Cryptography.PublicKey LogPublicKey => LogKey.PublicKey;
    public X509Certificate2 Ca { get; }

    /// <summary>The built-in timestamp authority's certificate, with its private key.</summary>
    public X509Certificate2 Tsa { get; }

    /// <summary>The seal certificate, with its private key.</summary>
    public X509Certificate2 Seal { get; }

    public string? Folder { get; }

    /// <summary>
    /// Whom a checkpoint's timestamp token may chain to: the organisation's authority (<c>ca.crt</c>, which issued the
    /// built-in authority's certificate) and the roots in <see cref="TimestampRootsFile"/>, when the organisation stamps
    /// with an external authority.
    /// </summary>
    public X509Certificate2Collection TimestampTrust { get; }

    /// <summary>The signing folder that goes with a master key file: <c>signing/</c> beside it.</summary>
    public static string FolderFor(string keyFile) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(keyFile))!, "signing");

    public static bool Exists(string folder) => File.Exists(Path.Combine(folder, LogKeyFile));

    public static SigningKeys Load(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new FileNotFoundException($"{folder}: no signing folder; run `charte keys init` to make development keys, or put the organisation's PEM files there");
        }

        var logKey = Key.Import(SignatureAlgorithm.Ed25519, File.ReadAllBytes(Path.Combine(folder, LogKeyFile)), KeyBlobFormat.PkixPrivateKeyText,
            new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None });
        var roots = new X509Certificate2Collection();
        if (File.Exists(Path.Combine(folder, TimestampRootsFile)))
        {
            roots.ImportFromPemFile(Path.Combine(folder, TimestampRootsFile));
        }

        return new SigningKeys(logKey, X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(folder, "ca.crt"))),
            Pair(folder, "tsa"), Pair(folder, "seal"), folder, roots);
    }

    /// <summary>Makes development signing material in <paramref name="folder"/> (files 0600), unless it is there already.</summary>
    public static bool CreateIfMissing(string folder, string organisation, TimeProvider clock)
    {
        if (Exists(folder))
        {
            return false;
        }

        Directory.CreateDirectory(folder);
        var material = Generate(organisation, clock);
        Write(Path.Combine(folder, LogKeyFile), material.LogKeyPem);
        foreach (var (name, text) in material.Files)
        {
            Write(Path.Combine(folder, name), text);
        }

        return true;
    }

    /// <summary>Development material in memory, for tests and benchmarks.</summary>
    public static SigningKeys CreateInMemory(string organisation, TimeProvider clock)
    {
        var material = Generate(organisation, clock);
        var logKey = Key.Import(SignatureAlgorithm.Ed25519, System.Text.Encoding.ASCII.GetBytes(material.LogKeyPem), KeyBlobFormat.PkixPrivateKeyText);
        X509Certificate2 Cert(string name) => X509Certificate2.CreateFromPem(material.Files[name + ".crt"], material.Files[name + ".key"]);
        return new SigningKeys(logKey, X509Certificate2.CreateFromPem(material.Files["ca.crt"]), Cert("tsa"), Cert("seal"), null);
    }

    private sealed record Material(string LogKeyPem, Dictionary<string, string> Files);

    private static Material Generate(string organisation, TimeProvider clock)
    {
        using var log = Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        var logPem = System.Text.Encoding.ASCII.GetString(log.Export(KeyBlobFormat.PkixPrivateKeyText));

        var now = clock.GetUtcNow();
        var name = organisation.Replace(",", " ", StringComparison.Ordinal).Replace("=", " ", StringComparison.Ordinal);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN=Charte development CA, O={name}", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(30));

        var files = new Dictionary<string, string>(StringComparer.Ordinal) { ["ca.crt"] = ca.ExportCertificatePem() };
        Issue(files, "tsa", $"CN=Charte timestamp authority, O={name}", ca, now, request =>
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.8")], true));
        });
        Issue(files, "seal", $"CN={name} electronic seal, O={name}", ca, now, request =>
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, true)));
        return new Material(logPem, files);
    }

    private static void Issue(Dictionary<string, string> files, string file, string subject, X509Certificate2 ca, DateTimeOffset now, Action<CertificateRequest> extensions)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        extensions(request);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(ca, now.AddMinutes(-5), now.AddYears(10), serial);
        files[file + ".crt"] = issued.ExportCertificatePem();
        files[file + ".key"] = key.ExportPkcs8PrivateKeyPem();
    }

    private static X509Certificate2 Pair(string folder, string name)
    {
        var certificate = Path.Combine(folder, name + ".crt");
        var key = Path.Combine(folder, name + ".key");
        if (!File.Exists(certificate) || !File.Exists(key))
        {
            throw new FileNotFoundException($"{folder}: {name}.crt and {name}.key are both needed (PEM)");
        }

        return X509Certificate2.CreateFromPemFile(certificate, key);
    }

    private static void Write(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }

    /// <summary>The log's public key as a C2SP verifier key: <c>name+hex(keyID)+base64(0x01 ‖ key)</c>.</summary>
    public string VerifierKey(string origin) => Checkpoints.VerifierKey(origin, LogPublicKey.Export(KeyBlobFormat.RawPublicKey));

    public void Dispose()
    {
        LogKey.Dispose();
        Ca.Dispose();
        Tsa.Dispose();
        Seal.Dispose();
    }
}
