using System.CommandLine;
using Charte.Cli;
using Charte.Ledger;

namespace Charte.Hosting;

/// <summary><c>charte serve</c>: the vault API on Kestrel, with the store migrated at start.</summary>
internal static class ServeCommand
{
    public static Command Create(TimeProvider clock)
    {
        var store = new StoreOptions();
        var urls = UrlsOption();
        var noMigrate = new Option<bool>("--no-migrate") { Description = "Do not apply migrations at start (run 'charte db migrate' instead)" };
        var textLogs = new Option<bool>("--text-logs") { Description = "Human-readable logs instead of JSON lines" };
        var command = new Command("serve", "Run the Charte server: the vault API, /healthz, /readyz, OpenAPI at /openapi/v1.json, reference at /api.") { urls, noMigrate, textLogs };
        store.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var error = result.InvocationConfiguration.Error;
            var configuration = StoreOptions.Configuration();
            var location = store.ResolveStore(result, configuration, error);
            var keys = location is null ? null : store.ResolveKeys(result, configuration, error);
            var signing = keys is null ? null : store.ResolveSigning(result, configuration, error);
            if (signing is null)
            {
                return CharteCommand.Usage;
            }

            if (store.ResolveCharter(result, configuration, clock, error, out var unloaded) is not { } charter)
            {
                return unloaded;
            }

            if (Invalid(Urls(result, urls, configuration)) is { } badUrl)
            {
                error.WriteLine("charte: " + badUrl);
                return CharteCommand.Usage;
            }

            var (timestampUrl, badTimestampUrl) = TimestampAuthorities.UrlFrom(configuration);
            if (badTimestampUrl is not null)
            {
                error.WriteLine("charte: " + badTimestampUrl);
                return CharteCommand.Usage;
            }

            ApiConcurrency concurrency;
            LedgerOptions ledger;
            try
            {
                concurrency = ApiConcurrency.From(configuration);
                ledger = LedgerOptions.From(configuration, charter);
            }
            catch (InvalidOperationException e)
            {
                error.WriteLine("charte: " + e.Message);
                return CharteCommand.Usage;
            }

            if (!result.GetValue(noMigrate))
            {
                await CharteServer.MigrateAsync(location!, cancellationToken);
            }

            var app = CharteServer.Build(new ServerSettings
            {
                Charter = charter,
                Store = location!,
                Keys = keys!,
                Signing = signing!,
                CharterSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(store.CharterPath(result, configuration), cancellationToken))),
                TimestampUrl = timestampUrl,
                Ledger = ledger,
                Urls = Urls(result, urls, configuration),
                Clock = clock,
                JsonLogs = !result.GetValue(textLogs),
                Concurrency = concurrency,
            }, b => b.Configuration.AddConfiguration(configuration));
            await app.RunAsync(cancellationToken);
            return CharteCommand.Success;
        });
        return command;
    }

    public static Option<string[]> UrlsOption() => new("--urls")
    {
        Description = "Addresses to listen on (default http://127.0.0.1:5080)",
        AllowMultipleArgumentsPerToken = true,
    };


    /// <summary>Why an address cannot be listened on, for the first such one; null when every one is valid.</summary>
    public static string? Invalid(IReadOnlyList<string> urls)
    {
        foreach (var url in urls)
        {
            BindingAddress address;
            try
            {
                address = BindingAddress.Parse(url);
            }
            catch (FormatException)
            {
                return $"--urls '{url}' is not an address to listen on, such as http://127.0.0.1:5080";
            }

            if (address.Scheme is not ("http" or "https"))
            {
                return $"--urls '{url}': the scheme is '{address.Scheme}'; use http:// or https://";
            }

            if (address.Port is < 0 or > 65535)
            {
                return $"--urls '{url}': the port {address.Port} is not between 0 and 65535";
            }
        }

        return null;
    }

    public static IReadOnlyList<string> Urls(ParseResult result, Option<string[]> option, IConfiguration configuration) =>
        result.GetValue(option) is { Length: > 0 } given ? [.. given.SelectMany(u => u.Split(';', StringSplitOptions.RemoveEmptyEntries))]
        : configuration["Charte:Urls"] is { } configured ? configured.Split(';', StringSplitOptions.RemoveEmptyEntries)
        : ["http://127.0.0.1:5080"];
}
