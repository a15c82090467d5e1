namespace Charte.Charters;

/// <summary>A 1-based position in a charter file.</summary>
public readonly record struct SourcePosition(int Line, int Column)
{
    public static readonly SourcePosition Start = new(1, 1);

    public override string ToString() => $"{Line}:{Column}";
}

public enum Severity
{
    Error,
    Warning,
}

/// <summary>
/// One finding about a charter. <see cref="Code"/> is stable: tests, editors and scripts may rely on it.
/// Printed as <c>FILE:LINE:COL: severity[code]: message</c>.
/// </summary>
public sealed record Diagnostic(Severity Severity, string Code, string File, SourcePosition Position, string Message)
{
    public override string ToString() =>
        $"{File}:{Position.Line}:{Position.Column}: {(Severity == Severity.Error ? "error" : "warning")}[{Code}]: {Message}";
}

/// <summary>Collects findings for one file, in the order they were found; sorted by position on read.</summary>
public sealed class DiagnosticBag(string file)
{
    private readonly List<Diagnostic> _items = [];

    public string File { get; } = file;

    public bool HasErrors => _items.Exists(d => d.Severity == Severity.Error);

    public void Error(string code, SourcePosition at, string message) =>
        _items.Add(new Diagnostic(Severity.Error, code, File, at, message));

    public void Warning(string code, SourcePosition at, string message) =>
        _items.Add(new Diagnostic(Severity.Warning, code, File, at, message));

    public IReadOnlyList<Diagnostic> ToList() =>
        [.. _items.OrderBy(d => d.Position.Line).ThenBy(d => d.Position.Column).ThenBy(d => d.Severity)];
}
