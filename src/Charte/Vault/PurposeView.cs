using System.Data.Common;
using System.Threading.Channels;
using Charte.Keys;
using Charte.Storage;
using Microsoft.Data.Sqlite;

namespace Charte.Vault;

/// <summary>
/// Everything a purpose-bound read needs, in one statement: the subject, what the person said about the purpose, the
/// subject's wrapped data key (from the key store: its schema on PostgreSQL, its file attached on SQLite), the
/// purpose's records, and how many documents it has (listed by a second statement only when there are some). The read
/// path is the vault's hottest, so it is plain SQL on kept connections rather than EF Core.
/// </summary>
internal sealed record PurposeView(Subject? Subject, PurposeStatus Status, StoredKey? Key, List<DataRecord> Records, List<DocumentRow> Documents)
{
    private const string SubjectColumns = """
        SELECT s.pseudonym, s.category, s.created_at, s.shredded_at, p.restricted, p.objected, p.consent_given_at, p.consent_withdrawn_at,
            k.version, k.master_version, k.wrapped
        """;

    private const string SubjectQuery = SubjectColumns + """

        FROM subjects s LEFT JOIN purpose_states p ON p.subject_id = s.id AND p.purpose = @purpose
        LEFT JOIN {keys} k ON k.subject_id = s.id
        WHERE s.id = @id
        """;

    private const string DataQuery = SubjectColumns + """
        ,
            (SELECT count(*) FROM documents d WHERE d.subject_id = s.id AND d.purpose = @purpose AND d.archived_at IS NULL),
            r.id, r.category, r.value, r.key_version, r.source, r.collected_at, r.updated_at, r.archived_at
        FROM subjects s
        LEFT JOIN purpose_states p ON p.subject_id = s.id AND p.purpose = @purpose
        LEFT JOIN {keys} k ON k.subject_id = s.id
        LEFT JOIN records r ON r.subject_id = s.id AND r.purpose = @purpose
        WHERE s.id = @id
        ORDER BY r.category
        """;

    private const string DocumentQuery = """
        SELECT id, category, name, media_type, size, key_version, collected_at
        FROM documents WHERE subject_id = @id AND purpose = @purpose AND archived_at IS NULL ORDER BY collected_at, id
        """;

    /// <summary>
    /// PostgreSQL: the data reads of a batch in one statement, each request a row of the arrays it unnests (numbered, so
    /// that each answer's rows come together, in the request's order).
    /// </summary>
    private const string BatchQuery = SubjectColumns + """
        ,
            (SELECT count(*) FROM documents d WHERE d.subject_id = s.id AND d.purpose = q.purpose AND d.archived_at IS NULL),
            r.id, r.category, r.value, r.key_version, r.source, r.collected_at, r.updated_at, r.archived_at, q.n
        FROM unnest(@ids::uuid[], @purposes::text[]) WITH ORDINALITY AS q(id, purpose, n)
        JOIN subjects s ON s.id = q.id
        LEFT JOIN purpose_states p ON p.subject_id = s.id AND p.purpose = q.purpose
        LEFT JOIN {keys} k ON k.subject_id = s.id
        LEFT JOIN records r ON r.subject_id = s.id AND r.purpose = q.purpose
        ORDER BY q.n, r.category
        """;

    private const int KeyColumn = 8, CountColumn = 11, RecordColumn = 12, RequestColumn = 20;

    /// <summary>The statements, prepared once per connection, and the batches of data reads: one per server.</summary>
    internal sealed class Statements(StoreLocation store) : IAsyncDisposable
    {
        public PreparedReads Subject { get; } = new(store, WithKeys(store, SubjectQuery), AttachKeys(store), "@id", "@purpose");

        public ReadBatches Batches { get; } = new(store);

        public async ValueTask DisposeAsync()
        {
            await Batches.DisposeAsync();
            await Subject.DisposeAsync();
        }
    }

