using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using Charte.Cli;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Charte.Ledger;

/// <summary>
/// The command line end to end on SQLite: development keys, a seal, a checkpoint, verification, an export; and the
/// outside tools an auditor would use accept what Charte wrote: <c>openssl ts -verify</c> for the checkpoints'
/// timestamps, <c>openssl pkeyutl</c> for their Ed25519 signatures, <c>openssl cms -verify</c> for the seal, and a
/// few lines of Python, knowing only RFC 9162, for the tree.
/// </summary>
public sealed class LedgerCommandTests : CliTest
{
    [Fact]
    public async Task SealCheckpointVerifyExport_AndOutsideToolsAcceptWhatCharteWrote()
    {
        var (keys, store, charter) = (Keys, Store, Charter);
        var ca = Path.Combine(Folder, "signing", "ca.crt");

        var sealedBy = await SealedStoreAsync();
        var checkpoint = await RunAsync("ledger", "checkpoint", "--store", store, "--keys", keys, "--charter", charter);
        var verified = await RunAsync("ledger", "verify", "--store", store, "--keys", keys);
        var sinceFirst = await RunAsync("ledger", "verify", "--since", "1", "--store", store, "--keys", keys);
        var sinceNone = await RunAsync("ledger", "verify", "--since", "2", "--store", store, "--keys", keys);
        var sinceWord = await RunAsync("ledger", "verify", "--since", "last", "--store", store, "--keys", keys);
        var export = Path.Combine(Folder, "export");
        var exported = await RunAsync("ledger", "export", export, "--store", store, "--keys", keys);

        Assert.True(sealedBy.Exit == 0, sealedBy.Err);
        Assert.True(checkpoint.Exit == 0, checkpoint.Err);
        Assert.True(verified.Exit == 0, verified.Err);
        Assert.Contains("ledger verified: 1 entries", verified.Out, StringComparison.Ordinal);
        Assert.EndsWith("; to check only what comes after: charte ledger verify --since 1", verified.Out.TrimEnd(), StringComparison.Ordinal);
        Assert.True(sinceFirst.Exit == 0, sinceFirst.Err);
        Assert.StartsWith("ledger verified: 1 entries, 1 checkpoints from size 1 on, every signature", sinceFirst.Out, StringComparison.Ordinal);
        Assert.Equal((CharteCommand.Usage, "charte: --since 2: no checkpoint of that size; the nearest are of size 1"), (sinceNone.Exit, sinceNone.Err.TrimEnd()));
        Assert.Equal(CharteCommand.Usage, sinceWord.Exit);
        Assert.Contains("--since 'last' is not a tree size (a whole number, 1 or more)", sinceWord.Err, StringComparison.Ordinal);
        Assert.True(exported.Exit == 0, exported.Err);

        var manifest = Path.Combine(Folder, "sealed", "manifest.txt");
        var seal = Path.Combine(Folder, "sealed", "manifest.txt.p7s");
        await OpensslAsync(0, "cms", "-verify", "-binary", "-inform", "DER", "-in", seal, "-content", manifest, "-CAfile", ca, "-purpose", "any", "-out", "/dev/null");
        await OpensslAsync(0, "ts", "-verify", "-data", Path.Combine(export, "checkpoints", "1.body"), "-in", Path.Combine(export, "checkpoints", "1.tsr"), "-token_in",
            "-CAfile", Path.Combine(export, "keys", "ca.crt"), "-untrusted", Path.Combine(export, "keys", "tsa.crt"));

        var note = await File.ReadAllTextAsync(Path.Combine(export, "checkpoints", "1.note"));
        var signature = Convert.FromBase64String(note.TrimEnd('\n').Split('\n')[^1].Split(' ')[^1])[4..];
        var signatureFile = Path.Combine(Folder, "checkpoint.sig");
        await File.WriteAllBytesAsync(signatureFile, signature);
        await OpensslAsync(0, "pkeyutl", "-verify", "-pubin", "-inkey", Path.Combine(export, "keys", "log.pub.pem"), "-rawin",
            "-in", Path.Combine(export, "checkpoints", "1.body"), "-sigfile", signatureFile);
        Assert.Equal("ok\n", await RunProcessAsync(0, "python3", Path.Combine(AppContext.BaseDirectory, "Ledger", "verify_export.py"), export));

        // A changed manifest no longer verifies, and neither does a changed checkpoint text.
        await File.AppendAllTextAsync(manifest, "0000  forged.pdf\n");
        await OpensslAsync(1, "cms", "-verify", "-binary", "-inform", "DER", "-in", seal, "-content", manifest, "-CAfile", ca, "-purpose", "any", "-out", "/dev/null");
        await File.WriteAllTextAsync(Path.Combine(export, "checkpoints", "1.body"), note.Split("\n\n")[0].Replace("\n1\n", "\n2\n", StringComparison.Ordinal) + "\n");
        await OpensslAsync(1, "ts", "-verify", "-data", Path.Combine(export, "checkpoints", "1.body"), "-in", Path.Combine(export, "checkpoints", "1.tsr"), "-token_in",
            "-CAfile", Path.Combine(export, "keys", "ca.crt"), "-untrusted", Path.Combine(export, "keys", "tsa.crt"));
    }

