using System.CommandLine;
using Charte.Cli;
using Charte.Hosting;
using Charte.Journal;
using Charte.Keys;
using Charte.Storage;
using Microsoft.EntityFrameworkCore;

namespace Charte.Applications;

/// <summary><c>charte apps add|key|revoke|list</c>: the applications that may call the API, and their keys.</summary>
internal static class AppsCommand
{
    public static Command Create(TimeProvider clock)
    {
        var store = new StoreOptions();
        var name = new Argument<string>("NAME") { Description = "The application's name (letters, digits, - and _)" };
        var purposes = new Option<string[]>("--purpose") { Description = "A purpose of the charter the application may use (repeat the option)", Required = true, AllowMultipleArgumentsPerToken = true };
        var roles = new Option<string[]>("--role") { Description = "A role beyond the purposes: archivist (reads the intermediate archive, with a reason)", AllowMultipleArgumentsPerToken = true };
        var add = new Command("add", "Register an application with the purposes it may use, and print its first API key (shown once).") { name, purposes, roles };
        store.AddTo(add);
        add.SetAction(async (result, cancellationToken) =>
        {
            var (output, error) = (result.InvocationConfiguration.Output, result.InvocationConfiguration.Error);
            var configuration = StoreOptions.Configuration();
            if (store.ResolveStore(result, configuration, error) is not { } location)
            {
                return CharteCommand.Usage;
            }

            if (store.ResolveCharter(result, configuration, clock, error, out var unloaded) is not { } charter)
            {
                return unloaded;
            }

            var appName = result.GetValue(name)!;
            var wanted = result.GetValue(purposes)!.SelectMany(p => p.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct(StringComparer.Ordinal).ToList();
            if (!ValidName(appName))
            {
                error.WriteLine($"charte: '{Cli.CommandLineValues.Shown(appName)}' is not a valid application name: use 1 to 64 letters, digits, - and _");
                return CharteCommand.Usage;
            }

            if (wanted.FirstOrDefault(p => charter.FindPurpose(p) is null) is { } unknown)
            {
                error.WriteLine($"charte: the charter has no purpose '{unknown}'; it has {string.Join(", ", charter.Purposes.Select(p => p.Id))}");
                return CharteCommand.Usage;
            }

            var granted = (result.GetValue(roles) ?? []).Distinct(StringComparer.Ordinal).ToList();
            if (granted.FirstOrDefault(r => r != Caller.Archivist) is { } role)
            {
                error.WriteLine($"charte: unknown role '{role}'; the roles an application may hold: {Caller.Archivist}");
                return CharteCommand.Usage;
            }

            await CharteServer.MigrateAsync(location!, cancellationToken);
            var (key, problem) = await AddAsync(CharteDb.Factory(location!), appName, wanted, clock, cancellationToken, granted);
            if (key is null)
            {
                error.WriteLine("charte: " + problem);
                return CharteCommand.Findings;
            }

            output.WriteLine($"Application '{appName}' may use: {string.Join(", ", wanted)}");
            output.WriteLine("API key (shown once, store it as a secret):");
            output.WriteLine(key);
            return CharteCommand.Success;
        });

        var keyName = new Argument<string>("NAME") { Description = "The application" };
        var key = new Command("key", "Issue another API key for an application (for rotation); prints it once.") { keyName };
        store.AddTo(key, charter: false);
        key.SetAction(async (result, cancellationToken) =>
        {
            var error = result.InvocationConfiguration.Error;
            await using var db = await store.OpenAsync(result, cancellationToken);
            if (db is null)
            {
                return CharteCommand.Usage;
            }

            var appName = result.GetValue(keyName)!;
            var application = await db.Applications.FirstOrDefaultAsync(a => a.Name == appName, cancellationToken);
            if (application is null)
            {
                error.WriteLine($"charte: no application named '{Cli.CommandLineValues.Shown(appName)}'");
                return CharteCommand.Findings;
            }

            var (row, secret) = ApiKeys.Issue(application.Id, clock);
            db.ApiKeys.Add(row);
            db.Journal.Add(Entry(clock, "apikey.issue", $"application {application.Name}; key {row.Id}"));
            await db.SaveChangesAsync(cancellationToken);
            result.InvocationConfiguration.Output.WriteLine(secret);
            return CharteCommand.Success;
        });

        var keyId = new Argument<string>("KEY") { Description = "The key, or its 12-character id" };
        var revoke = new Command("revoke", "Revoke an API key at once (servers notice within Charte:Api:KeyCacheSeconds).") { keyId };
        store.AddTo(revoke, charter: false);
        revoke.SetAction(async (result, cancellationToken) =>
        {
            var error = result.InvocationConfiguration.Error;
            var location = await store.ResolveReadyStoreAsync(result, StoreOptions.Configuration(), error, cancellationToken);
            if (location is null)
            {
                return CharteCommand.Usage;
            }

            var given = result.GetValue(keyId)!;
            var id = given.StartsWith(ApiKeys.Prefix, StringComparison.Ordinal) && given.Length > ApiKeys.Prefix.Length + 12 ? given.Substring(ApiKeys.Prefix.Length, 12) : given;
            await using var db = await CharteDb.Factory(location).CreateDbContextAsync(cancellationToken);
            var row = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, cancellationToken);
            if (row is null)
            {
                error.WriteLine($"charte: no API key with id '{id}'");
                return CharteCommand.Findings;
            }

            row.RevokedAt ??= clock.GetUtcNow().UtcDateTime;
            db.Journal.Add(Entry(clock, "apikey.revoke", $"key {row.Id}"));
            await db.SaveChangesAsync(cancellationToken);
            result.InvocationConfiguration.Output.WriteLine($"API key {row.Id} revoked");
            return CharteCommand.Success;
        });

        var list = new Command("list", "List applications, their purposes and their keys (ids only).");
        store.AddTo(list, charter: false);
        list.SetAction(async (result, cancellationToken) =>
        {
            await using var db = await store.OpenAsync(result, cancellationToken);
            if (db is null)
            {
                return CharteCommand.Usage;
            }

            foreach (var application in await db.Applications.OrderBy(a => a.Name).ToListAsync(cancellationToken))
            {
                var keys = await db.ApiKeys.Where(k => k.ApplicationId == application.Id).OrderBy(k => k.CreatedAt).ToListAsync(cancellationToken);
                result.InvocationConfiguration.Output.WriteLine($"{application.Name}: {string.Join(", ", application.PurposeList)}");
                foreach (var k in keys)
                {
                    result.InvocationConfiguration.Output.WriteLine($"  key {k.Id} created {k.CreatedAt:yyyy-MM-dd}{(k.RevokedAt is { } r ? $", revoked {r:yyyy-MM-dd}" : "")}");
                }
            }

            return CharteCommand.Success;
        });

        return new Command("apps", "Manage the applications that call the API and their keys.") { add, key, revoke, list };
    }

