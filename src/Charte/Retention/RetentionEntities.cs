namespace Charte.Retention;

/// <summary>
/// A legal hold: while it stands, the end actions of retention (delete, anonymise, shred) are suspended for the data it
/// covers — one subject, one purpose, one category (with its children), or a combination. Archiving still happens.
/// </summary>
public sealed class LegalHold
{
    public Guid Id { get; set; }
    public Guid? SubjectId { get; set; }
    public string? Purpose { get; set; }
    public string? Category { get; set; }
    public required string Reason { get; set; }

    /// <summary>The hold ends by itself at this instant, if given.</summary>
    public DateTime? Until { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime? ReleasedAt { get; set; }

    public bool ActiveAt(DateTimeOffset instant) => ReleasedAt is null && (Until is null || instant < new DateTimeOffset(DateTime.SpecifyKind(Until.Value, DateTimeKind.Utc)));

    public bool Covers(Guid subject, string purpose, string category) =>
        (SubjectId is null || SubjectId == subject)
        && (Purpose is null || Purpose == purpose)
        && (Category is null || category == Category || category.StartsWith(Category + ".", StringComparison.Ordinal));

    /// <summary>What the hold covers, for the DPO: "subject 0190…, purpose reviews".</summary>
    public string Scope => Describe($"subject {SubjectId}");

    /// <summary>What the hold covers, for the ledger, whose entry names the subject by its pseudonym, not by its id.</summary>
    public string LedgerScope => Describe("subject");

    private string Describe(string subject) => string.Join(", ", new[]
    {
        SubjectId is null ? null : subject,
        Purpose is { } p ? $"purpose {p}" : null,
        Category is { } c ? $"category {c}" : null,
    }.Where(x => x is not null));
}

/// <summary>What anonymisation keeps of a record: a value that no longer designates anyone, unlinked from its subject.</summary>
public sealed class AnonymousRecord
{
    public Guid Id { get; set; }
    public required string Purpose { get; set; }
    public required string Category { get; set; }

    /// <summary>The generalised value (JSON), or null when only the count is kept (<c>keep_anonymous_stats</c>).</summary>
    public string? Value { get; set; }

    /// <summary>The year the original was collected: enough for statistics, too coarse to single anyone out.</summary>
    public int CollectedYear { get; set; }

    public DateTime CreatedAt { get; set; }
}
