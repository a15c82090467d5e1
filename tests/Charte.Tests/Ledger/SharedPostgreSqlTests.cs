using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Charte.Applications;
using Charte.Hosting;
using Charte.Keys;
using Charte.Storage;
using Charte.Vault;

namespace Charte.Ledger;

/// <summary>
/// Two real server processes on one PostgreSQL, both taking writes: one sequences (advisory lock), the other only
/// appends. The sequencer is killed with SIGKILL while entries stream in; the other server takes over, and the tree
/// holds every acknowledged entry and verifies.
/// </summary>
public sealed class SharedPostgreSqlTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("charte-shared-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task TwoServers_OneTree_AndKillingTheSequencerLosesNoAcknowledgedEntry()
    {
        await using var store = await TestStore.CreateAsync(StoreKind.PostgreSql);
        var keyFile = Path.Combine(_folder, "master.key");
        MasterKeys.Create(TimeProvider.System).Save(keyFile);
        SigningKeys.CreateIfMissing(SigningKeys.FolderFor(keyFile), "Secufor", TimeProvider.System);
        await CharteServer.MigrateAsync(store.Location, CancellationToken.None);
        var (key, _) = await AppsCommand.AddAsync(CharteDb.Factory(store.Location), "writer", ["customer_management"], TimeProvider.System, CancellationToken.None);

        // The first server up takes the sequencer's lock; the second only appends until it is gone.
        var (portA, portB) = (ServerProcess.FreePort(), ServerProcess.FreePort());
        var sequencing = await ServerProcess.StartAsync(store.Location, keyFile, portA, _folder);
        using var stopSequencing = ServerProcess.KillOnDispose(sequencing);
        await Task.Delay(500);
        using var appending = ServerProcess.KillOnDispose(await ServerProcess.StartAsync(store.Location, keyFile, portB, _folder));
        var clients = new[] { ServerProcess.Client(portA, key!), ServerProcess.Client(portB, key!) };
        var acknowledged = new ConcurrentBag<long>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            var client = clients[w % 2];
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    var created = await client.PostAsJsonAsync("/api/v1/subjects", new { identifiers = new { email = $"w{w}.{i}@demo.invalid" }, category = "customer" });
                    if (created.StatusCode != HttpStatusCode.Created)
                    {
                        continue;
                    }

                    var body = await created.Content.ReadFromJsonAsync<JsonElement>();
                    acknowledged.Add(body.GetProperty("journal").GetInt64());
                    var read = await client.GetAsync($"/api/v1/subjects/{body.GetProperty("id").GetGuid()}/data?purpose=customer_management");
                    if (read.IsSuccessStatusCode)
                    {
                        acknowledged.Add((await read.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("journal").GetInt64());
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    client = clients[1]; // server A is gone: carry on with B
                }
            }
        })).ToList();

        await WaitForAsync(() => acknowledged.Count >= 200);
        sequencing.Kill(entireProcessTree: true);
        await sequencing.WaitForExitAsync();
        var atKill = acknowledged.Count;
        await WaitForAsync(() => acknowledged.Count >= atKill + 200);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        await CrashTests.AssertLedgerCompleteAsync(store.Location, keyFile);
        await using var connection = await Sql.OpenAsync(store.Location, CancellationToken.None);
        var missing = new List<long>();
        foreach (var entry in acknowledged)
        {
            if (await LedgerStore.LeafOfAsync(connection, entry, CancellationToken.None) is null)
            {
                missing.Add(entry);
            }
        }

        Assert.Empty(missing);
        Assert.Equal(acknowledged.Count, acknowledged.Distinct().Count());
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 600 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), "the writers did not make progress in 30 s");
    }
}
