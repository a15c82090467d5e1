using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Charte.Storage;

/// <summary>
/// Every SQLite connection Charte opens: write-ahead log, a commit is on disk before it is acknowledged
/// (<c>synchronous=FULL</c>), deleted content overwritten in the file (<c>secure_delete</c>), and waits rather than fails
/// when another writer holds the lock.
/// </summary>
public sealed class SqliteDurability : DbConnectionInterceptor
{
    public static SqliteDurability Instance { get; } = new();

    private const string Pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
