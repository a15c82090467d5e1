using System.Buffers.Text;
using System.Globalization;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Charte.Storage;

/// <summary>
/// A SQLite statement compiled once on a kept connection and stepped through the native library, its columns read
/// with <see cref="SqliteColumns"/>: for the purpose-bound read and the journal's insert, where Microsoft.Data.Sqlite's
/// command and reader (an object per execution, a SafeHandle count and a conversion per parameter and column) cost more
/// than the statement. It runs in whatever transaction the connection has open. One caller at a time, as the connection.
/// </summary>
internal sealed class NativeStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    public NativeStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
    }

    /// <summary>The current row, for <see cref="SqliteColumns"/>; valid until the next step.</summary>
    public IntPtr Row => _statement.DangerousGetHandle();

    public int Parameter(string name) =>
        raw.sqlite3_bind_parameter_index(_statement, name) is > 0 and var index ? index : throw new ArgumentException($"the statement has no parameter {name}", nameof(name));

    /// <summary>Binds an identifier as EF Core's SQLite provider stores it: TEXT, upper case.</summary>
    public void Bind(int parameter, Guid id)
    {
        Span<byte> text = stackalloc byte[36];
        Utf8Formatter.TryFormat(id, text, out _, 'D');
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] is >= (byte)'a' and <= (byte)'f')
            {
                text[i] -= 'a' - 'A';
            }
        }

        Check(raw.sqlite3_bind_text(_statement, parameter, text));
    }

    /// <summary>Binds text, or NULL.</summary>
    public void Bind(int parameter, string? value) =>
        Check(value is null ? raw.sqlite3_bind_null(_statement, parameter) : raw.sqlite3_bind_text(_statement, parameter, value));

    /// <summary>Binds a time as Microsoft.Data.Sqlite binds it (and so as EF Core stores it): TEXT, <c>yyyy-MM-dd HH:mm:ss.FFFFFFF</c>.</summary>
    public void Bind(int parameter, DateTime value)
    {
        Span<byte> text = stackalloc byte[27];
        value.TryFormat(text, out var written, @"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFF", CultureInfo.InvariantCulture);
        Check(raw.sqlite3_bind_text(_statement, parameter, text[..written]));
    }

    /// <summary>The current row's column as an integer.</summary>
    public long Int64(int column) => SqliteColumns.Int64(Row, column);

    /// <summary>Steps to the next row; false past the last.</summary>
    /// <exception cref="SqliteException">The statement failed.</exception>
    public bool Step()
    {
        var code = raw.sqlite3_step(_statement);
        if (code == raw.SQLITE_ROW)
        {
            return true;
        }

        if (code != raw.SQLITE_DONE)
        {
            Check(code);
        }

        return false;
    }

    /// <summary>Ends the execution, so that the statement holds no lock, ready to be bound and run again.</summary>
    public void Reset() => raw.sqlite3_reset(_statement);

    public void Dispose() => _statement.Dispose();

    private void Check(int code) => Check(_db, code);

    /// <summary>A native call's result: anything but OK is thrown as Microsoft.Data.Sqlite would, with SQLite's message.</summary>
    /// <exception cref="SqliteException">The call failed.</exception>
    public static void Check(sqlite3 db, int code)
    {
        if (code != raw.SQLITE_OK)
        {
            throw new SqliteException($"SQLite Error {code}: '{raw.sqlite3_errmsg(db).utf8_to_string()}'.", code);
        }
    }
}
