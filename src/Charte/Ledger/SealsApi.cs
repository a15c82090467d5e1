using System.Security.Cryptography;
using Charte.Applications;
using Charte.Hosting;
using Charte.Journal;
using Charte.Storage;
using Charte.Vault;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Charte.Ledger;

public sealed record SealOutput(string Manifest, string ManifestSha256, string Signature, long Journal);

/// <summary><c>POST /api/v1/seals</c>: seal an evidence bundle sent as files; the answer carries the manifest and its CMS seal.</summary>
public static class SealsApi
{
    public const int MaxFiles = 32;

    public static void MapSeals(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/v1/seals", SealAsync).DisableAntiforgery().WithTags("Ledger")
            .WithSummary("Seal an evidence bundle (multipart, one or more files): a SHA-256 manifest and its timestamped CMS seal, journaled")
            .Answers(ProblemTypes.MultipartBody, [ProblemTypes.InvalidBundle, ProblemTypes.BundleTooLarge, ProblemTypes.TimestampUnavailable]);

    internal static async Task<Results<Created<SealOutput>, ProblemHttpResult>> SealAsync(
        HttpRequest request, Caller caller, CharteDb db, SigningKeys keys, ITimestampAuthority timestamps, TimeProvider clock, IOptions<VaultOptions> options, CancellationToken cancellationToken)
    {
        var limit = options.Value.MaxDocumentBytes;
        var (form, unread) = await Multipart.ReadAsync(request, limit, "send the files to seal as multipart/form-data", () => TooLarge(limit), cancellationToken);
        if (unread is not null)
        {
            return unread;
        }

        if (form!.Files.Count is 0 or > MaxFiles)
        {
            return Problems.Of(ProblemTypes.InvalidBundle, $"send between 1 and {MaxFiles} files");
        }

        var names = form.Files.Select(f => Path.GetFileName(f.FileName)).ToList();
        if (!names.All(Seals.Listable) || names.Distinct(StringComparer.Ordinal).Count() != names.Count)
        {
            return Problems.Of(ProblemTypes.InvalidBundle, "every file needs a name of its own, without control characters");
        }

        var digests = new List<(string, byte[])>();
        foreach (var file in form.Files)
        {
            await using var stream = file.OpenReadStream();
            digests.Add((Path.GetFileName(file.FileName), await SHA256.HashDataAsync(stream, cancellationToken)));
        }

        Seals.Sealed sealedBundle;
        try
        {
            sealedBundle = await Seals.SealAsync(Seals.Manifest(digests), keys.Seal, timestamps, clock, cancellationToken);
        }
        catch (TimestampUnavailableException)
        {
            return Problems.Of(ProblemTypes.TimestampUnavailable, "the timestamp authority did not answer; nothing was sealed. Retry later.");
        }

        var entry = new JournalEntry
        {
            At = clock.GetUtcNow().UtcDateTime,
            Actor = caller.Actor,
            Action = "evidence.seal",
            Outcome = "ok",
            Detail = $"{digests.Count} files; manifest sha256 {sealedBundle.ManifestSha256}",
        };
        db.Journal.Add(entry);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created((string?)null, new SealOutput(System.Text.Encoding.UTF8.GetString(sealedBundle.Manifest), sealedBundle.ManifestSha256,
            Convert.ToBase64String(sealedBundle.Signature), entry.Id));
    }

    private static ProblemHttpResult TooLarge(long limit) =>
        Problems.Of(ProblemTypes.BundleTooLarge, $"a bundle may be at most {limit / (1024 * 1024)} MiB in all");
}
