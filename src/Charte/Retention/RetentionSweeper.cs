namespace Charte.Retention;

/// <summary>
/// The server's scheduled sweep: applies the retention that is due every <see cref="Every"/> (setting
/// <c>Charte:Retention:SweepEvery</c>, default one hour; zero turns it off). Safe on several servers at once: a page
/// locks its subjects before it reads them, and another server's sweep skips them.
/// </summary>
public sealed partial class RetentionSweeper(RetentionEngine engine, TimeProvider clock, TimeSpan every, ILogger<RetentionSweeper> log) : BackgroundService
{
    public TimeSpan Every => every;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (every <= TimeSpan.Zero)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, clock, stoppingToken);
                var summary = await engine.RunAsync(clock.GetUtcNow(), dryRun: false, null, stoppingToken);
                Swept(log, summary.Archived, summary.Deleted, summary.Anonymised + summary.Counted, summary.Shredded, summary.Held);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
            {
                SweepFailed(log, e);
            }
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Retention sweep: {Archived} archived, {Deleted} deleted, {Anonymised} anonymised, {Shredded} keys destroyed, {Held} kept by holds")]
    private static partial void Swept(ILogger logger, int archived, int deleted, int anonymised, int shredded, int held);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "Retention sweep failed; retrying at the next one")]
    private static partial void SweepFailed(ILogger logger, Exception exception);
}
