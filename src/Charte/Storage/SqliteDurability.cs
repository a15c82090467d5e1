using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Charte.Storage;

/// <summary>
/// Every SQLite connection Charte opens: write-ahead log, a commit is on disk before it is acknowledged
/// (<c>synchronous=FULL</c>), deleted content overwritten in the file (<c>secure_delete</c>), waits rather than fails
/// when another writer holds the lock, and keeps a page cache of up to 32 MB: SQLite's default, 2 MB, is smaller than the
/// pages one import of 1,000 people touches in a store of a million records (SQLite ingest at 1M records: 35–42 % of the
/// raw insert's rate in three runs with the default, 47 and 54 % in two runs with 32 MB; the retention run's peak memory
/// went from about 100 MB to 132 MB, under its 200 MB bound).
/// </summary>
public sealed class SqliteDurability : DbConnectionInterceptor
{
    public static SqliteDurability Instance { get; } = new();

    private const string Pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; PRAGMA cache_size=-32768;";

    // Pooled connections reopen the same native handle: the pragmas run once per handle, not once per request.
    private readonly ConditionalWeakTable<object, object> _prepared = [];

    // A read-only connection (EF Core opens one to ask whether a database exists) can set none of them, and needs none;
    // its mode is read once, at the handle's first open, not on every reopen from the pool.
    private bool FirstOpen(DbConnection connection) =>
        connection is not SqliteConnection { Handle: { } handle } sqlite
            || (_prepared.TryAdd(handle, handle) && new SqliteConnectionStringBuilder(sqlite.ConnectionString).Mode != SqliteOpenMode.ReadOnly);

    /// <summary>Applies the pragmas to a connection opened outside EF Core (the plain-SQL paths), once per native handle.</summary>
    public async Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (FirstOpen(connection))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (!FirstOpen(connection))
        {
            return;
        }

        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default) =>
        PrepareAsync(connection, cancellationToken);
}
