using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Charte.Journal;

namespace Charte.Ledger;

/// <summary>
/// The canonical bytes of a journal entry, the input of its Merkle leaf: compact JSON with the fields in this fixed
/// order, the time in UTC to the microsecond (what both stores keep), absent values as null. The entry carries no
/// personal data in clear (subject pseudonyms, category ids, counts), so erasing a person leaves every proof valid.
/// </summary>
public static class LedgerEntry
{
    public const int Version = 1;

    public static byte[] Canonical(JournalEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(entry, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The leaf hash of an entry, H(0x00 ‖ canonical bytes), without keeping the bytes.</summary>
    public static byte[] LeafHash(JournalEntry entry, ArrayBufferWriter<byte> scratch) => SHA256.HashData(WriteLeafInput(entry, scratch));

    /// <summary>0x00 ‖ the canonical bytes, the input of the entry's leaf hash, over <paramref name="scratch"/>.</summary>
    public static ReadOnlySpan<byte> WriteLeafInput(JournalEntry entry, ArrayBufferWriter<byte> scratch)
    {
        scratch.ResetWrittenCount();
        scratch.GetSpan(1)[0] = 0x00;
        scratch.Advance(1);
        WriteJson(entry, scratch);
        return scratch.WrittenSpan;
    }

    /// <summary>The canonical bytes of an entry, written over <paramref name="scratch"/> (valid until its next use).</summary>
    public static ReadOnlySpan<byte> Write(JournalEntry entry, ArrayBufferWriter<byte> scratch)
    {
        scratch.ResetWrittenCount();
        WriteJson(entry, scratch);
        return scratch.WrittenSpan;
    }

    /// <summary>
    /// The canonical bytes straight from a row's UTF-8 columns and SQLite's text form of the time
    /// (<c>yyyy-MM-dd HH:mm:ss[.fffffff]</c>), byte for byte what <see cref="Write(JournalEntry, ArrayBufferWriter{byte})"/>
    /// gives. Returns the length written; 0 when the row is not of the usual shape (a character JSON escapes, another
    /// time format: use the general path); -1 when <paramref name="destination"/> is too small.
    /// </summary>
    public static int TryWrite(Span<byte> destination, long id, ReadOnlySpan<byte> at, Utf8Field actor, Utf8Field action, Utf8Field subject, Utf8Field purpose, Utf8Field outcome, Utf8Field detail)
    {
        Span<byte> time = stackalloc byte[TimeLength];
        var clock = new SpanWriter(time);
        return SqliteTime(at, ref clock) ? TryWriteAt(destination, id, time, actor, action, subject, purpose, outcome, detail) : 0;
    }

    /// <summary>The length of the canonical time, <c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c>.</summary>
    public const int TimeLength = 27;

    /// <summary>The canonical time of a UTC time (to the microsecond, as both stores keep it) into <paramref name="destination"/>.</summary>
    public static void WriteTime(DateTime at, Span<byte> destination)
    {
        at.Deconstruct(out int year, out int month, out int day);
        var time = at.TimeOfDay.Ticks;
        Digits(destination[..4], year);
        destination[4] = (byte)'-';
        Digits(destination.Slice(5, 2), month);
        destination[7] = (byte)'-';
        Digits(destination.Slice(8, 2), day);
        destination[10] = (byte)'T';
        Digits(destination.Slice(11, 2), time / TimeSpan.TicksPerHour);
        destination[13] = (byte)':';
        Digits(destination.Slice(14, 2), time / TimeSpan.TicksPerMinute % 60);
        destination[16] = (byte)':';
        WriteSeconds(at, destination);
    }

    /// <summary>
    /// The seconds and their fraction of the canonical time of <paramref name="at"/>, into a <paramref name="destination"/>
    /// that already holds the canonical time of a moment of the same minute (journal entries come a minute at a time).
    /// </summary>
    public static void WriteSeconds(DateTime at, Span<byte> destination)
    {
        var time = at.Ticks % TimeSpan.TicksPerMinute;
        Digits(destination.Slice(17, 2), time / TimeSpan.TicksPerSecond);
        destination[19] = (byte)'.';
        Digits(destination.Slice(20, 6), time / TimeSpan.TicksPerMicrosecond % 1_000_000);
        destination[26] = (byte)'Z';
    }

    /// <summary>The decimal digits of <paramref name="value"/>, zero-padded to the length of <paramref name="destination"/>.</summary>
    private static void Digits(Span<byte> destination, long value)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }

    /// <summary>As <see cref="TryWrite"/>, with the time already in canonical form (<see cref="WriteTime"/>).</summary>
    public static int TryWriteAt(Span<byte> destination, long id, ReadOnlySpan<byte> canonicalTime, Utf8Field actor, Utf8Field action, Utf8Field subject, Utf8Field purpose, Utf8Field outcome, Utf8Field detail)
    {
        var output = new SpanWriter(destination);
        output.Raw("{\"v\":"u8);
        output.Number(Version);
        output.Raw(",\"id\":"u8);
        output.Number(id);
        output.Raw(",\"at\":\""u8);
        output.Raw(canonicalTime);
        output.Raw("\",\"actor\":"u8);
        var plain = output.String(actor);
        output.Raw(",\"action\":"u8);
        plain &= output.String(action);
        output.Raw(",\"subject\":"u8);
        plain &= output.String(subject);
        output.Raw(",\"purpose\":"u8);
        plain &= output.String(purpose);
        output.Raw(",\"outcome\":"u8);
        plain &= output.String(outcome);
        output.Raw(",\"detail\":"u8);
        plain &= output.String(detail);
        output.Raw("}"u8);
        return !plain ? 0 : output.Overflow ? -1 : output.Length;
    }

    /// <summary>"yyyy-MM-dd HH:mm:ss" and up to seven digits of fraction, as "yyyy-MM-ddTHH:mm:ss.ffffffZ".</summary>
    private static bool SqliteTime(ReadOnlySpan<byte> at, ref SpanWriter output)
    {
        if (at.Length < 19 || at[10] != (byte)' ' || at[4] != (byte)'-' || at[7] != (byte)'-' || at[13] != (byte)':' || at[16] != (byte)':')
        {
            return false;
        }

        foreach (var i in (ReadOnlySpan<int>)[0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18])
        {
            if (!char.IsAsciiDigit((char)at[i]))
            {
                return false;
            }
        }

        var fraction = at[19..];
        if (fraction.Length > 0 && (fraction[0] != (byte)'.' || fraction.Length > 8 || fraction.Length < 2))
        {
            return false;
        }

        output.Raw(at[..10]);
        output.Raw("T"u8);
        output.Raw(at[11..19]);
        output.Raw("."u8);
        for (var i = 1; i <= 6; i++)
        {
            if (i < fraction.Length && !char.IsAsciiDigit((char)fraction[i]))
            {
                return false;
            }

            output.Raw(i < fraction.Length ? fraction.Slice(i, 1) : "0"u8);
        }

        if (fraction.Length == 8 && !char.IsAsciiDigit((char)fraction[7]))
        {
            return false;
        }

        output.Raw("Z"u8);
        return true;
    }

    /// <summary>The ASCII bytes the JSON writer leaves as they are in a string (it escapes the rest).</summary>
    private static readonly SearchValues<byte> Plain = PlainBytes();

    /// <summary>Whether the JSON writer would write <paramref name="value"/> as it is (a vectorised search for any other byte).</summary>
    internal static bool IsPlain(ReadOnlySpan<byte> value) => !value.ContainsAnyExcept(Plain);

    private static SearchValues<byte> PlainBytes()
    {
        var plain = new List<byte>(128);
        var buffer = new ArrayBufferWriter<byte>(16);
        for (var b = 0x20; b < 0x7F; b++)
        {
            buffer.ResetWrittenCount();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStringValue(((char)b).ToString());
            }

            if (buffer.WrittenCount == 3)
            {
                plain.Add((byte)b);
            }
        }

        return SearchValues.Create([.. plain]);
    }

