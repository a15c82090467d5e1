namespace Charte;

/// <summary>Legal dates are French dates: computed in Europe/Paris, stored as UTC instants.</summary>
public static class LegalTime
{
    public static TimeZoneInfo Paris { get; } = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

    /// <summary>Today's date in Paris, by the given clock.</summary>
    public static DateOnly Today(TimeProvider clock) => Date(clock.GetUtcNow());

    /// <summary>The Paris calendar day of an instant.</summary>
    public static DateOnly Date(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Paris).DateTime);

    /// <summary>The instant a Paris day starts (00:00 local, +01:00 in winter, +02:00 in summer).</summary>
    public static DateTimeOffset StartOfDay(DateOnly date)
    {
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, Paris.GetUtcOffset(local));
    }
}
