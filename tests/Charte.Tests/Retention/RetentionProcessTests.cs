using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Charte.Demo;
using Charte.Hosting;
using Charte.Keys;
using Charte.Storage;

namespace Charte.Retention;

/// <summary>
/// <c>charte retention run</c> as a real process: killed with SIGKILL in the middle of a run then run again, and two
/// runs at once on one PostgreSQL. Each time, the ledger's retention entries account for every due record exactly once.
/// </summary>
public abstract partial class RetentionProcessTests(StoreKind kind) : IDisposable
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

        using (var run = Start(store.Location))
        {
            var examined = 0;
            var buffer = new char[256];
            var text = new StringBuilder();
            while (examined < 1000)
            {
                var read = await run.StandardError.ReadAsync(buffer);
                Assert.True(read > 0, "the run ended before it could be killed: " + text);
                text.Append(buffer, 0, read);
                examined = Examined().Matches(text.ToString()) is { Count: > 0 } found ? int.Parse(found[^1].Groups[1].Value.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture) : 0;
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

    [GeneratedRegex(@"([\d,]+) records and documents examined")]
    private static partial Regex Examined();
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
}
