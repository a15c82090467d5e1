using System.Data.Common;
using System.Threading.Channels;
using Charte.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Charte.Journal;

/// <summary>
/// Appends journal entries for operations that change no data (reads and refusals), with group commit: entries that
/// arrive together are committed in one transaction, and each caller waits until its entry is committed. If the journal
/// cannot be written, the operation fails closed.
/// <para>
/// Such a commit is not flushed to disk one by one: it is in the store's write-ahead log before the answer leaves, so
/// a crash of Charte loses none, and the log is flushed at the next data write or within <see cref="FlushEvery"/>,
/// whichever comes first (SQLite: <c>synchronous=NORMAL</c> on this writer's own connection and a periodic checkpoint;
/// PostgreSQL: <c>synchronous_commit=off</c>). Only a power loss inside that window can lose read entries; writes are
/// never acknowledged before their own entry is on disk, because they put it in their own transaction
/// (<see cref="CharteDb.Journal"/>).
/// </para>
/// </summary>
public sealed partial class JournalWriter(StoreLocation store, TimeProvider clock, ILogger<JournalWriter> log) : BackgroundService
{
    public static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(1);
    private const int MaxBatch = 512;

    /// <summary>The insert of one entry; SQLite numbers its parameters 1 to 7, in the order they appear.</summary>
    private const string Insert = """
        INSERT INTO journal (at, actor, action, subject, purpose, outcome, detail)
        VALUES (@at, @actor, @action, @subject, @purpose, @outcome, @detail) RETURNING id
        """;

    private readonly Channel<(JournalEntry Entry, TaskCompletionSource<long> Done)> _queue =
        Channel.CreateUnbounded<(JournalEntry, TaskCompletionSource<long>)>(new UnboundedChannelOptions { SingleReader = true });

    private SqliteConnection? _sqlite;
    private NativeStatement? _insert;
    private SqliteConnection? _checkpointer;
    private NpgsqlConnection? _postgres;
    private int _unflushed;
    private int _sinceCheckpoint;
    private readonly SemaphoreSlim _flushNow = new(0, 1);

    /// <summary>How many committed entries wake the checkpoint before its time.</summary>
    private const int CheckpointAfter = 4096;

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
        var flusher = store.Provider == StoreProvider.Sqlite ? FlushEverySecondAsync(stoppingToken) : Task.CompletedTask;
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

