using System.Globalization;
using System.Text.RegularExpressions;

namespace Charte.Retention;

/// <summary>
/// A calendar period written in ISO 8601 (<c>P3Y</c>, <c>P6M</c>, <c>P1Y6M</c>, <c>P30D</c>).
/// Retention is counted in calendar units, never in hours: a period added to a date stays on dates.
/// </summary>
public readonly partial record struct Iso8601Period(int Years, int Months, int Weeks, int Days)
{
    public static readonly Iso8601Period Zero = new(0, 0, 0, 0);

    public bool IsZero => Years == 0 && Months == 0 && Weeks == 0 && Days == 0;

    /// <summary>Adds the period to a date, years then months then days; the 31st clamps to a short month's end.</summary>
    public DateOnly AddTo(DateOnly date) => date.AddYears(Years).AddMonths(Months).AddDays((Weeks * 7) + Days);

    /// <summary>Roughly, in days, to compare periods (a year counts 365.25 days, a month 30.44).</summary>
    public double ApproximateDays => (Years * 365.25) + (Months * 30.44) + (Weeks * 7) + Days;

    public static bool TryParse(string text, out Iso8601Period period)
    {
        period = Zero;
        var match = Pattern().Match(text);
        if (!match.Success || match.Length == 1)
        {
            return false;
        }

        static int Part(Group g) => g.Success ? int.Parse(g.Value, NumberStyles.None, CultureInfo.InvariantCulture) : 0;
        try
        {
            period = new Iso8601Period(Part(match.Groups["y"]), Part(match.Groups["m"]), Part(match.Groups["w"]), Part(match.Groups["d"]));
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether the text is an ISO 8601 period of years, months, weeks and days that <see cref="TryParse"/> refused only
    /// for its size (P99999Y; see <see cref="Bounds"/>).
    /// </summary>
    public static bool TooLong(string text) => !TryParse(text, out _) && Unbounded().IsMatch(text) && text.Length > 1;

    /// <summary>When someone writes "3 ans" or "6 months", the ISO 8601 form they meant.</summary>
    public static string? SuggestFor(string text)
    {
        var match = PlainWords().Match(text.Trim());
        if (!match.Success)
        {
            return null;
        }

        var unit = match.Groups["unit"].Value.ToLowerInvariant();
        var letter = unit[0] switch
        {
            'a' or 'y' => "Y",
            'm' => "M",
            's' or 'w' => "W",
            _ => "D",
        };
        return "P" + match.Groups["n"].Value + letter;
    }

    public override string ToString()
    {
        if (IsZero)
        {
            return "P0D";
        }

        var builder = new System.Text.StringBuilder("P");
        if (Years > 0) builder.Append(CultureInfo.InvariantCulture, $"{Years}Y");
        if (Months > 0) builder.Append(CultureInfo.InvariantCulture, $"{Months}M");
        if (Weeks > 0) builder.Append(CultureInfo.InvariantCulture, $"{Weeks}W");
        if (Days > 0) builder.Append(CultureInfo.InvariantCulture, $"{Days}D");
        return builder.ToString();
    }

    /// <summary>The largest periods <see cref="Pattern"/> takes, in words (kept beside it: the two say the same bounds).</summary>
    public const string Bounds = "at most 9999 years (P9999Y), 99999 months or weeks, 999999 days";

    [GeneratedRegex(@"^P(?:(?<y>\d{1,4})Y)?(?:(?<m>\d{1,5})M)?(?:(?<w>\d{1,5})W)?(?:(?<d>\d{1,6})D)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    [GeneratedRegex(@"^P(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Unbounded();

    [GeneratedRegex(@"^(?<n>\d{1,4})\s*(?<unit>ans?|années?|years?|y|mois|months?|semaines?|weeks?|jours?|days?|d)$",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex PlainWords();
}
