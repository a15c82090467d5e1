using System.Data.Common;
using Npgsql;

namespace Charte.Storage;

/// <summary>
/// Rows for one table, inserted in the caller's transaction as fast as each store allows: a prepared statement run per
/// row on SQLite (in process, no round trip), one <c>INSERT … SELECT FROM unnest(arrays)</c> on PostgreSQL.
/// </summary>
internal sealed class BulkRows(string table, params string[] columns)
{
    private readonly List<object?[]> _rows = [];

    public int Count => _rows.Count;

    public void Add(params object?[] values) => _rows.Add(values);

    public async Task WriteAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (_rows.Count == 0)
        {
            return;
        }

        if (connection is NpgsqlConnection npgsql)
        {
            await using var command = new NpgsqlCommand(
                $"INSERT INTO {table} ({string.Join(", ", columns)}) SELECT * FROM unnest({string.Join(", ", columns.Select((_, i) => $"${i + 1}"))})", npgsql, (NpgsqlTransaction)transaction);
            for (var c = 0; c < columns.Length; c++)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = Column(c) });
            }

            await command.ExecuteNonQueryAsync(cancellationToken);
            return;
        }

        await using var insert = Sql.Command(connection, $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => $"@p{i}"))})", transaction);
        var parameters = columns.Select((_, i) => insert.Add($"@p{i}", null)).ToArray();
        insert.Prepare();
        foreach (var row in _rows)
        {
            for (var c = 0; c < columns.Length; c++)
            {
                parameters[c].Set(insert, row[c]);
            }

            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>One column as a typed array, the element type taken from its values (text when all are null).</summary>
    private Array Column(int c)
    {
        var sample = _rows.Select(r => r[c]).FirstOrDefault(v => v is not null);
        return sample switch
        {
            Guid => _rows.Select(r => (Guid)r[c]!).ToArray(),
            int => _rows.Select(r => (int)r[c]!).ToArray(),
            long => _rows.Select(r => (long)r[c]!).ToArray(),
            bool => _rows.Select(r => (bool)r[c]!).ToArray(),
            DateTime => _rows.Select(r => (DateTime?)r[c]).ToArray(),
            byte[] => _rows.Select(r => (byte[]?)r[c]).ToArray(),
            _ => _rows.Select(r => (string?)r[c]).ToArray(),
        };
    }
}
