using System.Data.Common;
using System.Reflection;
using Charte.Keys;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Charte.Storage;

/// <summary>
/// Whether a store is there and carries the schema this build of Charte expects, asked before a command acts on it.
/// Only <c>charte db migrate</c>, <c>charte serve</c> and the commands that set a store up create or upgrade one: any
/// other command pointed at a mistyped path must not leave an empty database there, and one pointed at a store of
/// another version must say so rather than fail half-way.
/// </summary>
/// <remarks>
/// Asked with plain SQL against EF Core's history tables and the migrations' own attributes, not through EF Core's
/// migrator: building a context's services and its migrations assembly cost a batch command about a second of start-up.
/// </remarks>
public static class StoreSchema
{
    /// <summary>What stops a command from using the store, in one line, or null when it is ready.</summary>
    public static async Task<string?> ProblemAsync(StoreLocation store, CancellationToken cancellationToken)
    {
        var migrate = $"`charte db migrate --store {store}`";
        if (store.SqlitePath is { } path)
        {
            var keyFile = new SqliteConnectionStringBuilder(store.KeyStoreConnectionString).DataSource;
            if (!File.Exists(path))
            {
                return $"{store}: no store at {path}; create one with {migrate} (or start `charte serve`, which does)";
            }

            if (!File.Exists(keyFile))
            {
                return $"{store}: the key store {keyFile} is missing; without it no personal data can be decrypted. Restore it from its backup beside {Path.GetFileName(path)}";
            }
        }

        try
        {
            await using var data = await Sql.OpenAsync(store, cancellationToken);
            await using var keyFile = store.Provider == StoreProvider.Sqlite ? await KeyStoreDb.OpenAsync(store, cancellationToken) : null;
            (string What, Type Context, DbConnection Connection, string Table, string? Schema)[] histories =
            [
                ("data", typeof(CharteDb), data, HistoryRepository.DefaultTableName, null),
                ("key store", typeof(KeyStoreDb), keyFile ?? data, KeyStoreDb.HistoryTable, keyFile is null ? StoreLocation.KeySchema : null),
            ];
            foreach (var (what, context, connection, table, schema) in histories)
            {
                var known = Known(context);
                var applied = await AppliedAsync(connection, table, schema, cancellationToken);
                if (applied.Count == 0)
                {
                    return $"{store}: no Charte schema in the {what}; create it with {migrate}";
                }

                if (applied.Except(known, StringComparer.Ordinal).FirstOrDefault() is { } newer)
                {
                    return $"{store}: the {what} was migrated by a newer Charte (migration {newer}); run that version or a later one";
                }

                if (known.Except(applied, StringComparer.Ordinal).ToList() is { Count: > 0 } pending)
                {
                    return $"{store}: the {what}'s schema is not up to date ({pending.Count} migration{(pending.Count == 1 ? "" : "s")} pending, first {pending[0]}); run {migrate}";
                }
            }
        }
        catch (DbException e)
        {
            return $"{store}: cannot use the store: {e.Message}";
        }

        return null;
    }

    /// <summary>The migrations this build carries for a context, in order: the ids their attributes give them.</summary>
    internal static List<string> Known(Type context) =>
        [.. typeof(StoreSchema).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(Migration)) && t.GetCustomAttribute<DbContextAttribute>()?.ContextType == context)
            .Select(t => t.GetCustomAttribute<MigrationAttribute>()?.Id)
            .OfType<string>()
            .Order(StringComparer.Ordinal)];

    /// <summary>The migrations applied to a store, from EF Core's history table; none when the table is not there.</summary>
    private static async Task<List<string>> AppliedAsync(DbConnection connection, string table, string? schema, CancellationToken cancellationToken)
    {
        var sqlite = connection is SqliteConnection;
        await using (var exists = Sql.Command(connection, sqlite
            ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = @table"
            : "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = @table AND schemaname = coalesce(@schema, current_schema())"))
        {
            exists.Add("@table", table);
            if (!sqlite)
            {
                exists.Add("@schema", schema);
            }

            if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                return [];
            }
        }

        var applied = new List<string>();
        await using var command = Sql.Command(connection, $"""SELECT "MigrationId" FROM {(schema is null ? "" : $"\"{schema}\".")}"{table}" ORDER BY "MigrationId" """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied.Add(reader.GetString(0));
        }

        return applied;
    }
}
