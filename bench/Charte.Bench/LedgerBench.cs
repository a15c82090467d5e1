using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Charte.Hosting;
using Charte.Journal;
using Charte.Ledger;
using Charte.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using NSec.Cryptography;

namespace Charte.Bench;

/// <summary>
/// The ledger's two paths, each next to its floor in the same run: appending entries (the journal's group commit, then
/// the sequencer's batches of leaves and subtree hashes, then a signed checkpoint committed with a full sync) and full verification from storage, against raw
/// SHA-256 over the same canonical entry bytes.
/// </summary>
internal static class LedgerBench
{
    public static async Task<string> RunAsync(string storeSetting, int entries)
    {
        var store = StoreLocation.Parse(storeSetting);
        var clock = TimeProvider.System;
        await CharteServer.MigrateAsync(store, CancellationToken.None);
        using var signing = SigningKeys.CreateInMemory("bench", clock);

        // Append: 64 concurrent appenders through the journal writer's group commit, then the sequencer integrates
        // them (batches of 4,096, a transaction each). End to end = appended, in the tree, and under a checkpoint on disk.
        using var journal = new JournalWriter(store, clock, NullLogger<JournalWriter>.Instance);
        await journal.StartAsync(CancellationToken.None);
        var total = Stopwatch.StartNew();
        var next = 0;
        var appenders = Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= entries)
            {
                await journal.AppendAsync(new JournalEntry
                {
                    At = clock.GetUtcNow().UtcDateTime,
                    Actor = "app:bench",
                    Action = "record.read",
                    Subject = "s_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
                    Purpose = "customer_management",
                    Outcome = "ok",
                    Detail = "18 records, 0 documents",
                }, CancellationToken.None);
            }
        })).ToList();
        await Task.WhenAll(appenders);
        var appended = total.Elapsed;
        await journal.StopAsync(CancellationToken.None);

        var sequencer = new Sequencer(store, signing, new BuiltInTimestampAuthority(signing.Tsa, clock), new LedgerOptions { Origin = "bench.charte/ledger" }, clock, NullLogger<Sequencer>.Instance);
        // Sequencing ends with a signed checkpoint: committed with a full sync, it puts every leaf before it on disk
        // (on SQLite the batches themselves commit without waiting for the disk; see Sequencer).
        var sequencing = Stopwatch.StartNew();
        var integrated = await sequencer.IntegrateAsync(CancellationToken.None);
        await sequencer.CheckpointAsync(CancellationToken.None);
        sequencing.Stop();
        total.Stop();

        // PostgreSQL: the ledger at rest, as autovacuum and the checkpointer leave it a few minutes after a bulk load
        // (visibility map and hint bits set, statistics current, dirty pages written), rather than with autovacuum working
        // through the million new rows, or a checkpoint writing them out, during the runs.
        if (store.Provider == StoreProvider.PostgreSql)
        {
            await using var connection = await Sql.OpenAsync(store, CancellationToken.None);
            foreach (var statement in new[] { "VACUUM (ANALYZE) journal, ledger_leaves, ledger_nodes", "CHECKPOINT" })
            {
                await using var command = Sql.Command(connection, statement);
                await command.ExecuteNonQueryAsync(CancellationToken.None);
            }
        }

        // Verification runs as `./charte ledger verify` runs it: in a process of its own with the settings the launcher
        // gives batch verbs (workstation GC, no instrumented PGO stage), here the bench itself in its "ledger-verify" mode, next to its floor.
        var trust = Path.Combine(Path.GetTempPath(), $"charte-bench-ca-{Environment.ProcessId}.pem");
        await File.WriteAllTextAsync(trust, signing.Ca.ExportCertificatePem());
        VerifyRun measured;
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
            start.Environment["DOTNET_gcServer"] = "0";
            start.Environment["DOTNET_TieredPGO"] = "0";
            foreach (var argument in new[] { typeof(LedgerBench).Assembly.Location, "ledger-verify", storeSetting, Convert.ToBase64String(signing.LogPublicKey.Export(KeyBlobFormat.RawPublicKey)), trust })
            {
                start.ArgumentList.Add(argument);
            }

            using var child = Process.Start(start)!;
            var line = await child.StandardOutput.ReadToEndAsync();
            await child.WaitForExitAsync();
            measured = child.ExitCode == 0 ? VerifyRun.Parse(line) : throw new InvalidOperationException($"the verification run failed: {line}");
        }
        finally
        {
            File.Delete(trust);
        }

        var (leaves, verifying, first, count, hashing, size) = measured;
        double Rate(long count, TimeSpan time) => count / time.TotalSeconds;
        return $"""
            ### {store.Provider} — {leaves:N0} entries of about {size} bytes

            | path | measured | floor (same run) | ratio | target |
            |---|---|---|---|---|
            | append: journal group commit, 64 concurrent appenders | {Rate(entries, appended):N0} entries/s | — | — | — |
            | sequencing: leaves + subtree hashes in batches of 4,096, then a signed checkpoint (on disk) | {Rate(integrated, sequencing.Elapsed):N0} entries/s | — | — | — |
            | append end to end (appended, in the tree, under a signed checkpoint on disk) | {Rate(integrated, total.Elapsed):N0} entries/s | — | — | ≥ 20,000/s on SQLite |
            | full verification from storage (read, canonicalise, hash, recompute tree, check checkpoint; fastest of {VerifyRun.Runs} runs) | {Rate(leaves, verifying):N0} entries/s | raw SHA-256 of the same bytes in memory (fastest of {VerifyRun.Runs}): {Rate(count, hashing):N0} entries/s | {Rate(leaves, verifying) / Rate(count, hashing):P1} | ≥ 50 % |
            | the first of those runs, in the fresh process (its connections opened, its code compiled) | {Rate(leaves, first):N0} entries/s | — | {Rate(leaves, first) / Rate(count, hashing):P1} | — |

            """;
    }

    /// <summary>
    /// The verification of an existing ledger and its floor, in this process (the "ledger-verify" mode): the verifier
    /// over the whole store, and SHA-256 of the same canonical bytes already in memory. Each is run
    /// <see cref="VerifyRun.Runs"/> times, in turns (verifier, floor, verifier, floor…), so that a moment when the shared
    /// machine is slower falls on both sides alike, and the fastest run of each counts: the first pass of the verifier
    /// also compiles the code, opens the connections (PostgreSQL: starts their server processes and fills their caches)
    /// and reads the file into the operating system's cache, which the floor, already in memory, does not pay for. That
    /// first pass is reported beside it.
    /// </summary>
    public static async Task<VerifyRun> VerifyAsync(string storeSetting, byte[] logPublicKey, string trustPem)
    {
        var store = StoreLocation.Parse(storeSetting);
        using var trust = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(trustPem));
        async Task<(TimeSpan, LedgerReport)> Verify()
        {
            var clock = Stopwatch.StartNew();
            var report = await LedgerVerifier.VerifyAsync(store, logPublicKey, trust, CancellationToken.None);
            return report.Valid ? (clock.Elapsed, report) : throw new InvalidOperationException(LedgerVerifier.Describe(report));
        }

        var (first, report) = await Verify();
        var verifying = first;
        var bytes = await CanonicalBytesAsync(store);
        var hashing = TimeSpan.MaxValue;
        for (var run = 0; run < VerifyRun.Runs; run++)
        {
            if (run > 0)
            {
                var (elapsed, _) = await Verify();
                verifying = elapsed < verifying ? elapsed : verifying;
            }

            var pass = Hash(bytes);
            hashing = pass < hashing ? pass : hashing;
        }

        return new VerifyRun(report.Leaves, verifying, first, bytes.Count, hashing, bytes.Sum(b => (long)b.Length) / Math.Max(1, bytes.Count));
    }

    /// <summary>The floor alone, in entries per second: the fastest of <see cref="VerifyRun.Runs"/> passes (the "verify" mode).</summary>
    public static async Task<double> FloorAsync(string storeSetting)
    {
        var bytes = await CanonicalBytesAsync(StoreLocation.Parse(storeSetting));
        return bytes.Count / Enumerable.Range(0, VerifyRun.Runs).Min(_ => Hash(bytes)).TotalSeconds;
    }

    /// <summary>Every entry's canonical bytes, in tree order.</summary>
    private static async Task<List<byte[]>> CanonicalBytesAsync(StoreLocation store)
    {
        var bytes = new List<byte[]>();
        await using var connection = await Sql.OpenAsync(store, CancellationToken.None);
        await foreach (var leaf in LedgerStore.LeavesAsync(connection, CancellationToken.None))
        {
            bytes.Add(LedgerEntry.Canonical(leaf.Entry!));
        }

        return bytes;
    }

    /// <summary>One pass of the floor: SHA-256 of every entry's bytes, one call per entry.</summary>
    private static TimeSpan Hash(List<byte[]> bytes)
    {
        var digest = new byte[32];
        var clock = Stopwatch.StartNew();
        foreach (var entry in bytes)
        {
            SHA256.HashData(entry, digest);
        }

        return clock.Elapsed;
    }
}

/// <summary>What the verification run measured, as one line between the two processes.</summary>
internal sealed record VerifyRun(long Leaves, TimeSpan Verifying, TimeSpan First, int Count, TimeSpan Hashing, long Size)
{
    /// <summary>How many times each side runs; the fastest counts (the first pass of the verifier is also reported).</summary>
    public const int Runs = 5;

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Leaves} {Verifying.Ticks} {First.Ticks} {Count} {Hashing.Ticks} {Size}");

    public static VerifyRun Parse(string line)
    {
        var parts = line.Trim().Split(' ').Select(p => long.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return new VerifyRun(parts[0], TimeSpan.FromTicks(parts[1]), TimeSpan.FromTicks(parts[2]), (int)parts[3], TimeSpan.FromTicks(parts[4]), parts[5]);
    }
}
