using System.Text.RegularExpressions;

namespace Charte.Charters;

/// <summary>
/// One broken charter per validation rule. Each fixture ends with "# expect: CODE at LINE:COL",
/// the finding a DPO must see, at the place of the mistake.
/// </summary>
public sealed partial class BrokenChartersTests
{
    public static TheoryData<string> Fixtures() =>
        [.. Directory.GetFiles(TestCharters.Path("Charters", "Fixtures", "broken"), "*.yaml").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Fact]
    public void Fixtures_CoverAtLeastTwentyRules()
    {
        Assert.True(Fixtures().Count >= 20, $"only {Fixtures().Count} broken fixtures");
    }

    [Fact]
    public void BaseFixture_IsValid()
    {
        var loaded = TestCharters.LoadFile(TestCharters.Path("Charters", "Fixtures", "base.yaml"));
        Assert.Empty(loaded.Diagnostics);
        Assert.NotNull(loaded.Charter);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void BrokenCharter_WhenChecked_ReportsTheMistakeAtItsPosition(string fixture)
    {
        var path = TestCharters.Path("Charters", "Fixtures", "broken", fixture);
        var expectation = Expectation().Match(File.ReadLines(path).Last());
        Assert.True(expectation.Success, $"{fixture} does not end with '# expect: CODE at LINE:COL'");
        var code = expectation.Groups["code"].Value;
        var line = int.Parse(expectation.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture);
        var column = int.Parse(expectation.Groups["col"].Value, System.Globalization.CultureInfo.InvariantCulture);

        var loaded = TestCharters.LoadFile(path);

        Assert.Null(loaded.Charter);
        Assert.Equal(Path.GetFileNameWithoutExtension(fixture), code);
        var finding = Assert.Single(loaded.Errors, d => d.Code == code);
        Assert.Equal(new SourcePosition(line, column), finding.Position);
        Assert.StartsWith($"{fixture}:{line}:{column}: error[{code}]: ", finding.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void CharterWithSeveralMistakes_ReportsThemAllAtOnce_InFileOrder()
    {
        var loaded = TestCharters.Load(TestCharters.Base
            .Replace("legal_basis: contract", "legal_basis: consentement", StringComparison.Ordinal)
            .Replace("access: [support]", "access: [suport]", StringComparison.Ordinal)
            .Replace("active: P3Y", "active: 3 years", StringComparison.Ordinal)
            .Replace("  email: dpo@exemple.fr\nrights", "  email: nobody\nrights", StringComparison.Ordinal));

        var codes = loaded.Errors.Select(e => e.Code).ToList();
        Assert.Equal(["email-malformed", "legal-basis-unknown", "role-undefined", "period-malformed"], codes);
        Assert.Equal(codes.Count, loaded.Errors.Select(e => e.Position.Line).Distinct().Count());
        Assert.Contains("did you mean 'support'?", loaded.Errors.Single(e => e.Code == "role-undefined").Message, StringComparison.Ordinal);
        Assert.Contains("did you mean P3Y?", loaded.Errors.Single(e => e.Code == "period-malformed").Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("P99999Y", "'P99999Y' is longer than any period a charter keeps: at most 9999 years (P9999Y), 99999 months or weeks, 999999 days")]
    [InlineData("P3Y2", "'P3Y2' is not an ISO 8601 period; write P3Y for 3 years, P6M for 6 months, P1Y6M, P30D")]
    [InlineData("P", "'P' is not an ISO 8601 period; write P3Y for 3 years, P6M for 6 months, P1Y6M, P30D")]
    public void APeriodTooLongToKeep_IsToldApartFromOneThatIsNotAPeriod(string period, string message)
    {
        var loaded = TestCharters.BaseWith("active: P3Y", $"active: {period}");

        Assert.Equal(message, Assert.Single(loaded.Errors, e => e.Code == "period-malformed").Message);
    }

    [GeneratedRegex(@"^# expect: (?<code>[a-z0-9-]+) at (?<line>\d+):(?<col>\d+)$")]
    private static partial Regex Expectation();
}
