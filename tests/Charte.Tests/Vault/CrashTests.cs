using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Charte.Applications;
using Charte.Hosting;
using Charte.Keys;
using Charte.Ledger;
using Charte.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Charte.Vault;

/// <summary>The real executable, killed with SIGKILL in the middle of a stream of writes, then restarted.</summary>
public abstract class CrashTests(StoreKind kind) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("charte-crash-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task KillNine_DuringWrites_LosesNoAcknowledgedWrite()
    {
        await using var store = await TestStore.CreateAsync(kind);
        var keyFile = Path.Combine(_folder, "master.key");
        MasterKeys.Create(TimeProvider.System).Save(keyFile);
        SigningKeys.CreateIfMissing(SigningKeys.FolderFor(keyFile), "Secufor", TimeProvider.System);
        await CharteServer.MigrateAsync(store.Location, CancellationToken.None);
        var (key, _) = await AppsCommand.AddAsync(CharteDb.Factory(store.Location), "writer", ["customer_management"], new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56)), CancellationToken.None);
        var acknowledged = new ConcurrentBag<(Guid Subject, string Value)>();

        var port = ServerProcess.FreePort();
        var server = await ServerProcess.StartAsync(store.Location, keyFile, port, _folder);
        using (ServerProcess.KillOnDispose(server))
        {
            using var stop = new CancellationTokenSource();
            var client = ServerProcess.Client(port, key!);
            var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var email = $"writer{w}.n{i}@demo.invalid";
                    try
                    {
                        var created = await client.PostAsJsonAsync("/api/v1/subjects", new { identifiers = new { email }, category = "customer" });
                        if (created.StatusCode != HttpStatusCode.Created)
                        {
                            continue;
                        }

                        var subject = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
                        var written = await client.PutAsJsonAsync($"/api/v1/subjects/{subject}/records", VaultApiTests.Records("customer_management", ("contact.email", email)));
                        if (written.StatusCode == HttpStatusCode.OK)
                        {
                            acknowledged.Add((subject, email));
                        }
                    }
                    catch (HttpRequestException)
                    {
                        return; // the server is gone: this write was never acknowledged
                    }
                    catch (TaskCanceledException)
                    {
                        return;
                    }
                }
            })).ToList();

            while (acknowledged.Count < 150)
            {
                await Task.Delay(20);
            }

            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        using (ServerProcess.KillOnDispose(await ServerProcess.StartAsync(store.Location, keyFile, port, _folder)))
        {
            var client = ServerProcess.Client(port, key!);
            var lost = new List<Guid>();
            foreach (var (subject, email) in acknowledged)
            {
                var response = await client.GetAsync($"/api/v1/subjects/{subject}/data?purpose=customer_management");
                var data = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonElement>() : default;
                if (!response.IsSuccessStatusCode || data.GetProperty("records").EnumerateArray().All(r => r.GetProperty("value").GetString() != email))
                {
                    lost.Add(subject);
                }
            }

            Assert.True(acknowledged.Count >= 150);
            Assert.Empty(lost);
            await AssertLedgerCompleteAsync(store.Location, keyFile);

            // Two starts under the same charter file: one charter version in the ledger.
            await using var db = await CharteDb.Factory(store.Location).CreateDbContextAsync();
            Assert.Equal(1, await db.Journal.CountAsync(j => j.Action == CharterVersions.Action));
        }
    }

    /// <summary>
    /// Every journal entry ends up in the tree (the sequencer of the restarted server resumes where the killed one
    /// stopped, mid-batch or not), and the tree, checkpointed now, verifies.
    /// </summary>
    internal static async Task AssertLedgerCompleteAsync(StoreLocation store, string keyFile)
    {
        long leaves = 0, entries = -1;
        for (var attempt = 0; attempt < 300 && leaves != entries; attempt++)
        {
            await Task.Delay(100);
            await using var connection = await Sql.OpenAsync(store, CancellationToken.None);
            leaves = await LedgerStore.SizeAsync(connection, null, CancellationToken.None);
            await using var count = Sql.Command(connection, "SELECT COUNT(*) FROM journal");
            entries = Convert.ToInt64(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }

        Assert.Equal(entries, leaves);
        using var signing = SigningKeys.Load(SigningKeys.FolderFor(keyFile));
        var sequencer = new Sequencer(store, signing, new BuiltInTimestampAuthority(signing.Tsa, TimeProvider.System),
            new LedgerOptions { Origin = LedgerOptions.DefaultOrigin(TestHost.Secufor.Organisation.Name) }, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<Sequencer>.Instance);
        await sequencer.CheckpointAsync(CancellationToken.None);
        var report = await LedgerVerifier.VerifyAsync(store, signing.LogPublicKey.Export(NSec.Cryptography.KeyBlobFormat.RawPublicKey), signing.Ca, CancellationToken.None);
        Assert.True(report.Valid, LedgerVerifier.Describe(report));
        Assert.Equal(entries, report.Leaves);
    }
}

public sealed class CrashOnSqlite() : CrashTests(StoreKind.Sqlite);

public sealed class CrashOnPostgreSql() : CrashTests(StoreKind.PostgreSql);
