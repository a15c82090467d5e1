using System.CommandLine;
using System.Reflection;
using Charte.Applications;
using Charte.Cli;
using Charte.Hosting;
using Charte.Keys;
using Charte.Ledger;
using Charte.Storage;
using Microsoft.EntityFrameworkCore;

namespace Charte.Demo;

/// <summary>
/// <c>charte demo</c>: the embedded default on one machine. SQLite, a development key file and an example charter under
/// <c>./.charte/</c>, a few thousand synthetic subjects, an API key for a demo application, then the server.
/// </summary>
internal static class DemoCommand
{
    private const int MaxSubjects = 1_000_000;

    public static Command Create(TimeProvider clock)
    {
        var urls = ServeCommand.UrlsOption();
        var subjects = new Option<int>("--subjects")
        {
            Description = "How many synthetic subjects to create on first start",
            DefaultValueFactory = _ => 2000,
            CustomParser = r => CommandLineValues.WholeNumber(r, "--subjects", 0, MaxSubjects),
        };
        var folder = new Option<string>("--dir") { Description = "Where the demo keeps its store, keys and charter", DefaultValueFactory = _ => ".charte" };
        var prepareOnly = new Option<bool>("--prepare-only") { Description = "Set everything up and print the key, but do not start the server" };
        var command = new Command("demo", "Run Charte on its embedded default: SQLite, local keys, an example charter and synthetic data.") { urls, subjects, folder, prepareOnly };
        command.SetAction(async (result, cancellationToken) =>
        {
            var (output, error) = (result.InvocationConfiguration.Output, result.InvocationConfiguration.Error);
            var count = result.GetValue(subjects);

            if (ServeCommand.Invalid(ServeCommand.Urls(result, urls, StoreOptions.Configuration())) is { } badUrl)
            {
                error.WriteLine("charte: " + badUrl);
                return CharteCommand.Usage;
            }

            var dir = result.GetValue(folder)!;
            Directory.CreateDirectory(dir);
            var keyFile = Path.Combine(dir, "master.key");
            if (!File.Exists(keyFile))
            {
                MasterKeys.Create(clock).Save(keyFile);
                output.WriteLine($"Created a development key file: {keyFile}");
            }

            var charterFile = Path.Combine(dir, "charter.yaml");
            if (!File.Exists(charterFile))
            {
                await using var resource = Assembly.GetExecutingAssembly().GetManifestResourceStream("demo.charte.yaml")!;
                await using var file = File.Create(charterFile);
                await resource.CopyToAsync(file, cancellationToken);
            }

            MasterKeys masters;
            try
            {
                masters = MasterKeys.Load(keyFile);
            }
            catch (KeyFileException e)
            {
                error.WriteLine("charte: " + e.Message);
                return CharteCommand.Usage;
            }

            if (CharterFile.Load(charterFile, clock, error, out var unloaded) is not { } charter)
            {
                return unloaded;
            }

            var signingFolder = SigningKeys.FolderFor(keyFile);
            if (SigningKeys.CreateIfMissing(signingFolder, charter.Organisation.Name, clock))
            {
                output.WriteLine($"Created development signing keys (ledger, timestamp authority, seal): {signingFolder}");
            }

            using var signing = SigningKeys.Load(signingFolder);
            var store = StoreLocation.Parse("sqlite:" + Path.Combine(dir, "charte.db"));
            await CharteServer.MigrateAsync(store, cancellationToken);
            var databases = CharteDb.Factory(store);
            await using (var db = await databases.CreateDbContextAsync(cancellationToken))
            {
                if (!await db.Subjects.AnyAsync(cancellationToken) && count > 0)
                {
                    output.WriteLine($"Creating {count} synthetic subjects (fake names, e-mails under demo.invalid)…");
                    await DemoPopulation.SeedAsync(charter, store, masters, clock, count, seed: 20261122, cancellationToken);
                }
            }

            string key;
            await using (var db = await databases.CreateDbContextAsync(cancellationToken))
            {
                var application = await db.Applications.FirstOrDefaultAsync(a => a.Name == "demo-app", cancellationToken);
                if (application is null)
                {
                    var (issued, _) = await AppsCommand.AddAsync(databases, "demo-app", [.. charter.Purposes.Select(p => p.Id)], clock, cancellationToken);
                    key = issued!;
                }
                else
                {
                    var (row, secret) = ApiKeys.Issue(application.Id, clock);
                    db.ApiKeys.Add(row);
                    await db.SaveChangesAsync(cancellationToken);
                    key = secret;
                }
            }

            var listen = ServeCommand.Urls(result, urls, StoreOptions.Configuration());
            var baseUrl = listen[0].Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/');
            output.WriteLine($$"""

                Charte demo — {{charter.Organisation.Name}}'s charter, {{charter.Purposes.Count}} purposes, store {{store}}
                  API reference   {{baseUrl}}/api
                  OpenAPI         {{baseUrl}}/openapi/v1.json
                  Health          {{baseUrl}}/healthz  {{baseUrl}}/readyz
                  Demo API key    {{key}}
                                  (application demo-app, holds every purpose; a new key at each start)

                Try:
                  export KEY={{key}}
                  curl -s -X POST {{baseUrl}}/api/v1/subjects -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
                    -d '{"identifiers":{"email":"jeanne.martin@demo.invalid"},"category":"customer"}'
                  curl -s -X PUT {{baseUrl}}/api/v1/subjects/SUBJECT_ID/records -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
                    -d '{"purpose":"customer_management","records":[{"category":"contact.email","value":"jeanne.martin@demo.invalid"}]}'
                  curl -s '{{baseUrl}}/api/v1/subjects/SUBJECT_ID/data?purpose=customer_management' -H "Authorization: Bearer $KEY"

                """);
            if (result.GetValue(prepareOnly))
            {
                return CharteCommand.Success;
            }

            var app = CharteServer.Build(new ServerSettings
            {
                Charter = charter,
                Store = store,
                Keys = masters,
                Signing = signing,
                CharterSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(charterFile, cancellationToken))),
                Urls = listen,
                Clock = clock,
                JsonLogs = false,
                EnvironmentName = "Development",
            });
            await app.RunAsync(cancellationToken);
            return CharteCommand.Success;
        });
        return command;
    }
}
