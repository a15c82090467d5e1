using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Charte.Cli;
using Charte.Journal;
using Charte.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using NSec.Cryptography;

namespace Charte.Ledger;

/// <summary><c>charte ledger verify|export|checkpoint</c> and <c>charte seal</c>.</summary>
internal static class LedgerCommand
{
    public static Command Create(TimeProvider clock)
    {
        var store = new StoreOptions();
        var since = new Option<long?>("--since")
        {
            Description = "Check the signatures, timestamps and consistency of the checkpoints from the one of this tree size on (one verified before); every entry is still recomputed",
            CustomParser = r => CommandLineValues.Count(r, "--since", "a tree size"),
        };
        var verify = new Command("verify", "Recompute the tree from the stored entries and check every checkpoint's root, signature, timestamp and consistency; name the first entry that does not match.") { since };
        store.AddTo(verify, charter: false);
        verify.SetAction(async (result, cancellationToken) =>
        {
            var (location, signing) = await ResolveAsync(store, result, cancellationToken);
            if (location is null || signing is null)
            {
                return CharteCommand.Usage;
            }

            using (signing)
            {
                var from = result.GetValue(since) ?? 0;
                if (from > 0 && await LedgerVerifier.NearestCheckpointsAsync(location, from, cancellationToken) is (false, var before, var after))
                {
                    var nearest = string.Join(" and ", new[] { before, after }.OfType<long>());
                    result.InvocationConfiguration.Error.WriteLine($"charte: --since {from}: no checkpoint of that size{(nearest.Length > 0 ? $"; the nearest are of size {nearest}" : "; the ledger has no checkpoint yet")}");
                    return CharteCommand.Usage;
                }

                var report = await LedgerVerifier.VerifyAsync(location, signing.LogPublicKey.Export(KeyBlobFormat.RawPublicKey), signing.TimestampTrust, cancellationToken, from);
                (report.Valid ? result.InvocationConfiguration.Output : result.InvocationConfiguration.Error).WriteLine(LedgerVerifier.Describe(report));
                return report.Valid ? CharteCommand.Success : CharteCommand.Findings;
            }
        });

        var checkpoint = new Command("checkpoint", "Sequence every pending entry now, then sign and timestamp a checkpoint if the tree grew.");
        store.AddTo(checkpoint);
        checkpoint.SetAction(async (result, cancellationToken) =>
        {
            var configuration = StoreOptions.Configuration();
            var (location, signing) = await ResolveAsync(store, result, cancellationToken);
            if (location is null || signing is null)
            {
                return CharteCommand.Usage;
            }

            if (store.ResolveCharter(result, configuration, clock, result.InvocationConfiguration.Error, out var unloaded) is not { } charter)
            {
                return unloaded;
            }

            using (signing)
            {
                // The server's settings: the same origin and the same timestamp authority as its own checkpoints.
                var (authority, problem) = TimestampAuthorities.From(configuration, signing, clock);
                LedgerOptions? options = null;
                try
                {
                    options = LedgerOptions.From(configuration, charter);
                }
                catch (InvalidOperationException e)
                {
                    problem ??= e.Message;
                }

                if (problem is not null)
                {
                    result.InvocationConfiguration.Error.WriteLine("charte: " + problem);
                    return CharteCommand.Usage;
                }

                var sequencer = new Sequencer(location, signing, authority!, options!, clock, NullLogger<Sequencer>.Instance);
                var added = await sequencer.IntegrateAsync(cancellationToken);
                var made = await sequencer.CheckpointAsync(cancellationToken);
                result.InvocationConfiguration.Output.WriteLine(made is null
                    ? $"{added} entries sequenced; the latest checkpoint already covers the whole tree"
                    : $"{added} entries sequenced; checkpoint of size {made.Size} signed and timestamped:\n{made.Note}");
                return CharteCommand.Success;
            }
        });

        var folder = new Argument<string>("DIR") { Description = "An empty or new folder" };
        var export = new Command("export", "Write the entries, checkpoints, timestamps, public keys and consistency proofs to DIR, in the formats of docs/LEDGER.md.") { folder };
        store.AddTo(export, charter: false);
        export.SetAction(async (result, cancellationToken) =>
        {
            var (location, signing) = await ResolveAsync(store, result, cancellationToken);
            if (location is null || signing is null)
            {
                return CharteCommand.Usage;
            }

            using (signing)
            {
                var dir = result.GetValue(folder)!;
                if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
                {
                    result.InvocationConfiguration.Error.WriteLine($"charte: {dir} is not empty; export into a new folder");
                    return CharteCommand.Usage;
                }

                if (!OutputFolder(dir, result.InvocationConfiguration.Error))
                {
                    return CharteCommand.Usage;
                }

                var (entries, checkpoints) = await LedgerExport.WriteAsync(location, signing, dir, cancellationToken);
                result.InvocationConfiguration.Output.WriteLine($"{dir}: {entries} entries, {checkpoints} checkpoints with their timestamps, public keys and consistency proofs (see README.md there)");
                return CharteCommand.Success;
            }
        });

        return new Command("ledger", "The tamper-evident ledger: verify it, export it for an outside verifier, make a checkpoint now.") { verify, export, checkpoint };
    }

