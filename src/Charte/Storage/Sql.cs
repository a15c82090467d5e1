using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Charte.Storage;

/// <summary>
/// The few hot paths that bypass EF Core's change tracking (purpose-bound reads, journal appends, bulk import) speak
/// plain SQL that both stores accept; this is where the two differ in how a value is bound. The schema is still EF
/// Core's: identifiers are TEXT on SQLite (upper case, as EF Core writes them) and uuid on PostgreSQL.
/// </summary>
internal static class Sql
{
    private static readonly ConcurrentDictionary<string, NpgsqlDataSource> Sources = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, NpgsqlDataSource> ScanSources = new(StringComparer.Ordinal);

    /// <summary>How much of the server's answer a scanning connection takes from the socket at a time (Npgsql's default: 8 KB).</summary>
    private const int ScanReadBuffer = 64 * 1024;

    /// <summary>A pooled connection to the store, with SQLite's durability pragmas applied as EF Core's connections have them.</summary>
    public static async Task<DbConnection> OpenAsync(StoreLocation store, CancellationToken cancellationToken)
    {
        if (store.Provider == StoreProvider.PostgreSql)
        {
            return await Sources.GetOrAdd(store.ConnectionString, connectionString => Source(connectionString)).OpenConnectionAsync(cancellationToken);
        }

        return await OpenSqliteAsync(store.ConnectionString, cancellationToken);
    }

    /// <summary>A SQLite connection (the data's file or the key store's) with the durability pragmas.</summary>
    public static async Task<SqliteConnection> OpenSqliteAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await SqliteDurability.Instance.PrepareAsync(connection, cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A connection for reading a large part of a table in order (the ledger's verification, megabytes of rows per
    /// statement): on PostgreSQL it takes the rows from the socket 64 KB at a time, an eighth of the system calls of the
    /// default; on SQLite it is <see cref="OpenAsync(StoreLocation, CancellationToken)"/>'s.
    /// </summary>
    public static async Task<DbConnection> OpenForScanAsync(StoreLocation store, CancellationToken cancellationToken) =>
        store.Provider == StoreProvider.PostgreSql
            ? await ScanSources.GetOrAdd(store.ConnectionString, connectionString => Source(connectionString, ScanReadBuffer)).OpenConnectionAsync(cancellationToken)
            : await OpenAsync(store, cancellationToken);

    /// <summary>
    /// The hot statements are prepared once per connection and reused (Npgsql's automatic preparation);
    /// <paramref name="readBuffer"/>, when given, replaces Npgsql's socket read size.
    /// </summary>
    private static NpgsqlDataSource Source(string connectionString, int? readBuffer = null)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = 32, AutoPrepareMinUsages = 2 };
        if (readBuffer is { } size)
        {
            settings.ReadBufferSize = size;
        }

        return NpgsqlDataSource.Create(settings);
    }

    /// <summary>EF Core's own connection of a context, opened (so that a raw statement joins the context's transaction).</summary>
    public static async Task<DbConnection> OpenAsync(CharteDb db, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        return db.Database.GetDbConnection();
    }

    public static DbCommand Command(DbConnection connection, string text, DbTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = text;
        command.Transaction = transaction;
        return command;
    }

    public static DbParameter Add(this DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Set(command, value);
        command.Parameters.Add(parameter);
        return parameter;
    }

    /// <summary>Sets a parameter made by <see cref="Add"/>, binding as it did.</summary>
    public static void Set(this DbParameter parameter, DbCommand command, object? value) =>
        parameter.Value = value switch
        {
            null => DBNull.Value,
            Guid id when command is SqliteCommand => Text(id),
            _ => value,
        };

    /// <summary>
    /// "column is one of these ids", as one parameter whatever their number: a JSON array read by <c>json_each</c> on
    /// SQLite, a uuid[] on PostgreSQL.
    /// </summary>
    public static string IdIn(DbCommand command, string column, string name, IReadOnlyCollection<Guid> ids)
    {
        if (command is SqliteCommand)
        {
            command.Add(name, System.Text.Json.JsonSerializer.Serialize(ids.Select(Text)));
            return $"{column} IN (SELECT value FROM json_each({name}))";
        }

        command.Add(name, ids.ToArray());
        return $"{column} = ANY({name})";
    }

    /// <summary>
    /// <see cref="IdIn"/> with the list's smallest and largest id named beside it, so that the database reaches the
    /// rows through the column's index even for a long list (a list alone let PostgreSQL scan the whole table).
    /// </summary>
    public static string BoundedIdIn(DbCommand command, string column, string name, IReadOnlyCollection<Guid> ids)
    {
        var (first, last) = (ids.Min(), ids.Max());
        command.Add(name + "_first", first);
        command.Add(name + "_last", last);
        return $"{column} >= {name}_first AND {column} <= {name}_last AND {IdIn(command, column, name, ids)}";
    }

    public static DateTime? NullableDateTime(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : Utc(reader.GetDateTime(ordinal));

    public static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);

    private static string Text(Guid id) => id.ToString("D").ToUpperInvariant();
}
