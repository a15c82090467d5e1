using System.Threading.Channels;
using Charte.Storage;
using Microsoft.EntityFrameworkCore;

namespace Charte.Journal;

/// <summary>
/// Appends journal entries for operations that write nothing else (reads and refusals), with group commit: entries
/// that arrive together are committed in one transaction, and each caller waits until its entry is durable. A read
/// is answered only once its journal entry is on disk; if the journal cannot be written, the read fails closed.
/// Writes put their entry in their own transaction instead, through <see cref="CharteDb.Journal"/>.
/// </summary>
public sealed partial class JournalWriter(IDbContextFactory<CharteDb> databases, ILogger<JournalWriter> log) : BackgroundService
{
    private const int MaxBatch = 512;
    private readonly Channel<(JournalEntry Entry, TaskCompletionSource<long> Done)> _queue =
        Channel.CreateUnbounded<(JournalEntry, TaskCompletionSource<long>)>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Appends an entry and returns its index once it is committed.</summary>
    public Task<long> AppendAsync(JournalEntry entry, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite((entry, done)))
        {
            throw new InvalidOperationException("the journal is closed");
        }

        return done.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<(JournalEntry Entry, TaskCompletionSource<long> Done)>(MaxBatch);
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < MaxBatch && reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                await CommitAsync(batch, stoppingToken);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        _queue.Writer.TryComplete();
        while (reader.TryRead(out var left))
        {
            left.Done.TrySetException(new InvalidOperationException("the server is stopping; the journal is closed"));
        }
    }

    private async Task CommitAsync(List<(JournalEntry Entry, TaskCompletionSource<long> Done)> batch, CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await databases.CreateDbContextAsync(cancellationToken);
            db.Journal.AddRange(batch.Select(b => b.Entry));
            await db.SaveChangesAsync(cancellationToken);
            foreach (var (entry, done) in batch)
            {
                done.TrySetResult(entry.Id);
            }
        }
        catch (Exception e) when (e is DbUpdateException or InvalidOperationException or OperationCanceledException or System.Data.Common.DbException)
        {
            JournalUnavailable(log, batch.Count, e);
            foreach (var (_, done) in batch)
            {
                done.TrySetException(e);
            }
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Could not commit {Count} journal entries; the operations they record were refused")]
    private static partial void JournalUnavailable(ILogger logger, int count, Exception exception);
}
