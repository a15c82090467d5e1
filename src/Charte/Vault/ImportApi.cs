using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization;
using Charte.Applications;
using Charte.Charters;
using Charte.Hosting;
using Charte.Journal;
using Charte.Keys;
using Charte.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Charte.Vault;

public sealed record ImportEvent
{
    [JsonRequired] public required string Event { get; init; }
    public string? Purpose { get; init; }
    public DateTimeOffset? At { get; init; }
}

/// <summary>One line of an import: a new person, their identifiers, and their records under one purpose.</summary>
public sealed record ImportLine
{
    public Dictionary<string, string>? Identifiers { get; init; }
    public string? Category { get; init; }
    [JsonRequired] public required string Purpose { get; init; }
    [JsonRequired] public required List<RecordInput> Records { get; init; }
    public List<ImportEvent>? Events { get; init; }
}

public sealed record Imported(int Subjects, int Records, IReadOnlyList<Guid> Ids, long FirstJournal, long LastJournal);

/// <summary>
/// <c>POST /api/v1/import</c>: onboarding many people at once, as NDJSON (one <see cref="ImportLine"/> per line, up
/// to 10,000 lines and 64 MiB). Every line is checked first — the same rules as the per-subject API, and a line whose
/// identifier is already known is refused (import creates; the per-subject API updates) — then everything is written
/// in one transaction: keys, subjects, blind indexes, sealed records, events, and one journal entry per person.
/// A bad line answers 422 with its number, and nothing is written.
/// </summary>
public static class ImportApi
{
    public const int MaxLines = 10_000;
    public const long MaxBytes = 64L * 1024 * 1024;

    public static void MapImport(this RouteGroupBuilder api) =>
        api.MapPost("/import", ImportAsync).Accepts<ImportLine>("application/x-ndjson")
            .WithSummary("Import new people as NDJSON, one {identifiers, category, purpose, records, events} per line; all or nothing")
            .Answers(ProblemTypes.JsonBody, ProblemTypes.Refusals, ProblemTypes.RecordChecks, ProblemTypes.EventChecks,
                [ProblemTypes.TooManyLines, ProblemTypes.EmptyImport, ProblemTypes.UnknownSubjectCategory, ProblemTypes.InvalidIdentifier, ProblemTypes.DuplicateIdentifier, ProblemTypes.AlreadyKnown, ProblemTypes.ConcurrentWrite]);

    private sealed record Person(Guid Id, ImportLine Line, List<SubjectIdentifier> Indexes);

    internal static async Task<Results<Created<Imported>, ProblemHttpResult>> ImportAsync(
        HttpRequest request, Caller caller, CharteDb db, SubjectKeys keys, Charter charter, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (request.ContentType?.StartsWith("application/x-ndjson", StringComparison.OrdinalIgnoreCase) != true)
        {
            return Problems.Of(ProblemTypes.UnsupportedMediaType, "send one JSON object per line as application/x-ndjson");
        }

        if (request.ContentLength > MaxBytes)
        {
            return TooLarge();
        }

        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBytes;
        }

