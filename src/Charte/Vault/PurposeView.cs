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
    /// snapshot taken after every request in it arrived; there the gain is within the noise, since batches stay small and
    /// each journal commit still drops the connection's page cache. A read that finds the workers idle runs alone at
    /// once, so a quiet server answers as fast as without batches.
    /// </summary>
    internal sealed class ReadBatches : IAsyncDisposable
    {
        private const int MaxBatch = 64;

        private readonly StoreLocation _store;
        private readonly PreparedReads _reads;
        private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>();
        private readonly Task[] _workers;

        public ReadBatches(StoreLocation store)
        {
            _store = store;
            _reads = store.Provider == StoreProvider.PostgreSql
                ? new PreparedReads(store, WithKeys(store, BatchQuery), null, "@ids", "@purposes")
                : new PreparedReads(store, WithKeys(store, DataQuery), AttachKeys(store), "@id", "@purpose");
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
            while (await _queue.Reader.WaitToReadAsync())
            {
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
                {
                    batch.Add(pending);
                }

                try
                {
                    var views = _store.Provider == StoreProvider.PostgreSql ? await LoadPostgreSqlAsync(batch) : await LoadSqliteAsync(batch);
                    for (var i = 0; i < batch.Count; i++)
                    {
                        batch[i].Done.TrySetResult(views[i]);
                    }
                }
                catch (Exception e)
                {
                    // The batch's requests are answered with the failure rather than left waiting; the next batch opens
                    // a new connection (the lease was not completed).
                    foreach (var pending in batch)
                    {
                        pending.Done.TrySetException(e);
                    }
                }

                batch.Clear();
            }
        }

        private async Task<PurposeView[]> LoadSqliteAsync(List<Pending> batch)
        {
            await using var lease = await _reads.RentAsync(CancellationToken.None);
            var views = new PurposeView[batch.Count];
            await using (var transaction = ((SqliteConnection)lease.Connection).BeginTransaction(deferred: true))
            {
                lease.Enlist(transaction);
                for (var i = 0; i < batch.Count; i++)
                {
                    var view = new Builder(batch[i].Id, batch[i].Purpose, data: true);
                    await using (var reader = await lease.ExecuteAsync(CancellationToken.None, batch[i].Id, batch[i].Purpose))
                    {
                        while (await reader.ReadAsync())
                        {
                            view.Add(reader);
                        }
                    }

                    views[i] = await view.BuildAsync(lease.Connection, transaction);
                }

                await transaction.CommitAsync();
                lease.Enlist(null);
            }

            lease.Complete();
            return views;
        }

        private async Task<PurposeView[]> LoadPostgreSqlAsync(List<Pending> batch)
        {
            await using var lease = await _reads.RentAsync(CancellationToken.None);
            var views = batch.Select(p => new Builder(p.Id, p.Purpose, data: true)).ToArray();
            await using (var reader = await lease.ExecuteAsync(CancellationToken.None, batch.Select(p => p.Id).ToArray(), batch.Select(p => p.Purpose).ToArray()))
            {
                while (await reader.ReadAsync())
                {
                    views[reader.GetInt64(RequestColumn) - 1].Add(reader);
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
            await _reads.DisposeAsync();
        }

        private sealed record Pending(Guid Id, string Purpose, TaskCompletionSource<PurposeView> Done);
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
                view.Add(reader);
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

        public void Add(DbDataReader reader)
        {
            if (_subject is null)
            {
                _subject = new Subject
                {
                    Id = id,
                    Pseudonym = reader.GetString(0),
                    Category = reader.IsDBNull(1) ? null : reader.GetString(1),
                    CreatedAt = Sql.Utc(reader.GetDateTime(2)),
                    ShreddedAt = reader.NullableDateTime(3),
                };
                _status = reader.IsDBNull(4)
                    ? PurposeStatus.None
                    : new PurposeStatus(reader.GetBoolean(4), reader.GetBoolean(5), !reader.IsDBNull(6) && reader.IsDBNull(7));
                _key = reader.IsDBNull(KeyColumn) ? null : new StoredKey(reader.GetInt32(KeyColumn), reader.GetInt32(KeyColumn + 1), (byte[])reader.GetValue(KeyColumn + 2));
                if (!data)
                {
                    return;
                }

                _documentCount = reader.GetInt64(CountColumn);
            }

            if (data && !reader.IsDBNull(RecordColumn))
            {
                _records.Add(Record(reader, id, purpose));
            }
        }

        public PurposeView Build(List<DocumentRow> documents) => new(_subject, _status, _key, _records, documents);

        /// <summary>The view with its documents, listed by a second statement only when the first counted some.</summary>
        public async Task<PurposeView> BuildAsync(DbConnection connection, DbTransaction? transaction) =>
            Build(_documentCount > 0 ? await DocumentsAsync(connection, transaction, id, purpose, CancellationToken.None) : []);
    }

    private static DataRecord Record(DbDataReader reader, Guid subject, string purpose) => new()
    {
        Id = reader.GetGuid(RecordColumn),
        SubjectId = subject,
        Purpose = purpose,
        Category = reader.GetString(RecordColumn + 1),
        Value = (byte[])reader.GetValue(RecordColumn + 2),
        KeyVersion = reader.GetInt32(RecordColumn + 3),
        Source = reader.GetString(RecordColumn + 4),
        CollectedAt = Sql.Utc(reader.GetDateTime(RecordColumn + 5)),
        UpdatedAt = Sql.Utc(reader.GetDateTime(RecordColumn + 6)),
        ArchivedAt = reader.NullableDateTime(RecordColumn + 7),
    };

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