    /// <summary>
    /// Data reads, in batches: under load many arrive at once, and each paid alone what a batch pays once. On PostgreSQL
    /// that is a round trip and the execution's start: a batch is one statement (measured: 64 connections, 2,963 to
    /// 6,912 req/s). On SQLite it is the start of a read transaction (its locks): a batch runs its reads in one, one
    /// snapshot taken after every request in it arrived, each worker on a connection of its own with the statement
    /// stepped natively (<see cref="NativeStatement"/>; 64 connections: 22 % of the bare endpoint's throughput with
    /// batches, 19 % with each read on its request's own lease). A read that finds the workers idle runs alone at once,
    /// so a quiet server answers as fast as without batches.
    /// </summary>
    internal sealed class ReadBatches : IAsyncDisposable
    {
        private const int MaxBatch = 64;

        private readonly StoreLocation _store;
        private readonly PreparedReads? _reads;
        private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>();
        private readonly Task[] _workers;

        public ReadBatches(StoreLocation store)
        {
            _store = store;
            _reads = store.Provider == StoreProvider.PostgreSql ? new PreparedReads(store, WithKeys(store, BatchQuery), null, "@ids", "@purposes") : null;
            _workers = [.. Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Task.Run(WorkAsync))];
        }

        public Task<PurposeView> LoadAsync(Guid id, string purpose, CancellationToken cancellationToken)
        {
            var pending = new Pending(id, purpose, new TaskCompletionSource<PurposeView>(TaskCreationOptions.RunContinuationsAsynchronously));
            if (!_queue.Writer.TryWrite(pending))
            {
                throw new InvalidOperationException("the server is stopping");
            }

            return pending.Done.Task.WaitAsync(cancellationToken);
        }

        private async Task WorkAsync()
        {
            var batch = new List<Pending>(MaxBatch);
            SqliteReads? sqlite = null;
            while (await _queue.Reader.WaitToReadAsync())
            {
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
                {
                    batch.Add(pending);
                }

                try
                {
                    var views = _reads is not null ? await LoadPostgreSqlAsync(_reads, batch) : await (sqlite ??= await SqliteReads.OpenAsync(_store)).LoadAsync(batch);
                    for (var i = 0; i < batch.Count; i++)
                    {
                        batch[i].Done.TrySetResult(views[i]);
                    }
                }
                catch (Exception e)
                {
                    // The batch's requests are answered with the failure rather than left waiting; the next batch opens
                    // a new connection (the lease was not completed; the worker's SQLite connection is dropped).
                    foreach (var pending in batch)
                    {
                        pending.Done.TrySetException(e);
                    }

                    if (sqlite is not null)
                    {
                        await sqlite.DisposeAsync();
                        sqlite = null;
                    }
                }

                batch.Clear();
            }

            if (sqlite is not null)
            {
                await sqlite.DisposeAsync();
            }
        }

        private static async Task<PurposeView[]> LoadPostgreSqlAsync(PreparedReads reads, List<Pending> batch)
        {
            await using var lease = await reads.RentAsync(CancellationToken.None);
            var views = batch.Select(p => new Builder(p.Id, p.Purpose, data: true)).ToArray();
            await using (var reader = await lease.ExecuteAsync(CancellationToken.None, batch.Select(p => p.Id).ToArray(), batch.Select(p => p.Purpose).ToArray()))
            {
                while (await reader.ReadAsync())
                {
                    views[reader.GetInt64(RequestColumn) - 1].Add(new ReaderRow(reader));
                }
            }

            var built = new PurposeView[views.Length];
            for (var i = 0; i < views.Length; i++)
            {
                built[i] = await views[i].BuildAsync(lease.Connection, null);
            }

            lease.Complete();
            return built;
        }

        public async ValueTask DisposeAsync()
        {
            _queue.Writer.TryComplete();
            await Task.WhenAll(_workers);
            if (_reads is not null)
            {
                await _reads.DisposeAsync();
            }
        }

        private sealed record Pending(Guid Id, string Purpose, TaskCompletionSource<PurposeView> Done);

        /// <summary>A SQLite worker's connection, the key store attached, and its data statement compiled.</summary>
        private sealed class SqliteReads(SqliteConnection connection, NativeStatement statement) : IAsyncDisposable
        {
            private readonly int _id = statement.Parameter("@id");
            private readonly int _purpose = statement.Parameter("@purpose");

