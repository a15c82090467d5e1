namespace Charte;

/// <summary>Legal dates are French dates: computed in Europe/Paris, stored as UTC instants.</summary>
public static class LegalTime
{
    public static TimeZoneInfo Paris { get; } = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

    /// <summary>Today's date in Paris, by the given clock.</summary>
    public static DateOnly Today(TimeProvider clock) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), Paris).DateTime);
}
