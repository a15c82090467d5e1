using System.Buffers.Text;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Charte.Ledger;
using SQLitePCL;

namespace Charte.Storage;

/// <summary>
/// A stepped SQLite statement's columns read in place, for scans of millions of rows (the ledger verifier) and for the
/// purpose-bound read, the vault's hottest path: the same native library Microsoft.Data.Sqlite loads, called without a
/// GC transition (these calls only return a value of the current row) and without SafeHandle reference counting on
/// each call. Spans are valid only until the next step. Values are read as EF Core's SQLite provider writes them:
/// identifiers and times as TEXT.
/// </summary>
internal static unsafe partial class SqliteColumns
{
    private const string Library = "e_sqlite3";

    public static long Int64(IntPtr statement, int column) => ColumnInt64(statement, column);

    public static bool IsNull(IntPtr statement, int column) => ColumnType(statement, column) == raw.SQLITE_NULL;

    /// <summary>The column's bytes (text as UTF-8), or <see cref="Utf8Field.Null"/>.</summary>
    public static Utf8Field Field(IntPtr statement, int column)
    {
        if (IsNull(statement, column))
        {
            return Utf8Field.Null;
        }

        var bytes = ColumnBlob(statement, column);
        return new Utf8Field(new ReadOnlySpan<byte>((void*)bytes, ColumnBytes(statement, column)));
    }

    public static int Int32(IntPtr statement, int column) => checked((int)ColumnInt64(statement, column));

    public static string Text(IntPtr statement, int column) => Encoding.UTF8.GetString(Bytes(statement, column));

    public static byte[] Blob(IntPtr statement, int column) => Bytes(statement, column).ToArray();

    /// <summary>An identifier: TEXT as EF Core writes it (either case), or the 16 bytes Microsoft.Data.Sqlite binds by default.</summary>
    /// <exception cref="FormatException">The column holds neither.</exception>
    public static Guid Guid(IntPtr statement, int column)
    {
        var bytes = Bytes(statement, column);
        if (ColumnType(statement, column) == raw.SQLITE_BLOB && bytes.Length == 16)
        {
            return new Guid(bytes);
        }

        return Utf8Parser.TryParse(bytes, out Guid id, out var used, 'D') && used == bytes.Length
            ? id
            : throw new FormatException($"column {column} does not hold an identifier");
    }

    /// <summary>A UTC time stored as TEXT (see <see cref="ParseTime"/>).</summary>
    public static DateTime Time(IntPtr statement, int column) => ParseTime(Bytes(statement, column));

    /// <summary>
    /// A time as EF Core's SQLite provider writes it, <c>yyyy-MM-dd HH:mm:ss</c> and up to seven digits of fraction, read
    /// without the general parser (a third of a read's column work); any other text is given to the general parser, as
    /// Microsoft.Data.Sqlite does. The value is UTC, as Charte stores every time.
    /// </summary>
    /// <exception cref="FormatException">The text is not a time.</exception>
    public static DateTime ParseTime(ReadOnlySpan<byte> text)
    {
        if (text.Length >= 19 && text[4] == '-' && text[7] == '-' && text[10] == ' ' && text[13] == ':' && text[16] == ':'
            && Digits(text, 0, 4, out var year) && Digits(text, 5, 2, out var month) && Digits(text, 8, 2, out var day)
            && Digits(text, 11, 2, out var hour) && Digits(text, 14, 2, out var minute) && Digits(text, 17, 2, out var second)
            && year >= 1 && month is >= 1 and <= 12 && day >= 1 && day <= System.DateTime.DaysInMonth(year, month) && hour < 24 && minute < 60 && second < 60)
        {
            var fraction = 0;
            var digits = text.Length == 19 ? 0 : text.Length - 20;
            if (digits == 0 ? text.Length == 19 : text[19] == '.' && digits is >= 1 and <= 7 && Digits(text, 20, digits, out fraction))
            {
                for (var i = digits; i < 7; i++)
                {
                    fraction *= 10;
                }

                return new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(fraction);
            }
        }

        return System.DateTime.SpecifyKind(System.DateTime.Parse(Encoding.UTF8.GetString(text), CultureInfo.InvariantCulture), DateTimeKind.Utc);
    }

    private static bool Digits(ReadOnlySpan<byte> text, int start, int count, out int value)
    {
        value = 0;
        foreach (var c in text.Slice(start, count))
        {
            if (c is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }

    /// <summary>The bytes of a column declared NOT NULL (a NULL there reads as empty).</summary>
    public static ReadOnlySpan<byte> Bytes(IntPtr statement, int column) =>
        new((void*)ColumnBlob(statement, column), ColumnBytes(statement, column));

    [LibraryImport(Library, EntryPoint = "sqlite3_column_int64"), SuppressGCTransition]
    private static partial long ColumnInt64(IntPtr statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_type"), SuppressGCTransition]
    private static partial int ColumnType(IntPtr statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_blob"), SuppressGCTransition]
    private static partial IntPtr ColumnBlob(IntPtr statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_bytes"), SuppressGCTransition]
    private static partial int ColumnBytes(IntPtr statement, int column);
}
