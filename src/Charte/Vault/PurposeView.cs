using System.Data.Common;
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

    private const int KeyColumn = 8, CountColumn = 11, RecordColumn = 12;

    /// <summary>The statements, prepared once per connection: one per server.</summary>
    internal sealed class Statements(StoreLocation store) : IAsyncDisposable
    {
        public PreparedReads Subject { get; } = new(store, WithKeys(store, SubjectQuery), AttachKeys(store), "@id", "@purpose");
        public PreparedReads Data { get; } = new(store, WithKeys(store, DataQuery), AttachKeys(store), "@id", "@purpose");

        public async ValueTask DisposeAsync()
        {
            await Subject.DisposeAsync();
            await Data.DisposeAsync();
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
        await using var lease = await (data ? statements.Data : statements.Subject).RentAsync(cancellationToken);
        Subject? subject = null;
        var status = PurposeStatus.None;
        StoredKey? key = null;
        var records = new List<DataRecord>();
        long documentCount = 0;
        await using (var reader = await lease.ExecuteAsync(cancellationToken, id, purpose))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (subject is null)
                {
                    subject = new Subject
                    {
                        Id = id,
                        Pseudonym = reader.GetString(0),
                        Category = reader.IsDBNull(1) ? null : reader.GetString(1),
                        CreatedAt = Sql.Utc(reader.GetDateTime(2)),
                        ShreddedAt = reader.NullableDateTime(3),
                    };
                    status = reader.IsDBNull(4)
                        ? PurposeStatus.None
                        : new PurposeStatus(reader.GetBoolean(4), reader.GetBoolean(5), !reader.IsDBNull(6) && reader.IsDBNull(7));
                    key = reader.IsDBNull(KeyColumn) ? null : new StoredKey(reader.GetInt32(KeyColumn), reader.GetInt32(KeyColumn + 1), (byte[])reader.GetValue(KeyColumn + 2));
                    if (!data)
                    {
                        continue;
                    }

                    documentCount = reader.GetInt64(CountColumn);
                }

                if (!reader.IsDBNull(RecordColumn))
                {
                    records.Add(Record(reader, id, purpose));
                }
            }
        }

        var documents = documentCount > 0 ? await DocumentsAsync(lease.Connection, id, purpose, cancellationToken) : [];
        lease.Complete();
        return new PurposeView(subject, status, key, records, documents);
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

    private static async Task<List<DocumentRow>> DocumentsAsync(DbConnection connection, Guid id, string purpose, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(connection, DocumentQuery);
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
