using System.Security.Cryptography;
using System.Text.Json;
using Charte.Applications;
using Charte.Charters;
using Charte.Hosting;
using Charte.Journal;
using Charte.Keys;
using Charte.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Charte.Vault;

/// <summary>Writing and reading records. Every write is one transaction with its journal entry; every read names a purpose.</summary>
public static class RecordsApi
{
    public const int MaxRecordsPerWrite = 1000;
    public const int MaxValueBytes = 64 * 1024;

    internal static async Task<Results<Ok<RecordsWritten>, ProblemHttpResult>> WriteAsync(
        Guid id, HttpRequest request, Caller caller, CharteDb db, PurposeView.Statements statements, SubjectKeys keys, JournalWriter journal, Charter charter, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, VaultJson.Default.WriteRecords, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (Validate(body!, clock) is { } invalid)
        {
            return invalid;
        }

        var (view, refused) = await VaultApi.AuthoriseAsync(statements, journal, charter, clock, caller, id, "record.write", body!.Purpose, body.Records.Select(r => r.Category), write: true, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var (key, shredded) = await VaultApi.KeyAsync(keys, id, cancellationToken);
        if (shredded is not null)
        {
            return shredded;
        }

        // Two first writes of a category at once both insert it: the second commit fails on the unique key, and is made
        // again as an update of the record the first one created.
        return await VaultApi.WriteSubjectAsync(db, id,
            async () => await StoreAsync(db, key!, view!.Subject!.Pseudonym, id, body, caller, clock, cancellationToken),
            "other writes of the same categories happened at the same moment; retry the request", cancellationToken);
    }

    private static async Task<Ok<RecordsWritten>> StoreAsync(CharteDb db, SubjectDataKey key, string pseudonym, Guid id, WriteRecords body, Caller caller, TimeProvider clock, CancellationToken cancellationToken)
    {
        var categories = body.Records.Select(r => r.Category).ToList();
        var existing = await db.Records.Where(r => r.SubjectId == id && r.Purpose == body.Purpose && categories.Contains(r.Category))
            .ToDictionaryAsync(r => r.Category, StringComparer.Ordinal, cancellationToken);
        var now = clock.GetUtcNow();
        var written = new List<RecordWritten>(body.Records.Count);
        foreach (var input in body.Records)
        {
            var value = JsonSerializer.SerializeToUtf8Bytes(input.Value);
            var source = input.Source ?? "provided";
            if (existing.TryGetValue(input.Category, out var record))
            {
                record.Value = key.SealRecord(record.Id, value);
                record.KeyVersion = key.Version;
                record.Source = source;
                record.UpdatedAt = now.UtcDateTime;
                written.Add(new RecordWritten(record.Id, record.Category, false));
                continue;
            }

            var recordId = PublicRandom.Version7(now);
            db.Records.Add(new DataRecord
            {
                Id = recordId,
                SubjectId = id,
                Purpose = body.Purpose,
                Category = input.Category,
                Value = key.SealRecord(recordId, value),
                KeyVersion = key.Version,
                Source = source,
                CollectedAt = (input.CollectedAt ?? now).UtcDateTime,
                UpdatedAt = now.UtcDateTime,
            });
            written.Add(new RecordWritten(recordId, input.Category, true));
        }

        var entry = VaultApi.Entry(clock, caller, "record.write", pseudonym, body.Purpose, "ok",
            $"{written.Count} records: {string.Join(", ", categories.Order(StringComparer.Ordinal))}");
        db.Journal.Add(entry);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new RecordsWritten(written.Count, written, entry.Id));
    }

    internal static async Task<Results<SubjectDataResult, ProblemHttpResult>> ReadAsync(
        Guid id, string? purpose, string? category, Caller caller, PurposeView.Statements statements, SubjectKeys keys, JournalWriter journal, Charter charter, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(purpose))
        {
            return VaultApi.PurposeRequired();
        }

        var (view, refused) = await VaultApi.AuthoriseAsync(statements, journal, charter, clock, caller, id, "record.read", purpose, [category], write: false, cancellationToken, data: true);
        if (refused is not null)
        {
            return refused;
        }

        var subject = view!.Subject;
        var rows = view.Records;
        if (category is not null)
        {
            rows.RemoveAll(r => r.Category != category && !r.Category.StartsWith(category + ".", StringComparison.Ordinal));
        }

