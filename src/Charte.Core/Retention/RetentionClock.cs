using Charte.Charters;

namespace Charte.Retention;

/// <summary>Where a record stands in its retention: in use, in the intermediate archive, or due for its end action.</summary>
public enum RetentionPhase
{
    Active,
    Archived,
    Due,
}

/// <summary>What happens at the next transition.</summary>
public enum RetentionStep
{
    Archive,
    Delete,
    Anonymise,
    KeepAnonymousStats,
}

/// <summary>A record as the clock sees it: no value, only where it belongs and when it was collected.</summary>
public sealed record RecordFacts(string Purpose, string Category, string? SubjectCategory, DateTimeOffset CollectedAt);

/// <summary>A dated lifecycle event of the subject, for one purpose or (null) for the person as a whole.</summary>
public sealed record EventFact(string Event, string? Purpose, DateTimeOffset At);

/// <summary>
/// The clock's verdict on one record: its phase now, the next transition (null while the clock waits for an event
/// that has not happened), what that transition does, and the rule that decides it. A null rule means the charter has
/// no rule for this record, which the plan reports rather than guessing.
/// </summary>
public sealed record RetentionDecision(RetentionPhase Phase, DateTimeOffset? Next, RetentionStep Step, RetentionRule? Rule, string? WaitingFor)
{
    public static RetentionDecision NoRule { get; } = new(RetentionPhase.Active, null, RetentionStep.Delete, null, null);
}

/// <summary>
/// The retention clock: for a record, its subject's events and an instant, which rule of the charter applies and where
/// the record stands. Pure: the instant is given, the calendar is Europe/Paris.
/// <list type="bullet">
/// <item>Periods are added to Paris calendar dates (years, then months, then days; the 31st clamps to a short month's
/// end, 29 February to the 28th) and a transition happens at 00:00 Paris time on the resulting date, whatever the
/// daylight-saving offset that day.</item>
/// <item><c>from: X</c> counts from the day of X's latest occurrence; <c>end_of_year_of</c> from 1 January of the
/// following year (the end of X's calendar year); <c>first_of</c> from the earliest, once one has happened;
/// <c>latest_of</c> from the latest, once all have happened.</item>
/// <item><c>until: X</c> ends active use at the instant X happens.</item>
/// <item>A rule with <c>when: X</c> overrides the others once X has happened; among the rest, a rule naming categories
/// or subject categories wins over one that names none.</item>
/// </list>
/// </summary>
public static class RetentionClock
{
    public static RetentionDecision Decide(Charter charter, RecordFacts record, IReadOnlyList<EventFact> events, DateTimeOffset asOf)
    {
        var purpose = charter.FindPurpose(record.Purpose);
        if (purpose is null)
        {
            return RetentionDecision.NoRule;
        }

        var facts = new Facts(record, events);
        var rule = Choose(purpose.Retention, record, facts);
        return rule is null ? RetentionDecision.NoRule : Evaluate(rule, facts, asOf);
    }

    /// <summary>The rule of <paramref name="rules"/> that governs the record, or null when none covers it.</summary>
    public static RetentionRule? Choose(IReadOnlyList<RetentionRule> rules, RecordFacts record, IReadOnlyList<EventFact> events) =>
        Choose(rules, record, new Facts(record, events));

    private static RetentionRule? Choose(IReadOnlyList<RetentionRule> rules, RecordFacts record, Facts facts)
    {
        var covering = Covering.GetValue(rules, _ => new()).GetOrAdd((record.Category, record.SubjectCategory), key => [.. rules.Where(r => Covers(r, key.Category, key.Subject))]);
        RetentionRule? best = null;
        var bestRank = -1;
        foreach (var rule in covering)
        {
            if (rule.When is { } when)
            {
                if (facts.Latest(when.Id) is not null)
                {
                    return rule;
                }

                continue;
            }

            var rank = (rule.Categories.Count > 0 ? 2 : 0) + (rule.For.Count > 0 ? 1 : 0);
            if (rank > bestRank)
            {
                (best, bestRank) = (rule, rank);
            }
        }

        return best;
    }

