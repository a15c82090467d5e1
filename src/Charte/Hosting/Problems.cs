using Charte.Applications;
using Charte.Vault;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Charte.Hosting;

/// <summary>
/// Every error the API answers, as RFC 9457 problem+json with a stable <c>type</c> (<c>urn:charte:problem:NAME</c>).
/// Clients and tests match on the type; the detail is for people and never repeats personal data.
/// </summary>
public static class Problems
{
    public const string Prefix = "urn:charte:problem:";

    /// <summary>A problem of a catalogued type (its status and title are the type's), with this occurrence's detail.</summary>
    public static ProblemHttpResult Of(ProblemType type, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: type.Status, title: type.Title, type: type.Uri, extensions: extensions);

    public static ProblemHttpResult SubjectNotFound() => Of(ProblemTypes.SubjectNotFound, "no subject has this id");

    public static ProblemHttpResult SubjectShredded() =>
        Of(ProblemTypes.SubjectShredded, "this subject's data key was destroyed: none of its data can be read again");

    /// <summary>The problem type of each refusal of the access rule.</summary>
    public static ProblemType TypeOf(Refusal refusal) => refusal switch
    {
        Refusal.UnknownPurpose => ProblemTypes.UnknownPurpose,
        Refusal.UnknownCategory => ProblemTypes.UnknownCategory,
        Refusal.CategoryNotInPurpose => ProblemTypes.CategoryNotInPurpose,
        Refusal.PurposeNotGranted => ProblemTypes.PurposeNotGranted,
        Refusal.Restricted => ProblemTypes.ProcessingRestricted,
        Refusal.Objected => ProblemTypes.Objection,
        Refusal.ConsentMissing => ProblemTypes.ConsentMissing,
        Refusal.Archived => ProblemTypes.Archived,
    };

    /// <summary>The access rule refused: 403, or 422 when the request names a purpose or category the charter does not know.</summary>
    public static ProblemHttpResult Refused(Refusal refusal, string purpose, string? category)
    {
        var detail = refusal switch
        {
            Refusal.UnknownPurpose => $"the charter has no purpose '{purpose}'",
            Refusal.UnknownCategory => $"the charter's taxonomy has no data category '{category}'",
            Refusal.CategoryNotInPurpose => $"the purpose '{purpose}' does not use the category '{category}' (purpose limitation, GDPR Art. 5(1)(b))",
            Refusal.PurposeNotGranted => $"this API key's application does not hold the purpose '{purpose}'",
            Refusal.Restricted => $"the person restricted processing for '{purpose}' (GDPR Art. 18)",
            Refusal.Objected => $"the person objected to processing for '{purpose}' (GDPR Art. 21)",
            Refusal.ConsentMissing => $"'{purpose}' rests on consent, and the person has not given it or withdrew it (GDPR Art. 7)",
            Refusal.Archived => $"the data is in the intermediate archive: out of normal use for '{purpose}'",
        };
        var type = TypeOf(refusal);
        return Of(type, detail, new Dictionary<string, object?> { ["rule"] = type.Name, ["purpose"] = purpose, ["category"] = category });
    }

    public static ProblemHttpResult Unauthorized(KeyProblem problem) => problem switch
    {
        KeyProblem.Missing => Of(ProblemTypes.ApiKeyMissing, "send the application's key as 'Authorization: Bearer charte_…'"),
        KeyProblem.Malformed => Of(ProblemTypes.ApiKeyMalformed, "an API key looks like charte_<12 hex>_<40 letters and digits>, sent as 'Authorization: Bearer KEY'"),
        KeyProblem.Unknown => Of(ProblemTypes.ApiKeyUnknown, "no application has this key"),
        KeyProblem.Revoked => Of(ProblemTypes.ApiKeyRevoked, "this key was revoked; ask the DPO for a new one"),
    };
}
