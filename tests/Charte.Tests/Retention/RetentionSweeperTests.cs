using System.Net.Http.Json;
using Charte.Hosting;
using Charte.Storage;
using Charte.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Charte.Retention;

/// <summary>The server's scheduled sweep: when it runs, what it applies, and that a failed one neither stops the server nor the next.</summary>
public abstract class RetentionSweeperTests(StoreKind kind)
{
    [Fact]
    public async Task AMinuteAfterTheServerStarts_TheSweepAppliesWhatIsDue()
    {
        await using var host = await TestHost.StartAsync(kind);
        var app = await host.ClientAsync(["prospect_file"]);
        var prospect = await VaultApiTests.CreateSubjectAsync(app, "prospect", "prospect@demo.invalid");
        await VaultApiTests.WriteAsync(app, prospect, "prospect_file", ("contact.email", "prospect@demo.invalid"));
        await app.PostAsJsonAsync($"/api/v1/subjects/{prospect}/events", new { @event = "last_contact" });
        // Three years and a day after the last contact, a server starts, and sweeps a minute later.
        host.Clock.Advance(TimeSpan.FromDays(3 * 365 + 2));
        var log = new ListLogger();
        using var sweeper = new RetentionSweeper(host.Services.GetRequiredService<RetentionEngine>(), host.Clock, TimeSpan.FromHours(1), log);
        await sweeper.StartAsync(CancellationToken.None);
        host.Clock.Advance(RetentionSweeper.FirstAfter - TimeSpan.FromSeconds(1));
        await Task.Delay(100);
        Assert.Empty(log.Entries);
        host.Clock.Advance(TimeSpan.FromSeconds(1));
        for (var waited = 0; log.Entries.Count == 0 && waited < 200; waited++)
        {
            await Task.Delay(50);
        }

        await sweeper.StopAsync(CancellationToken.None);
        Assert.Equal((LogLevel.Information, "Retention sweep: 0 archived, 1 deleted, 0 anonymised, 1 keys destroyed, 0 kept by holds"), Assert.Single(log.Entries));
        await using var db = await CharteDb.Factory(host.Store).CreateDbContextAsync();
        Assert.NotNull((await db.Subjects.SingleAsync(s => s.Id == prospect)).ShreddedAt);
        Assert.Equal(["retention.delete", "retention.shred"], await db.Journal.Where(j => j.Action.StartsWith("retention.")).OrderBy(j => j.Id).Select(j => j.Action).ToListAsync());
    }
}

public sealed class RetentionSweeperOnSqlite() : RetentionSweeperTests(StoreKind.Sqlite);

public sealed class RetentionSweeperOnPostgreSql() : RetentionSweeperTests(StoreKind.PostgreSql);

public sealed class RetentionSweeperScheduleTests
{
    [Fact]
    public async Task AFailedSweep_IsLoggedWithoutItsTrace_AndTheNextOneRunsAnHourLater()
    {
        var clock = new FakeTimeProvider(TestHost.Start);
        var calls = new List<DateTimeOffset>();
        var log = new ListLogger();
        Task<RetentionSummary> Sweep(DateTimeOffset asOf, CancellationToken cancellationToken)
        {
            calls.Add(asOf);
            return calls.Count == 1
                ? Task.FromException<RetentionSummary>(new IOException("the key store is unreachable"))
                : Task.FromResult(new RetentionSummary(1, 2, 3, 4, 5, 6, 7, DryRun: false));
        }

        using var sweeper = new RetentionSweeper(Sweep, clock, TimeSpan.FromHours(1), log);
        await sweeper.StartAsync(CancellationToken.None);
        clock.Advance(RetentionSweeper.FirstAfter - TimeSpan.FromSeconds(1));
        await Task.Delay(100);
        Assert.Empty(calls);
        clock.Advance(TimeSpan.FromSeconds(1));
        for (var waited = 0; log.Entries.Count < 1 && waited < 500; waited++)
        {
            await Task.Delay(20);
        }

        // The failed sweep's loop is waiting again; an hour on, the next one runs.
        clock.Advance(TimeSpan.FromMinutes(59));
        await Task.Delay(100);
        Assert.Single(calls);
        clock.Advance(TimeSpan.FromMinutes(1));
        for (var waited = 0; log.Entries.Count < 2 && waited < 500; waited++)
        {
            await Task.Delay(20);
        }

        await sweeper.StopAsync(CancellationToken.None);
        Assert.Equal([TestHost.Start + RetentionSweeper.FirstAfter, TestHost.Start + RetentionSweeper.FirstAfter + TimeSpan.FromHours(1)], calls);
        Assert.Equal(
            [(LogLevel.Error, "Retention sweep failed (IOException: the key store is unreachable); the next one tries again"),
             (LogLevel.Information, "Retention sweep: 1 archived, 2 deleted, 7 anonymised, 5 keys destroyed, 6 kept by holds")],
            log.Entries);
        Assert.False(log.AnyException, "the failure was logged with its exception, whose trace may quote data");
    }

    [Fact]
    public async Task APeriodOfZero_TurnsTheSweepOff()
    {
        var clock = new FakeTimeProvider(TestHost.Start);
        var calls = 0;
        using var sweeper = new RetentionSweeper((_, _) => { calls++; return Task.FromResult(new RetentionSummary(0, 0, 0, 0, 0, 0, 0, false)); }, clock, TimeSpan.Zero, new ListLogger());
        await sweeper.StartAsync(CancellationToken.None);
        clock.Advance(TimeSpan.FromDays(30));
        await Task.Delay(100);
        await sweeper.StopAsync(CancellationToken.None);

        Assert.Equal(0, calls);
    }
}

/// <summary>What a component logged, level and formatted message, in order; whether an exception came with it is kept apart.</summary>
internal sealed class ListLogger : ILogger<RetentionSweeper>
{
    private readonly List<(LogLevel, string)> _entries = [];

    public List<(LogLevel Level, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public bool AnyException { get; private set; }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        AnyException |= exception is not null;
        lock (_entries)
        {
            _entries.Add((logLevel, formatter(state, exception)));
        }
    }
}
