using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Charte.Storage;

/// <summary>The purpose-bound read's native path must read back exactly what EF Core's SQLite provider wrote.</summary>
public class NativeStatementTests
{
    [Theory]
    [InlineData("2026-11-24 02:48:59", "2026-11-24T02:48:59.0000000Z")]
    [InlineData("2026-11-24 02:48:59.5", "2026-11-24T02:48:59.5000000Z")]
    [InlineData("2026-11-24 02:48:59.1234567", "2026-11-24T02:48:59.1234567Z")]
    [InlineData("2026-11-24 02:48:59.0001", "2026-11-24T02:48:59.0001000Z")]
    [InlineData("2024-02-29 23:59:59.9999999", "2024-02-29T23:59:59.9999999Z")]
    [InlineData("0001-01-01 00:00:00", "0001-01-01T00:00:00.0000000Z")]
    [InlineData("9999-12-31 23:59:59.9999999", "9999-12-31T23:59:59.9999999Z")]
    // Not EF Core's shape: read by the general parser, as Microsoft.Data.Sqlite reads it.
    [InlineData("2026-11-24T02:48:59", "2026-11-24T02:48:59.0000000Z")]
    [InlineData("2026-11-24 02:48", "2026-11-24T02:48:00.0000000Z")]
    [InlineData("2026-11-24", "2026-11-24T00:00:00.0000000Z")]
    public void Times_are_read_as_UTC_to_the_tick(string stored, string expected)
    {
        var time = SqliteColumns.ParseTime(Encoding.UTF8.GetBytes(stored));

        Assert.Equal(DateTimeKind.Utc, time.Kind);
        Assert.Equal(expected, time.ToString("O", CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("2023-02-29 00:00:00")]
    [InlineData("2026-13-01 00:00:00")]
    [InlineData("2026-11-24 24:00:00")]
    [InlineData("not a time")]
    [InlineData("")]
    public void A_text_that_is_no_time_is_refused_not_misread(string stored) =>
        Assert.Throws<FormatException>(() => SqliteColumns.ParseTime(Encoding.UTF8.GetBytes(stored)));

    [Fact]
    public void Every_tick_EF_Core_can_write_reads_back_the_same()
    {
        var random = new Random(20261124);
        for (var i = 0; i < 10_000; i++)
        {
            var time = new DateTime(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), DateTimeKind.Utc);
            var text = time.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);

            Assert.Equal(time, SqliteColumns.ParseTime(Encoding.UTF8.GetBytes(text)));
        }
    }

    [Fact]
    public void An_identifier_bound_natively_finds_the_row_and_reads_back_in_every_stored_form()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        var (upper, lower, blob) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        using (var create = Sql.Command(connection, "CREATE TABLE t (id TEXT, other BLOB, at TEXT, n INTEGER); INSERT INTO t VALUES (@upper, @blob, '2026-11-24 02:48:59.25', 7), (@lower, NULL, NULL, NULL)"))
        {
            create.Add("@upper", upper);
            create.Parameters.Add(new SqliteParameter("@lower", lower.ToString("D")));
            create.Parameters.Add(new SqliteParameter("@blob", blob.ToByteArray()));
            create.ExecuteNonQuery();
        }

        using var statement = new NativeStatement(connection, "SELECT id, other, at, n FROM t WHERE id = @id OR lower(id) = lower(@id)");
        var parameter = statement.Parameter("@id");

        statement.Bind(parameter, upper);
        Assert.True(statement.Step());
        Assert.Equal(upper, SqliteColumns.Guid(statement.Row, 0));
        Assert.Equal(blob, SqliteColumns.Guid(statement.Row, 1));
        Assert.Equal(new DateTime(2026, 11, 24, 2, 48, 59, 250, DateTimeKind.Utc), SqliteColumns.Time(statement.Row, 2));
        Assert.Equal(7, SqliteColumns.Int32(statement.Row, 3));
        Assert.False(statement.Step());
        statement.Reset();

        statement.Bind(parameter, lower);
        Assert.True(statement.Step());
        Assert.Equal(lower, SqliteColumns.Guid(statement.Row, 0));
        Assert.True(SqliteColumns.IsNull(statement.Row, 1));
        Assert.True(SqliteColumns.IsNull(statement.Row, 2));
        Assert.Throws<FormatException>(() => SqliteColumns.Guid(statement.Row, 3));
        statement.Reset();
    }

    [Fact]
    public void A_statement_that_does_not_compile_or_names_no_such_parameter_says_so()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();

        var error = Assert.Throws<SqliteException>(() => new NativeStatement(connection, "SELECT * FROM missing"));
        Assert.Contains("no such table: missing", error.Message, StringComparison.Ordinal);
        using var statement = new NativeStatement(connection, "SELECT @a");
        Assert.Throws<ArgumentException>(() => statement.Parameter("@b"));
    }

    [Fact]
    public void Values_bound_natively_are_stored_exactly_as_Microsoft_Data_Sqlite_stores_them()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using (var create = Sql.Command(connection, "CREATE TABLE t (way TEXT, at TEXT, text TEXT)"))
        {
            create.ExecuteNonQuery();
        }

        var random = new Random(20261124);
        var times = new List<DateTime>
        {
            new(2026, 11, 24, 4, 40, 51, DateTimeKind.Utc),
            new(2026, 11, 24, 4, 40, 51, 500, DateTimeKind.Utc),
            DateTime.MinValue,
            DateTime.MaxValue,
        };
        times.AddRange(Enumerable.Range(0, 1000).Select(_ => new DateTime(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), DateTimeKind.Utc)));
        using var insert = new NativeStatement(connection, "INSERT INTO t VALUES ('native', @at, @text) RETURNING rowid");
        using var command = Sql.Command(connection, "INSERT INTO t VALUES ('ado', @at, @text)");
        var (at, text) = (command.Add("@at", null), command.Add("@text", null));
        foreach (var (time, i) in times.Select((time, i) => (time, i)))
        {
            var value = i % 3 == 0 ? null : $"entrée {i} <&>";
            insert.Bind(1, time);
            insert.Bind(2, value);
            Assert.True(insert.Step());
            Assert.Equal(2 * i + 1, insert.Int64(0));
            insert.Reset();
            at.Set(command, time);
            text.Set(command, value);
            command.ExecuteNonQuery();
        }

        using var differ = Sql.Command(connection, """
            SELECT count(*) FROM t a JOIN t b ON b.rowid = a.rowid + 1
            WHERE a.way = 'native' AND b.way = 'ado' AND (a.at IS NOT b.at OR a.text IS NOT b.text OR typeof(a.at) IS NOT typeof(b.at))
            """);
        Assert.Equal(0L, differ.ExecuteScalar());
        using var count = Sql.Command(connection, "SELECT count(*) FROM t WHERE text IS NULL AND way = 'native'");
        Assert.Equal((long)((times.Count + 2) / 3), count.ExecuteScalar());
    }
}
