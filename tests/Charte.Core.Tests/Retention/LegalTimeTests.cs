namespace Charte.Retention;

/// <summary>Paris dates from the kept offsets agree with <see cref="TimeZoneInfo"/>, the first time and every time after.</summary>
public sealed class LegalTimeTests
{
    private static DateOnly Reference(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, LegalTime.Paris).DateTime);

    private static DateTimeOffset ReferenceStart(DateOnly date)
    {
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, LegalTime.Paris.GetUtcOffset(local));
    }

    public static TheoryData<string> Periods => new()
    {
        "2024-01-01T00:00:00Z",   // two years of every quarter hour, four daylight-saving changes
        "1911-03-01T00:00:00Z",   // Paris mean time (+00:09:21) until 11 March 1911, then GMT
        "1940-06-01T00:00:00Z",   // the occupation's changes of offset
        "1976-01-01T00:00:00Z",   // summer time back in France
    };

    [Theory]
    [MemberData(nameof(Periods))]
    public void Dates_and_midnights_match_the_time_zone_database(string start)
    {
        var from = DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture);
        for (var pass = 0; pass < 2; pass++)
        {
            for (var instant = from; instant < from.AddYears(2); instant = instant.AddMinutes(15))
            {
                Assert.Equal(Reference(instant), LegalTime.Date(instant));
                Assert.Equal(Reference(instant.AddTicks(-1)), LegalTime.Date(instant.AddTicks(-1)));
            }

            for (var day = DateOnly.FromDateTime(from.UtcDateTime); day < DateOnly.FromDateTime(from.UtcDateTime).AddYears(2); day = day.AddDays(1))
            {
                Assert.Equal(ReferenceStart(day), LegalTime.StartOfDay(day));
                Assert.Equal(ReferenceStart(day).Offset, LegalTime.StartOfDay(day).Offset);
            }
        }
    }

    [Fact]
    public void The_ends_of_the_calendar_have_a_date()
    {
        Assert.Equal(Reference(DateTimeOffset.MinValue), LegalTime.Date(DateTimeOffset.MinValue));
        Assert.Equal(Reference(DateTimeOffset.MaxValue), LegalTime.Date(DateTimeOffset.MaxValue));
    }

    [Fact]
    public void Daylight_saving_changes_fall_on_the_right_day()
    {
        // 2026-03-29 02:00 Paris becomes 03:00 (01:00 UTC); 2026-10-25 03:00 becomes 02:00 (01:00 UTC).
        Assert.Equal(new DateOnly(2026, 3, 28), LegalTime.Date(new DateTimeOffset(2026, 3, 28, 22, 59, 59, TimeSpan.Zero)));
        Assert.Equal(new DateOnly(2026, 3, 29), LegalTime.Date(new DateTimeOffset(2026, 3, 28, 23, 0, 0, TimeSpan.Zero)));
        Assert.Equal(new DateOnly(2026, 10, 25), LegalTime.Date(new DateTimeOffset(2026, 10, 24, 22, 0, 0, TimeSpan.Zero)));
        Assert.Equal(new DateOnly(2026, 10, 24), LegalTime.Date(new DateTimeOffset(2026, 10, 24, 21, 59, 59, TimeSpan.Zero)));
        Assert.Equal(TimeSpan.FromHours(1), LegalTime.StartOfDay(new DateOnly(2026, 3, 29)).Offset);
        Assert.Equal(TimeSpan.FromHours(2), LegalTime.StartOfDay(new DateOnly(2026, 3, 30)).Offset);
        Assert.Equal(TimeSpan.FromHours(2), LegalTime.StartOfDay(new DateOnly(2026, 10, 25)).Offset);
        Assert.Equal(TimeSpan.FromHours(1), LegalTime.StartOfDay(new DateOnly(2026, 10, 26)).Offset);
    }
}
