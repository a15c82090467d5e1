using Microsoft.Data.Sqlite;
using Npgsql;

namespace Charte.Storage;

public enum StoreProvider
{
    Sqlite,
    PostgreSql,
}

/// <summary>
/// Where the data lives, from the one setting that chooses the store: <c>sqlite:PATH</c> or a PostgreSQL connection
/// string (multi-host allowed). The wrapped data keys live apart from the data, so that a backup of the data alone
/// cannot be decrypted once a key is destroyed: a sibling file on SQLite, schema <c>charte_keys</c> on PostgreSQL.
/// </summary>
public sealed record StoreLocation(StoreProvider Provider, string ConnectionString, string KeyStoreConnectionString, string Display)
{
    public const string DefaultSetting = "sqlite:.charte/charte.db";

    /// <summary>The PostgreSQL schema of the key store; dump it apart from the data and keep its backups briefly.</summary>
    public const string KeySchema = "charte_keys";

    public static StoreLocation Parse(string setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        setting = setting.Trim();
        if (setting.Length == 0)
        {
            throw new FormatException("the store setting is empty: use sqlite:PATH or a PostgreSQL connection string (Host=...;Database=...)");
        }

        if (setting.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            var path = setting["sqlite:".Length..];
            if (path.Length == 0)
            {
                throw new FormatException("sqlite: needs a file path, as in sqlite:.charte/charte.db");
            }

            var full = Path.GetFullPath(path);
            var keys = Path.Combine(Path.GetDirectoryName(full)!, Path.GetFileNameWithoutExtension(full) + ".keys" + Path.GetExtension(full));
            return new StoreLocation(StoreProvider.Sqlite, Sqlite(full), Sqlite(keys), "sqlite:" + path);
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(setting);
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"the store setting is neither sqlite:PATH nor a valid PostgreSQL connection string: {e.Message}", e);
        }

        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new FormatException("the PostgreSQL connection string names no Host; use sqlite:PATH for the embedded store");
        }

        // Shown in logs and errors: never the password.
        var display = $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}";
        return new StoreLocation(StoreProvider.PostgreSql, builder.ConnectionString, builder.ConnectionString, display);
    }

    /// <summary>The SQLite data file, for the demo and the tests.</summary>
    public string? SqlitePath => Provider == StoreProvider.Sqlite ? new SqliteConnectionStringBuilder(ConnectionString).DataSource : null;

    private static string Sqlite(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        DefaultTimeout = 30,
    }.ConnectionString;

    public override string ToString() => Display;
}