        await flusher;
        await FlushAsync(CancellationToken.None);
        await CloseAsync();
    }

    /// <summary>
    /// SQLite: the checkpoint that puts committed entries on disk runs beside the writer, on a connection of its own, so
    /// that the writer's commits never wait for it (the writer's connection does not checkpoint by itself). It runs every
    /// <see cref="FlushEvery"/>, and sooner when <see cref="CheckpointAfter"/> entries were committed since the last one,
    /// so that the write-ahead log, which every read consults, stays short.
    /// </summary>
    private async Task FlushEverySecondAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.WhenAny(_flushNow.WaitAsync(stoppingToken), Task.Delay(FlushEvery, clock, stoppingToken));
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task CloseAsync()
    {
        await CloseWriterAsync();
        if (_checkpointer is not null)
        {
            await _checkpointer.DisposeAsync();
            _checkpointer = null;
        }
    }

    /// <summary>Drops the writer's connection (after a failure: the next batch opens a new one).</summary>
    private async Task CloseWriterAsync()
    {
        _insert?.Dispose();
        _insert = null;
        if (_sqlite is not null)
        {
            await _sqlite.DisposeAsync();
            _sqlite = null;
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
            _postgres = null;
        }
    }

    private async Task CommitAsync(List<(JournalEntry Entry, TaskCompletionSource<long> Done)> batch, CancellationToken cancellationToken)
    {
        try
        {
            var ids = store.Provider == StoreProvider.Sqlite
                ? await CommitSqliteAsync(batch, cancellationToken)
                : await CommitPostgreSqlAsync(batch, cancellationToken);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Done.TrySetResult(ids[i]);
            }
        }
        catch (Exception e) when (batch.Count > 1 && RefusedByTheStore(e))
        {
            // The store refused what one entry holds, not the connection: each entry is committed on its own, in order,
            // so that only the one the store refuses fails its request, not every request that shared its batch.
            await CloseWriterAsync();
            foreach (var one in batch)
            {
                await CommitAsync([one], cancellationToken);
            }
        }
        catch (Exception e)
        {
            // Whatever failed, the batch's requests are answered (with the failure) rather than left waiting, and the
            // writer goes on with the next batch.
            JournalUnavailable(log, batch.Count, e);
            await CloseWriterAsync();
            foreach (var (_, done) in batch)
            {
                done.TrySetException(e);
            }
        }
    }

    /// <summary>
    /// The batch in one transaction, each entry by the insert compiled once on the writer's connection and stepped
    /// natively: a read's whole journal cost is this insert and its share of the commit.
    /// </summary>
    private async Task<long[]> CommitSqliteAsync(List<(JournalEntry Entry, TaskCompletionSource<long> Done)> batch, CancellationToken cancellationToken)
    {
        var connection = _sqlite ??= await OpenSqliteAsync(cancellationToken);
        var insert = _insert ??= new NativeStatement(connection, Insert);
        await using var transaction = connection.BeginTransaction();
        var ids = new long[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            ids[i] = InsertOne(insert, batch[i].Entry);
        }

        await transaction.CommitAsync(cancellationToken);
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Entry.Id = ids[i];
        }

        Interlocked.Exchange(ref _unflushed, 1);
        if (Interlocked.Add(ref _sinceCheckpoint, batch.Count) >= CheckpointAfter && _flushNow.CurrentCount == 0)
        {
            Interlocked.Exchange(ref _sinceCheckpoint, 0);
            _flushNow.Release();
        }

        return ids;
    }

    private static long InsertOne(NativeStatement insert, JournalEntry entry)
    {
        insert.Bind(1, entry.At);
        insert.Bind(2, entry.Actor);
        insert.Bind(3, entry.Action);
        insert.Bind(4, entry.Subject);
        insert.Bind(5, entry.Purpose);
        insert.Bind(6, entry.Outcome);
        insert.Bind(7, entry.Detail);
        try
        {
            return insert.Step() ? insert.Int64(0) : throw new InvalidOperationException("the journal's insert returned no index");
        }
        finally
        {
            insert.Reset();
        }
    }

    /// <summary>One statement, committed on its own: a round trip per batch.</summary>
    private async Task<long[]> CommitPostgreSqlAsync(List<(JournalEntry Entry, TaskCompletionSource<long> Done)> batch, CancellationToken cancellationToken)
    {
        var connection = _postgres ??= await OpenPostgreSqlAsync(cancellationToken);
        return await InsertAsync(connection, null, [.. batch.Select(b => b.Entry)], cancellationToken);
    }

    /// <summary>
    /// Inserts entries in the caller's transaction and returns their indexes, in order: a prepared statement per entry on
    /// SQLite (in process), one round trip for all on PostgreSQL. Sets each entry's <see cref="JournalEntry.Id"/>.
    /// </summary>
    public static async Task<long[]> InsertAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken)
    {
        var ids = new long[entries.Count];
        if (entries.Count == 0)
        {
            return ids;
        }

        if (connection is NpgsqlConnection npgsql)
        {
            // One statement for the whole batch. The identity values are drawn in the order unnest yields the rows, so
            // the returned ids, sorted, belong to the entries in their order.
            await using var command = new NpgsqlCommand(Unnest, npgsql, (NpgsqlTransaction?)transaction);
            command.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => DateTime.SpecifyKind(e.At, DateTimeKind.Utc)).ToArray() });
            foreach (var field in new Func<JournalEntry, string?>[] { e => e.Actor, e => e.Action, e => e.Subject, e => e.Purpose, e => e.Outcome, e => e.Detail })
            {
                command.Parameters.Add(new NpgsqlParameter { Value = entries.Select(field).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            }

            var returned = new List<long>(entries.Count);
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    returned.Add(reader.GetInt64(0));
                }
            }

            returned.Sort();
            returned.CopyTo(ids);
        }
        else
        {
            await using var command = Sql.Command(connection, Insert, transaction);
            var parameters = Parameters(command);
            command.Prepare();
            for (var i = 0; i < entries.Count; i++)
            {
                Bind(command, parameters, entries[i]);
                ids[i] = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
            }
        }

        for (var i = 0; i < entries.Count; i++)
        {
            entries[i].Id = ids[i];
        }

        return ids;
    }

    private const string Unnest = """
        INSERT INTO journal (at, actor, action, subject, purpose, outcome, detail)
        SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) RETURNING id
        """;

    /// <summary>This writer's own connection: not pooled, so that its relaxed flush never reaches a data write's connection.</summary>
    private async Task<SqliteConnection> OpenSqliteAsync(CancellationToken cancellationToken)
    {
        var settings = new SqliteConnectionStringBuilder(store.ConnectionString) { Pooling = false };
        var connection = new SqliteConnection(settings.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragmas = Sql.Command(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; PRAGMA wal_autocheckpoint=0;");
        await pragmas.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    /// <summary>
    /// This writer's own connection, out of the pool, with its relaxed flush set once for the session and its one
    /// statement prepared after its second use (parsed and planned once, rather than for every batch).
    /// </summary>
    private async Task<NpgsqlConnection> OpenPostgreSqlAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(store.ConnectionString) { Pooling = false, MaxAutoPrepare = 4, AutoPrepareMinUsages = 2 }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var relaxed = new NpgsqlCommand("SET synchronous_commit TO OFF", connection);
        await relaxed.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    /// <summary>Puts the committed entries on disk: a checkpoint flushes the write-ahead log first.</summary>
    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _unflushed, 0) == 0)
        {
            return;
        }

        try
        {
            _checkpointer ??= await OpenSqliteAsync(cancellationToken);
            await using var checkpoint = Sql.Command(_checkpointer, "PRAGMA wal_checkpoint(PASSIVE)");
            await checkpoint.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException e)
        {
            Interlocked.Exchange(ref _unflushed, 1);
            JournalUnavailable(log, 0, e);
        }
    }

    private static DbParameter[] Parameters(DbCommand command) =>
        [.. new[] { "@at", "@actor", "@action", "@subject", "@purpose", "@outcome", "@detail" }.Select(name => command.Add(name, null))];

    private static void Bind(DbCommand command, DbParameter[] parameters, JournalEntry entry)
    {
        parameters[0].Set(command, entry.At);
        parameters[1].Set(command, entry.Actor);
        parameters[2].Set(command, entry.Action);
        parameters[3].Set(command, entry.Subject);
        parameters[4].Set(command, entry.Purpose);
        parameters[5].Set(command, entry.Outcome);
        parameters[6].Set(command, entry.Detail);
    }

    /// <summary>A failure caused by the data of an entry (PostgreSQL's classes 22 and 23, SQLite's constraint, size and type errors), not by the store's reach.</summary>
    private static bool RefusedByTheStore(Exception e) => e switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("22", StringComparison.Ordinal) || postgres.SqlState.StartsWith("23", StringComparison.Ordinal),
        SqliteException sqlite => sqlite.SqliteErrorCode is 18 or 19 or 20,
        _ => false,
    };

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Could not commit {Count} journal entries; the operations they record were refused")]
    private static partial void JournalUnavailable(ILogger logger, int count, Exception exception);
}
