using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using Charte.Bench;

// "vault STORE SUBJECTS WORKDIR": the vault under load (wrk), written as a Markdown section on standard output.
if (args is ["vault", var store, var subjects, var work])
{
    var scratch = store.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase) ? "sqlite:" + Path.Combine(work, "warm.db") : await BenchStore.FreshAsync(store, "charte_bench_vault_warm");
    Console.Write(await VaultBench.RunAsync(await BenchStore.FreshAsync(store, "charte_bench_vault"), scratch, int.Parse(subjects, System.Globalization.CultureInfo.InvariantCulture), work));
    return;
}

// "ledger STORE ENTRIES": append, sequencing and verification rates, as a Markdown section.
if (args is ["ledger", var ledgerStore, var count])
{
    Console.Write(await LedgerBench.RunAsync(await BenchStore.FreshAsync(ledgerStore, "charte_bench_ledger"), int.Parse(count, System.Globalization.CultureInfo.InvariantCulture)));
    return;
}

// "ledger-verify STORE LOGKEY TRUST": the verification half of "ledger", run by it in a process of its own.
if (args is ["ledger-verify", var ledgerVerifyStore, var logKey, var trustPem])
{
    Console.WriteLine(await LedgerBench.VerifyAsync(ledgerVerifyStore, Convert.FromBase64String(logKey), trustPem));
    return;
}

// "verify STORE [RUNS]": the verifier alone over an existing ledger, five times or RUNS, then its floor (for profiling;
// signatures will not match).
if (args is ["verify", var verifyStore, ..] && args.Length <= 3)
{
    var runs = args.Length == 3 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5;
    using var signing = Charte.Ledger.SigningKeys.CreateInMemory("bench", TimeProvider.System);
    var best = 0.0;
    long leaves = 0;
    for (var i = 0; i < runs; i++)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var report = await Charte.Ledger.LedgerVerifier.VerifyAsync(Charte.Storage.StoreLocation.Parse(verifyStore), signing.LogPublicKey.Export(NSec.Cryptography.KeyBlobFormat.RawPublicKey), signing.Ca, CancellationToken.None);
        var rate = report.Leaves / clock.Elapsed.TotalSeconds;
        (best, leaves) = (Math.Max(best, rate), report.Leaves);
        Console.WriteLine($"{rate:N0} entries/s");
    }

    var floor = await LedgerBench.FloorAsync(verifyStore);
    Console.WriteLine($"best {best:N0} entries/s; raw SHA-256 {floor:N0} entries/s; {best / floor:P1}");
    return;
}

// "retention STORE RECORDS": a sweep of RECORDS due records next to a plain DELETE, as a Markdown section.
if (args is ["retention", var retentionStore, var due])
{
    Console.Write(await RetentionBench.RunAsync(await BenchStore.FreshAsync(retentionStore, "charte_bench_retention"), int.Parse(due, System.Globalization.CultureInfo.InvariantCulture)));
    return;
}

// Several launches and iterations; BenchmarkDotNet reports the median next to the floor's, from the same run.
var config = DefaultConfig.Instance
    .AddJob(Job.Default.WithLaunchCount(3).WithWarmupCount(3).WithIterationCount(10))
    .AddExporter(MarkdownExporter.GitHub)
    .WithArtifactsPath(args.Length > 0 ? args[0] : Path.Combine(Directory.GetCurrentDirectory(), "artifacts", "bench"))
    .WithOptions(ConfigOptions.JoinSummary);
BenchmarkRunner.Run<CharterBenchmarks>(config);
