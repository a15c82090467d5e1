namespace Charte.Journal;

/// <summary>
/// One operation on personal data: who, what, on whose pseudonym, for which purpose, with what outcome, when.
/// Append-only; never holds personal data in clear. The ledger turns these entries into Merkle leaves.
/// </summary>
public sealed class JournalEntry
{
    public long Id { get; set; }
    public DateTime At { get; set; }

    /// <summary><c>app:NAME</c> for an application, <c>cli</c> for the command line, <c>system</c> for the server's own jobs.</summary>
    public required string Actor { get; set; }

    /// <summary>A stable action name: <c>subject.create</c>, <c>record.write</c>, <c>record.read</c>, <c>document.read</c>…</summary>
    public required string Action { get; set; }

    public string? Subject { get; set; }
    public string? Purpose { get; set; }

    /// <summary><c>ok</c>, <c>refused:RULE</c> or <c>failed:REASON</c>.</summary>
    public required string Outcome { get; set; }

    /// <summary>Counts and category ids only: "3 records: contact.email, identity.name".</summary>
    public string? Detail { get; set; }
}
