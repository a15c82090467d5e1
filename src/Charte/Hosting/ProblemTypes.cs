using System.Collections.Frozen;
using System.Reflection;

namespace Charte.Hosting;

/// <summary>
/// One kind of error the API answers: its stable name (the <c>type</c> is <c>urn:charte:problem:NAME</c>), its HTTP
/// status, its title (RFC 9457: the same for every occurrence of the type) and, for the API's description, when it is
/// answered.
/// </summary>
public sealed record ProblemType(string Name, int Status, string Title, string When)
{
    public string Uri => Problems.Prefix + Name;
}

/// <summary>
/// Every problem type the server answers, in one place: handlers name them from here, each endpoint declares those it
/// may answer (<see cref="ProblemTypesMetadata"/>), and the OpenAPI description lists them under each status.
/// </summary>
public static class ProblemTypes
{
    // 400 — the request cannot be read
    public static readonly ProblemType MalformedJson = new("malformed-json", 400, "The body is not valid JSON for this request",
        "the body (or an import line) is not JSON, not UTF-8, has a field twice, an unknown or missing field, a value not of its field's form (12 for a string, 2025-02-29 for a date), or half a surrogate pair; the detail gives line, column, field and the form expected");
    public static readonly ProblemType InvalidRequest = new("invalid-request", 400, "The request is not valid",
        "the body cannot be read: JSON null where an object is expected, a multipart body without a boundary or malformed");
    public static readonly ProblemType InvalidParameter = new("invalid-parameter", 400, "A parameter is not valid",
        "a query or route value of the wrong form, or a query parameter given twice; the detail names it");
    public static readonly ProblemType PurposeRequired = new("purpose-required", 400, "Every read names a purpose",
        "a read without ?purpose=ID: personal data is read only for a purpose the charter declares");

    // 401 — no usable API key
    public static readonly ProblemType ApiKeyMissing = new("api-key-missing", 401, "An API key is required", "no Authorization: Bearer header");
    public static readonly ProblemType ApiKeyMalformed = new("api-key-malformed", 401, "The API key is malformed", "the key does not have the form charte_<12 hex>_<40 letters and digits>");
    public static readonly ProblemType ApiKeyUnknown = new("api-key-unknown", 401, "The API key is not valid", "no application has this key");
    public static readonly ProblemType ApiKeyRevoked = new("api-key-revoked", 401, "The API key was revoked", "the key was revoked (charte apps revoke)");

    // 403 — refused by the charter's access rule
    public static readonly ProblemType PurposeNotGranted = new("purpose-not-granted", 403, "Refused by the charter",
        "the application does not hold the purpose (for an erasure, one of the subject's purposes)");
    public static readonly ProblemType CategoryNotInPurpose = new("category-not-in-purpose", 403, "Refused by the charter", "the purpose does not use the category (GDPR Art. 5(1)(b))");
    public static readonly ProblemType ProcessingRestricted = new("processing-restricted", 403, "Refused by the charter", "the person restricted processing for the purpose (GDPR Art. 18)");
    public static readonly ProblemType Objection = new("objection", 403, "Refused by the charter", "the person objected to processing for the purpose (GDPR Art. 21)");
    public static readonly ProblemType ConsentMissing = new("consent-missing", 403, "Refused by the charter", "the purpose rests on consent, not given or withdrawn (GDPR Art. 7)");
    public static readonly ProblemType Archived = new("archived", 403, "Refused by the charter", "the data is in the intermediate archive: out of normal use");
    public static readonly ProblemType ArchivistOnly = new("archivist-only", 403, "Only an archivist may open the archive", "the application does not hold the archivist role");

    // 404
    public static readonly ProblemType SubjectNotFound = new("subject-not-found", 404, "No such subject", "no subject has this id");
    public static readonly ProblemType DocumentNotFound = new("document-not-found", 404, "No such document", "the subject has no document with this id under the purpose");
    public static readonly ProblemType NotFound = new("not-found", 404, "No such resource", "no route has this path");
    public static readonly ProblemType EntryNotFound = new("entry-not-found", 404, "No such journal entry", "the journal never had an entry with this id");
    public static readonly ProblemType CheckpointNotFound = new("checkpoint-not-found", 404, "No checkpoint of that size", "no checkpoint has the tree size asked for");
    public static readonly ProblemType NoCheckpoint = new("no-checkpoint", 404, "No checkpoint yet", "the ledger has signed no checkpoint yet");

    // 405
    public static readonly ProblemType MethodNotAllowed = new("method-not-allowed", 405, "Method not allowed", "the route exists, not with this method");

