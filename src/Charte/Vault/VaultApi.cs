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

/// <summary>The vault's application API, <c>/api/v1</c>: subjects, records, documents, events, purpose status.</summary>
public static class VaultApi
{
    public static RouteGroupBuilder MapVault(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Vault");
        api.MapPost("/subjects", SubjectsApi.CreateAsync).Accepts<CreateSubject>("application/json")
            .WithSummary("Create a subject, or find it when one of its identifiers is already known")
            .Answers(ProblemTypes.JsonBody, [ProblemTypes.UnknownSubjectCategory, ProblemTypes.InvalidIdentifier, ProblemTypes.IdentifiersConflict, ProblemTypes.ConcurrentWrite]);
        api.MapPost("/subjects/search", SubjectsApi.FindAsync).Accepts<FindSubject>("application/json")
            .WithSummary("Find a subject by one identifier (sent in the body: identifiers never go in URLs)")
            .Answers(ProblemTypes.JsonBody, [ProblemTypes.InvalidIdentifier, ProblemTypes.SubjectNotFound]);
        api.MapDelete("/subjects/{id:guid}", SubjectsApi.EraseAsync)
            .WithSummary("Erase a subject: destroy its data key (crypto-shredding), its blind indexes and its data")
            .Answers(ProblemTypes.OfASubject, [ProblemTypes.PurposeNotGranted, ProblemTypes.ConcurrentWrite]);
        api.MapPut("/subjects/{id:guid}/records", RecordsApi.WriteAsync).Accepts<WriteRecords>("application/json")
            .WithSummary("Write records of a subject under one purpose; one transaction")
            .Answers(ProblemTypes.JsonBody, ProblemTypes.OfASubject, ProblemTypes.Refusals, ProblemTypes.RecordChecks, [ProblemTypes.ConcurrentWrite]);
        api.MapGet("/subjects/{id:guid}/data", RecordsApi.ReadAsync)
            .WithSummary("Read a subject's data for a named purpose; only the categories of that purpose are returned")
            .Answers(ProblemTypes.OfASubject, ProblemTypes.Refusals, [ProblemTypes.PurposeRequired, ProblemTypes.IntegrityFailure]);
        api.MapPost("/subjects/{id:guid}/documents", DocumentsApi.StoreAsync).DisableAntiforgery()
            .WithSummary("Store a file (multipart: purpose, category, file); its SHA-256 is recorded")
            .Answers(ProblemTypes.MultipartBody, ProblemTypes.OfASubject, ProblemTypes.Refusals,
                [ProblemTypes.DocumentTooLarge, ProblemTypes.InvalidDocument, ProblemTypes.InvalidSource, ProblemTypes.EmptyDocument, ProblemTypes.ConcurrentWrite]);
        api.MapGet("/subjects/{id:guid}/documents/{document:guid}", DocumentsApi.ReadAsync)
            .WithSummary("Read a file for a named purpose; served only if its SHA-256 still matches")
            .Answers(ProblemTypes.OfASubject, ProblemTypes.Refusals, [ProblemTypes.PurposeRequired, ProblemTypes.DocumentNotFound, ProblemTypes.IntegrityFailure]);
        api.MapPost("/subjects/{id:guid}/events", EventsApi.PostAsync).Accepts<PostEvent>("application/json")
            .WithSummary("Record a lifecycle event (last_contact, contract_end, death…) that starts a retention clock")
            .Answers(ProblemTypes.JsonBody, ProblemTypes.OfASubject, ProblemTypes.EventChecks, [ProblemTypes.UnknownPurpose, ProblemTypes.PurposeNotGranted, ProblemTypes.ConcurrentWrite]);
        api.MapPut("/subjects/{id:guid}/purposes/{purpose}", EventsApi.SetStatusAsync).Accepts<SetPurposeStatus>("application/json")
            .WithSummary("Record the person's restriction, objection or consent for one purpose")
            .Answers(ProblemTypes.JsonBody, ProblemTypes.OfASubject,
                [ProblemTypes.UnknownPurpose, ProblemTypes.PurposeNotGranted, ProblemTypes.ConsentNotTheBasis, ProblemTypes.NothingToChange, ProblemTypes.ConcurrentWrite]);
        api.MapArchive();
        api.MapImport();
        return api;
    }

    /// <summary>
    /// The earliest instant a fact (an event, a collection) may be dated: the start of <see cref="LegalTime.EarliestDate"/>
    /// in Paris. An earlier date is refused rather than kept: it is almost always a client's default value, and the
    /// retention clock would count every period from it and find the data long due.
    /// </summary>
    internal static DateTimeOffset EarliestFact { get; } = LegalTime.StartOfDay(LegalTime.EarliestDate);

    internal static string TooEarly(string what) => $"{what} is before {LegalTime.EarliestDate:yyyy-MM-dd}: is it a default date sent by mistake? Give the day it happened";

