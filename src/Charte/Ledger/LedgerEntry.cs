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
    public static byte[] LeafHash(JournalEntry entry, ArrayBufferWriter<byte> scratch)
    {
        scratch.ResetWrittenCount();
        scratch.GetSpan(1)[0] = 0x00;
        scratch.Advance(1);
        Write(entry, scratch);
        return SHA256.HashData(scratch.WrittenSpan);
    }

    private static void Write(JournalEntry entry, ArrayBufferWriter<byte> buffer)
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