    // 408, 409
    public static readonly ProblemType RequestTimeout = new("request-timeout", 408, "The request arrived too slowly", "the body came slower than the server's minimum data rate");
    public static readonly ProblemType IdentifiersConflict = new("identifiers-conflict", 409, "The identifiers belong to different subjects", "the identifiers sent belong to two subjects");
    public static readonly ProblemType ConcurrentWrite = new("concurrent-write", 409, "Another request changed the same data at the same moment",
        "a simultaneous write still conflicting after the server made it again twice: nothing was written, retry");
    public static readonly ProblemType IntegrityFailure = new("integrity-failure", 409, "Stored data failed its integrity check",
        "a stored file or value no longer matches its fingerprint: never served, journaled, logged");
    public static readonly ProblemType NotYetInLedger = new("not-yet-in-ledger", 409, "The entry is not covered by a checkpoint yet",
        "the entry exists but no checkpoint covers it yet: ask again after the next checkpoint");

    // 410
    public static readonly ProblemType SubjectShredded = new("subject-shredded", 410, "The subject's data was erased", "the subject's data key was destroyed");

    // 413
    public static readonly ProblemType BodyTooLarge = new("body-too-large", 413, "The body is too large", "over 1 MiB of JSON, or over the import's limit");
    public static readonly ProblemType DocumentTooLarge = new("document-too-large", 413, "The file is too large", "over the document size limit");
    public static readonly ProblemType BundleTooLarge = new("bundle-too-large", 413, "The bundle is too large", "the files to seal are over the bundle size limit");

    // 414, 415, 431
    public static readonly ProblemType UriTooLong = new("uri-too-long", 414, "The request's URL is too long", "a path and query over 8 KiB (data goes in the body)");
    public static readonly ProblemType UnsupportedMediaType = new("unsupported-media-type", 415, "Unsupported media type",
        "the body is not of the media type the route reads (JSON, NDJSON for an import, multipart/form-data for files)");
    public static readonly ProblemType HeadersTooLarge = new("headers-too-large", 431, "The request's headers are too large", "over 100 header fields or 32 KiB of them");

    // 422 — well-formed, not acceptable
    public static readonly ProblemType UnknownPurpose = new("unknown-purpose", 422, "Unknown in the charter", "the charter declares no such purpose");
    public static readonly ProblemType UnknownCategory = new("unknown-category", 422, "Unknown in the charter", "the charter's taxonomy has no such data category");
    public static readonly ProblemType UnknownEvent = new("unknown-event", 422, "Unknown in the charter", "the charter declares no such event");
    public static readonly ProblemType UnknownSubjectCategory = new("unknown-subject-category", 422, "Unknown in the charter", "the charter declares no such subject category");
    public static readonly ProblemType InvalidIdentifier = new("invalid-identifier", 422, "The identifier is not valid", "an identifier of an unknown kind or not of its kind's form");
    public static readonly ProblemType InvalidRecord = new("invalid-record", 422, "The record is not valid", "a record that is null, has a null value, or a value that is not text where text is expected");
    public static readonly ProblemType InvalidSource = new("invalid-source", 422, "The source is not valid", "a source other than provided, observed, derived");
    public static readonly ProblemType InvalidDocument = new("invalid-document", 422, "The document is not valid", "not exactly one file with the fields purpose and category, or a file whose declared media type is not one (type/subtype)");
    public static readonly ProblemType EmptyDocument = new("empty-document", 422, "The document is empty", "the file has no bytes");
    public static readonly ProblemType DuplicateCategory = new("duplicate-category", 422, "A category appears twice", "one write names the same category twice");
    public static readonly ProblemType NoRecords = new("no-records", 422, "No records", "a write with an empty list of records");
    public static readonly ProblemType TooManyRecords = new("too-many-records", 422, "Too many records", "more records in one write than the limit");
    public static readonly ProblemType ValueTooLarge = new("value-too-large", 422, "The value is too large", "a record's value over its size limit (files go as documents)");
    public static readonly ProblemType CollectedInFuture = new("collected-in-future", 422, "Collected in the future", "collectedAt is after now");
    public static readonly ProblemType CollectedTooEarly = new("collected-too-early", 422, "Collected before 1900",
        "collectedAt before 1900-01-01: usually a client's default value, which the retention clock would take for a very old fact");
    public static readonly ProblemType EventInFuture = new("event-in-future", 422, "An event in the future", "an event dated after now: an event is a fact that has happened");
    public static readonly ProblemType EventTooEarly = new("event-too-early", 422, "An event before 1900", "an event dated before 1900-01-01 (see collected-too-early)");
    public static readonly ProblemType ConsentNotTheBasis = new("consent-not-the-basis", 422, "The purpose does not rest on consent", "consent given or withdrawn for a purpose with another legal basis");
    public static readonly ProblemType NothingToChange = new("nothing-to-change", 422, "Nothing to change", "none of restricted, objected, consent was sent");
    public static readonly ProblemType ReasonRequired = new("reason-required", 422, "A reason is required", "opening the archive without a reason of the required length");
    public static readonly ProblemType TooManyLines = new("too-many-lines", 422, "Too many lines", "an import of more people than the limit: split the file");
    public static readonly ProblemType EmptyImport = new("empty-import", 422, "Empty import", "the import holds no line");
    public static readonly ProblemType DuplicateIdentifier = new("duplicate-identifier", 422, "The same person twice", "an identifier of an import line is also on an earlier line");
    public static readonly ProblemType AlreadyKnown = new("already-known", 422, "The person is already in the vault",
        "an identifier of an import line belongs to a subject the vault has: update it with PUT …/records");
    public static readonly ProblemType InvalidRange = new("invalid-range", 422, "The range is not valid", "a consistency proof asked for sizes that are not 1 ≤ from ≤ to");
    public static readonly ProblemType InvalidBundle = new("invalid-bundle", 422, "The bundle is not valid", "not 1 to the maximum number of files, or files without a name of their own");

