using Charte.Charters;

namespace Charte.Retention;

/// <summary>How several events combine into one date.</summary>
public enum EventCombination
{
    /// <summary>A single event.</summary>
    Single,
    /// <summary>Whichever happens first ("until full payment or termination").</summary>
    FirstOf,
    /// <summary>Whichever happens last ("from the end of the contract or the last contact, whichever is later").</summary>
    LatestOf,
}

/// <summary>
/// The date a retention clock counts from, or stops at: one event, the first or latest of several,
/// optionally moved to the end of that event's calendar year (Europe/Paris).
/// </summary>
public sealed record RetentionAnchor(IReadOnlyList<Ref> Events, EventCombination Combination, bool EndOfCalendarYear, SourcePosition At);

/// <summary>
/// One retention rule of a purpose: which categories (and which people) it covers, how long data stays in active use,
/// how long in the intermediate archive, and what happens at the end.
/// <para>Either <see cref="From"/> with an <see cref="Active"/> period ("3 years from the last contact") or
/// <see cref="Until"/> ("until full payment").</para>
/// </summary>
public sealed record RetentionRule
{
    /// <summary>Categories covered (with their children); empty means every category of the purpose.</summary>
    public required IReadOnlyList<Ref> Categories { get; init; }
    /// <summary>Subject categories covered; empty means everyone.</summary>
    public required IReadOnlyList<Ref> For { get; init; }
    /// <summary>The rule applies only once this event has happened, and then overrides the unconditional rules.</summary>
    public Ref? When { get; init; }
    public Iso8601Period? Active { get; init; }
    public RetentionAnchor? From { get; init; }
    public RetentionAnchor? Until { get; init; }
    /// <summary>Intermediate archive after the active period (CNIL: "archivage intermédiaire").</summary>
    public Iso8601Period? Archive { get; init; }
    public EndAction? Then { get; init; }
    /// <summary>Why this period: the law or the reasoning, shown in the register.</summary>
    public string? Justification { get; init; }
    public required SourcePosition At { get; init; }
    public SourcePosition ActiveAt { get; init; }
}