    internal static JournalEntry Entry(TimeProvider clock, Caller caller, string action, string? subject, string? purpose, string outcome, string? detail = null) => new()
    {
        At = clock.GetUtcNow().UtcDateTime,
        Actor = caller.Actor,
        Action = action,
        Subject = subject,
        Purpose = purpose,
        Outcome = outcome,
        Detail = detail,
    };

    /// <summary>Journals a refusal (durably, before answering) and returns its problem.</summary>
    internal static async Task<ProblemHttpResult> RefuseAsync(JournalWriter journal, TimeProvider clock, Caller caller, string action, Subject? subject, string purpose, string? category, Refusal refusal, CancellationToken cancellationToken)
    {
        // A name the charter does not have is journaled as absent, never as given: it could be anything, personal data
        // included (a client that puts an e-mail address where the category goes), and the journal is append-only. The
        // access rule names an unknown purpose before any category, so with an unknown category the purpose is known.
        var journaledPurpose = refusal == Refusal.UnknownPurpose ? null : purpose;
        var journaledCategory = refusal is Refusal.UnknownPurpose or Refusal.UnknownCategory ? null : category;
        await journal.AppendAsync(Entry(clock, caller, action, subject?.Pseudonym, journaledPurpose, "refused:" + YamlNames.Of(refusal), journaledCategory), cancellationToken);
        return Problems.Refused(refusal, purpose, category);
    }

    /// <summary>
    /// The subject and the access rule's verdict on each category, in the order every operation needs them: 404/410 for
    /// the subject first, then the first refusal, journaled. A null category asks about the purpose as a whole. With
    /// <paramref name="data"/> the view also carries the purpose's records and documents, loaded in the same round trip.
    /// </summary>
    internal static async Task<(PurposeView? View, ProblemHttpResult? Problem)> AuthoriseAsync(
        PurposeView.Statements statements, JournalWriter journal, Charter charter, TimeProvider clock, Caller caller, Guid id, string action, string purpose,
        IEnumerable<string?> categories, bool write, CancellationToken cancellationToken, bool data = false)
    {
        var view = await ViewAsync(statements, charter, id, purpose, data, cancellationToken);
        if (Missing(view.Subject) is { } missing)
        {
            return (null, missing);
        }

        foreach (var category in categories)
        {
            var refusal = write
                ? AccessRule.Write(charter, purpose, caller.Purposes, view.Status, category!)
                : AccessRule.Read(charter, purpose, caller.Purposes, view.Status, category);
            if (refusal is { } refused)
            {
                return (null, await RefuseAsync(journal, clock, caller, action, view.Subject, purpose, category, refused, cancellationToken));
            }
        }

        return (view, null);
    }

    /// <summary>
    /// The subject's view for a purpose. A purpose the charter does not have is never sent to the store (the view then
    /// holds the subject alone): the caller refuses it once the subject is known to exist, and a name as the client gave
    /// it (a NUL byte in it, say) could fail the statement.
    /// </summary>
    internal static Task<PurposeView> ViewAsync(PurposeView.Statements statements, Charter charter, Guid id, string purpose, bool data, CancellationToken cancellationToken) =>
        PurposeView.LoadAsync(statements, id, charter.FindPurpose(purpose) is null ? "" : purpose, data, cancellationToken);

    internal static ProblemHttpResult? Missing(Subject? subject) => subject switch
    {
        null => Problems.SubjectNotFound(),
        { ShreddedAt: not null } => Problems.SubjectShredded(),
        _ => null,
    };

    /// <summary>The subject, or the problem to answer: 404 when unknown, 410 when its key was destroyed.</summary>
    /// <summary>
    /// Commits a write of one subject's data in a transaction that first makes sure the subject has not been erased, and
    /// keeps it so until the commit: on PostgreSQL a share lock on the subject's row, which an erasure's lock waits for
    /// (and which, behind an erasure under way, finds its tombstone); on SQLite the transaction's write lock, taken at
    /// its start. A write that loses the race to an erasure answers 410 and leaves no row behind the erasure's receipt.
    /// When the commit fails on a constraint another request's commit made true in the meantime (a row both inserted),
    /// the write is made again from a clean change tracker; after three attempts the caller is told to retry.
    /// </summary>
    internal static async Task<Results<TResult, ProblemHttpResult>> WriteSubjectAsync<TResult>(CharteDb db, Guid subject, Func<Task<TResult>> write, string conflict, CancellationToken cancellationToken)
        where TResult : IResult
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                if (!await HoldAsync(db, subject, cancellationToken))
                {
                    return Problems.SubjectShredded();
                }

