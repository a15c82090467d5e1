using System.CommandLine;
using System.Data.Common;
using Charte.Applications;
using Charte.Demo;
using Charte.Hosting;
using Charte.Keys;
using Charte.Storage;

namespace Charte.Cli;

/// <summary>The <c>charte</c> executable's verbs. Exit codes: 0 success, 1 findings or errors, 2 usage, 130 interrupted.</summary>
public static class CharteCommand
{
    public const int Success = 0;
    public const int Findings = 1;
    public const int Usage = 2;
    public const int Interrupted = 130;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, TimeProvider clock)
    {
        var root = new RootCommand("Charte makes a privacy charter executable: it checks the charter, renders the privacy policy and the GDPR Art. 30 register, and runs the vault that keeps it.");
        root.Subcommands.Add(DemoCommand.Create(clock));
        root.Subcommands.Add(ServeCommand.Create(clock));
        root.Subcommands.Add(CharterCommands.Check(clock));
        root.Subcommands.Add(CharterCommands.Policy(clock));
        root.Subcommands.Add(CharterCommands.Register(clock));
        root.Subcommands.Add(DbVerb.Create());
        root.Subcommands.Add(KeysCommand.Create(clock));
        root.Subcommands.Add(AppsCommand.Create(clock));
        root.Subcommands.Add(Ledger.LedgerCommand.Create(clock));
        root.Subcommands.Add(Ledger.LedgerCommand.Seal(clock));
        root.Subcommands.Add(Retention.RetentionCommand.Create(clock));
        root.Subcommands.Add(Retention.RetentionCommand.Holds(clock));

        var parsed = root.Parse(args);
        var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        if (parsed.Errors.Count > 0)
        {
            foreach (var problem in parsed.Errors)
            {
                error.WriteLine("charte: " + problem.Message);
            }

            error.WriteLine("Run 'charte --help' for usage.");
            return Usage;
        }

        try
        {
            return await parsed.InvokeAsync(configuration);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C or SIGTERM while a verb was still working: its transactions roll back, nothing is half-written.
            error.WriteLine("charte: interrupted");
            return Interrupted;
        }
        catch (Exception e)
        {
            // A failure no verb foresaw: one line that says what failed, never a stack trace (it may quote data);
            // CHARTE_DEBUG=1 prints the trace for a bug report.
            var what = e is DbException or IOException or UnauthorizedAccessException ? e.Message : $"unexpected error ({e.GetType().Name}): {e.Message}";
            error.WriteLine("charte: " + what);
            if (Environment.GetEnvironmentVariable("CHARTE_DEBUG") == "1")
            {
                error.WriteLine(e);
            }

            return Findings;
        }
    }
}
