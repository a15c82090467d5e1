using System.Buffers;
using System.Text.Unicode;

namespace Charte.Hosting;

/// <summary>
/// Where a body stops being UTF-8. JSON is UTF-8 (RFC 8259 §8.1); System.Text.Json leaves the bytes inside a string
/// unchecked until the string is read, so a Latin-1 "é" in a value would otherwise surface as a server error, or be
/// replaced by U+FFFD and stored as such.
/// </summary>
internal static class Utf8Text
{
    private static ReadOnlySpan<byte> ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>The offset of the first byte that starts no valid UTF-8 sequence, or null when all of it is UTF-8.</summary>
    public static int? FirstInvalid(ReadOnlySpan<byte> text)
    {
        if (Utf8.IsValid(text))
        {
            return null;
        }

        var chars = ArrayPool<char>.Shared.Rent(4096);
        try
        {
            var offset = 0;
            while (true)
            {
                var status = Utf8.ToUtf16(text[offset..], chars, out var read, out _, replaceInvalidSequences: false);
                offset += read;
                if (status != OperationStatus.DestinationTooSmall)
                {
                    return offset;
                }
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>"line L, column C" (1-based, the column in bytes) of an offset, as JSON errors give them.</summary>
    public static string Position(ReadOnlySpan<byte> text, int offset)
    {
        var before = text[..offset];
        var line = before.Count((byte)'\n') + 1;
        var column = offset - (before.LastIndexOf((byte)'\n') + 1) + 1;
        return $"line {line}, column {column}";
    }

    /// <summary>The text without a leading UTF-8 byte order mark, which some editors write and JSON does not need.</summary>
    public static ReadOnlySpan<byte> WithoutByteOrderMark(ReadOnlySpan<byte> text) =>
        text.StartsWith(ByteOrderMark) ? text[ByteOrderMark.Length..] : text;
}