    /// <summary>Registers an application and issues its first key; null and a reason when the name is taken.</summary>
    public static async Task<(string? Key, string Problem)> AddAsync(IDbContextFactory<CharteDb> databases, string name, IReadOnlyList<string> purposes, TimeProvider clock, CancellationToken cancellationToken, IReadOnlyList<string>? roles = null)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        if (await db.Applications.AnyAsync(a => a.Name == name, cancellationToken))
        {
            return (null, $"an application named '{name}' already exists; issue it another key with 'charte apps key {name}'");
        }

        var application = new Application { Id = PublicRandom.Version7(clock.GetUtcNow()), Name = name, Purposes = string.Join(' ', purposes), Roles = string.Join(' ', roles ?? []), CreatedAt = clock.GetUtcNow().UtcDateTime };
        var (row, key) = ApiKeys.Issue(application.Id, clock);
        db.Applications.Add(application);
        db.ApiKeys.Add(row);
        db.Journal.Add(Entry(clock, "application.register", $"application {name}; purposes {string.Join(", ", purposes)}{(roles is { Count: > 0 } ? "; roles " + string.Join(", ", roles) : "")}; key {row.Id}"));
        await db.SaveChangesAsync(cancellationToken);
        return (key, "");
    }

    private static bool ValidName(string name) => name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static JournalEntry Entry(TimeProvider clock, string action, string detail) => new()
    {
        At = clock.GetUtcNow().UtcDateTime,
        Actor = "cli",
        Action = action,
        Outcome = "ok",
        Detail = detail,
    };
}
