using System.Text.RegularExpressions;
using Charte.Cli;
using Charte.Storage;
using Charte.Vault;
using Microsoft.EntityFrameworkCore;

namespace Charte.Retention;

/// <summary><c>charte retention plan|run</c> and <c>charte holds</c> on the demo store, in process.</summary>
public sealed partial class RetentionCommandTests : CliTest
{
    [Fact]
    public async Task PlanHoldRunRelease_AndAChartersChangeIsForecastBeforeItApplies()
    {
        var dir = Path.Combine(Folder, "demo");
        Assert.Equal(0, (await RunAsync("demo", "--dir", dir, "--prepare-only", "--subjects", "150")).Exit);
        string[] store = ["--store", "sqlite:" + Path.Combine(dir, "charte.db"), "--keys", Path.Combine(dir, "master.key"), "--charter", Path.Combine(dir, "charter.yaml")];

        var plan = await RunAsync(["retention", "plan", .. store]);
        var hold = await RunAsync(["holds", "add", "--purpose", "reviews", "--reason", "customer complaint under review", .. store]);
        var ghost = await RunAsync(["holds", "add", "--subject", "0190d2d6-0000-7000-8000-000000000000", "--reason", "court case 2026-113", .. store]);
        var holds = await RunAsync(["holds", "list", .. store[..2]]);
        var run = await RunAsync(["retention", "run", .. store]);
        var holdId = HoldId().Match(hold.Out).Groups[1].Value;
        var release = await RunAsync(["holds", "release", holdId, .. store[..2]]);
        var after = await RunAsync(["retention", "run", .. store]);

        Assert.True(plan.Exit == 0, plan.Err);
        var due = Number(plan.Out, "due now");
        Assert.True(due > 0, plan.Out);
        Assert.Contains("reviews", plan.Out, StringComparison.Ordinal);
        Assert.Equal(0, hold.Exit);
        Assert.Equal((CharteCommand.Usage, "charte: the store has no subject 0190d2d6-0000-7000-8000-000000000000 (or only its tombstone): nothing to hold"), (ghost.Exit, ghost.Err.TrimEnd()));
        Assert.Matches(@"purpose reviews; keeps [1-9][\d,]* records", holds.Out);
        var held = Number(run.Out, "kept by legal holds");
        Assert.True(held > 0, run.Out);
        Assert.Equal(due - held, Number(run.Out, "archived") + Number(run.Out, "deleted") + Number(run.Out, "kept as anonymous counts"));
        Assert.Equal(0, release.Exit);
        Assert.Equal(held, Number(after.Out, "deleted"));

        // A new version of the charter that keeps statistics 1 month instead of 6: more is due at once.
        var shorter = Path.Combine(Folder, "shorter.yaml");
        var text = await File.ReadAllTextAsync(Path.Combine(dir, "charter.yaml"));
        var statistics = text.IndexOf("  - id: statistics", StringComparison.Ordinal);
        var period = text.IndexOf("active: P6M", statistics, StringComparison.Ordinal);
        await File.WriteAllTextAsync(shorter, text[..period] + "active: P1M" + text[(period + "active: P6M".Length)..]);
        Clock.Advance(TimeSpan.FromDays(62));
        var compared = await RunAsync(["retention", "plan", "--compare-with", shorter, .. store]);
        var missing = await RunAsync(["retention", "plan", "--compare-with", Path.Combine(Folder, "nowhere.yaml"), .. store]);
        Assert.True(compared.Exit == 0, compared.Err);
        Assert.Equal((CharteCommand.Usage, "", $"charte: {Path.Combine(Folder, "nowhere.yaml")}: no such file"), (missing.Exit, missing.Out, missing.Err.TrimEnd()));
        Assert.Matches(@"statistics\s+keep_anonymous_stats\s+[\d,]+ → [1-9]", compared.Out);
    }