    public static Command Seal(TimeProvider clock)
    {
        var store = new StoreOptions();
        var files = new Argument<string[]>("FILE") { Arity = ArgumentArity.OneOrMore, Description = "The files to seal" };
        var output = new Option<string>("--out") { Description = "Where to write manifest.txt and manifest.txt.p7s (default: the current folder)", DefaultValueFactory = _ => "." };
        var command = new Command("seal", "Seal evidence: a SHA-256 manifest of the files and a detached CMS signature by the organisation's seal certificate, timestamped (verifiable with openssl cms -verify); journaled.") { files, output };
        store.AddTo(command, charter: false);
        command.SetAction(async (result, cancellationToken) =>
        {
            var error = result.InvocationConfiguration.Error;
            var (location, signing) = await ResolveAsync(store, result, cancellationToken);
            if (location is null || signing is null)
            {
                return CharteCommand.Usage;
            }

            using (signing)
            {
                var digests = new List<(string, byte[])>();
                foreach (var file in result.GetValue(files)!)
                {
                    if (!File.Exists(file))
                    {
                        error.WriteLine($"charte: {file}: {(Directory.Exists(file) ? "is a directory; seal the files in it" : "no such file")}");
                        return CharteCommand.Usage;
                    }

                    if (!Seals.Listable(Path.GetFileName(file)))
                    {
                        error.WriteLine($"charte: {file.ReplaceLineEndings("\\n")}: a file name with a control character (a line break…) cannot stand on a manifest line; rename the file");
                        return CharteCommand.Usage;
                    }

                    await using var stream = File.OpenRead(file);
                    digests.Add((Path.GetFileName(file), await SHA256.HashDataAsync(stream, cancellationToken)));
                }

                if (digests.Select(d => d.Item1).Distinct(StringComparer.Ordinal).Count() != digests.Count)
                {
                    error.WriteLine("charte: two files have the same name; a manifest names each file once");
                    return CharteCommand.Usage;
                }

                if (!OutputFolder(result.GetValue(output)!, error))
                {
                    return CharteCommand.Usage;
                }

                // Stamped by the server's authority: the built-in one, or Charte:Ledger:TimestampUrl.
                var (authority, problem) = TimestampAuthorities.From(StoreOptions.Configuration(), signing, clock);
                if (problem is not null)
                {
                    error.WriteLine("charte: " + problem);
                    return CharteCommand.Usage;
                }

                Seals.Sealed sealedBundle;
                try
                {
                    sealedBundle = await Seals.SealAsync(Seals.Manifest(digests), signing.Seal, authority!, clock, cancellationToken);
                }
                catch (TimestampUnavailableException e)
                {
                    error.WriteLine($"charte: nothing sealed: {e.Message}");
                    return CharteCommand.Findings;
                }

                var dir = result.GetValue(output)!;
                Directory.CreateDirectory(dir);
                await File.WriteAllBytesAsync(Path.Combine(dir, "manifest.txt"), sealedBundle.Manifest, cancellationToken);
                await File.WriteAllBytesAsync(Path.Combine(dir, "manifest.txt.p7s"), sealedBundle.Signature, cancellationToken);
                var entry = await JournalAsync(location, clock, $"{digests.Count} files; manifest sha256 {sealedBundle.ManifestSha256}", cancellationToken);
                result.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{Path.Combine(dir, "manifest.txt")} and its seal manifest.txt.p7s: {digests.Count} files, journal entry {entry}.\nCheck with: openssl cms -verify -binary -inform DER -in manifest.txt.p7s -content manifest.txt -CAfile ca.crt -purpose any"));
                return CharteCommand.Success;
            }
        });
        return command;
    }

