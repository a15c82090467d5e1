using Charte.Applications;
using Charte.Charters;
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

    public static ProblemHttpResult Of(int status, string name, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: Prefix + name, extensions: extensions);

    public static ProblemHttpResult BadRequest(string detail) =>
        Of(StatusCodes.Status400BadRequest, "invalid-request", "The request is not valid", detail);

    public static ProblemHttpResult Invalid(string name, string detail) =>
        Of(StatusCodes.Status422UnprocessableEntity, name, "The request cannot be processed", detail);

    public static ProblemHttpResult SubjectNotFound() =>
        Of(StatusCodes.Status404NotFound, "subject-not-found", "No such subject", "no subject has this id");

    public static ProblemHttpResult SubjectShredded() =>
        Of(StatusCodes.Status410Gone, "subject-shredded", "The subject's data was erased", "this subject's data key was destroyed: none of its data can be read again");

    /// <summary>The access rule refused: 403, or 422 when the request names a purpose or category the charter does not know.</summary>
    public static ProblemHttpResult Refused(Refusal refusal, string purpose, string? category)
    {
        var name = YamlNames.Of(refusal);
        var (status, detail) = refusal switch
        {
            Refusal.UnknownPurpose => (422, $"the charter has no purpose '{purpose}'"),
            Refusal.UnknownCategory => (422, $"the charter's taxonomy has no data category '{category}'"),
            Refusal.CategoryNotInPurpose => (403, $"the purpose '{purpose}' does not use the category '{category}' (purpose limitation, GDPR Art. 5(1)(b))"),
            Refusal.PurposeNotGranted => (403, $"this API key's application does not hold the purpose '{purpose}'"),
            Refusal.Restricted => (403, $"the person restricted processing for '{purpose}' (GDPR Art. 18)"),
            Refusal.Objected => (403, $"the person objected to processing for '{purpose}' (GDPR Art. 21)"),
            Refusal.ConsentMissing => (403, $"'{purpose}' rests on consent, and the person has not given it or withdrew it (GDPR Art. 7)"),
            Refusal.Archived => (403, $"the data is in the intermediate archive: out of normal use for '{purpose}'"),
        };
        return Of(status, name, status == 403 ? "Refused by the charter" : "Unknown in the charter", detail,
            new Dictionary<string, object?> { ["rule"] = name, ["purpose"] = purpose, ["category"] = category });
    }

    public static ProblemHttpResult Unauthorized(KeyProblem problem) => problem switch
    {
        KeyProblem.Missing => Of(401, "api-key-missing", "An API key is required", "send the application's key as 'Authorization: Bearer charte_…'"),
        KeyProblem.Malformed => Of(401, "api-key-malformed", "The API key is malformed", "an API key looks like charte_<12 hex>_<40 letters and digits>, sent as 'Authorization: Bearer KEY'"),
        KeyProblem.Unknown => Of(401, "api-key-unknown", "The API key is not valid", "no application has this key"),
        KeyProblem.Revoked => Of(401, "api-key-revoked", "The API key was revoked", "this key was revoked; ask the DPO for a new one"),
    };
}