        var people = new List<Person>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var now = clock.GetUtcNow();
        // The body is read as bytes, line by line: each line is checked to be UTF-8 before it is parsed (a file saved as
        // Latin-1 is refused at its first such line rather than imported with its accents turned into U+FFFD).
        var body = PipeReader.Create(new JsonBody.LimitedStream(request.Body, MaxBytes));
        var number = 0;
        try
        {
            while (true)
            {
                var read = await body.ReadAsync(cancellationToken);
                var buffer = read.Buffer;
                while (buffer.PositionOf((byte)'\n') is { } end)
                {
                    if (Accept(buffer.Slice(0, end), ++number) is { } refused)
                    {
                        return refused;
                    }

                    buffer = buffer.Slice(buffer.GetPosition(1, end));
                }

                if (read.IsCompleted)
                {
                    if (!buffer.IsEmpty && Accept(buffer, ++number) is { } refused)
                    {
                        return refused;
                    }

                    break;
                }

                body.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (JsonBody.LimitedStream.TooLargeException)
        {
            return TooLarge();
        }
        finally
        {
            await body.CompleteAsync();
        }

        ProblemHttpResult? Accept(ReadOnlySequence<byte> bytes, int number)
        {
            var text = bytes.IsSingleSegment ? bytes.FirstSpan : bytes.ToArray();
            text = number == 1 ? Utf8Text.WithoutByteOrderMark(text) : text;
            if (text.Trim(" \t\r"u8).IsEmpty)
            {
                return null;
            }

            if (people.Count == MaxLines)
            {
                return Problems.Of(ProblemTypes.TooManyLines, $"an import holds at most {MaxLines:N0} people; split the file");
            }

            if (Utf8Text.FirstInvalid(text) is { } invalid)
            {
                return Line(number, ProblemTypes.MalformedJson, $"not UTF-8 text: the byte at column {invalid + 1} starts no UTF-8 character (an import is UTF-8)");
            }

            ImportLine? line;
            try
            {
                line = JsonSerializer.Deserialize(text, VaultJson.Default.ImportLine);
            }
            catch (JsonException e)
            {
                return Line(number, ProblemTypes.MalformedJson, $"not valid JSON for an import line: {JsonBody.Describe(e, VaultJson.Default.ImportLine, lines: false)}");
            }

            if (line is null)
            {
                return Line(number, ProblemTypes.MalformedJson, "the line is JSON null; an object is expected");
            }

            if (Check(line, caller, charter, clock) is { } problem)
            {
                return Line(number, problem);
            }

            var indexes = new List<SubjectIdentifier>();
            foreach (var (kind, value) in line.Identifiers ?? [])
            {
                if (!Identifiers.TryNormalise(kind, value, out var normalised, out var error))
                {
                    return Line(number, ProblemTypes.InvalidIdentifier, error);
                }

                var index = new SubjectIdentifier { Kind = kind, BlindIndex = Identifiers.BlindIndex(keys.Masters, kind, normalised) };
                if (!seen.Add(Convert.ToHexString(index.BlindIndex)))
                {
                    return Line(number, ProblemTypes.DuplicateIdentifier, $"the {kind} of this line is also on an earlier line: one line per person");
                }

                indexes.Add(index);
            }

            people.Add(new Person(PublicRandom.Version7(now), line, indexes));
            return null;
        }

        if (people.Count == 0)
        {
            return Problems.Of(ProblemTypes.EmptyImport, "the body holds no line");
        }

        if (await KnownAsync(db, people.SelectMany(p => p.Indexes.Select(i => i.BlindIndex)).ToList(), cancellationToken) is { } known)
        {
            var at = people.FindIndex(p => p.Indexes.Any(i => i.BlindIndex.AsSpan().SequenceEqual(known)));
            return Line(at + 1, ProblemTypes.AlreadyKnown, "an identifier of this line belongs to a subject the vault already has; update it with PUT /api/v1/subjects/{id}/records");
        }

        return await WriteAsync(people, caller, db, keys, clock, cancellationToken);
    }

    private static async Task<Results<Created<Imported>, ProblemHttpResult>> WriteAsync(List<Person> people, Caller caller, CharteDb db, SubjectKeys keys, TimeProvider clock, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var dataKeys = await keys.CreateManyAsync([.. people.Select(p => p.Id)], cancellationToken);
        try
        {
            var subjects = new BulkRows("subjects", "id", "pseudonym", "category", "created_at");
            var identifiers = new BulkRows("subject_identifiers", "blind_index", "kind", "subject_id");
            var records = new BulkRows("records", "id", "subject_id", "purpose", "category", "value", "key_version", "source", "collected_at", "updated_at");
            var events = new BulkRows("subject_events", "subject_id", "event", "purpose", "occurred_at", "recorded_at");
            var entries = new List<JournalEntry>(people.Count);
            var count = 0;
            for (var i = 0; i < people.Count; i++)
            {
                var (person, key) = (people[i], dataKeys[i]);
                var pseudonym = Identifiers.Pseudonym(keys.Masters, person.Id);
                subjects.Add(person.Id, pseudonym, person.Line.Category, now.UtcDateTime);
                foreach (var index in person.Indexes)
                {
                    identifiers.Add(index.BlindIndex, index.Kind, person.Id);
                }

                foreach (var input in person.Line.Records)
                {
                    var id = PublicRandom.Version7(now);
                    records.Add(id, person.Id, person.Line.Purpose, input.Category, key.SealRecord(id, JsonSerializer.SerializeToUtf8Bytes(input.Value)), key.Version,
                        input.Source ?? "provided", (input.CollectedAt ?? now).UtcDateTime, now.UtcDateTime);
                    count++;
                }

                foreach (var fact in person.Line.Events ?? [])
                {
                    events.Add(person.Id, fact.Event, fact.Purpose, (fact.At ?? now).UtcDateTime, now.UtcDateTime);
                }

                entries.Add(VaultApi.Entry(clock, caller, "subject.import", pseudonym, person.Line.Purpose, "ok",
                    $"{person.Line.Records.Count} records: {string.Join(", ", person.Line.Records.Select(r => r.Category).Order(StringComparer.Ordinal))}" +
                    (person.Indexes.Count > 0 ? $"; identifiers: {Identifiers.Describe(person.Indexes.Select(x => x.Kind))}" : "")));
            }

            var connection = await Sql.OpenAsync(db, cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var raw = transaction.GetDbTransaction();
            foreach (var rows in new[] { subjects, identifiers, records, events })
            {
                await rows.WriteAsync(connection, raw, cancellationToken);
            }

            await JournalWriter.InsertAsync(connection, raw, entries, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return TypedResults.Created((string?)null, new Imported(people.Count, count, [.. people.Select(p => p.Id)], entries[0].Id, entries[^1].Id));
        }
        catch (System.Data.Common.DbException)
        {
            // Nothing was written; the keys made for it go too.
            await keys.ShredManyAsync([.. people.Select(p => p.Id)], CancellationToken.None);
            return Problems.Of(ProblemTypes.ConcurrentWrite, "nothing was imported; retry the import");
        }
    }

    /// <summary>The per-subject API's rules, line by line: the purpose, the categories, the subject category, the events.</summary>
    private static ProblemHttpResult? Check(ImportLine line, Caller caller, Charter charter, TimeProvider clock)
    {
        if (line.Category is { } category && charter.FindSubject(category) is null)
        {
            return Problems.Of(ProblemTypes.UnknownSubjectCategory, $"the charter has no subject category '{category}'");
        }

        if (RecordsApi.Validate(new WriteRecords { Purpose = line.Purpose, Records = line.Records }, clock) is { } invalid)
        {
            return invalid;
        }

        foreach (var record in line.Records)
        {
            if (AccessRule.Write(charter, line.Purpose, caller.Purposes, PurposeStatus.None, record.Category) is { } refusal)
            {
                return Problems.Refused(refusal, line.Purpose, record.Category);
            }
        }

        foreach (var fact in line.Events ?? [])
        {
            if (charter.FindEvent(fact.Event) is null)
            {
                return Problems.Of(ProblemTypes.UnknownEvent, $"the charter has no event '{fact.Event}'");
            }

            // As POST /subjects/{id}/events: an event under a purpose names one the charter has and the caller holds.
            if (fact.Purpose is { } purpose && EventsApi.RefusalOf(charter, caller, purpose) is { } refusal)
            {
                return Problems.Refused(refusal, purpose, null);
            }

            if (fact.At > clock.GetUtcNow())
            {
                return Problems.Of(ProblemTypes.EventInFuture, $"the event {fact.Event} is dated in the future");
            }

            if (fact.At < VaultApi.EarliestFact)
            {
                return Problems.Of(ProblemTypes.EventTooEarly, VaultApi.TooEarly($"the event {fact.Event}"));
            }
        }

        return null;
    }

    /// <summary>The first of these blind indexes the vault already has, if any.</summary>
    private static async Task<byte[]?> KnownAsync(CharteDb db, List<byte[]> indexes, CancellationToken cancellationToken)
    {
        foreach (var chunk in indexes.Chunk(500))
        {
            var list = chunk.ToList();
            if (await db.Identifiers.AsNoTracking().Where(i => list.Contains(i.BlindIndex)).Select(i => i.BlindIndex).FirstOrDefaultAsync(cancellationToken) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>A line's problem: its type's status (403 when the charter refuses, 400 when the line is not JSON, 422 otherwise), its number, and nothing written.</summary>
    private static ProblemHttpResult Line(int number, ProblemType type, string? detail) =>
        Line(number, Problems.Of(type, detail ?? ""));

    /// <summary>
    /// A problem of the single-item routes' checks, told of a line: its type, status and fields kept (a refusal's
    /// <c>rule</c>, <c>purpose</c> and <c>category</c>, as the per-subject route gives them), its detail prefixed with the
    /// line, and the line's number added.
    /// </summary>
    private static ProblemHttpResult Line(int number, ProblemHttpResult problem)
    {
        problem.ProblemDetails.Detail = $"line {number}: {problem.ProblemDetails.Detail}";
        problem.ProblemDetails.Extensions["line"] = number;
        return problem;
    }

    private static ProblemHttpResult TooLarge() =>
        Problems.Of(ProblemTypes.BodyTooLarge, $"an import may be at most {MaxBytes / (1024 * 1024)} MiB; split the file");
}
