namespace Charte.Retention;

public sealed class Iso8601PeriodTests
{
    [Theory]
    [InlineData("P3Y", 3, 0, 0, 0)]
    [InlineData("P6M", 0, 6, 0, 0)]
    [InlineData("P1Y6M", 1, 6, 0, 0)]
    [InlineData("P2W", 0, 0, 2, 0)]
    [InlineData("P30D", 0, 0, 0, 30)]
    [InlineData("P0D", 0, 0, 0, 0)]
    public void Parse_ReadsCalendarUnits(string text, int years, int months, int weeks, int days)
    {
        Assert.True(Iso8601Period.TryParse(text, out var period));
        Assert.Equal(new Iso8601Period(years, months, weeks, days), period);
        Assert.Equal(text, period.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("P")]
    [InlineData("3Y")]
    [InlineData("P3")]
    [InlineData("PT3H")]
    [InlineData("P-3Y")]
    [InlineData("P3Y ")]
    [InlineData("p3y")]
    [InlineData("P99999999999Y")]
    public void Parse_RefusesWhatIsNotACalendarPeriod(string text)
    {
        Assert.False(Iso8601Period.TryParse(text, out _));
    }

    [Theory]
    [InlineData("3 ans", "P3Y")]
    [InlineData("1 an", "P1Y")]
    [InlineData("6 mois", "P6M")]
    [InlineData("13 months", "P13M")]
    [InlineData("30 jours", "P30D")]
    [InlineData("bientôt", null)]
    public void Suggestion_TurnsPlainWordsIntoIso(string text, string? expected)
    {
        Assert.Equal(expected, Iso8601Period.SuggestFor(text));
    }

    [Theory]
    // End-of-month clamping: 31 January + 1 month is the last day of February.
    [InlineData("2025-01-31", "P1M", "2025-02-28")]
    [InlineData("2024-01-31", "P1M", "2024-02-29")]
    // 29 February + 1 year falls on 28 February.
    [InlineData("2024-02-29", "P1Y", "2025-02-28")]
    [InlineData("2024-02-29", "P4Y", "2028-02-29")]
    [InlineData("2024-03-31", "P1Y6M", "2025-09-30")]
    [InlineData("2024-12-31", "P1D", "2025-01-01")]
    public void AddTo_FollowsTheCalendar(string start, string period, string expected)
    {
        Assert.True(Iso8601Period.TryParse(period, out var p));
        Assert.Equal(DateOnly.Parse(expected, System.Globalization.CultureInfo.InvariantCulture),
            p.AddTo(DateOnly.Parse(start, System.Globalization.CultureInfo.InvariantCulture)));
    }
}