    /// <summary>
    /// What the clock knows of a record's events: the subject's events for the record's purpose or for the person as a
    /// whole, and the record's own collection. Read in place: the clock runs on every record of a sweep.
    /// </summary>
    private readonly struct Facts(RecordFacts record, IReadOnlyList<EventFact> events)
    {
        /// <summary>The latest occurrence of an event, or null when it has not happened.</summary>
        public DateTimeOffset? Latest(string id)
        {
            DateTimeOffset? latest = id == BuiltInEvents.Collected ? record.CollectedAt : null;
            for (var i = 0; i < events.Count; i++)
            {
                var fact = events[i];
                if (fact.Event == id && (fact.Purpose is null || fact.Purpose == record.Purpose) && (latest is null || fact.At > latest))
                {
                    latest = fact.At;
                }
            }

            return latest;
        }
    }

    /// <summary>The rules of a purpose that cover a (category, subject category): the same for every record that has them.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IReadOnlyList<RetentionRule>, System.Collections.Concurrent.ConcurrentDictionary<(string Category, string? Subject), List<RetentionRule>>> Covering = [];

    private static bool Covers(RetentionRule rule, string category, string? subjectCategory) =>
        (rule.Categories.Count == 0 || rule.Categories.Any(c => category == c.Id || category.StartsWith(c.Id + ".", StringComparison.Ordinal)))
        && (rule.For.Count == 0 || (subjectCategory is { } subject && rule.For.Any(f => f.Id == subject)));

    private static RetentionDecision Evaluate(RetentionRule rule, Facts events, DateTimeOffset asOf)
    {
        var end = EndStep(rule.Then);
        DateTimeOffset? activeEnd;
        string? waiting;
        if (rule.Until is { } until)
        {
            (activeEnd, waiting) = Anchor(until, events);
        }
        else if (rule.From is { } from && rule.Active is { } active)
        {
            var (anchor, missing) = Anchor(from, events);
            activeEnd = anchor is null ? null : LegalTime.StartOfDay(active.AddTo(LegalTime.Date(anchor.Value)));
            waiting = missing;
        }
        else
        {
            return new RetentionDecision(RetentionPhase.Active, null, end, rule, null);
        }

        var afterActive = rule.Archive is null ? end : RetentionStep.Archive;
        if (activeEnd is null)
        {
            return new RetentionDecision(RetentionPhase.Active, null, afterActive, rule, waiting);
        }

        if (asOf < activeEnd)
        {
            return new RetentionDecision(RetentionPhase.Active, activeEnd, afterActive, rule, null);
        }

        if (rule.Archive is { } archive)
        {
            var archiveEnd = LegalTime.StartOfDay(archive.AddTo(LegalTime.Date(activeEnd.Value)));
            if (asOf < archiveEnd)
            {
                return new RetentionDecision(RetentionPhase.Archived, archiveEnd, end, rule, null);
            }

            return new RetentionDecision(RetentionPhase.Due, archiveEnd, end, rule, null);
        }

        return new RetentionDecision(RetentionPhase.Due, activeEnd, end, rule, null);
    }

    private static RetentionStep EndStep(EndAction? then) => then switch
    {
        EndAction.Anonymise => RetentionStep.Anonymise,
        EndAction.KeepAnonymousStats => RetentionStep.KeepAnonymousStats,
        _ => RetentionStep.Delete,
    };

    /// <summary>The instant an anchor designates, or null with the events it still waits for.</summary>
    private static (DateTimeOffset? At, string? Waiting) Anchor(RetentionAnchor anchor, Facts events)
    {
        DateTimeOffset? at = null;
        var all = true;
        foreach (var reference in anchor.Events)
        {
            if (events.Latest(reference.Id) is not { } happened)
            {
                all = false;
                continue;
            }

            at = anchor.Combination switch
            {
                EventCombination.FirstOf => at is null || happened < at ? happened : at,
                EventCombination.LatestOf => at is null || happened > at ? happened : at,
                _ => at ?? happened,
            };
        }

        if (at is null || (anchor.Combination == EventCombination.LatestOf && !all))
        {
            return (null, string.Join(", ", anchor.Events.Where(e => events.Latest(e.Id) is null).Select(e => e.Id)));
        }

        if (anchor.EndOfCalendarYear)
        {
            return (LegalTime.StartOfDay(new DateOnly(LegalTime.Date(at.Value).Year + 1, 1, 1)), null);
        }

        return (at, null);
    }
}
