using System.Net.Http.Headers;
using Charte.Applications;
using Charte.Charters;
using Charte.Keys;
using Charte.Ledger;
using Charte.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Charte.Hosting;

/// <summary>
/// The test host every integration test starts from: a real Charte server on Kestrel (127.0.0.1, a free port) over a
/// store of the test's own, migrated with the real migrations. Hooks: <see cref="Clock"/> (a fake clock the test
/// drives), <see cref="Keys"/> (fresh master keys), the charter (Secufor's by default), and caches off so that
/// revocation and shredding are seen at once.
/// </summary>
public sealed class TestHost : IAsyncDisposable
{
    private readonly TestStore _store;
    private readonly WebApplication _app;
    private readonly ProblemRecorder _problems;

    private TestHost(TestStore store, WebApplication app, ProblemRecorder problems, Charter charter, MasterKeys keys, FakeTimeProvider clock, Uri address)
    {
        _store = store;
        _app = app;
        _problems = problems;
        Charter = charter;
        Keys = keys;
        Clock = clock;
        Address = address;
    }

    /// <summary>22 November 2026, 10:00 in Paris.</summary>
    public static DateTimeOffset Start { get; } = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);

    public Charter Charter { get; }
    public MasterKeys Keys { get; }
    public FakeTimeProvider Clock { get; }
    public Uri Address { get; }
    public StoreLocation Store => _store.Location;
    public IServiceProvider Services => _app.Services;

    public static Charter Secufor { get; } = LoadExample("secufor");

    /// <summary>Development signing material, made once for the whole test run.</summary>
    public static SigningKeys Signing { get; } = SigningKeys.CreateInMemory("Secufor", new FakeTimeProvider(Start.AddYears(-1)));

    public Sequencer Sequencer => _app.Services.GetRequiredService<Sequencer>();

    public static async Task<TestHost> StartAsync(StoreKind kind, Charter? charter = null, ApiConcurrency? concurrency = null)
    {
        var store = await TestStore.CreateAsync(kind);
        var clock = new FakeTimeProvider(Start);
        var keys = MasterKeys.Create(clock);
        var problems = new ProblemRecorder();
        await CharteServer.MigrateAsync(store.Location, CancellationToken.None);
        var app = CharteServer.Build(new ServerSettings
        {
            Charter = charter ?? Secufor,
            Store = store.Location,
            Keys = keys,
            Signing = Signing,
            Urls = ["http://127.0.0.1:0"],
            Clock = clock,
            KeyCache = TimeSpan.Zero,
            ApiKeyCache = TimeSpan.Zero,

            // Tests sign checkpoints when they choose (Sequencer.CheckpointAsync): the server's own pass at start would
            // otherwise sign one at a moment that depends on thread scheduling.
            Ledger = new LedgerOptions { Origin = LedgerOptions.DefaultOrigin((charter ?? Secufor).Organisation.Name), CheckpointEvery = TimeSpan.MaxValue },
            JsonLogs = false,
            EnvironmentName = "Testing",
            Concurrency = concurrency,
        }, b => { b.Configuration["Charte:Retention:SweepEvery"] = "00:00:00"; b.Services.AddSingleton<IStartupFilter>(problems); b.Logging.ClearProviders(); if (Environment.GetEnvironmentVariable("CHARTE_TEST_LOGS") is not null) { b.Logging.AddSimpleConsole(); } });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestHost(store, app, problems, charter ?? Secufor, keys, clock, new Uri(address));
    }

    /// <summary>Registers an application holding <paramref name="purposes"/> and returns a client that sends its key.</summary>
    public Task<HttpClient> ClientAsync(params string[] purposes) => ClientAsync(purposes, []);

    /// <summary>An application holding the archivist role besides <paramref name="purposes"/>.</summary>
    public Task<HttpClient> ArchivistAsync(params string[] purposes) => ClientAsync(purposes, [Caller.Archivist]);

    private async Task<HttpClient> ClientAsync(string[] purposes, string[] roles)
    {
        var name = "app-" + Guid.NewGuid().ToString("N")[..8];
        var (key, problem) = await AppsCommand.AddAsync(CharteDb.Factory(Store), name, purposes, Clock, CancellationToken.None, roles);
        Assert.True(key is not null, problem);
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public HttpClient Anonymous() => new() { BaseAddress = Address };

    /// <summary>Stops the server; fails the test if the API answered a problem its description does not declare.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _store.DisposeAsync();
        Assert.True(_problems.Violations.IsEmpty, "problems the API's description does not declare:\n" + string.Join("\n", _problems.Violations.Distinct()));
    }

    private static Charter LoadExample(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "examples", name + ".charte.yaml");
        return CharterLoader.Load(File.ReadAllBytes(path), path, TimeProvider.System).Charter!;
    }
}