    [Fact]
    public async Task TheOriginAndPeriodOfTheConfiguration_AreTheServersAndTheCommandLines_AndABadOneIsNamed()
    {
        var (keys, store, charter) = (Keys, Store, Charter);
        Assert.Equal(0, (await SealedStoreAsync()).Exit);
        var settings = Path.Combine(Folder, "appsettings.json");
        string[] checkpoint = [Path.Combine(AppContext.BaseDirectory, "charte.dll"), "ledger", "checkpoint", "--store", store, "--keys", keys, "--charter", charter];

        await File.WriteAllTextAsync(settings, """{ "Charte": { "Ledger": { "CheckpointEvery": "soon" } } }""");
        var refused = await RunInAsync(Folder, 2, "dotnet", checkpoint);
        await File.WriteAllTextAsync(settings, """{ "Charte": { "Ledger": { "Origin": "audit.secufor.example/ledger", "CheckpointEvery": "00:00:01" } } }""");
        await RunInAsync(Folder, 0, "dotnet", checkpoint);
        // The server, started where the settings are, signs a checkpoint within the second of a new entry.
        var location = Storage.StoreLocation.Parse(store);
        var (key, _) = await Applications.AppsCommand.AddAsync(Storage.CharteDb.Factory(location), "auditor", ["customer_management"], TimeProvider.System, CancellationToken.None);
        var port = Hosting.ServerProcess.FreePort();
        var notes = new List<string>();
        string? verifierKey = null;
        using (Hosting.ServerProcess.KillOnDispose(await Hosting.ServerProcess.StartAsync(location, keys, port, Folder)))
        {
            using var client = Hosting.ServerProcess.Client(port, key!);
            (await client.PostAsJsonAsync("/api/v1/subjects", new { category = "customer" })).EnsureSuccessStatusCode();
            for (var attempt = 0; attempt < 300 && notes.Count < 2; attempt++)
            {
                var latest = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/ledger/checkpoint");
                verifierKey = latest.GetProperty("verifierKey").GetString();
                if (!notes.Contains(latest.GetProperty("note").GetString()!))
                {
                    notes.Add(latest.GetProperty("note").GetString()!);
                }

                await Task.Delay(200);
            }
        }

        var verified = await RunAsync("ledger", "verify", "--store", store, "--keys", keys);
        var sinceFirst = await RunAsync("ledger", "verify", "--since", "1", "--store", store, "--keys", keys);
        var sinceNone = await RunAsync("ledger", "verify", "--since", "2", "--store", store, "--keys", keys);
        var sinceWord = await RunAsync("ledger", "verify", "--since", "last", "--store", store, "--keys", keys);

        Assert.Contains("Charte:Ledger:CheckpointEvery 'soon' is not a period", refused, StringComparison.Ordinal);
        // The server names its key by the configured origin; the command line's checkpoint, and the server's own (a
        // second later, unless the machine is very busy), are signed under it.
        Assert.StartsWith("audit.secufor.example/ledger+", verifierKey, StringComparison.Ordinal);
        Assert.NotEmpty(notes);
        Assert.All(notes, note => Assert.StartsWith("audit.secufor.example/ledger\n", note, StringComparison.Ordinal));
        Assert.True(verified.Exit == 0, verified.Err);
    }

