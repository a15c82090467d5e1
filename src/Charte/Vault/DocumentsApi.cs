using System.Security.Cryptography;
using Charte.Applications;
using Charte.Charters;
using Charte.Hosting;
using Charte.Journal;
using Charte.Keys;
using Charte.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Charte.Vault;

/// <summary>Vault limits an operator may set (<c>Charte:Vault:*</c>).</summary>
public sealed class VaultOptions
{
    /// <summary>Largest document accepted, in bytes. Default 10 MiB.</summary>
    public long MaxDocumentBytes { get; set; } = 10 * 1024 * 1024;
}

/// <summary>
/// Files. The SHA-256 of the stored bytes is recorded at write and checked before every read: a file that no longer
/// matches is reported, journaled and never served.
/// </summary>
public static partial class DocumentsApi
{
    /// <summary>
    /// The media type a document is stored and served with: the one its part declares, when it is one (type/subtype,
    /// parameters allowed, no wildcard), since it goes back out as the Content-Type of every read; none declared is
    /// <c>application/octet-stream</c>; null when what is declared is not a media type.
    /// </summary>
    internal static string? MediaType(string? declared)
    {
        if (string.IsNullOrWhiteSpace(declared))
        {
            return "application/octet-stream";
        }

        return declared.Length <= 128 && Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(declared, out var parsed) && !parsed.MatchesAllTypes && !parsed.MatchesAllSubTypes
            ? parsed.ToString()
            : null;
    }