            public static async Task<SqliteReads> OpenAsync(StoreLocation store)
            {
                var connection = (SqliteConnection)await Sql.OpenAsync(store, CancellationToken.None);
                try
                {
                    await AttachKeys(store)!(connection, CancellationToken.None);
                    return new SqliteReads(connection, new NativeStatement(connection, WithKeys(store, DataQuery)));
                }
                catch
                {
                    await connection.DisposeAsync();
                    throw;
                }
            }

            /// <summary>The batch's reads in one read transaction.</summary>
            public async Task<PurposeView[]> LoadAsync(List<Pending> batch)
            {
                var views = new PurposeView[batch.Count];
                await using var transaction = connection.BeginTransaction(deferred: true);
                for (var i = 0; i < batch.Count; i++)
                {
                    var view = new Builder(batch[i].Id, batch[i].Purpose, data: true);
                    statement.Bind(_id, batch[i].Id);
                    statement.Bind(_purpose, batch[i].Purpose);
                    try
                    {
                        while (statement.Step())
                        {
                            view.Add(new NativeRow(statement.Row));
                        }
                    }
                    finally
                    {
                        statement.Reset();
                    }

                    views[i] = await view.BuildAsync(connection, transaction);
                }

                await transaction.CommitAsync();
                return views;
            }