    private static void WriteJson(JournalEntry entry, ArrayBufferWriter<byte> buffer)
    {
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("v", Version);
            json.WriteNumber("id", entry.Id);
            json.WriteString("at", DateTime.SpecifyKind(entry.At, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("actor", entry.Actor);
            json.WriteString("action", entry.Action);
            Nullable(json, "subject", entry.Subject);
            Nullable(json, "purpose", entry.Purpose);
            json.WriteString("outcome", entry.Outcome);
            Nullable(json, "detail", entry.Detail);
            json.WriteEndObject();
        }
    }

    private static void Nullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }
}

/// <summary>A column's UTF-8 bytes, or SQL NULL.</summary>
public readonly ref struct Utf8Field(ReadOnlySpan<byte> value, bool isNull = false)
{
    public ReadOnlySpan<byte> Value { get; } = value;
    public bool IsNull { get; } = isNull;

    public static Utf8Field Null => new([], true);
}

/// <summary>Appends to a span, noting overflow rather than throwing.</summary>
internal ref struct SpanWriter(Span<byte> destination)
{
    private readonly Span<byte> _destination = destination;

    public int Length { get; private set; }
    public bool Overflow { get; private set; }

    public void Raw(ReadOnlySpan<byte> bytes)
    {
        if (Overflow || !bytes.TryCopyTo(_destination[Length..]))
        {
            Overflow = true;
            return;
        }

        Length += bytes.Length;
    }

    public void Number(long value)
    {
        if (Overflow || !System.Buffers.Text.Utf8Formatter.TryFormat(value, _destination[Length..], out var written))
        {
            Overflow = true;
            return;
        }

        Length += written;
    }

    /// <summary>A JSON string (or null); false when it holds a byte the JSON writer would escape.</summary>
    public bool String(Utf8Field field)
    {
        if (field.IsNull)
        {
            Raw("null"u8);
            return true;
        }

        Raw("\""u8);
        Raw(field.Value);
        Raw("\""u8);
        return LedgerEntry.IsPlain(field.Value);
    }
}