    internal static async Task<Results<Created<DocumentStored>, ProblemHttpResult>> StoreAsync(
        Guid id, HttpRequest request, Caller caller, CharteDb db, PurposeView.Statements statements, SubjectKeys keys, JournalWriter journal, Charter charter, TimeProvider clock, IOptions<VaultOptions> options, CancellationToken cancellationToken)
    {
        var limit = options.Value.MaxDocumentBytes;
        var (form, unread) = await Multipart.ReadAsync(request, limit, "send fields purpose, category and file as multipart/form-data", () => TooLarge(limit), cancellationToken);
        if (unread is not null)
        {
            return unread;
        }

        string purpose = form!["purpose"].ToString(), category = form["category"].ToString(), source = form["source"].ToString() is { Length: > 0 } s ? s : "provided";
        if (purpose.Length == 0 || category.Length == 0 || form.Files.Count != 1)
        {
            return Problems.Of(ProblemTypes.InvalidDocument, "send exactly one file, with the fields purpose and category");
        }

        if (!YamlNames.TryParse<DataSource>(source, out _))
        {
            return Problems.Of(ProblemTypes.InvalidSource, $"source '{source}' is not one of {string.Join(", ", YamlNames.All<DataSource>())}");
        }

        var file = form.Files[0];
        if (file.Length > limit)
        {
            return TooLarge(limit);
        }

        if (MediaType(file.ContentType) is not { } mediaType)
        {
            return Problems.Of(ProblemTypes.InvalidDocument, "the file's media type (the Content-Type of its part) is not of the form type/subtype, such as application/pdf, in at most 128 characters; leave it out for application/octet-stream");
        }

        if (file.Length == 0)
        {
            return Problems.Of(ProblemTypes.EmptyDocument, "the file is empty");
        }

        var (view, refused) = await VaultApi.AuthoriseAsync(statements, journal, charter, clock, caller, id, "document.write", purpose, [category], write: true, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var (key, shredded) = await VaultApi.KeyAsync(keys, id, cancellationToken);
        if (shredded is not null)
        {
            return shredded;
        }

        var content = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
        {
            await stream.ReadExactlyAsync(content, cancellationToken);
        }

        return await VaultApi.WriteSubjectAsync(db, id, async () =>
        {
            var now = clock.GetUtcNow();
            var documentId = PublicRandom.Version7(now);
            var stored = key!.SealDocument(documentId, content);
            var storedHash = SHA256.HashData(stored);
            var name = Path.GetFileName(file.FileName ?? "") is { Length: > 0 and <= 255 } n ? n : "document";
            var document = new Document
            {
                Id = documentId,
                SubjectId = id,
                Purpose = purpose,
                Category = category,
                Name = key.SealName(documentId, name),
                MediaType = mediaType,
                Size = content.Length,
                Sha256 = storedHash,
                ContentHmac = key.Commitment(content),
                KeyVersion = key.Version,
                Source = source,
                CollectedAt = now.UtcDateTime,
            };
            db.Documents.Add(document);
            db.DocumentContents.Add(new DocumentContent { DocumentId = documentId, Content = stored });
            var entry = VaultApi.Entry(clock, caller, "document.write", view!.Subject!.Pseudonym, purpose, "ok", $"category {category}; {content.Length} bytes; stored sha256 {Convert.ToHexStringLower(storedHash)}");
            db.Journal.Add(entry);
            await db.SaveChangesAsync(cancellationToken);
            return TypedResults.Created($"/api/v1/subjects/{id}/documents/{documentId}",
                new DocumentStored(documentId, category, content.Length, Convert.ToHexStringLower(SHA256.HashData(content)), Convert.ToHexStringLower(storedHash), entry.Id));
        }, "another write of this subject happened at the same moment; retry the request", cancellationToken);
    }

    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ReadAsync(
        Guid id, Guid document, string? purpose, HttpResponse response, Caller caller, CharteDb db, PurposeView.Statements statements, SubjectKeys keys, JournalWriter journal, Charter charter, TimeProvider clock, ILogger<Document> log, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(purpose))
        {
            return VaultApi.PurposeRequired();
        }

        var view = await VaultApi.ViewAsync(statements, charter, id, purpose, data: false, cancellationToken);
        if (VaultApi.Missing(view.Subject) is { } missing)
        {
            return missing;
        }

        var subject = view.Subject;
        if (charter.FindPurpose(purpose) is null)
        {
            return await VaultApi.RefuseAsync(journal, clock, caller, "document.read", subject, purpose, null, Refusal.UnknownPurpose, cancellationToken);
        }

        var meta = await db.Documents.AsNoTracking().FirstOrDefaultAsync(d => d.Id == document && d.SubjectId == id, cancellationToken);
        if (meta is null || meta.Purpose != purpose)
        {
            // A document kept under another purpose is, for this purpose, not there.
            return Problems.Of(ProblemTypes.DocumentNotFound, $"the subject has no document with this id under '{purpose}'");
        }

        if (AccessRule.Read(charter, purpose, caller.Purposes, view.Status, meta.Category, meta.ArchivedAt is not null) is { } refusal)
        {
            return await VaultApi.RefuseAsync(journal, clock, caller, "document.read", subject, purpose, meta.Category, refusal, cancellationToken);
        }

        var stored = await db.DocumentContents.AsNoTracking().Where(c => c.DocumentId == document).Select(c => c.Content).FirstOrDefaultAsync(cancellationToken);
        if (stored is null || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(stored), meta.Sha256))
        {
            DocumentCorrupted(log, document, subject!.Pseudonym);
            await journal.AppendAsync(VaultApi.Entry(clock, caller, "document.read", subject.Pseudonym, purpose, "failed:integrity", $"document {document:N}: stored bytes do not match their SHA-256"), cancellationToken);
            return VaultApi.Integrity("the stored file");
        }

        var (key, shredded) = await VaultApi.KeyAsync(keys, id, cancellationToken);
        if (shredded is not null)
        {
            return shredded;
        }

        byte[] content;
        string name;
        try
        {
            content = key!.OpenDocument(document, meta.KeyVersion, stored);
            name = key.OpenName(document, meta.KeyVersion, meta.Name);
        }
        catch (CryptographicException)
        {
            DocumentCorrupted(log, document, subject!.Pseudonym);
            return VaultApi.Integrity("the stored file");
        }

        await journal.AppendAsync(VaultApi.Entry(clock, caller, "document.read", subject!.Pseudonym, purpose, "ok", $"document {document:N}; category {meta.Category}"), cancellationToken);
        response.Headers["Repr-Digest"] = $"sha-256=:{Convert.ToBase64String(SHA256.HashData(content))}:";
        response.Headers.CacheControl = "no-store";

        // The media type is the uploader's word: a browser that opens the file anyway runs none of it.
        response.Headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        return TypedResults.File(content, meta.MediaType, name);
    }

    private static ProblemHttpResult TooLarge(long limit) =>
        Problems.Of(ProblemTypes.DocumentTooLarge, $"a document may be at most {limit / (1024 * 1024)} MiB");

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "Document {Document} of subject {Pseudonym} failed its integrity check; it was not served")]
    private static partial void DocumentCorrupted(ILogger logger, Guid document, string pseudonym);
}
