namespace Charte.Retention;

/// <summary>
/// The server's scheduled sweep: applies the retention that is due every <see cref="Every"/> (setting
/// <c>Charte:Retention:SweepEvery</c>, default one hour; zero turns it off), the first one <see cref="FirstAfter"/> after
/// the server starts (or sooner, if the period is shorter), so that a server restarted more often than the period still
/// sweeps. Safe on several servers at once: a page locks its subjects before it reads them, and another server's sweep
/// skips them. A sweep that fails is logged and the next one tries again: the vault goes on serving (a background
/// service that throws would stop the whole server).
/// </summary>
public sealed partial class RetentionSweeper(Func<DateTimeOffset, CancellationToken, Task<RetentionSummary>> sweep, TimeProvider clock, TimeSpan every, ILogger<RetentionSweeper> log)
    : BackgroundService
{
    public static readonly TimeSpan FirstAfter = TimeSpan.FromMinutes(1);

    public RetentionSweeper(RetentionEngine engine, TimeProvider clock, TimeSpan every, ILogger<RetentionSweeper> log)
        : this((asOf, cancellationToken) => engine.RunAsync(asOf, dryRun: false, null, cancellationToken), clock, every, log)
    {
    }

    public TimeSpan Every => every;

    // When the next sweep is due: set when the server starts (ExecuteAsync itself runs a moment later, on the thread
    // pool), then a period after each sweep ends.
    private DateTimeOffset _next;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _next = clock.GetUtcNow() + (every < FirstAfter ? every : FirstAfter);
        return base.StartAsync(cancellationToken);
    }

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
                if (_next - clock.GetUtcNow() is var wait && wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, clock, stoppingToken);
                }

                RetentionSummary summary;
                try
                {
                    summary = await sweep(clock.GetUtcNow(), stoppingToken);
                }
                finally
                {
                    _next = clock.GetUtcNow() + every;
                }

                Swept(log, summary.Archived, summary.Deleted, summary.Anonymised + summary.Counted, summary.Shredded, summary.Held);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Its type and message only: a stack trace or an inner exception may quote data.
                SweepFailed(log, e.GetType().Name, e.Message);
            }
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Retention sweep: {Archived} archived, {Deleted} deleted, {Anonymised} anonymised, {Shredded} keys destroyed, {Held} kept by holds")]
    private static partial void Swept(ILogger logger, int archived, int deleted, int anonymised, int shredded, int held);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "Retention sweep failed ({Error}: {Reason}); the next one tries again")]
    private static partial void SweepFailed(ILogger logger, string error, string reason);
}
