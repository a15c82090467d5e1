using System.Runtime.InteropServices;
using Charte.Ledger;
using SQLitePCL;

namespace Charte.Storage;

/// <summary>
/// A stepped SQLite statement's columns read in place, for scans of millions of rows (the ledger verifier): the
/// same native library Microsoft.Data.Sqlite loads, called without a GC transition (these calls only return a value
/// of the current row) and without SafeHandle reference counting on each call. Valid only until the next step.
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
