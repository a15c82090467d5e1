using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Charte.Hosting;
using Charte.Storage;

namespace Charte.Bench;

/// <summary>
/// A retention sweep over N due records (20 per subject, Secufor's "reviews": 3 years from collection, collected 6
/// to 5 years ago, a subject after another as a store fills) next to its floor in the same run: one plain DELETE of the same rows, timed then rolled back. The sweep
/// is `charte retention run` itself, in a process of its own: pages, clock, one statement per step, journal entries,
/// shredding.
/// </summary>
internal static class RetentionBench
{
    private const int PerSubject = 20;

    /// <summary>The repository's `charte` launcher: the first folder above the bench's own that holds it.</summary>
    private static string Launcher()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var launcher = Path.Combine(dir.FullName, "charte");
            if (File.Exists(launcher) && File.Exists(Path.Combine(dir.FullName, "Directory.Build.props")))
            {
                return launcher;
            }
        }

        throw new InvalidOperationException($"no charte launcher above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// PostgreSQL: the store at rest, as autovacuum and the checkpointer leave it a few minutes after a bulk load or a
    /// rolled-back DELETE (statistics current, hint bits and visibility map set, dirty pages written), for the floor and
    /// the sweep alike. Without the vacuum the planner knows nothing of the million new rows (it read the first page of
    /// subjects by a scan of the whole table) and the first reader of every row pays for the load's bookkeeping. Without
    /// the checkpoint, which of the two pays for writing a full image of each page it first changes into the WAL
    /// (PostgreSQL does so after every checkpoint; 0.2 to 0.5 s of a plain DELETE of these million rows) depends on where the
    /// checkpointer happens to be: a store swept in production was last changed long before, and both pay it.
    /// </summary>
    private static async Task AtRestAsync(StoreLocation store)
    {
        if (store.Provider != StoreProvider.PostgreSql)
        {
            return;
        }

        await using var connection = await Sql.OpenAsync(store, CancellationToken.None);
        foreach (var statement in new[] { "VACUUM (ANALYZE) subjects, records, subject_events, journal", "CHECKPOINT" })
        {
            await using var command = Sql.Command(connection, statement);
            command.CommandTimeout = 600;
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    public static async Task<string> RunAsync(string storeSetting, int records)
    {
        var store = StoreLocation.Parse(storeSetting);
        var clock = TimeProvider.System;
        var charterPath = Path.Combine(AppContext.BaseDirectory, "secufor.charte.yaml");
        await CharteServer.MigrateAsync(store, CancellationToken.None);
        var subjects = records / PerSubject;
        var seeding = Stopwatch.StartNew();
        await SeedAsync(store, subjects, clock.GetUtcNow().AddYears(-6), clock.GetUtcNow().AddYears(-5));
        Console.Error.WriteLine($"seeded {subjects * PerSubject:N0} due records in {seeding.Elapsed.TotalSeconds:F0} s");
        await AtRestAsync(store);

        TimeSpan floor;
        await using (var connection = await Sql.OpenAsync(store, CancellationToken.None))
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var delete = Sql.Command(connection, "DELETE FROM records WHERE purpose = 'reviews'", transaction);
            var timer = Stopwatch.StartNew();
            var rows = await delete.ExecuteNonQueryAsync();
            floor = timer.Elapsed;
            await transaction.RollbackAsync();
            Console.Error.WriteLine($"floor: {rows:N0} rows deleted in {floor.TotalSeconds:F1} s (rolled back)");
        }

        await AtRestAsync(store);

        // The sweep as an operator runs it: the repository's `charte` launcher (built beforehand, outside the clock), so
        // with the runtime settings it gives batch verbs, `charte retention run` in a process of its own, its peak
        // resident memory (VmHWM) read from /proc while it runs. A throwaway master key comes in the environment (the
        // seeded subjects have no data keys to unwrap).
        var launcher = Launcher();
        using (var build = Process.Start(new ProcessStartInfo(launcher, "--version") { RedirectStandardOutput = true, UseShellExecute = false })!)
        {
            await build.WaitForExitAsync();
        }

        var start = new ProcessStartInfo(launcher) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["CHARTE__KEYS__MASTER"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        foreach (var argument in new[] { "retention", "run", "--store", storeSetting, "--charter", charterPath })
        {
            start.ArgumentList.Add(argument);
        }

        var sweep = Stopwatch.StartNew();
        using var run = Process.Start(start)!;
        var output = run.StandardOutput.ReadToEndAsync();
        var errors = run.StandardError.ReadToEndAsync();
        var peak = new Resident(0, 0, 0, 0);
        while (!run.HasExited)
        {
            if (Resident.Of(run.Id) is { } now && now.Peak > peak.Peak)
            {
                peak = now;
            }

            await Task.Delay(50);
        }

        await run.WaitForExitAsync();
        sweep.Stop();
        var summary = await output;
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"charte retention run failed ({run.ExitCode}): {await errors}");
        }

        long Count(string pattern) => long.Parse(Regex.Match(summary, pattern).Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        var (deleted, shredded) = (Count(@"deleted ([\d,]+)"), Count(@"([\d,]+) subjects' keys destroyed"));
        const double MiB = 1024 * 1024;
        return $"""
            ### {store.Provider} — {deleted:N0} due records of {subjects:N0} subjects

            | path | measured | floor (same run) | ratio | target |
            |---|---|---|---|---|
            | `charte retention run` (own process, start-up included; pages of 500 subjects, clock, delete, journal entry per subject, {shredded:N0} keys destroyed) | {sweep.Elapsed.TotalSeconds:F1} s ({deleted / sweep.Elapsed.TotalSeconds:N0} records/s) | one plain `DELETE` of the same rows: {floor.TotalSeconds:F1} s | ×{sweep.Elapsed / floor:F1} | ≤ ×5 |
            | peak resident memory of that process (VmHWM) | {peak.Peak / MiB:N0} MB (at the peak: {peak.Anonymous / MiB:N0} MB private, {peak.File / MiB:N0} MB mapped files — the runtime and assemblies —, {peak.Shared / MiB:N0} MB JIT code, double-mapped) | — | — | < 200 MB |

            """;
    }

    /// <summary>A process's peak resident set so far (VmHWM) and what is resident now, from /proc/PID/status.</summary>
    private sealed record Resident(long Peak, long Anonymous, long File, long Shared)
    {
        public static Resident? Of(int pid)
        {
            try
            {
                var fields = System.IO.File.ReadLines($"/proc/{pid}/status").Select(l => l.Split(':', 2)).Where(f => f.Length == 2)
                    .ToDictionary(f => f[0], f => f[1].Trim().Split(' ')[0], StringComparer.Ordinal);
                long Bytes(string name) => fields.TryGetValue(name, out var kb) ? long.Parse(kb, CultureInfo.InvariantCulture) * 1024 : 0;
                return new Resident(Bytes("VmHWM"), Bytes("RssAnon"), Bytes("RssFile"), Bytes("RssShmem"));
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// The subjects created one after another from <paramref name="from"/> to <paramref name="until"/>, each with its
    /// records, ids made as the vault makes them (UUIDv7 of the moment: a store's ids follow its time). All at one
    /// instant, the ids would only differ by their random bits and a page of subjects would find its records scattered
    /// over the whole table, which no store filled over time looks like.
    /// </summary>
    private static async Task SeedAsync(StoreLocation store, int subjects, DateTimeOffset from, DateTimeOffset until)
    {
        await using var connection = await Sql.OpenAsync(store, CancellationToken.None);
        var value = RandomNumberGenerator.GetBytes(60);
        for (var start = 0; start < subjects; start += 1000)
        {
            var people = new BulkRows("subjects", "id", "pseudonym", "category", "created_at");
            var rows = new BulkRows("records", "id", "subject_id", "purpose", "category", "value", "key_version", "source", "collected_at", "updated_at");
            for (var i = start; i < Math.Min(subjects, start + 1000); i++)
            {
                var collected = from + (until - from) * ((double)i / subjects);
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
