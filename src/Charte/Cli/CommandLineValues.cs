using System.CommandLine.Parsing;
using System.Globalization;
using System.Text;

namespace Charte.Cli;

/// <summary>
/// Parsers for typed command-line values whose errors say what was expected in words: System.CommandLine's own say
/// "as expected type 'System.Nullable`1[System.Guid]'".
/// </summary>
internal static class CommandLineValues
{
    /// <summary>A whole number within bounds.</summary>
    public static int WholeNumber(ArgumentResult result, string name, int min, int max)
    {
        var text = Text(result);
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} '{Shown(text)}' must be a whole number from {min:N0} to {max:N0}"));
        return min;
    }

    /// <summary>A count of one or more, as large as a ledger grows (a tree size).</summary>
    public static long? Count(ArgumentResult result, string name, string what)
    {
        var text = Text(result);
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0)
        {
            return value;
        }

        result.AddError($"{name} '{Shown(text)}' is not {what} (a whole number, 1 or more)");
        return null;
    }

    /// <summary>A UUID (the ids of subjects, holds…).</summary>
    public static Guid? Id(ArgumentResult result, string name, string what)
    {
        var text = Text(result);
        if (Guid.TryParse(text, out var id))
        {
            return id;
        }

        result.AddError($"{name} '{Shown(text)}' is not {what} (a UUID such as 0190d2d6-0000-7000-8000-000000000000)");
        return null;
    }

    /// <summary>
    /// A value the operator typed, as an error message repeats it: on one line (a control character shows as its
    /// escape, <c>\n</c> or <c>\u001B</c>), and cut after 40 characters, so that a pasted file or a terminal escape
    /// sequence is not printed back whole.
    /// </summary>
    public static string Shown(string text)
    {
        const int Longest = 40;
        var shown = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (shown.Length >= Longest)
            {
                return shown.Append('…').ToString();
            }

            shown.Append(rune.Value switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when Rune.IsControl(rune) || rune.Value is 0x2028 or 0x2029 => $"\\u{rune.Value:X4}",
                _ => rune.ToString(),
            });
        }

        return shown.ToString();
    }

    private static string Text(ArgumentResult result) => result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
}
