using Charte.Storage;
using Npgsql;

namespace Charte.Hosting;

/// <summary>Which store an integration suite runs against. PostgreSQL is never silently replaced by SQLite.</summary>
public enum StoreKind
{
    Sqlite,
    PostgreSql,
}

/// <summary>
/// A store of its own for one test: a fresh SQLite file in a temporary folder, or a fresh database in the PostgreSQL
/// cluster that scripts/test starts (<c>CHARTE_TEST_POSTGRES</c>). Dropped when the test ends.
/// </summary>
public sealed class TestStore : IAsyncDisposable
{
    private readonly string? _folder;
    private readonly string? _database;

    private TestStore(StoreLocation location, string? folder, string? database)
    {
        Location = location;
        _folder = folder;
        _database = database;
    }

    public StoreLocation Location { get; }

    public static async Task<TestStore> CreateAsync(StoreKind kind)
    {
        if (kind == StoreKind.Sqlite)
        {
            var folder = Directory.CreateTempSubdirectory("charte-test-").FullName;
            return new TestStore(StoreLocation.Parse("sqlite:" + Path.Combine(folder, "charte.db")), folder, null);
        }

        var server = Server();
        var database = "charte_test_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(server) { Database = database };
        return new TestStore(StoreLocation.Parse(builder.ConnectionString), null, database);
    }

    /// <summary>The test cluster's connection string; a missing cluster is a failure, not a skip.</summary>
    public static string Server() =>
        Environment.GetEnvironmentVariable("CHARTE_TEST_POSTGRES") is { Length: > 0 } server
            ? server
            : throw new InvalidOperationException("CHARTE_TEST_POSTGRES is not set: run the tests through scripts/test, which starts a PostgreSQL cluster on loopback");

    public async ValueTask DisposeAsync()
    {
        if (_folder is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                // A process killed by a test may still hold the file for a moment; the OS cleans /tmp.
            }
        }

        if (_database is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(Server());
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
