namespace Charte.Journal;

/// <summary>
/// The reason a person gives for an exceptional act (opening the intermediate archive, holding data past its retention):
/// what the DPO will show an auditor, so a sentence: <see cref="Min"/> to <see cref="Max"/> characters on one line. "x"
/// or "dispute" say nothing an auditor can check; a case number or an authority's request do.
/// </summary>
public static class Reasons
{
    public const int Min = 10;
    public const int Max = 500;

    /// <summary>How a reason must be given, for the messages that refuse one.</summary>
    public static readonly string Rule = $"{Min} to {Max} characters on one line (a case number, the authority's request…)";

    /// <summary>The reason trimmed, or null when it is too short, too long or spans lines.</summary>
    public static string? Accept(string? text) =>
        text?.Trim() is { Length: >= Min and <= Max } reason && !reason.Any(char.IsControl) ? reason : null;
}
