using System.Globalization;
using System.Text;

namespace Charte.Charters;

/// <summary>The outcome of loading a charter: the model when it has no error, and every finding either way.</summary>
public sealed record CharterLoadResult(Charter? Charter, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.Severity == Severity.Error);

    public IEnumerable<Diagnostic> Errors => Diagnostics.Where(d => d.Severity == Severity.Error);

    public IEnumerable<Diagnostic> Warnings => Diagnostics.Where(d => d.Severity == Severity.Warning);
}

/// <summary>
/// Loads a charter from its bytes: decodes, parses, reads and validates, and returns all findings at once.
/// Pure: the caller reads the file, and passes the clock for date-related warnings.
/// </summary>
public static class CharterLoader
{
    /// <summary>A charter is a few hundred kilobytes at most; anything far larger is a mistake or an attack.</summary>
    public const int MaxBytes = 2 * 1024 * 1024;

    public static CharterLoadResult Load(ReadOnlySpan<byte> bytes, string fileName, TimeProvider clock)
    {
        var diagnostics = new DiagnosticBag(fileName);
        var text = Decode(bytes, diagnostics);
        if (text is null)
        {
            return new CharterLoadResult(null, diagnostics.ToList());
        }

        var root = YamlTree.Read(text, diagnostics);
        if (root is null)
        {
            return new CharterLoadResult(null, diagnostics.ToList());
        }

        var charter = new CharterReader(diagnostics).Read(root);
        if (charter is not null)
        {
            CharterValidator.Validate(charter, diagnostics, clock);
        }

        return new CharterLoadResult(diagnostics.HasErrors ? null : charter, diagnostics.ToList());
    }

    public static CharterLoadResult Load(string text, string fileName, TimeProvider clock) =>
        Load(Encoding.UTF8.GetBytes(text), fileName, clock);

    /// <summary>Error for a file too large to be a charter, reported before reading it.</summary>
    /// <summary>The finding for a file over <see cref="MaxBytes"/>; <paramref name="atLeast"/> when reading stopped at the limit.</summary>
    public static Diagnostic TooLarge(string fileName, long length, bool atLeast = false) =>
        new(Severity.Error, "file-too-large", fileName, SourcePosition.Start,
            $"the file is {(atLeast ? "more than " : "")}{(length / 1024).ToString("N0", CultureInfo.InvariantCulture)} KiB; a charter is at most {MaxBytes / 1024 / 1024} MiB, so this is not a charter");

    private static string? Decode(ReadOnlySpan<byte> bytes, DiagnosticBag diagnostics)
    {
        if (bytes.Length > MaxBytes)
        {
            var tooLarge = TooLarge(diagnostics.File, bytes.Length);
            diagnostics.Error(tooLarge.Code, tooLarge.Position, tooLarge.Message);
            return null;
        }

        if (bytes.IsEmpty || bytes.Trim((byte)' ').Trim("\r\n\t"u8).IsEmpty)
        {
            diagnostics.Error("yaml-empty", SourcePosition.Start, "the charter is empty");
            return null;
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            bytes = bytes[3..];
        }

        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException invalid)
        {
            var at = PositionOfByte(bytes, invalid.Index);
            diagnostics.Error("file-not-text", at, "the file is not UTF-8 text (is it binary, or saved in another encoding?)");
            return null;
        }

        var nul = text.IndexOf('\0', StringComparison.Ordinal);
        if (nul >= 0)
        {
            diagnostics.Error("file-not-text", PositionOf(text, nul), "the file contains NUL bytes: it is binary, not a YAML charter");
            return null;
        }

        return text;
    }

    private static SourcePosition PositionOfByte(ReadOnlySpan<byte> bytes, int index)
    {
        index = Math.Clamp(index, 0, bytes.Length);
        var prefix = bytes[..index];
        var line = prefix.Count((byte)'\n') + 1;
        var lastNewline = prefix.LastIndexOf((byte)'\n');
        return new SourcePosition(line, index - lastNewline);
    }

    private static SourcePosition PositionOf(string text, int index)
    {
        var line = 1 + text.AsSpan(0, index).Count('\n');
        var lastNewline = text.LastIndexOf('\n', Math.Max(0, index - 1));
        return new SourcePosition(line, index - lastNewline);
    }
}
