using System.Data.Common;
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

/// <summary>Creating, finding and erasing subjects. Identifiers arrive in bodies, are normalised, and are kept only as blind indexes.</summary>
public static class SubjectsApi
{
    public static async Task<Results<Created<SubjectFound>, Ok<SubjectFound>, ProblemHttpResult>> CreateAsync(
        HttpRequest request, Caller caller, CharteDb db, SubjectKeys keys, Charter charter, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, VaultJson.Default.CreateSubject, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Category is { } category && charter.FindSubject(category) is null)
        {
            return Problems.Of(ProblemTypes.UnknownSubjectCategory, $"the charter has no subject category '{category}'; it has {string.Join(", ", charter.Subjects.Select(s => s.Id))}");
        }

        var indexes = new List<SubjectIdentifier>();
        foreach (var (kind, value) in body.Identifiers ?? [])
        {
            if (!Identifiers.TryNormalise(kind, value, out var normalised, out var error))
            {
                return Problems.Of(ProblemTypes.InvalidIdentifier, error);
            }

            indexes.Add(new SubjectIdentifier { Kind = kind, BlindIndex = Identifiers.BlindIndex(keys.Masters, kind, normalised) });
        }

        var blind = indexes.Select(i => i.BlindIndex).ToList();
        var known = blind.Count == 0 ? [] : await db.Identifiers.Where(i => blind.Contains(i.BlindIndex)).ToListAsync(cancellationToken);
        var owners = known.Select(k => k.SubjectId).Distinct().ToList();
        if (owners.Count > 1)
        {
            return Problems.Of(ProblemTypes.IdentifiersConflict, "these identifiers already designate more than one subject; look each one up with /api/v1/subjects/search");
        }

        if (owners.Count == 1)
        {
            var (existing, gone) = await VaultApi.SubjectAsync(db, owners[0], cancellationToken);
            if (gone is not null)
            {
                return gone;
            }

            // New identifiers join the subject the known ones designate.
            var fresh = indexes.Where(i => !known.Any(k => k.BlindIndex.AsSpan().SequenceEqual(i.BlindIndex))).ToList();
            foreach (var index in fresh)
            {
                index.SubjectId = existing!.Id;
            }

            db.Identifiers.AddRange(fresh);
            var found = VaultApi.Entry(clock, caller, "subject.find", existing!.Pseudonym, null, "ok", fresh.Count > 0 ? $"{fresh.Count} identifiers added: {Identifiers.Describe(fresh.Select(f => f.Kind))}" : null);
            db.Journal.Add(found);
            await db.SaveChangesAsync(cancellationToken);
            return TypedResults.Ok(new SubjectFound(existing.Id, false, found.Id));
        }

        var now = clock.GetUtcNow();
        var subject = new Subject
        {
            Id = PublicRandom.Version7(now),
            Pseudonym = "",
            Category = body.Category,
            CreatedAt = now.UtcDateTime,
        };
        subject.Pseudonym = Identifiers.Pseudonym(keys.Masters, subject.Id);
        foreach (var index in indexes)
        {
            index.SubjectId = subject.Id;
        }

