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

    /// <summary>Rounds of the whole measurement, each on fresh copies of the loaded store; the table gives their medians.</summary>
    private const int Rounds = 3;

    /// <summary>
    /// A million due records loaded once, then <see cref="Rounds"/> rounds, each of a floor and two sweeps, every one on
    /// a fresh copy of that store: the sweep as an operator starts it (`charte retention run`, a process of its own), and
    /// the server's scheduled sweep (the same engine in a process that already swept once, as a server does every
    /// period). Each figure is the median of its rounds: the shared machine's speed moves by a fifth within minutes, and
    /// one pair measured once said more of that moment than of the code.
    /// </summary>
    public static async Task<string> RunAsync(string storeSetting, int records)
    {
        var loaded = StoreLocation.Parse(storeSetting);
        var clock = TimeProvider.System;
        var charterPath = Path.Combine(AppContext.BaseDirectory, "secufor.charte.yaml");
        var charter = Charte.Charters.CharterLoader.Load(await File.ReadAllBytesAsync(charterPath), "secufor.charte.yaml", clock).Charter!;
        await CharteServer.MigrateAsync(loaded, CancellationToken.None);
        var subjects = records / PerSubject;
        var seeding = Stopwatch.StartNew();
        await SeedAsync(loaded, subjects, clock.GetUtcNow().AddYears(-6), clock.GetUtcNow().AddYears(-5));
        Console.Error.WriteLine($"seeded {subjects * PerSubject:N0} due records in {seeding.Elapsed.TotalSeconds:F0} s");
        await LeaveAsync(loaded);

        // The engine's code compiled and its connections' statements known: one sweep, unmeasured, as a server's first.
        var masters = Charte.Keys.MasterKeys.Create(clock);
        await OnCopyAsync("warm", copy => SweepInProcessAsync(copy, charter, masters, clock));

        // Each measurement on a copy of its own, made just before it: the floor and both sweeps start from the same
        // state (the store's files in the system's cache, none of its pages in PostgreSQL's buffers), and none reads
        // what another has just brought into memory.
        async Task<T> OnCopyAsync<T>(string name, Func<StoreLocation, Task<T>> measure)
        {
            var copy = await CopyAsync(loaded, name);
            try
            {
                return await measure(copy);
            }
            finally
            {
                await DropAsync(copy);
            }
        }

        var (process, server) = (new List<Pair>(), new List<Pair>());
        for (var round = 0; round < Rounds; round++)
        {
            var floor = await OnCopyAsync($"f{round}", FloorAsync);
            process.Add(new Pair(floor, await OnCopyAsync($"p{round}", copy => SweepProcessAsync(copy, charterPath, round))));
            server.Add(new Pair(floor, await OnCopyAsync($"s{round}", copy => SweepInProcessAsync(copy, charter, masters, clock))));
            Console.Error.WriteLine($"round {round}: process {process[^1]}; server {server[^1]}");
        }

        var cli = Median(process);
        var warm = Median(server);
        var peak = process.Select(p => p.Sweep.Memory!).MaxBy(m => m.Peak)!;
        const double MiB = 1024 * 1024;
        return $"""
            ### {loaded.Provider} — {cli.Sweep.Deleted:N0} due records of {subjects:N0} subjects

            Medians of {Rounds} rounds; in each, a plain `DELETE` of the due rows (rolled back) and both sweeps, each on a fresh copy of the loaded store.

            | path | measured | floor (same round) | ratio | target |
            |---|---|---|---|---|
            | `charte retention run` (own process, start-up included; pages of 500 subjects, clock, delete, journal entry per subject, {cli.Sweep.Shredded:N0} keys destroyed) | {cli.Sweep.Elapsed.TotalSeconds:F1} s ({cli.Sweep.Deleted / cli.Sweep.Elapsed.TotalSeconds:N0} records/s) | one plain `DELETE` of the same rows: {cli.Floor.TotalSeconds:F1} s | ×{cli.Ratio:F1} (rounds: {string.Join(", ", process.Select(p => p.Ratio.ToString("F1", CultureInfo.InvariantCulture)))}) | ≤ ×5 |
            | the server's scheduled sweep: the same engine in a process that has swept before (the code compiled; {warm.Sweep.Shredded:N0} keys destroyed) | {warm.Sweep.Elapsed.TotalSeconds:F1} s ({warm.Sweep.Deleted / warm.Sweep.Elapsed.TotalSeconds:N0} records/s) | one plain `DELETE` of the same rows: {warm.Floor.TotalSeconds:F1} s | ×{warm.Ratio:F1} (rounds: {string.Join(", ", server.Select(p => p.Ratio.ToString("F1", CultureInfo.InvariantCulture)))}) | ≤ ×5 |
            | peak resident memory of the `charte retention run` process (VmHWM; the highest of the rounds) | {peak.Peak / MiB:N0} MB (at the peak: {peak.Anonymous / MiB:N0} MB private, {peak.File / MiB:N0} MB mapped files — the runtime and assemblies —, {peak.Shared / MiB:N0} MB JIT code, double-mapped) | — | — | < 200 MB |

            """;
    }

    private sealed record Sweep(TimeSpan Elapsed, long Deleted, long Shredded, Resident? Memory);

    private sealed record Pair(TimeSpan Floor, Sweep Sweep)
    {
        public double Ratio => Sweep.Elapsed / Floor;

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Sweep.Elapsed.TotalSeconds:F1} s / {Floor.TotalSeconds:F2} s = x{Ratio:F1}");
    }

    /// <summary>The round whose ratio is the median (its floor and sweep are shown with it).</summary>
    private static Pair Median(List<Pair> pairs) => pairs.OrderBy(p => p.Ratio).ElementAt(pairs.Count / 2);

    /// <summary>
    /// The loaded store left for copying: PostgreSQL's template has no session open (this process's pooled ones are
    /// ended); SQLite's write-ahead log is folded into the file and every connection closed.
    /// </summary>
    private static async Task LeaveAsync(StoreLocation store)
    {
        if (store.Provider == StoreProvider.PostgreSql)
        {
            await AdminAsync(store, $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{Database(store)}' AND pid <> pg_backend_pid()");
            return;
        }

        await using (var connection = await Sql.OpenAsync(store, CancellationToken.None))
        {
            await using var checkpoint = Sql.Command(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
            await checkpoint.ExecuteNonQueryAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    /// <summary>A copy of the loaded store (PostgreSQL: a database made from it as a template; SQLite: its files), at rest.</summary>
    private static async Task<StoreLocation> CopyAsync(StoreLocation loaded, string suffix)
    {
        StoreLocation copy;
        if (loaded.Provider == StoreProvider.PostgreSql)
        {
            var name = $"{Database(loaded)}_{suffix}";
            await AdminAsync(loaded, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            await AdminAsync(loaded, $"CREATE DATABASE {name} TEMPLATE {Database(loaded)} STRATEGY FILE_COPY");
            copy = StoreLocation.Parse(new Npgsql.NpgsqlConnectionStringBuilder(loaded.ConnectionString) { Database = name }.ConnectionString);
        }
        else
        {
            var (data, keys) = (SqliteFile(loaded.ConnectionString), SqliteFile(loaded.KeyStoreConnectionString));
            var target = Path.Combine(Path.GetDirectoryName(data)!, $"{Path.GetFileNameWithoutExtension(data)}-{suffix}.db");
            copy = StoreLocation.Parse("sqlite:" + target);
            foreach (var (from, to) in new[] { (data, target), (keys, SqliteFile(copy.KeyStoreConnectionString)) })
            {
                File.Copy(from, to, overwrite: true);
                File.Delete(to + "-wal");
                File.Delete(to + "-shm");
            }
        }

        await AtRestAsync(copy);
        return copy;
    }

    private static async Task DropAsync(StoreLocation copy)
    {
        if (copy.Provider == StoreProvider.PostgreSql)
        {
            await AdminAsync(copy, $"DROP DATABASE IF EXISTS {Database(copy)} WITH (FORCE)");
            return;
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in new[] { SqliteFile(copy.ConnectionString), SqliteFile(copy.KeyStoreConnectionString) })
        {
            foreach (var path in new[] { file, file + "-wal", file + "-shm" })
            {
                File.Delete(path);
            }
        }
    }

    private static string Database(StoreLocation store) => new Npgsql.NpgsqlConnectionStringBuilder(store.ConnectionString).Database!;

    private static string SqliteFile(string connectionString) => new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString).DataSource;

    /// <summary>A statement on the server's own database (one that is never copied nor dropped).</summary>
    private static async Task AdminAsync(StoreLocation store, string sql)
    {
        await using var admin = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(store.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString);
        await admin.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, admin) { CommandTimeout = 600 };
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The floor: one plain DELETE of the due rows, timed then rolled back.</summary>
    private static async Task<TimeSpan> FloorAsync(StoreLocation store)
    {
        TimeSpan floor;
        await using (var connection = await Sql.OpenAsync(store, CancellationToken.None))
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var delete = Sql.Command(connection, "DELETE FROM records WHERE purpose = 'reviews'", transaction);
            delete.CommandTimeout = 600;
            var timer = Stopwatch.StartNew();
            await delete.ExecuteNonQueryAsync();
            floor = timer.Elapsed;
            await transaction.RollbackAsync();
        }

        return floor;
    }

    /// <summary>
    /// The server's sweep: <see cref="Charte.Retention.RetentionEngine.RunAsync"/>, as the server's sweeper calls it,
    /// in this process (workstation garbage collector).
    /// </summary>
    private static async Task<Sweep> SweepInProcessAsync(StoreLocation store, Charte.Charters.Charter charter, Charte.Keys.MasterKeys masters, TimeProvider clock)
    {
        var keys = new Charte.Keys.SubjectKeys(Charte.Keys.KeyStoreDb.Factory(store), masters, clock, TimeSpan.Zero);
        var engine = new Charte.Retention.RetentionEngine(store, charter, keys, clock);
        var timer = Stopwatch.StartNew();
        var summary = await engine.RunAsync(clock.GetUtcNow(), dryRun: false, null, CancellationToken.None);
        return new Sweep(timer.Elapsed, summary.Deleted, summary.Shredded, null);
    }

    /// <summary>
    /// The sweep as an operator runs it: the repository's `charte` launcher (built beforehand, outside the clock), so
    /// with the runtime settings it gives batch verbs, `charte retention run` in a process of its own, its peak resident
    /// memory (VmHWM) read from /proc while it runs. A throwaway master key comes in the environment (the seeded
    /// subjects have no data keys to unwrap).
    /// </summary>
    private static async Task<Sweep> SweepProcessAsync(StoreLocation store, string charterPath, int round)
    {
        var launcher = Launcher();
        if (round == 0)
        {
            using var build = Process.Start(new ProcessStartInfo(launcher, "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
            await build.WaitForExitAsync();
        }

        var start = new ProcessStartInfo(launcher) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["CHARTE__KEYS__MASTER"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var setting = store.Provider == StoreProvider.PostgreSql ? store.ConnectionString : "sqlite:" + SqliteFile(store.ConnectionString);
        foreach (var argument in new[] { "retention", "run", "--store", setting, "--charter", charterPath })
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
        return new Sweep(sweep.Elapsed, Count(@"deleted ([\d,]+)"), Count(@"([\d,]+) subjects' keys destroyed"), peak);
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
