using Npgsql;

namespace Charte.Bench;

/// <summary>Each benchmark on PostgreSQL gets a database of its own, made afresh, so that no run sees another's rows.</summary>
internal static class BenchStore
{
    public static async Task<string> FreshAsync(string setting, string name)
    {
        if (setting.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            return setting;
        }

        await using (var server = new NpgsqlConnection(setting))
        {
            await server.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", server);
            await drop.ExecuteNonQueryAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", server);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(setting) { Database = name }.ConnectionString;
    }
}