    // 499, 500, 503
    public static readonly ProblemType RequestAborted = new("request-aborted", 499, "The request was aborted", "the client went away before the answer (nobody reads it)");
    public static readonly ProblemType InternalError = new("internal-error", 500, "Internal error",
        "the server failed; nothing was half-written (every write is one transaction); quote the trace id to the operator");
    public static readonly ProblemType Overloaded = new("overloaded", 503, "Too many requests at once",
        "more API requests at once than the server admits and queues (Retry-After: 1)");
    public static readonly ProblemType KeysUnavailable = new("keys-unavailable", 503, "Keys unavailable", "a master key needed for this data is missing from the key file");
    public static readonly ProblemType TimestampUnavailable = new("timestamp-unavailable", 503, "No timestamp could be had", "the timestamp authority did not answer: nothing was sealed");
    public static readonly ProblemType NotReady = new("not-ready", 503, "Not ready", "/readyz: the store is unreachable or not migrated");

    /// <summary>Every type above, in declaration order.</summary>
    public static IReadOnlyList<ProblemType> All { get; } = [.. typeof(ProblemTypes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(ProblemType)).Select(f => (ProblemType)f.GetValue(null)!)];

    private static readonly FrozenDictionary<string, ProblemType> ByName = All.ToFrozenDictionary(t => t.Name, StringComparer.Ordinal);

    public static ProblemType? Named(string name) => ByName.GetValueOrDefault(name);

    /// <summary>The type of a problem's <c>type</c> URN (<c>urn:charte:problem:NAME</c>), if it is one of these.</summary>
    public static ProblemType? OfUri(string? uri) =>
        uri is not null && uri.StartsWith(Problems.Prefix, StringComparison.Ordinal) ? Named(uri[Problems.Prefix.Length..]) : null;

    /// <summary>
    /// What any API request may be answered, whatever its route: its key, its size, its parameters, the server's
    /// load and its failures.
    /// </summary>
    public static IReadOnlyList<ProblemType> AnyRequest { get; } =
        [ApiKeyMissing, ApiKeyMalformed, ApiKeyUnknown, ApiKeyRevoked, InvalidParameter, InvalidRequest, NotFound, RequestTimeout, UriTooLong, HeadersTooLarge, Overloaded, KeysUnavailable, InternalError, RequestAborted];

    /// <summary>What a route that reads a JSON body may be answered besides.</summary>
    public static IReadOnlyList<ProblemType> JsonBody { get; } = [MalformedJson, BodyTooLarge, UnsupportedMediaType];

    /// <summary>What a route that reads a multipart body may be answered besides.</summary>
    public static IReadOnlyList<ProblemType> MultipartBody { get; } = [UnsupportedMediaType, InvalidRequest, BodyTooLarge];

    /// <summary>What a route that names a subject by its id may be answered.</summary>
    public static IReadOnlyList<ProblemType> OfASubject { get; } = [SubjectNotFound, SubjectShredded];

    /// <summary>Every refusal of the charter's access rule.</summary>
    public static IReadOnlyList<ProblemType> Refusals { get; } = [UnknownPurpose, UnknownCategory, CategoryNotInPurpose, PurposeNotGranted, ProcessingRestricted, Objection, ConsentMissing, Archived];

    /// <summary>The checks of records sent to be written.</summary>
    public static IReadOnlyList<ProblemType> RecordChecks { get; } = [NoRecords, TooManyRecords, InvalidRecord, DuplicateCategory, ValueTooLarge, InvalidSource, CollectedInFuture, CollectedTooEarly];

    /// <summary>The checks of events sent to be recorded.</summary>
    public static IReadOnlyList<ProblemType> EventChecks { get; } = [UnknownEvent, EventInFuture, EventTooEarly];
}

/// <summary>The problem types an endpoint may answer besides <see cref="ProblemTypes.AnyRequest"/>.</summary>
public sealed record ProblemTypesMetadata(IReadOnlyList<ProblemType> Types);

public static class ProblemTypesEndpointExtensions
{
    /// <summary>Declares the problem types this endpoint may answer (the OpenAPI description lists them by status).</summary>
    public static RouteHandlerBuilder Answers(this RouteHandlerBuilder builder, params IEnumerable<ProblemType>[] types) =>
        builder.WithMetadata(new ProblemTypesMetadata([.. types.SelectMany(t => t).Distinct()]));

    public static RouteHandlerBuilder Answers(this RouteHandlerBuilder builder, params ProblemType[] types) => builder.Answers((IEnumerable<ProblemType>)types);
}
