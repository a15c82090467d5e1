using System.Security.Cryptography;
using System.Text;
using Charte.Applications;
using Charte.Charters;
using Charte.Hosting;
using Charte.Journal;
using Charte.Keys;
using Charte.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Charte.Vault;

public sealed record ReadArchive
{
    [System.Text.Json.Serialization.JsonRequired] public required string Purpose { get; init; }

    /// <summary>Why the archive is opened (a dispute, an authority's request…). Sealed under the person's key in the ledger.</summary>
    [System.Text.Json.Serialization.JsonRequired] public required string Reason { get; init; }
}

/// <summary>
/// The intermediate archive (CNIL "archivage intermédiaire"): records past their active period leave normal use and are
/// read only by an application holding the <c>archivist</c> role and the purpose, with a reason. Each such read is a
/// ledger entry; the reason is sealed under the person's key, so that it is provable while the person's data exists
/// and gone with it.
/// </summary>
public static class ArchiveApi
{

    public static void MapArchive(this RouteGroupBuilder api) =>
        api.MapPost("/subjects/{id:guid}/archive", ReadAsync).Accepts<ReadArchive>("application/json")
            .WithSummary("Read a subject's archived records for a purpose: archivist role, with a reason; journaled")
            .Answers(ProblemTypes.JsonBody, ProblemTypes.OfASubject, ProblemTypes.Refusals, [ProblemTypes.PurposeRequired, ProblemTypes.ReasonRequired, ProblemTypes.ArchivistOnly, ProblemTypes.IntegrityFailure]);

    internal static async Task<Results<SubjectDataResult, ProblemHttpResult>> ReadAsync(
        Guid id, HttpRequest request, Caller caller, CharteDb db, SubjectKeys keys, JournalWriter journal, Charter charter, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, VaultJson.Default.ReadArchive, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (Reasons.Accept(body!.Reason) is not { } reason)
        {
            return Problems.Of(ProblemTypes.ReasonRequired, $"opening the archive needs a reason: {Reasons.Rule}");
        }

        var (subject, missing) = await VaultApi.SubjectAsync(db, id, cancellationToken);
        if (missing is not null)
        {
            return missing;
        }

        if (!caller.Has(Caller.Archivist) || charter.FindPurpose(body.Purpose) is null || !caller.Purposes.Contains(body.Purpose))
        {
            // The purpose is journaled only when the charter has it (see VaultApi.RefuseAsync).
            var journaled = charter.FindPurpose(body.Purpose) is null ? null : body.Purpose;
            await journal.AppendAsync(VaultApi.Entry(clock, caller, "archive.read", subject!.Pseudonym, journaled, "refused:archivist-only"), cancellationToken);
            return Problems.Of(ProblemTypes.ArchivistOnly, "the intermediate archive is read by an application holding the archivist role and the purpose (charte apps add NAME --purpose P --role archivist)");
        }

        var (key, shredded) = await VaultApi.KeyAsync(keys, id, cancellationToken);
        if (shredded is not null)
        {
            return shredded;
        }

        var rows = await db.Records.AsNoTracking().Where(r => r.SubjectId == id && r.Purpose == body.Purpose && r.ArchivedAt != null).OrderBy(r => r.Category).ToListAsync(cancellationToken);
        List<OpenedRecord> records;
        try
        {
            records = RecordsApi.Open(key!, rows);
        }
        catch (CryptographicException)
        {
            await journal.AppendAsync(VaultApi.Entry(clock, caller, "archive.read", subject!.Pseudonym, body.Purpose, "failed:integrity"), cancellationToken);
            return VaultApi.Integrity("an archived record");
        }

        var sealedReason = PublicRandom.Version7(clock.GetUtcNow());
        var reasonText = Convert.ToBase64String(key!.SealRecord(sealedReason, Encoding.UTF8.GetBytes(reason)));
        var entry = await journal.AppendAsync(VaultApi.Entry(clock, caller, "archive.read", subject!.Pseudonym, body.Purpose, "ok",
            $"{records.Count} archived records; reason sealed under the subject's key: {sealedReason:N}:{reasonText}"), cancellationToken);
        return new SubjectDataResult(id, body.Purpose, records, [], entry);
    }
}