    [Fact]
    public async Task CheckpointsStampedByAnExternalAuthority_VerifyOnceItsRootIsTrusted()
    {
        var (keys, store, charter) = (Keys, Store, Charter);
        Assert.Equal(0, (await SealedStoreAsync()).Exit);

        // The external authority: OpenSSL's own RFC 3161 server (`openssl ts -reply`) behind HTTP, with a certificate
        // from another organisation's authority.
        var external = Path.Combine(Folder, "external");
        Assert.Equal(0, (await RunAsync("keys", "init", "--keys", Path.Combine(external, "master.key"), "--organisation", "Horodatage Externe")).Exit);
        var tsa = Path.Combine(external, "signing");
        await File.WriteAllTextAsync(Path.Combine(tsa, "serial"), "01\n");
        await File.WriteAllTextAsync(Path.Combine(tsa, "tsa.cnf"), $"""
            [ tsa ]
            default_tsa = external
            [ external ]
            serial = {tsa}/serial
            signer_cert = {tsa}/tsa.crt
            signer_key = {tsa}/tsa.key
            signer_digest = sha256
            default_policy = 1.2.3.4.1
            digests = sha256
            ess_cert_id_alg = sha256
            """);
        var port = Hosting.ServerProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        await using var app = builder.Build();
        app.MapPost("/", async (HttpRequest request) =>
        {
            var query = Path.Combine(tsa, $"{Guid.NewGuid():N}.tsq");
            await using (var file = File.Create(query))
            {
                await request.Body.CopyToAsync(file);
            }

            await OpensslAsync(0, "ts", "-reply", "-config", Path.Combine(tsa, "tsa.cnf"), "-queryfile", query, "-out", query + ".tsr");
            return Results.Bytes(await File.ReadAllBytesAsync(query + ".tsr"), "application/timestamp-reply");
        });
        await app.StartAsync();
        await File.WriteAllTextAsync(Path.Combine(Folder, "appsettings.json"), $$"""{ "Charte": { "Ledger": { "TimestampUrl": "http://127.0.0.1:{{port}}/" } } }""");

        // The seal's entry is the journal's second: the checkpoint is of size 2.
        var charteDll = Path.Combine(AppContext.BaseDirectory, "charte.dll");
        var evidence = Path.Combine(Folder, "contract.pdf");
        await RunInAsync(Folder, 0, "dotnet", charteDll, "seal", evidence, "--out", Path.Combine(Folder, "sealed-externally"), "--store", store, "--keys", keys);
        await RunInAsync(Folder, 0, "dotnet", charteDll, "ledger", "checkpoint", "--store", store, "--keys", keys, "--charter", charter);
        var untrusted = await RunAsync("ledger", "verify", "--store", store, "--keys", keys);
        File.Copy(Path.Combine(tsa, "ca.crt"), Path.Combine(Folder, "signing", "timestamp-roots.pem"));
        var trusted = await RunAsync("ledger", "verify", "--store", store, "--keys", keys);
        var export = Path.Combine(Folder, "export");
        Assert.Equal(0, (await RunAsync("ledger", "export", export, "--store", store, "--keys", keys)).Exit);

        await File.WriteAllTextAsync(Path.Combine(Folder, "appsettings.json"), $$"""{ "Charte": { "Ledger": { "TimestampUrl": "http://127.0.0.1:{{Hosting.ServerProcess.FreePort()}}/" } } }""");
        var unreachable = await RunInAsync(Folder, 1, "dotnet", charteDll, "seal", evidence, "--out", Path.Combine(Folder, "not-sealed"), "--store", store, "--keys", keys);

        Assert.StartsWith("charte: nothing sealed: the timestamp authority http://127.0.0.1:", unreachable, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Folder, "not-sealed", "manifest.txt")));
        Assert.Equal(1, untrusted.Exit);
        Assert.Contains("the timestamp authority's certificate (CN=Charte timestamp authority, O=Horodatage Externe) does not chain to a trusted authority", untrusted.Err, StringComparison.Ordinal);
        Assert.True(trusted.Exit == 0, trusted.Err);
        await OpensslAsync(0, "ts", "-verify", "-data", Path.Combine(export, "checkpoints", "2.body"), "-in", Path.Combine(export, "checkpoints", "2.tsr"), "-token_in",
            "-CAfile", Path.Combine(export, "keys", "timestamp-ca.pem"));
        await OpensslAsync(1, "ts", "-verify", "-data", Path.Combine(export, "checkpoints", "2.body"), "-in", Path.Combine(export, "checkpoints", "2.tsr"), "-token_in",
            "-CAfile", Path.Combine(export, "keys", "ca.crt"));
    }

    private string Keys => Path.Combine(Folder, "master.key");

    private string Store => "sqlite:" + Path.Combine(Folder, "charte.db");

    private static string Charter => Path.Combine(AppContext.BaseDirectory, "examples", "secufor.charte.yaml");

    /// <summary>Development keys, a migrated store, and a sealed file (the journal's first entry); the seal's run.</summary>
    private async Task<(int Exit, string Out, string Err)> SealedStoreAsync()
    {
        Assert.Equal(0, (await RunAsync("keys", "init", "--keys", Keys, "--organisation", "Secufor")).Exit);
        Assert.Equal(0, (await RunAsync("db", "migrate", "--store", Store)).Exit);
        var evidence = Path.Combine(Folder, "contract.pdf");
        await File.WriteAllBytesAsync(evidence, Encoding.ASCII.GetBytes("%PDF-1.7 a signed contract"));
        return await RunAsync("seal", evidence, "--out", Path.Combine(Folder, "sealed"), "--store", Store, "--keys", Keys);
    }

    private static Task OpensslAsync(int expected, params string[] args) => RunProcessAsync(expected, "openssl", args);

    private static Task<string> RunProcessAsync(int expected, string program, params string[] args) => RunInAsync(null, expected, program, args);

    /// <summary>Runs a program (in <paramref name="folder"/> when given); its output, or with <paramref name="expected"/> not 0 its error output.</summary>
    private static async Task<string> RunInAsync(string? folder, int expected, string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder ?? "" };
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(expected == 0 ? process.ExitCode == 0 : process.ExitCode != 0,
            $"{program} {string.Join(' ', args)} exited {process.ExitCode}: {await output} {await error}");
        return expected == 0 ? await output : await error;
    }
}
