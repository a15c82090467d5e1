using System.CommandLine;
using Charte.Cli;
using Charte.Hosting;

using Charte.Ledger;

namespace Charte.Keys;

/// <summary><c>charte keys init</c> and <c>charte keys rotate</c>: the master key file, outside the database.</summary>
internal static class KeysCommand
{
    public static Command Create(TimeProvider clock)
    {
        var store = new StoreOptions();

        var organisation = new Option<string>("--organisation") { Description = "The organisation named in the development certificates", DefaultValueFactory = _ => "Charte development" };
        var init = new Command("init", "Create a master key file and development signing keys (ledger, timestamp authority, seal), files 0600. Never overwrites: losing a key file loses the data it protects.") { organisation };
        init.Options.Add(store.Keys);
        init.SetAction(result =>
        {
            var configuration = StoreOptions.Configuration();
            var path = store.KeyFile(result, configuration);
            var signing = store.SigningFolder(result, configuration);
            var output = result.InvocationConfiguration.Output;
            if (File.Exists(path) && SigningKeys.Exists(signing))
            {
                result.InvocationConfiguration.Error.WriteLine($"charte: {path} already exists; overwriting it would make every subject's data unreadable");
                return CharteCommand.Findings;
            }

            if (!File.Exists(path))
            {
                MasterKeys.Create(clock).Save(path);
                output.WriteLine($"{path}: master key version 1 created. Back it up apart from the database.");
            }

            if (SigningKeys.CreateIfMissing(signing, result.GetValue(organisation)!, clock))
            {
                output.WriteLine($"{signing}: development signing keys created (ledger.key, tsa.crt/key, seal.crt/key, ca.crt). In production, put the organisation's PEM files there.");
            }

            return CharteCommand.Success;
        });

        var retire = new Option<bool>("--retire-unused")
        {
            Description = "Also remove from the file the older versions that no data key uses any more. Only when no server still runs with the old file: it would wrap new keys under a version that is gone.",
        };
        var rotate = new Command("rotate", "Add a master key version and re-wrap every data key under it; the data itself is not rewritten.") { retire };
        store.AddTo(rotate, charter: false);
        rotate.SetAction(async (result, cancellationToken) =>
        {
            var (output, error) = (result.InvocationConfiguration.Output, result.InvocationConfiguration.Error);
            var configuration = StoreOptions.Configuration();
            var path = store.KeyFile(result, configuration);
            var location = store.ResolveStore(result, configuration, error);
            var masters = location is null ? null : store.ResolveKeys(result, configuration, error);
            if (masters is null)
            {
                return CharteCommand.Usage;
            }

            await CharteServer.MigrateAsync(location!, cancellationToken);
            var version = masters.Rotate(clock);

            // The file holds the new version before any data key depends on it.
            masters.Save(path);
            var keys = new SubjectKeys(KeyStoreDb.Factory(location!), masters, clock, TimeSpan.Zero);
            var rewrapped = await keys.RewrapAsync(cancellationToken);
            var counts = await keys.CountByMasterVersionAsync(cancellationToken);
            var retired = result.GetValue(retire) ? masters.Versions.Where(v => v != version && counts.GetValueOrDefault(v) == 0).ToList() : [];
            foreach (var old in retired)
            {
                masters.Retire(old);
            }

            masters.Save(path);
            output.WriteLine($"{path}: master key version {version} is current; {rewrapped} data keys re-wrapped" +
                (retired.Count > 0 ? $"; version {string.Join(", ", retired)} retired" : ""));
            output.WriteLine("Restart the servers that use this key file so that they wrap new data keys with the new version.");
            return CharteCommand.Success;
        });

        return new Command("keys", "Manage the master keys.") { init, rotate };
    }
}
