using System.CommandLine;
using Charte.Cli;
using Charte.Hosting;

namespace Charte.Storage;

/// <summary><c>charte db migrate</c>: brings the data store and the key store to the current schema.</summary>
internal static class DbVerb
{
    public static Command Create()
    {
        var store = new StoreOptions();
        var migrate = new Command("migrate", "Apply the schema migrations to the store (SQLite or PostgreSQL) and its key store.");
        migrate.Options.Add(store.Store);
        migrate.SetAction(async (result, cancellationToken) =>
        {
            var location = store.ResolveStore(result, StoreOptions.Configuration(), result.InvocationConfiguration.Error);
            if (location is null)
            {
                return CharteCommand.Usage;
            }

            try
            {
                await CharteServer.MigrateAsync(location, cancellationToken);
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
            {
                result.InvocationConfiguration.Error.WriteLine($"charte: {location}: {e.Message}");
                return CharteCommand.Findings;
            }

            result.InvocationConfiguration.Output.WriteLine($"{location}: schema up to date");
            return CharteCommand.Success;
        });
        return new Command("db", "Manage the store.") { migrate };
    }
}
