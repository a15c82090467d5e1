namespace Charte;

/// <summary>Legal dates are French dates: computed in Europe/Paris, stored as UTC instants.</summary>
/// <remarks>
/// The retention clock asks for Paris dates on every record of a sweep, and <see cref="TimeZoneInfo"/> looks up its
/// adjustment rules on every call. Offsets found are therefore kept in two small tables: Paris's offset for a UTC
/// hour (kept only when the hour has one offset from its start to its end, which every change of Paris's offset
/// respects: they happen on the hour) and the offset of a Paris midnight. Each slot is one 64-bit word (key and
/// offset), written whole, so concurrent callers see an entry or none, never half of one.
/// </remarks>
public static class LegalTime
{
    public static TimeZoneInfo Paris { get; } = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

    private const int Slots = 4096;
    private const int OffsetBits = 20;
    private const long OffsetBias = 1 << 19;
    private static readonly long[] HourOffsets = new long[Slots];
    private static readonly long[] MidnightOffsets = new long[Slots];

    /// <summary>
    /// The earliest date Charte accepts for a fact (an event, a collection) or a retention date. Retention periods run to
    /// decades, not centuries: a date before it is a mistake (often a client's default value, 0001-01-01), and taken at
    /// its word it would make everything counted from it due at once.
    /// </summary>
    public static DateOnly EarliestDate { get; } = new(1900, 1, 1);

    /// <summary>Today's date in Paris, by the given clock.</summary>
    public static DateOnly Today(TimeProvider clock) => Date(clock.GetUtcNow());

    /// <summary>The Paris calendar day of an instant.</summary>
    public static DateOnly Date(DateTimeOffset instant)
    {
        var utc = instant.UtcTicks;
        if (utc < TimeSpan.TicksPerDay || utc > DateTime.MaxValue.Ticks - TimeSpan.TicksPerDay)
        {
            return DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Paris).DateTime);
        }

        var hour = utc / TimeSpan.TicksPerHour;
        var offset = Cached(HourOffsets, hour, static hour =>
        {
            var start = new DateTime(hour * TimeSpan.TicksPerHour, DateTimeKind.Utc);
            var offset = Paris.GetUtcOffset(start);
            return offset == Paris.GetUtcOffset(start.AddTicks(TimeSpan.TicksPerHour - 1)) ? offset : null;
        });
        return offset is { } known
            ? DateOnly.FromDateTime(new DateTime(utc + known.Ticks))
            : DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Paris).DateTime);
    }

    /// <summary>The instant a Paris day starts (00:00 local, +01:00 in winter, +02:00 in summer).</summary>
    public static DateTimeOffset StartOfDay(DateOnly date)
    {
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        var offset = Cached(MidnightOffsets, date.DayNumber, static day => Paris.GetUtcOffset(DateOnly.FromDayNumber((int)day).ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified)));
        return new DateTimeOffset(local, offset!.Value);
    }

    /// <summary>The offset for a key from its table's slot, or computed (and kept when there is one to keep).</summary>
    private static TimeSpan? Cached(long[] table, long key, Func<long, TimeSpan?> compute)
    {
        ref var slot = ref table[(int)(key & (Slots - 1))];
        var entry = Volatile.Read(ref slot);
        if (entry >> OffsetBits == key + 1)
        {
            return TimeSpan.FromMinutes((entry & ((1L << OffsetBits) - 1)) - OffsetBias);
        }

        var offset = compute(key);
        if (offset is { } found && found.Ticks % TimeSpan.TicksPerMinute == 0)
        {
            Volatile.Write(ref slot, ((key + 1) << OffsetBits) | ((long)found.TotalMinutes + OffsetBias));
        }

        return offset;
    }
}
