using System.Diagnostics;
using System.Security.Cryptography;
using Charte.Charters;
using Charte.Hosting;
using Charte.Keys;
using Charte.Retention;
using Charte.Storage;

namespace Charte.Bench;

/// <summary>
/// A retention sweep over N due records (20 per subject, Secufor's "reviews": 3 years from collection, collected 5
/// years ago) next to its floor in the same run: one plain DELETE of the same rows, timed then rolled back. The sweep
/// does everything a real one does: pages, clock, one statement per subject and step, journal entries, shredding.
/// </summary>
internal static class RetentionBench
{
    private const int PerSubject = 20;

    public static async Task<string> RunAsync(string storeSetting, int records)
    {
        var store = StoreLocation.Parse(storeSetting);
        var clock = TimeProvider.System;
        var charter = CharterLoader.Load(await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "secufor.charte.yaml")), "secufor.charte.yaml", clock).Charter!;
        await CharteServer.MigrateAsync(store, CancellationToken.None);
        var subjects = records / PerSubject;
        var seeding = Stopwatch.StartNew();
        await SeedAsync(store, subjects, clock.GetUtcNow().AddYears(-5));
        Console.Error.WriteLine($"seeded {subjects * PerSubject:N0} due records in {seeding.Elapsed.TotalSeconds:F0} s");

        TimeSpan floor;
        await using (var connection = await Sql.OpenAsync(store, CancellationToken.None))
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var delete = Sql.Command(connection, "DELETE FROM records WHERE purpose = 'reviews'", transaction);
            var timer = Stopwatch.StartNew();
            var deleted = await delete.ExecuteNonQueryAsync();
            floor = timer.Elapsed;
            await transaction.RollbackAsync();
            Console.Error.WriteLine($"floor: {deleted:N0} rows deleted in {floor.TotalSeconds:F1} s (rolled back)");
        }

        var keys = new SubjectKeys(KeyStoreDb.Factory(store), MasterKeys.Create(clock), clock, TimeSpan.Zero);
        var engine = new RetentionEngine(store, charter, keys, clock);
        GC.Collect();
        var baseline = Process.GetCurrentProcess().WorkingSet64;
        long peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, Process.GetCurrentProcess().WorkingSet64);
                await Task.Delay(50);
            }
        });
        var sweep = Stopwatch.StartNew();
        var summary = await engine.RunAsync(clock.GetUtcNow(), dryRun: false, null, CancellationToken.None);
        sweep.Stop();
        await sampling.CancelAsync();
        await sampler;
        const double MiB = 1024 * 1024;
        return $"""
            ### {store.Provider} — {summary.Deleted:N0} due records of {subjects:N0} subjects

            | path | measured | floor (same run) | ratio | target |
            |---|---|---|---|---|
            | retention sweep (pages of 500 subjects, clock, delete, journal entry per subject, {summary.Shredded:N0} keys destroyed) | {sweep.Elapsed.TotalSeconds:F1} s ({summary.Deleted / sweep.Elapsed.TotalSeconds:N0} records/s) | one plain `DELETE` of the same rows: {floor.TotalSeconds:F1} s | ×{sweep.Elapsed / floor:F1} | ≤ ×5 |
            | peak working set during the sweep | {peak / MiB:N0} MB ({(peak - baseline) / MiB:N0} MB above the process before it) | — | — | < 200 MB |

            """;
    }

    private static async Task SeedAsync(StoreLocation store, int subjects, DateTimeOffset collected)
    {
        await using var connection = await Sql.OpenAsync(store, CancellationToken.None);
        var value = RandomNumberGenerator.GetBytes(60);
        for (var start = 0; start < subjects; start += 1000)
        {
            var people = new BulkRows("subjects", "id", "pseudonym", "category", "created_at");
            var rows = new BulkRows("records", "id", "subject_id", "purpose", "category", "value", "key_version", "source", "collected_at", "updated_at");
            for (var i = start; i < Math.Min(subjects, start + 1000); i++)
            {
                var id = Guid.CreateVersion7(collected);
                people.Add(id, $"s_{i:x24}", "customer", collected.UtcDateTime);
                for (var r = 0; r < PerSubject; r++)
                {
                    rows.Add(Guid.CreateVersion7(collected), id, "reviews", $"review.r{r}", value, 1, "provided", collected.UtcDateTime, collected.UtcDateTime);
                }
            }

            await using var transaction = await connection.BeginTransactionAsync();
            await people.WriteAsync(connection, transaction, CancellationToken.None);
            await rows.WriteAsync(connection, transaction, CancellationToken.None);
            await transaction.CommitAsync();
        }
    }
}
