using Charte.Applications;
using Charte.Charters;
using Charte.Hosting;
using Charte.Journal;
using Charte.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Charte.Vault;

/// <summary>Lifecycle events, which start retention clocks, and what the person said about a purpose.</summary>
public static class EventsApi
{
    public static async Task<Results<Created<EventRecorded>, ProblemHttpResult>> PostAsync(
        Guid id, HttpRequest request, Caller caller, CharteDb db, JournalWriter journal, Charter charter, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, VaultJson.Default.PostEvent, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (charter.FindEvent(body!.Event) is null)
        {
            return Problems.Of(ProblemTypes.UnknownEvent, $"the charter has no event '{body.Event}'; it has {string.Join(", ", charter.Events.Select(e => e.Id))}");
        }

        var (subject, missing) = await VaultApi.SubjectAsync(db, id, cancellationToken);
        if (missing is not null)
        {
            return missing;
        }

        if (body.Purpose is { } purpose && RefusalOf(charter, caller, purpose) is { } refusal)
        {
            return await VaultApi.RefuseAsync(journal, clock, caller, "event.record", subject, purpose, null, refusal, cancellationToken);
        }

        var now = clock.GetUtcNow();
        if (body.At > now)
        {
            return Problems.Of(ProblemTypes.EventInFuture, "at is in the future: an event is a fact that has happened");
        }

        if (body.At < VaultApi.EarliestFact)
        {
            return Problems.Of(ProblemTypes.EventTooEarly, VaultApi.TooEarly("at"));
        }

        var at = body.At ?? now;
        return await VaultApi.WriteSubjectAsync(db, id, async () =>
        {
            var recorded = new SubjectEvent { SubjectId = id, Event = body.Event, Purpose = body.Purpose, OccurredAt = at.UtcDateTime, RecordedAt = now.UtcDateTime };
            db.Events.Add(recorded);
            var entry = VaultApi.Entry(clock, caller, "event.record", subject!.Pseudonym, body.Purpose, "ok", body.Event);
            db.Journal.Add(entry);
            await db.SaveChangesAsync(cancellationToken);
            return TypedResults.Created($"/api/v1/subjects/{id}/events/{recorded.Id}", new EventRecorded(recorded.Id, recorded.Event, recorded.Purpose, at, entry.Id));
        }, "another write of this subject happened at the same moment; retry the request", cancellationToken);
    }

    /// <summary>Why an event or a status change under <paramref name="purpose"/> is refused to the caller, if it is: the charter lacks the purpose, or the application does not hold it.</summary>
    internal static Refusal? RefusalOf(Charter charter, Caller caller, string purpose) =>
        charter.FindPurpose(purpose) is null ? Vault.Refusal.UnknownPurpose
        : caller.Purposes.Contains(purpose) ? null
        : Vault.Refusal.PurposeNotGranted;

    public static async Task<Results<Ok<PurposeStatusOutput>, ProblemHttpResult>> SetStatusAsync(
        Guid id, string purpose, HttpRequest request, Caller caller, CharteDb db, JournalWriter journal, Charter charter, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, VaultJson.Default.SetPurposeStatus, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var (subject, missing) = await VaultApi.SubjectAsync(db, id, cancellationToken);
        if (missing is not null)
        {
            return missing;
        }

        if (RefusalOf(charter, caller, purpose) is { } refusal)
        {
            return await VaultApi.RefuseAsync(journal, clock, caller, "purpose.status", subject, purpose, null, refusal, cancellationToken);
        }

        var declared = charter.FindPurpose(purpose)!;
        if (body!.Consent is not null && declared.LegalBasis != LegalBasis.Consent)
        {
            return Problems.Of(ProblemTypes.ConsentNotTheBasis, $"'{purpose}' does not rest on consent; its legal basis is {YamlNames.Of(declared.LegalBasis!.Value)}");
        }

        if (body!.Restricted is null && body.Objected is null && body.Consent is null)
        {
            return Problems.Of(ProblemTypes.NothingToChange, "send at least one of restricted, objected, consent");
        }

        // Two first changes of the same subject and purpose at once both find no state and both add one: the second
        // commit fails on the unique key, and is made again over the state the first one created.
        return await VaultApi.WriteSubjectAsync(db, id,
            async () => await ApplyStatusAsync(db, clock, caller, subject!, purpose, body, cancellationToken),
            "other changes of this purpose's status happened at the same moment; retry the request", cancellationToken);
    }

    private static async Task<Ok<PurposeStatusOutput>> ApplyStatusAsync(CharteDb db, TimeProvider clock, Caller caller, Subject subject, string purpose, SetPurposeStatus body, CancellationToken cancellationToken)
    {
        var id = subject.Id;
        var now = clock.GetUtcNow().UtcDateTime;
        var state = await db.PurposeStates.FirstOrDefaultAsync(p => p.SubjectId == id && p.Purpose == purpose, cancellationToken);
        if (state is null)
        {
            state = new PurposeState { SubjectId = id, Purpose = purpose };
            db.PurposeStates.Add(state);
        }

        var changes = new List<string>();
        if (body.Restricted is { } restricted)
        {
            state.Restricted = restricted;
            changes.Add(restricted ? "restricted" : "restriction lifted");
        }

        if (body.Objected is { } objected)
        {
            state.Objected = objected;
            changes.Add(objected ? "objection" : "objection withdrawn");
        }

        if (body.Consent is { } consent)
        {
            if (consent)
            {
                state.ConsentGivenAt = now;
                state.ConsentWithdrawnAt = null;
            }
            else
            {
                state.ConsentWithdrawnAt = now;
            }

            changes.Add(consent ? "consent given" : "consent withdrawn");
        }

        state.UpdatedAt = now;
        var entry = VaultApi.Entry(clock, caller, "purpose.status", subject.Pseudonym, purpose, "ok", string.Join("; ", changes));
        db.Journal.Add(entry);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new PurposeStatusOutput(purpose, state.Restricted, state.Objected, state.ConsentGiven, entry.Id));
    }
}
