using System.CommandLine;
using Charte.Charters;
using Charte.Keys;
using Charte.Ledger;
using Charte.Storage;

namespace Charte.Cli;

/// <summary>
/// The options every verb that acts on a store shares: <c>--store</c>, <c>--charter</c>, <c>--keys</c>. Each falls back to
/// configuration (<c>appsettings.json</c> in the working folder, then environment <c>CHARTE__STORE</c>,
/// <c>CHARTE__CHARTER</c>, <c>CHARTE__KEYS__FILE</c>, <c>CHARTE__KEYS__MASTER</c>), then to the demo's <c>./.charte/</c>.
/// </summary>
internal sealed class StoreOptions
{
    public const string DefaultKeyFile = ".charte/master.key";
    public const string DefaultCharter = ".charte/charter.yaml";

    public Option<string?> Store { get; } = new("--store") { Description = "sqlite:PATH or a PostgreSQL connection string (default: configuration, then sqlite:.charte/charte.db)" };
    public Option<string?> Charter { get; } = new("--charter") { Description = "The charter file (default: configuration, then .charte/charter.yaml)" };
    public Option<string?> Keys { get; } = new("--keys") { Description = "The master key file (default: configuration, then .charte/master.key)" };

    public void AddTo(Command command, bool charter = true)
    {
        command.Options.Add(Store);
        command.Options.Add(Keys);
        if (charter)
        {
            command.Options.Add(Charter);
        }
    }

    public static IConfiguration Configuration() => new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
        .AddEnvironmentVariables()
        .Build();

    public StoreLocation? ResolveStore(ParseResult result, IConfiguration configuration, TextWriter error)
    {
        var setting = result.GetValue(Store) ?? configuration["Charte:Store"] ?? StoreLocation.DefaultSetting;
        try
        {
            return StoreLocation.Parse(setting);
        }
        catch (FormatException e)
        {
            error.WriteLine("charte: --store: " + e.Message);
            return null;
        }
    }

    /// <summary>
    /// The store, once it is known to be there with the schema this build expects (<see cref="StoreSchema"/>); null once
    /// the problem is printed. For every command that uses a store without setting one up.
    /// </summary>
    public async Task<StoreLocation?> ResolveReadyStoreAsync(ParseResult result, IConfiguration configuration, TextWriter error, CancellationToken cancellationToken)
    {
        if (ResolveStore(result, configuration, error) is not { } location)
        {
            return null;
        }

        if (await StoreSchema.ProblemAsync(location, cancellationToken) is { } problem)
        {
            error.WriteLine("charte: " + problem);
            return null;
        }

        return location;
    }

    public string KeyFile(ParseResult result, IConfiguration configuration) =>
        result.GetValue(Keys) ?? configuration["Charte:Keys:File"] ?? DefaultKeyFile;

    /// <summary>The master keys: the file when it exists or was asked for, else the environment's single key.</summary>
    public MasterKeys? ResolveKeys(ParseResult result, IConfiguration configuration, TextWriter error)
    {
        try
        {
            if (result.GetValue(Keys) is null && configuration["Charte:Keys:File"] is null && configuration["Charte:Keys:Master"] is { } master)
            {
                return MasterKeys.FromBase64(master);
            }

            return MasterKeys.Load(KeyFile(result, configuration));
        }
        catch (KeyFileException e)
        {
            error.WriteLine("charte: " + e.Message);
            return null;
        }
    }

    /// <summary>A context on the store the command line names, ready for use, or null once the problem is printed.</summary>
    public async Task<Storage.CharteDb?> OpenAsync(ParseResult result, CancellationToken cancellationToken) =>
        await ResolveReadyStoreAsync(result, Configuration(), result.InvocationConfiguration.Error, cancellationToken) is { } location
            ? await Storage.CharteDb.Factory(location).CreateDbContextAsync(cancellationToken)
            : null;

    /// <summary>The signing folder: configuration <c>Charte:Signing:Folder</c>, else <c>signing/</c> beside the master key file.</summary>
    public string SigningFolder(ParseResult result, IConfiguration configuration) =>
        configuration["Charte:Signing:Folder"] ?? SigningKeys.FolderFor(KeyFile(result, configuration));

    public SigningKeys? ResolveSigning(ParseResult result, IConfiguration configuration, TextWriter error)
    {
        var folder = SigningFolder(result, configuration);
        try
        {
            return SigningKeys.Load(folder);
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or FormatException or UnauthorizedAccessException)
        {
            error.WriteLine("charte: " + (e.Message.StartsWith(folder, StringComparison.Ordinal) ? e.Message : $"{folder}: {e.Message}"));
            return null;
        }
    }

    public string CharterPath(ParseResult result, IConfiguration configuration) =>
        result.GetValue(Charter) ?? configuration["Charte:Charter"] ?? DefaultCharter;

    /// <summary>The charter the command line names (see <see cref="CharterFile"/>), with the exit code for a null.</summary>
    public Charter? ResolveCharter(ParseResult result, IConfiguration configuration, TimeProvider clock, TextWriter error, out int exit) =>
        CharterFile.Load(CharterPath(result, configuration), clock, error, out exit);
}