    /// <summary>The folder a verb writes into, created if need be; false once the reason it cannot be is printed.</summary>
    private static bool OutputFolder(string dir, TextWriter error)
    {
        if (File.Exists(dir))
        {
            error.WriteLine($"charte: {dir} is a file; give a folder to write into");
            return false;
        }

        try
        {
            Directory.CreateDirectory(dir);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"charte: {dir}: the folder cannot be created ({e.Message.TrimEnd('.')})");
            return false;
        }
    }

    private static async Task<long> JournalAsync(StoreLocation store, TimeProvider clock, string detail, CancellationToken cancellationToken)
    {
        await using var db = await CharteDb.Factory(store).CreateDbContextAsync(cancellationToken);
        var entry = new JournalEntry { At = clock.GetUtcNow().UtcDateTime, Actor = "cli", Action = "evidence.seal", Outcome = "ok", Detail = detail };
        db.Journal.Add(entry);
        await db.SaveChangesAsync(cancellationToken);
        return entry.Id;
    }

    private static async Task<(StoreLocation? Store, SigningKeys? Signing)> ResolveAsync(StoreOptions store, ParseResult result, CancellationToken cancellationToken)
    {
        var configuration = StoreOptions.Configuration();
        var error = result.InvocationConfiguration.Error;
        var location = await store.ResolveReadyStoreAsync(result, configuration, error, cancellationToken);
        return (location, location is null ? null : store.ResolveSigning(result, configuration, error));
    }
}

/// <summary>The export folder of docs/LEDGER.md.</summary>
internal static class LedgerExport
{
    public static async Task<(long Entries, int Checkpoints)> WriteAsync(StoreLocation store, SigningKeys signing, string dir, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.Combine(dir, "checkpoints"));
        Directory.CreateDirectory(Path.Combine(dir, "keys"));
        Directory.CreateDirectory(Path.Combine(dir, "proofs"));
        await using var connection = await Sql.OpenAsync(store, cancellationToken);
        var last = (await LedgerStore.CheckpointAsync(connection, null, cancellationToken))?.Size ?? 0;
        long entries = 0;
        await using (var file = File.Create(Path.Combine(dir, "entries.jsonl")))
        await using (var leaves = await Sql.OpenAsync(store, cancellationToken))
        {
            await foreach (var leaf in LedgerStore.LeavesAsync(leaves, cancellationToken))
            {
                if (leaf.Index >= last || leaf.Entry is null)
                {
                    break;
                }

                await file.WriteAsync(LedgerEntry.Canonical(leaf.Entry), cancellationToken);
                file.WriteByte((byte)'\n');
                entries++;
            }
        }

