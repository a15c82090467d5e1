using Microsoft.Extensions.Time.Testing;

namespace Charte.Cli;

/// <summary>A command-line test: a temporary folder of its own, a fake clock at 22 November 2026 09:00 UTC, and the verbs run in process.</summary>
public abstract class CliTest : IDisposable
{
    protected string Folder { get; } = Directory.CreateTempSubdirectory("charte-cli-").FullName;
    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        Directory.Delete(Folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    protected async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var exit = await CharteCommand.RunAsync(args, output, error, Clock);
        return (exit, output.ToString(), error.ToString());
    }
}
