using System.Data.Common;
using Charte.Storage;

namespace Charte.Vault;

/// <summary>
/// Everything a purpose-bound read needs, in one statement: the subject, what the person said about the purpose, the
/// purpose's records, and how many documents it has (listed by a second statement only when there are some). The read
/// path is the vault's hottest, so it is plain SQL on a pooled connection rather than EF Core.
/// </summary>
internal sealed record PurposeView(Subject? Subject, PurposeStatus Status, List<DataRecord> Records, List<DocumentRow> Documents)
{
    private const string SubjectColumns = """
        SELECT s.pseudonym, s.category, s.created_at, s.shredded_at, p.restricted, p.objected, p.consent_given_at, p.consent_withdrawn_at
        """;

    private const string SubjectQuery = SubjectColumns + """

        FROM subjects s LEFT JOIN purpose_states p ON p.subject_id = s.id AND p.purpose = @purpose WHERE s.id = @id
        """;

    private const string DataQuery = SubjectColumns + """
        ,
            (SELECT count(*) FROM documents d WHERE d.subject_id = s.id AND d.purpose = @purpose AND d.archived_at IS NULL),
            r.id, r.category, r.value, r.key_version, r.source, r.collected_at, r.updated_at, r.archived_at
        FROM subjects s
        LEFT JOIN purpose_states p ON p.subject_id = s.id AND p.purpose = @purpose
        LEFT JOIN records r ON r.subject_id = s.id AND r.purpose = @purpose
        WHERE s.id = @id
        ORDER BY r.category
        """;

    private const string DocumentQuery = """
        SELECT id, category, name, media_type, size, key_version, collected_at
        FROM documents WHERE subject_id = @id AND purpose = @purpose AND archived_at IS NULL ORDER BY collected_at, id
        """;

    /// <summary>The statements, prepared once per connection: one per server.</summary>
    internal sealed class Statements(StoreLocation store) : IAsyncDisposable
    {
        public PreparedReads Subject { get; } = new(store, SubjectQuery, "@id", "@purpose");
        public PreparedReads Data { get; } = new(store, DataQuery, "@id", "@purpose");

        public async ValueTask DisposeAsync()
        {
            await Subject.DisposeAsync();
            await Data.DisposeAsync();
        }
    }

    /// <summary>The subject and its status for the purpose; with <paramref name="data"/>, also the purpose's records and documents.</summary>
    public static async Task<PurposeView> LoadAsync(Statements statements, Guid id, string purpose, bool data, CancellationToken cancellationToken)
    {
        await using var lease = await (data ? statements.Data : statements.Subject).RentAsync(cancellationToken);
        Subject? subject = null;
        var status = PurposeStatus.None;
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
                    if (!data)
                    {
                        continue;
                    }

                    documentCount = reader.GetInt64(8);
                }

                if (!reader.IsDBNull(9))
                {
                    records.Add(Record(reader, id, purpose));
                }
            }
        }

        var documents = documentCount > 0 ? await DocumentsAsync(lease.Connection, id, purpose, cancellationToken) : [];
        lease.Complete();
        return new PurposeView(subject, status, records, documents);
    }

    private static DataRecord Record(DbDataReader reader, Guid subject, string purpose) => new()
    {
        Id = reader.GetGuid(9),
        SubjectId = subject,
        Purpose = purpose,
        Category = reader.GetString(10),
        Value = (byte[])reader.GetValue(11),
        KeyVersion = reader.GetInt32(12),
        Source = reader.GetString(13),
        CollectedAt = Sql.Utc(reader.GetDateTime(14)),
        UpdatedAt = Sql.Utc(reader.GetDateTime(15)),
        ArchivedAt = reader.NullableDateTime(16),
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