        // The key first: if the data write fails, an unused key is all that remains.
        await keys.CreateAsync(subject.Id, cancellationToken);
        db.Subjects.Add(subject);
        db.Identifiers.AddRange(indexes);
        var entry = VaultApi.Entry(clock, caller, "subject.create", subject.Pseudonym, null, "ok",
            indexes.Count > 0 ? $"identifiers: {Identifiers.Describe(indexes.Select(i => i.Kind))}" : null);
        db.Journal.Add(entry);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another request registered one of these identifiers at the same moment.
            await keys.ShredAsync(subject.Id, CancellationToken.None);
            return Problems.Of(ProblemTypes.ConcurrentWrite, "retry the request");
        }

        return TypedResults.Created($"/api/v1/subjects/{subject.Id}", new SubjectFound(subject.Id, true, entry.Id));
    }

    public static async Task<Results<Ok<SubjectFound>, ProblemHttpResult>> FindAsync(
        HttpRequest request, Caller caller, CharteDb db, SubjectKeys keys, JournalWriter journal, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, VaultJson.Default.FindSubject, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (!Identifiers.TryNormalise(body!.Kind, body.Value, out var normalised, out var error))
        {
            return Problems.Of(ProblemTypes.InvalidIdentifier, error);
        }

        var index = Identifiers.BlindIndex(keys.Masters, body.Kind, normalised);
        var subjectId = await db.Identifiers.Where(i => i.BlindIndex == index).Select(i => (Guid?)i.SubjectId).FirstOrDefaultAsync(cancellationToken);
        if (subjectId is null)
        {
            return Problems.SubjectNotFound();
        }

        var (subject, gone) = await VaultApi.SubjectAsync(db, subjectId.Value, cancellationToken);
        if (gone is not null)
        {
            return gone;
        }

        var id = await journal.AppendAsync(VaultApi.Entry(clock, caller, "subject.find", subject!.Pseudonym, null, "ok", "by " + body.Kind), cancellationToken);
        return TypedResults.Ok(new SubjectFound(subject.Id, false, id));
    }

    /// <summary>
    /// Erasure by crypto-shredding: the data key goes first, so that even if the rest fails every ciphertext is already
    /// noise; then blind indexes, records, documents, events and states go in one transaction. The subject row stays as
    /// a tombstone with its pseudonym, so that the journal's entries still name someone and the API answers 410.
    /// </summary>
    public static async Task<Results<Ok<Erased>, ProblemHttpResult>> EraseAsync(
        Guid id, Caller caller, CharteDb db, SubjectKeys keys, JournalWriter journal, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (subject, problem) = await VaultApi.SubjectAsync(db, id, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var purposes = await db.Records.Where(r => r.SubjectId == id).Select(r => r.Purpose)
            .Union(db.Documents.Where(d => d.SubjectId == id).Select(d => d.Purpose)).ToListAsync(cancellationToken);
        if (purposes.FirstOrDefault(p => !caller.Purposes.Contains(p)) is { } missing)
        {
            await journal.AppendAsync(VaultApi.Entry(clock, caller, "subject.erase", subject!.Pseudonym, missing, "refused:purpose-not-granted"), cancellationToken);
            return Problems.Of(ProblemTypes.PurposeNotGranted, $"the subject has data under '{missing}', which this application does not hold; only an application holding every purpose of the subject's data may erase it");
        }

        var (records, documents, entry) = await ShredAsync(db, keys, id, VaultApi.Entry(clock, caller, "subject.erase", subject!.Pseudonym, null, "ok"), clock, cancellationToken);
        return TypedResults.Ok(new Erased(id, true, records, documents, entry.Id));
    }

    /// <summary>
    /// Crypto-shredding: the data keys are destroyed first (so that nothing stays readable even if what follows fails),
    /// then blind indexes, data, events and statuses go in one transaction with one journal entry per subject; the
    /// subject rows stay as tombstones. Each entry's detail is completed with its subject's counts.
    /// </summary>
    internal static async Task<(int Records, int Documents, Journal.JournalEntry Entry)> ShredAsync(CharteDb db, SubjectKeys keys, Guid id, Journal.JournalEntry entry, TimeProvider clock, CancellationToken cancellationToken)
    {
        var counts = await ShredManyAsync(db, keys, new Dictionary<Guid, Journal.JournalEntry> { [id] = entry }, clock, cancellationToken);
        return (counts[id].Records, counts[id].Documents, entry);
    }

    internal static async Task<Dictionary<Guid, (int Records, int Documents)>> ShredManyAsync(CharteDb db, SubjectKeys keys, Dictionary<Guid, Journal.JournalEntry> entries, TimeProvider clock, CancellationToken cancellationToken)
    {
        var ids = entries.Keys.ToList();
        await keys.ShredManyAsync(ids, cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // A write of these subjects under way finishes first, and what it wrote is deleted below; one that comes later
        // finds the tombstones (VaultApi.WriteSubjectAsync). On SQLite the transaction's write lock does the same.
        if (await Sql.OpenAsync(db, cancellationToken) is Npgsql.NpgsqlConnection connection)
        {
            await using var command = Sql.Command(connection, "SELECT id FROM subjects WHERE id = ANY(@ids) FOR UPDATE", transaction.GetDbTransaction());
            command.Add("@ids", ids.ToArray());
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        var records = (await db.Records.Where(r => ids.Contains(r.SubjectId)).GroupBy(r => r.SubjectId).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken)).ToDictionary(g => g.Key, g => g.Count);
        var documents = (await db.Documents.Where(d => ids.Contains(d.SubjectId)).GroupBy(d => d.SubjectId).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken)).ToDictionary(g => g.Key, g => g.Count);
        await db.Records.Where(r => ids.Contains(r.SubjectId)).ExecuteDeleteAsync(cancellationToken);
        await db.Documents.Where(d => ids.Contains(d.SubjectId)).ExecuteDeleteAsync(cancellationToken);
        var counts = new Dictionary<Guid, (int, int)>();
        foreach (var (id, entry) in entries)
        {
            var (r, d) = (records.GetValueOrDefault(id), documents.GetValueOrDefault(id));
            entry.Detail = $"key destroyed; {r} records, {d} documents deleted" + (entry.Detail is null ? "" : "; " + entry.Detail);
            counts[id] = (r, d);
        }

        await TombstoneAsync(db, entries, clock, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return counts;
    }

    /// <summary>
    /// The last part of shredding, in the caller's transaction, for subjects whose data is already gone and whose keys
    /// were destroyed: blind indexes, events and statuses deleted, the subject row left as a tombstone, one journal
    /// entry per subject.
    /// </summary>
    internal static Task TombstoneAsync(CharteDb db, Dictionary<Guid, Journal.JournalEntry> entries, TimeProvider clock, CancellationToken cancellationToken) =>
        TombstoneAsync(db.Database.GetDbConnection(), db.Database.CurrentTransaction!.GetDbTransaction(), [], entries, clock, cancellationToken);

    /// <summary>
    /// <see cref="TombstoneAsync(CharteDb, Dictionary{Guid, Journal.JournalEntry}, TimeProvider, CancellationToken)"/> in
    /// plain SQL on the caller's connection, each statement bounded by the list's smallest and largest id
    /// (<see cref="Sql.BoundedIdIn"/>: a retention sweep's page of 500 subjects otherwise read the whole subjects table).
    /// The caller's own journal entries (<paramref name="before"/>) go in the same statement, before the tombstones'.
    /// </summary>
    internal static async Task TombstoneAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<Journal.JournalEntry> before, Dictionary<Guid, Journal.JournalEntry> entries, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return;
        }

        foreach (var (table, column) in new[] { ("subject_identifiers", "subject_id"), ("subject_events", "subject_id"), ("purpose_states", "subject_id"), ("subjects", "id") })
        {
            await using var command = Sql.Command(connection, "", transaction);
            var match = Sql.BoundedIdIn(command, column, "@ids", entries.Keys);
            if (table == "subjects")
            {
                command.CommandText = $"UPDATE subjects SET shredded_at = @now, category = NULL WHERE {match}";
                command.Add("@now", clock.GetUtcNow().UtcDateTime);
            }
            else
            {
                command.CommandText = $"DELETE FROM {table} WHERE {match}";
            }

            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await Journal.JournalWriter.InsertAsync(connection, transaction, [.. before, .. entries.Values], cancellationToken);
    }
}
