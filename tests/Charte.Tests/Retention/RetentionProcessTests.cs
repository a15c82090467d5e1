using System.Diagnostics;
using Charte.Demo;
using Charte.Hosting;
using Charte.Keys;
using Charte.Storage;

namespace Charte.Retention;

/// <summary>
/// <c>charte retention run</c> as a real process: killed with SIGKILL in the middle of a run then run again, and two
/// runs at once on one PostgreSQL. Each time, the ledger's retention entries account for every due record exactly once.
/// </summary>
public abstract class RetentionProcessTests(StoreKind kind) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("charte-retention-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    protected StoreKind Kind => kind;

    [Fact]
    public async Task KillNine_DuringARun_ThenRunningAgain_ProcessesEveryDueRecordOnce()
    {
        await using var store = await TestStore.CreateAsync(kind);
        // Six pages of 500 subjects: the kill, sent once the first page is reported, lands with several still to do
        // (with three, a run the test's reader fell behind on could finish first).
        var due = await SeedAsync(store.Location, 3000);

        Assert.Equal(0, await RetentionEngineTests.RetentionEntriesAsync(store.Location)); // the query compiled before the run starts, so that each poll below is quick
        using (var run = Start(store.Location))
        {
            // Killed once the ledger shows a page or more applied (the run's progress goes to a pipe, where it is a
            // line every ten seconds: too seldom to time a kill by).
            while (await RetentionEngineTests.RetentionEntriesAsync(store.Location) < 200)
            {
                if (run.HasExited)
                {
                    Assert.Fail("the run ended before it could be killed: " + await run.StandardError.ReadToEndAsync());
                }

                await Task.Delay(10);
            }

            Assert.False(run.HasExited, "the run finished before it was killed");
            run.Kill(entireProcessTree: true);
            await run.WaitForExitAsync();
        }

        var partial = await RetentionEngineTests.RetentionEntriesAsync(store.Location);
        Assert.InRange(partial, 1, due - 1);

        using (var again = Start(store.Location))
        {
            await again.WaitForExitAsync();
            Assert.True(again.ExitCode == 0, await again.StandardError.ReadToEndAsync());
        }

        Assert.Equal(due, await RetentionEngineTests.RetentionEntriesAsync(store.Location));
        Assert.Equal(0, (await Engine(store.Location).PlanAsync(TimeProvider.System.GetUtcNow(), CancellationToken.None)).DueNow);
    }

    /// <summary>A demo population and its key file; returns how many records and documents are due now.</summary>
    protected async Task<long> SeedAsync(StoreLocation store, int subjects)
    {
        var keyFile = Path.Combine(_folder, "master.key");
        MasterKeys.Create(TimeProvider.System).Save(keyFile);
        await CharteServer.MigrateAsync(store, CancellationToken.None);
        await DemoPopulation.SeedAsync(TestHost.Secufor, store, MasterKeys.Load(keyFile), TimeProvider.System, subjects, 11, CancellationToken.None);
        var plan = await Engine(store).PlanAsync(TimeProvider.System.GetUtcNow(), CancellationToken.None);
        Assert.True(plan.DueNow > 1000, $"only {plan.DueNow} due");
        return plan.DueNow;
    }

    protected RetentionEngine Engine(StoreLocation store) =>
        new(store, TestHost.Secufor, new SubjectKeys(KeyStoreDb.Factory(store), MasterKeys.Load(Path.Combine(_folder, "master.key")), TimeProvider.System, TimeSpan.Zero), TimeProvider.System);

    protected Process Start(StoreLocation store)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _folder };
        foreach (var argument in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "charte.dll"), "retention", "run",
            "--store", store.Provider == StoreProvider.Sqlite ? "sqlite:" + store.SqlitePath : store.ConnectionString,
            "--keys", Path.Combine(_folder, "master.key"), "--charter", Path.Combine(AppContext.BaseDirectory, "examples", "secufor.charte.yaml"),
        })
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }
}