                var result = await write();
                await transaction.CommitAsync(cancellationToken);
                return result;
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                db.ChangeTracker.Clear();
            }
            catch (DbUpdateException)
            {
                return Problems.Of(ProblemTypes.ConcurrentWrite, conflict);
            }
        }
    }

    private static async Task<bool> HoldAsync(CharteDb db, Guid subject, CancellationToken cancellationToken)
    {
        var connection = await Sql.OpenAsync(db, cancellationToken);
        var share = connection is Npgsql.NpgsqlConnection ? " FOR SHARE" : "";
        await using var command = Sql.Command(connection, $"SELECT 1 FROM subjects WHERE id = @id AND shredded_at IS NULL{share}", db.Database.CurrentTransaction!.GetDbTransaction());
        command.Add("@id", subject);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    internal static async Task<(Subject? Subject, ProblemHttpResult? Problem)> SubjectAsync(CharteDb db, Guid id, CancellationToken cancellationToken)
    {
        var subject = await db.Subjects.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, cancellationToken);
        return Missing(subject) is { } missing ? (null, missing) : (subject, null);
    }

    internal static async Task<(SubjectDataKey? Key, ProblemHttpResult? Problem)> KeyAsync(SubjectKeys keys, Guid subject, CancellationToken cancellationToken) =>
        await keys.FindAsync(subject, cancellationToken) is { } key ? (key, null) : (null, Problems.SubjectShredded());

    internal static ProblemHttpResult PurposeRequired() =>
        Problems.Of(ProblemTypes.PurposeRequired, "add ?purpose=ID: personal data is read only for a purpose the charter declares");

    internal static ProblemHttpResult Integrity(string what) =>
        Problems.Of(ProblemTypes.IntegrityFailure, $"{what} does not match its fingerprint or cannot be decrypted; it is not served. The operator has been alerted.");
}

public sealed record CreateSubject
{
    /// <summary>Identifiers by kind: email, phone, customer_number, external_id.</summary>
    public Dictionary<string, string>? Identifiers { get; init; }

    /// <summary>The charter's subject category (customer, prospect…).</summary>
    public string? Category { get; init; }
}

public sealed record FindSubject
{
    [JsonRequired] public required string Kind { get; init; }
    [JsonRequired] public required string Value { get; init; }
}

public sealed record SubjectFound(Guid Id, bool Created, long? Journal);

public sealed record RecordInput
{
    [JsonRequired] public required string Category { get; init; }
    [JsonRequired] public required JsonElement Value { get; init; }

    /// <summary>provided (by the person), observed or derived; default provided.</summary>
    public string? Source { get; init; }

    public DateTimeOffset? CollectedAt { get; init; }
}

public sealed record WriteRecords
{
    [JsonRequired] public required string Purpose { get; init; }
    [JsonRequired] public required List<RecordInput> Records { get; init; }
}

public sealed record RecordWritten(Guid Id, string Category, bool Created);

public sealed record RecordsWritten(int Written, IReadOnlyList<RecordWritten> Records, long Journal);

public sealed record RecordOutput(Guid Id, string Category, JsonElement Value, string Source, DateTimeOffset CollectedAt, DateTimeOffset UpdatedAt);

public sealed record DocumentOutput(Guid Id, string Category, string Name, string MediaType, long Size, DateTimeOffset CollectedAt);

/// <summary>A read's answer, as the OpenAPI description shows it; <see cref="SubjectDataResult"/> writes it.</summary>
public sealed record SubjectData(Guid Subject, string Purpose, IReadOnlyList<RecordOutput> Records, IReadOnlyList<DocumentOutput> Documents, long Journal);

public sealed record DocumentStored(Guid Id, string Category, long Size, string Sha256, string StoredSha256, long Journal);

public sealed record PostEvent
{
    [JsonRequired] public required string Event { get; init; }
    public string? Purpose { get; init; }
    public DateTimeOffset? At { get; init; }
}

public sealed record EventRecorded(long Id, string Event, string? Purpose, DateTimeOffset At, long Journal);

public sealed record SetPurposeStatus
{
    public bool? Restricted { get; init; }
    public bool? Objected { get; init; }
    public bool? Consent { get; init; }
}

public sealed record PurposeStatusOutput(string Purpose, bool Restricted, bool Objected, bool Consent, long Journal);

public sealed record Erased(Guid Id, bool Shredded, int Records, int Documents, long Journal);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, AllowTrailingCommas = false, AllowDuplicateProperties = false)]
[JsonSerializable(typeof(CreateSubject))]
[JsonSerializable(typeof(FindSubject))]
[JsonSerializable(typeof(WriteRecords))]
[JsonSerializable(typeof(PostEvent))]
[JsonSerializable(typeof(SetPurposeStatus))]
[JsonSerializable(typeof(ReadArchive))]
[JsonSerializable(typeof(ImportLine))]
internal sealed partial class VaultJson : JsonSerializerContext;
