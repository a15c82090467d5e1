using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Charte.Applications;
using Charte.Hosting;
using Charte.Keys;
using Charte.Ledger;
using Charte.Storage;
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

        var port = FreePort();
        using (var server = await StartAsync(store.Location, keyFile, port))
        {
            using var stop = new CancellationTokenSource();
            var client = Client(port, key!);
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

        using (await StartAsync(store.Location, keyFile, port))
        {
            var client = Client(port, key!);
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
        }
    }

    private async Task<Process> StartAsync(StoreLocation store, string keyFile, int port)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "charte.dll"), "serve", "--no-migrate", "--text-logs",
            "--charter", Path.Combine(AppContext.BaseDirectory, "examples", "secufor.charte.yaml"),
            "--store", store.Provider == StoreProvider.Sqlite ? "sqlite:" + store.SqlitePath : store.ConnectionString,
            "--keys", keyFile, "--urls", $"http://127.0.0.1:{port}",
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.WorkingDirectory = _folder;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var probe = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; attempt < 300; attempt++)
        {
            Assert.False(process.HasExited, "the server exited at start");
            try
            {
                if ((await probe.GetAsync("/readyz")).IsSuccessStatusCode)
                {
                    return process;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        process.Kill(true);
        throw new TimeoutException("the server did not become ready in 30 s");
    }

    private static HttpClient Client(int port, string key)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public sealed class CrashOnSqlite() : CrashTests(StoreKind.Sqlite);

public sealed class CrashOnPostgreSql() : CrashTests(StoreKind.PostgreSql);
