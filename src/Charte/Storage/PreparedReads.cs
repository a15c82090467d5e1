using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Charte.Storage;

/// <summary>
/// Read-only statements kept prepared on open connections, so that a hot read neither opens a connection nor compiles
/// its SQL. On SQLite each lease is one connection with its statement already compiled; on PostgreSQL a pooled
/// connection kept out of the pool (so that it is not reset between reads) whose statement Npgsql prepares
/// automatically. A lease runs one statement at a time; a connection that failed is dropped, not returned.
/// </summary>
internal sealed class PreparedReads(StoreLocation store, string sql, Func<DbConnection, CancellationToken, Task>? setUp, params string[] parameters) : IAsyncDisposable
{
    private const int MaxIdle = 32;
    private readonly ConcurrentBag<Lease> _idle = [];

    public async Task<Lease> RentAsync(CancellationToken cancellationToken)
    {
        if (_idle.TryTake(out var lease))
        {
            return lease;
        }

        var connection = await Sql.OpenAsync(store, cancellationToken);
        if (setUp is not null)
        {
            await setUp(connection, cancellationToken);
        }

        var command = Sql.Command(connection, sql);
        var bound = parameters.Select(name => command.Add(name, null)).ToArray();
        if (connection is SqliteConnection)
        {
            command.Prepare();
        }

        return new Lease(this, connection, command, bound);
    }

    public async ValueTask DisposeAsync()
    {
        while (_idle.TryTake(out var lease))
        {
            await lease.CloseAsync();
        }
    }

    internal sealed class Lease(PreparedReads owner, DbConnection connection, DbCommand command, DbParameter[] parameters) : IAsyncDisposable
    {
        private bool _reusable;

        public DbConnection Connection => connection;

        /// <summary>Runs the statement in the connection's transaction (null: none).</summary>
        public void Enlist(DbTransaction? transaction) => command.Transaction = transaction;

        public async Task<DbDataReader> ExecuteAsync(CancellationToken cancellationToken, params object?[] values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                parameters[i].Set(command, values[i]);
            }

            _reusable = false;
            return await command.ExecuteReaderAsync(cancellationToken);
        }

        /// <summary>Says the statement ran to the end and its reader is closed: the connection may serve the next read.</summary>
        public void Complete() => _reusable = true;

        public async ValueTask DisposeAsync()
        {
            if (!_reusable || owner._idle.Count >= MaxIdle)
            {
                await CloseAsync();
                return;
            }

            _reusable = false;
            owner._idle.Add(this);
        }

        internal async Task CloseAsync()
        {
            await command.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
