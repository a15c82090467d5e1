using Charte.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Charte.Retention;

/// <summary>
/// <c>charte retention run</c>'s progress: one line rewritten in place on a terminal; a line every ten seconds of the
/// run's clock anywhere else (a log file, cron's mail), never one line per page nor carriage returns.
/// </summary>
public sealed class RunProgressTests
{
    [Fact]
    public void OffATerminal_ALineEveryTenSeconds_AndNothingToEnd()
    {
        var clock = new FakeTimeProvider(TestHost.Start);
        var error = new StringWriter();
        var progress = new RetentionCommand.RunProgress(error, terminal: false, clock);

        progress.Report(500);
        clock.Advance(TimeSpan.FromSeconds(9));
        progress.Report(1_000);
        clock.Advance(TimeSpan.FromSeconds(1));
        progress.Report(1_500);
        progress.Report(2_000);
        clock.Advance(TimeSpan.FromSeconds(25));
        progress.Report(12_500);
        progress.End();

        Assert.Equal($"  1,500 records and documents examined{Environment.NewLine}  12,500 records and documents examined{Environment.NewLine}", error.ToString());
    }

    [Fact]
    public void OnATerminal_OneLineRewrittenAsEachPageCompletes_EndedBeforeTheSummary()
    {
        var clock = new FakeTimeProvider(TestHost.Start);
        var error = new StringWriter();
        var progress = new RetentionCommand.RunProgress(error, terminal: true, clock);

        progress.Report(500);
        progress.Report(1_000);
        progress.End();

        Assert.Equal($"\r  500 records and documents examined\r  1,000 records and documents examined{Environment.NewLine}", error.ToString());
    }

    [Fact]
    public void OnATerminal_ARunThatExaminedNothing_WritesNoEmptyLine()
    {
        var error = new StringWriter();
        new RetentionCommand.RunProgress(error, terminal: true, new FakeTimeProvider()).End();

        Assert.Equal("", error.ToString());
    }
}