            public async ValueTask DisposeAsync()
            {
                statement.Dispose();
                await connection.DisposeAsync();
            }
        }
    }

    private static string WithKeys(StoreLocation store, string sql) =>
        sql.Replace("{keys}", store.Provider == StoreProvider.PostgreSql ? $"{StoreLocation.KeySchema}.subject_keys" : "keystore.subject_keys", StringComparison.Ordinal);

    /// <summary>On SQLite the key store is a file of its own, attached to each read connection.</summary>
    private static Func<DbConnection, CancellationToken, Task>? AttachKeys(StoreLocation store) =>
        store.Provider != StoreProvider.Sqlite ? null : async (connection, cancellationToken) =>
        {
            await using var attach = Sql.Command(connection, "ATTACH DATABASE @path AS keystore");
            attach.Add("@path", new SqliteConnectionStringBuilder(store.KeyStoreConnectionString).DataSource);
            await attach.ExecuteNonQueryAsync(cancellationToken);
        };

    /// <summary>The subject and its status for the purpose; with <paramref name="data"/>, also the purpose's records and documents.</summary>
    public static async Task<PurposeView> LoadAsync(Statements statements, Guid id, string purpose, bool data, CancellationToken cancellationToken)
    {
        if (data)
        {
            return await statements.Batches.LoadAsync(id, purpose, cancellationToken);
        }

        await using var lease = await statements.Subject.RentAsync(cancellationToken);
        var view = new Builder(id, purpose, data: false);
        await using (var reader = await lease.ExecuteAsync(cancellationToken, id, purpose))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                view.Add(new ReaderRow(reader));
            }
        }

        lease.Complete();
        return view.Build([]);
    }

    /// <summary>A view from its statement's rows: the first row names the subject, each row may carry one record.</summary>
    private sealed class Builder(Guid id, string purpose, bool data)
    {
        private Subject? _subject;
        private PurposeStatus _status = PurposeStatus.None;
        private StoredKey? _key;
        private readonly List<DataRecord> _records = [];

        private long _documentCount;

        public void Add<TRow>(TRow row)
            where TRow : IViewRow
        {
            if (_subject is null)
            {
                _subject = new Subject
                {
                    Id = id,
                    Pseudonym = row.Text(0),
                    Category = row.IsNull(1) ? null : row.Text(1),
                    CreatedAt = row.Time(2),
                    ShreddedAt = row.IsNull(3) ? null : row.Time(3),
                };
                _status = row.IsNull(4)
                    ? PurposeStatus.None
                    : new PurposeStatus(row.Bool(4), row.Bool(5), !row.IsNull(6) && row.IsNull(7));
                _key = row.IsNull(KeyColumn) ? null : new StoredKey(row.Int32(KeyColumn), row.Int32(KeyColumn + 1), row.Blob(KeyColumn + 2));
                if (!data)
                {
                    return;
                }

                _documentCount = row.Int64(CountColumn);
            }

            if (data && !row.IsNull(RecordColumn))
            {
                _records.Add(Record(row, id, purpose));
            }
        }

        public PurposeView Build(List<DocumentRow> documents) => new(_subject, _status, _key, _records, documents);

        /// <summary>The view with its documents, listed by a second statement only when the first counted some.</summary>
        public async Task<PurposeView> BuildAsync(DbConnection connection, DbTransaction? transaction) =>
            Build(_documentCount > 0 ? await DocumentsAsync(connection, transaction, id, purpose, CancellationToken.None) : []);
    }

    private static DataRecord Record<TRow>(TRow row, Guid subject, string purpose)
        where TRow : IViewRow => new()
        {
            Id = row.Id(RecordColumn),
            SubjectId = subject,
            Purpose = purpose,
            Category = row.Text(RecordColumn + 1),
            Value = row.Blob(RecordColumn + 2),
            KeyVersion = row.Int32(RecordColumn + 3),
            Source = row.Text(RecordColumn + 4),
            CollectedAt = row.Time(RecordColumn + 5),
            UpdatedAt = row.Time(RecordColumn + 6),
            ArchivedAt = row.IsNull(RecordColumn + 7) ? null : row.Time(RecordColumn + 7),
        };

    /// <summary>A row of the view's statement, whichever way it is read.</summary>
    private interface IViewRow
    {
        bool IsNull(int column);
        string Text(int column);
        bool Bool(int column);
        int Int32(int column);
        long Int64(int column);
        byte[] Blob(int column);
        Guid Id(int column);

        /// <summary>A time, UTC.</summary>
        DateTime Time(int column);
    }

    /// <summary>Through ADO.NET: PostgreSQL's rows, and SQLite's status-only reads.</summary>
    private readonly struct ReaderRow(DbDataReader reader) : IViewRow
    {
        public bool IsNull(int column) => reader.IsDBNull(column);
        public string Text(int column) => reader.GetString(column);
        public bool Bool(int column) => reader.GetBoolean(column);
        public int Int32(int column) => reader.GetInt32(column);
        public long Int64(int column) => reader.GetInt64(column);
        public byte[] Blob(int column) => (byte[])reader.GetValue(column);
        public Guid Id(int column) => reader.GetGuid(column);
        public DateTime Time(int column) => Sql.Utc(reader.GetDateTime(column));
    }

    /// <summary>SQLite's data reads, stepped natively (<see cref="NativeStatement"/>).</summary>
    private readonly struct NativeRow(IntPtr row) : IViewRow
    {
        public bool IsNull(int column) => SqliteColumns.IsNull(row, column);
        public string Text(int column) => SqliteColumns.Text(row, column);
        public bool Bool(int column) => SqliteColumns.Int64(row, column) != 0;
        public int Int32(int column) => SqliteColumns.Int32(row, column);
        public long Int64(int column) => SqliteColumns.Int64(row, column);
        public byte[] Blob(int column) => SqliteColumns.Blob(row, column);
        public Guid Id(int column) => SqliteColumns.Guid(row, column);
        public DateTime Time(int column) => SqliteColumns.Time(row, column);
    }

    private static async Task<List<DocumentRow>> DocumentsAsync(DbConnection connection, DbTransaction? transaction, Guid id, string purpose, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(connection, DocumentQuery, transaction);
        command.Add("@id", id);
        command.Add("@purpose", purpose);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var documents = new List<DocumentRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            documents.Add(new DocumentRow(reader.GetGuid(0), reader.GetString(1), (byte[])reader.GetValue(2), reader.GetString(3), reader.GetInt64(4), reader.GetInt32(5), Sql.Utc(reader.GetDateTime(6))));
        }

        return documents;
    }
}

internal sealed record DocumentRow(Guid Id, string Category, byte[] Name, string MediaType, long Size, int KeyVersion, DateTime CollectedAt);
