using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Charte.Storage;

namespace Charte.Hosting;

/// <summary>The real <c>charte serve</c> executable in a process of its own, for crash and multi-node tests.</summary>
public static class ServerProcess
{
    /// <summary>Kills the server (if still running) when the test is done with it, whatever happened: no process outlives its test.</summary>
    public static IDisposable KillOnDispose(Process process) => new Killer(process);

    private sealed class Killer(Process process) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            process.Dispose();
        }
    }

    public static async Task<Process> StartAsync(StoreLocation store, string keyFile, int port, string folder)
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

        start.WorkingDirectory = folder;
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

    public static HttpClient Client(int port, string key)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
