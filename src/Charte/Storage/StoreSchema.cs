using System.Data.Common;
using Charte.Keys;
using Microsoft.EntityFrameworkCore;

namespace Charte.Storage;

/// <summary>
/// Whether a store is there and carries the schema this build of Charte expects, asked before a command acts on it.
/// Only <c>charte db migrate</c>, <c>charte serve</c> and the commands that set a store up create or upgrade one: any
/// other command pointed at a mistyped path must not leave an empty database there, and one pointed at a store of
/// another version must say so rather than fail half-way.
/// </summary>
public static class StoreSchema
{
    /// <summary>What stops a command from using the store, in one line, or null when it is ready.</summary>
    public static async Task<string?> ProblemAsync(StoreLocation store, CancellationToken cancellationToken)
    {
        var migrate = $"`charte db migrate --store {store}`";
        if (store.SqlitePath is { } path)
        {
            var keyFile = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(store.KeyStoreConnectionString).DataSource;
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
            await using var data = await CharteDb.Factory(store).CreateDbContextAsync(cancellationToken);
            await using var keys = await KeyStoreDb.Factory(store).CreateDbContextAsync(cancellationToken);
            foreach (var (context, what) in new (DbContext, string)[] { (data, "data"), (keys, "key store") })
            {
                var known = context.Database.GetMigrations().ToList();
                var applied = (await context.Database.GetAppliedMigrationsAsync(cancellationToken)).ToList();
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
}