        if (category is not null && rows.Count > 0 && rows.All(r => r.ArchivedAt is not null))
        {
            return await VaultApi.RefuseAsync(journal, clock, caller, "record.read", subject, purpose, category, Refusal.Archived, cancellationToken);
        }

        rows.RemoveAll(r => r.ArchivedAt is not null);
        var documents = view.Documents;
        if (keys.FromStored(id, view.Key) is not { } key)
        {
            return Problems.SubjectShredded();
        }

        List<OpenedRecord> records;
        var names = new List<DocumentOutput>(documents.Count);
        try
        {
            records = Open(key, rows);
            foreach (var document in documents)
            {
                names.Add(new DocumentOutput(document.Id, document.Category, key.OpenName(document.Id, document.KeyVersion, document.Name), document.MediaType, document.Size, Utc(document.CollectedAt)));
            }
        }
        catch (CryptographicException)
        {
            await journal.AppendAsync(VaultApi.Entry(clock, caller, "record.read", subject!.Pseudonym, purpose, "failed:integrity"), cancellationToken);
            return VaultApi.Integrity("a stored record");
        }

        var entry = await journal.AppendAsync(VaultApi.Entry(clock, caller, "record.read", subject!.Pseudonym, purpose, "ok",
            $"{records.Count} records, {names.Count} documents" + (category is null ? "" : $"; category {category}")), cancellationToken);
        return new SubjectDataResult(id, purpose, records, names, entry);
    }

    internal static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    /// <summary>
    /// Decrypts records for an answer; throws <see cref="CryptographicException"/> when one fails its integrity check, or
    /// when what it decrypts to is not one JSON value (which only a writer other than Charte could have stored).
    /// </summary>
    internal static List<OpenedRecord> Open(SubjectDataKey key, IReadOnlyList<DataRecord> rows)
    {
        var records = new List<OpenedRecord>(rows.Count);
        foreach (var row in rows)
        {
            var value = key.OpenRecord(row.Id, row.KeyVersion, row.Value);
            if (!IsOneJsonValue(value))
            {
                throw new CryptographicException("a record's value is not JSON");
            }

            records.Add(new OpenedRecord(row, value));
        }

        return records;
    }

    private static bool IsOneJsonValue(ReadOnlySpan<byte> value)
    {
        var reader = new Utf8JsonReader(value);
        try
        {
            return reader.Read() && reader.TrySkip() && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    internal static ProblemHttpResult? Validate(WriteRecords body, TimeProvider clock)
    {
        if (body.Records.Count == 0)
        {
            return Problems.Of(ProblemTypes.NoRecords, "records is empty: send at least one {category, value}");
        }

        if (body.Records.Count > MaxRecordsPerWrite)
        {
            return Problems.Of(ProblemTypes.TooManyRecords, $"at most {MaxRecordsPerWrite} records per write");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var now = clock.GetUtcNow();
        for (var i = 0; i < body.Records.Count; i++)
        {
            var record = body.Records[i];
            if (record is null)
            {
                return Problems.Of(ProblemTypes.InvalidRecord, $"records[{i}] is null");
            }

            if (!seen.Add(record.Category))
            {
                return Problems.Of(ProblemTypes.DuplicateCategory, $"records[{i}]: the category '{record.Category}' appears twice in one write");
            }

            if (record.Value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
            {
                return Problems.Of(ProblemTypes.InvalidRecord, $"records[{i}]: value is null; to remove data, erase it instead of writing null");
            }

            if (JsonBody.NotText(record.Value, "value") is { } notText)
            {
                return Problems.Of(ProblemTypes.InvalidRecord, $"records[{i}].{notText}");
            }

            if (record.Value.GetRawText().Length > MaxValueBytes)
            {
                return Problems.Of(ProblemTypes.ValueTooLarge, $"records[{i}]: a value may be at most {MaxValueBytes / 1024} KiB; store files as documents");
            }

            if (record.Source is { } source && !YamlNames.TryParse<DataSource>(source, out _))
            {
                return Problems.Of(ProblemTypes.InvalidSource, $"records[{i}]: source '{source}' is not one of {string.Join(", ", YamlNames.All<DataSource>())}");
            }

            if (record.CollectedAt > now)
            {
                return Problems.Of(ProblemTypes.CollectedInFuture, $"records[{i}]: collectedAt is in the future");
            }

            if (record.CollectedAt < VaultApi.EarliestFact)
            {
                return Problems.Of(ProblemTypes.CollectedTooEarly, VaultApi.TooEarly($"records[{i}].collectedAt"));
            }
        }

        return null;
    }
}