    [Fact]
    public async Task AHoldOnASubject_IsInTheLedgerUnderItsPseudonym_NotItsId_AndSoIsItsRelease()
    {
        var dir = Path.Combine(Folder, "demo");
        Assert.Equal(0, (await RunAsync("demo", "--dir", dir, "--prepare-only", "--subjects", "20")).Exit);
        var store = StoreLocation.Parse("sqlite:" + Path.Combine(dir, "charte.db"));
        Subject person;
        await using (var db = await CharteDb.Factory(store).CreateDbContextAsync())
        {
            person = await db.Subjects.AsNoTracking().OrderBy(s => s.Id).FirstAsync();
        }

        var hold = await RunAsync("holds", "add", "--subject", person.Id.ToString(), "--purpose", "reviews", "--reason", "court case 2026-113", "--store", "sqlite:" + Path.Combine(dir, "charte.db"), "--charter", Path.Combine(dir, "charter.yaml"));
        var holdId = HoldId().Match(hold.Out).Groups[1].Value;
        var release = await RunAsync("holds", "release", holdId, "--store", "sqlite:" + Path.Combine(dir, "charte.db"));

        Assert.True(hold.Exit == 0, hold.Err);
        Assert.Equal($"hold {holdId} on subject {person.Id}, purpose reviews", hold.Out.TrimEnd());
        Assert.True(release.Exit == 0, release.Err);
        await using (var db = await CharteDb.Factory(store).CreateDbContextAsync())
        {
            var entries = await db.Journal.AsNoTracking().Where(j => j.Action.StartsWith("hold.")).OrderBy(j => j.Id).ToListAsync();
            Assert.Equal(["hold.add", "hold.release"], entries.Select(e => e.Action));
            Assert.All(entries, e => Assert.Equal((person.Pseudonym, "reviews", $"hold {holdId}: subject, purpose reviews"), (e.Subject, e.Purpose, e.Detail)));
            Assert.DoesNotContain(entries, e => e.Detail!.Contains(person.Id.ToString(), StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("retention plan --as-of 2026-13-01", "is not a date")]
    [InlineData("holds add --reason court|case|2026-113", "a hold needs a scope")]
    [InlineData("holds add --purpose reviews --reason court|case|2026-113 --until tomorrow", "is not a date")]
    [InlineData("holds add --purpose reviews --reason court|case|2026-113 --until 2020-01-01", "--until 2020-01-01 is not in the future: a hold that has ended keeps nothing")]
    [InlineData("holds add --purpose reviews --reason |", "--reason must say why: 10 to 500 characters on one line (a case number, the authority's request…)")]
    [InlineData("holds add --purpose reviews --reason dispute", "--reason must say why: 10 to 500 characters on one line")]
    [InlineData("holds add --purpose reviews --reason court|case\n2026-113", "--reason must say why: 10 to 500 characters on one line")]
    [InlineData("holds add --purpose revues --reason court|case|2026-113 --charter {charter}", "the charter has no purpose 'revues'; it has ")]
    [InlineData("holds add --subject jeanne --reason court|case|2026-113", "--subject 'jeanne' is not a subject id (a UUID such as ")]
    [InlineData("holds release 42", "ID '42' is not a hold's id (a UUID such as ")]
    [InlineData("holds add --category identity.nmae --reason court|case|2026-113 --charter {charter}", "the charter's taxonomy has no data category 'identity.nmae'")]
    public async Task BadInput_IsAClearUsageError(string command, string message)
    {
        var charter = Path.Combine(AppContext.BaseDirectory, "examples", "secufor.charte.yaml");
        var args = command.Replace("{charter}", charter, StringComparison.Ordinal).Split(' ')
            .Select(a => a.Replace("\\n", "\n", StringComparison.Ordinal).Replace("|", " ", StringComparison.Ordinal));
        var result = await RunAsync([.. args, "--store", "sqlite:" + Path.Combine(Folder, "x.db")]);

        Assert.Equal(CharteCommand.Usage, result.Exit);
        Assert.Contains(message, result.Err, StringComparison.Ordinal);
    }

    /// <summary>The number after "label" ("deleted 304", "due now: 596") or, for "kept by legal holds", before it.</summary>
    private static int Number(string text, string label)
    {
        var match = label.StartsWith("kept by", StringComparison.Ordinal)
            ? Regex.Match(text, @"([\d,]+) " + Regex.Escape(label))
            : Regex.Match(text, Regex.Escape(label) + @":? ([\d,]+)");
        Assert.True(match.Success, $"no '{label}' in: {text}");
        return int.Parse(match.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"hold ([0-9a-f-]{36})")]
    private static partial Regex HoldId();
}