public sealed class RetentionProcessOnSqlite() : RetentionProcessTests(StoreKind.Sqlite);

public sealed class RetentionProcessOnPostgreSql() : RetentionProcessTests(StoreKind.PostgreSql)
{
    [Fact]
    public async Task TwoRunsAtOnce_ProcessEveryDueRecordExactlyOnce()
    {
        await using var store = await TestStore.CreateAsync(Kind);
        // Six pages of 500 subjects, so that the two runs meet on several pages (each run applies two at once).
        var due = await SeedAsync(store.Location, 3000);

        using var first = Start(store.Location);
        using var second = Start(store.Location);
        var errors = await Task.WhenAll(first.StandardError.ReadToEndAsync(), second.StandardError.ReadToEndAsync());
        await Task.WhenAll(first.WaitForExitAsync(), second.WaitForExitAsync());

        Assert.True(first.ExitCode == 0 && second.ExitCode == 0, string.Join("\n", errors));
        Assert.Equal(due, await RetentionEngineTests.RetentionEntriesAsync(store.Location));
        Assert.Equal(0, (await Engine(store.Location).PlanAsync(TimeProvider.System.GetUtcNow(), CancellationToken.None)).DueNow);
    }

    [Fact]
    public async Task SubjectsWithAWriteUnderWay_AreLeftUntouchedForTheNextRun()
    {
        await using var store = await TestStore.CreateAsync(Kind);
        var due = await SeedAsync(store.Location, 1200);

        // Twenty of the people with the oldest data (due, whatever their rules) are being written to: their rows carry
        // the share lock every write of a subject's data takes until it commits.
        await using var writer = new Npgsql.NpgsqlConnection(store.Location.ConnectionString);
        await writer.OpenAsync();
        var writing = await writer.BeginTransactionAsync();
        var busy = new List<Guid>();
        await using (var pick = new Npgsql.NpgsqlCommand("SELECT subject_id FROM records GROUP BY subject_id ORDER BY min(collected_at) LIMIT 20", writer, writing))
        await using (var reader = await pick.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                busy.Add(reader.GetGuid(0));
            }
        }

        await using (var share = new Npgsql.NpgsqlCommand("SELECT 1 FROM subjects WHERE id = ANY($1) FOR SHARE", writer, writing) { Parameters = { new() { Value = busy.ToArray() } } })
        {
            await share.ExecuteNonQueryAsync();
        }

        async Task<List<Guid>> RowsAsync()
        {
            await using var connection = new Npgsql.NpgsqlConnection(store.Location.ConnectionString);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand("SELECT id FROM records WHERE subject_id = ANY($1) ORDER BY id", connection) { Parameters = { new() { Value = busy.ToArray() } } };
            var ids = new List<Guid>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                ids.Add(reader.GetGuid(0));
            }

            return ids;
        }

        var before = await RowsAsync();
        var first = await Engine(store.Location).RunAsync(TimeProvider.System.GetUtcNow(), dryRun: false, null, CancellationToken.None);
        Assert.Equal(before, await RowsAsync());
        var left = (await Engine(store.Location).PlanAsync(TimeProvider.System.GetUtcNow(), CancellationToken.None)).DueNow;
        Assert.InRange(left, 1, due - 1);
        Assert.Equal(due - left, first.Archived + first.Deleted + first.Anonymised + first.Counted);

        // The write commits; the next run finds them free and does the rest, once.
        await writing.CommitAsync();
        var second = await Engine(store.Location).RunAsync(TimeProvider.System.GetUtcNow(), dryRun: false, null, CancellationToken.None);
        Assert.Equal(left, second.Archived + second.Deleted + second.Anonymised + second.Counted);
        Assert.Equal(due, await RetentionEngineTests.RetentionEntriesAsync(store.Location));
        Assert.Equal(0, (await Engine(store.Location).PlanAsync(TimeProvider.System.GetUtcNow(), CancellationToken.None)).DueNow);
    }
}