        // Up to the latest checkpoint found above: one signed meanwhile is for the next export.
        var origin = "";
        var checkpoints = 0;
        StoredCheckpoint? previous = null;
        await using var reading = await Sql.OpenAsync(store, cancellationToken);
        await foreach (var checkpoint in LedgerStore.CheckpointsAsync(reading, cancellationToken))
        {
            if (checkpoint.Size > last)
            {
                break;
            }

            origin = checkpoints++ == 0 ? checkpoint.Note.Split('\n', 2)[0] : origin;
            var name = checkpoint.Size.ToString(CultureInfo.InvariantCulture);
            await File.WriteAllTextAsync(Path.Combine(dir, "checkpoints", name + ".note"), checkpoint.Note, cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(dir, "checkpoints", name + ".body"), checkpoint.Note[..(checkpoint.Note.IndexOf("\n\n", StringComparison.Ordinal) + 1)], cancellationToken);
            await File.WriteAllBytesAsync(Path.Combine(dir, "checkpoints", name + ".tsr"), checkpoint.Token, cancellationToken);
            if (previous is not null)
            {
                var proof = await LedgerStore.WithNodesAsync(connection, node => Merkle.ConsistencyProof(previous.Size, checkpoint.Size, node), cancellationToken);
                await File.WriteAllLinesAsync(Path.Combine(dir, "proofs", $"consistency-{previous.Size}-{checkpoint.Size}.txt"), proof.Select(Convert.ToBase64String), cancellationToken);
            }

            previous = checkpoint;
        }

        var publicKey = signing.LogPublicKey.Export(KeyBlobFormat.RawPublicKey);
        await File.WriteAllTextAsync(Path.Combine(dir, "keys", "log.vkey"), Checkpoints.VerifierKey(origin, publicKey) + "\n", cancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(dir, "keys", "log.pub.pem"), signing.LogPublicKey.Export(KeyBlobFormat.PkixPublicKeyText), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir, "keys", "ca.crt"), signing.Ca.ExportCertificatePem(), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir, "keys", "timestamp-ca.pem"), string.Concat(signing.TimestampTrust.Select(c => c.ExportCertificatePem() + "\n")), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir, "keys", "tsa.crt"), signing.Tsa.ExportCertificatePem(), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir, "keys", "seal.crt"), signing.Seal.ExportCertificatePem(), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir, "README.md"), Readme.Replace("{origin}", origin, StringComparison.Ordinal), Encoding.UTF8, cancellationToken);
        return (entries, checkpoints);
    }

    private const string Readme = """
        # Ledger export of {origin}

        Formats: docs/LEDGER.md of Charte. In short:

        - `entries.jsonl`: one entry per line, in tree order; each line's bytes (without the newline) are the entry.
          Leaf hash = SHA-256(0x00 ‖ line). Node hash = SHA-256(0x01 ‖ left ‖ right). RFC 9162 §2.1.
        - `checkpoints/N.note`: the C2SP signed note of the tree of N entries; `N.body` its signed text;
          `N.tsr`: the RFC 3161 timestamp token (DER) over SHA-256 of `N.body`.
        - `keys/log.vkey` (C2SP verifier key), `keys/log.pub.pem` (Ed25519, SPKI), `keys/ca.crt`, `keys/tsa.crt`, `keys/seal.crt`;
          `keys/timestamp-ca.pem`: the authorities a timestamp may chain to (ca.crt, and an external authority's roots).
        - `proofs/consistency-A-B.txt`: RFC 9162 consistency proof between consecutive checkpoints, base64 per line.

        Check a timestamp:
            openssl ts -verify -data checkpoints/N.body -in checkpoints/N.tsr -token_in -CAfile keys/timestamp-ca.pem -untrusted keys/tsa.crt
        Check a checkpoint signature: the last line of N.note is "— ORIGIN base64(keyid(4) ‖ signature(64))";
        the signature is Ed25519 by keys/log.pub.pem over the bytes of N.body.

        """;
}
