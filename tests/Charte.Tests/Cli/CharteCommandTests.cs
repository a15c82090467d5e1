using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;

namespace Charte.Cli;

/// <summary>The charte executable as a user runs it: verbs, exit codes 0 / 1 / 2, output on stdout, findings on stderr.</summary>
public sealed class CharteCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("charte-cli-").FullName;

    private static readonly string Secufor = Path.Combine(AppContext.BaseDirectory, "examples", "secufor.charte.yaml");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await CharteCommand.RunAsync(args, output, error, new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero)));
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Check_OnEveryExample_ExitsZero()
    {
        var examples = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "examples"), "*.yaml");

        var (exit, output, error) = await Run(["check", .. examples]);

        Assert.Equal(CharteCommand.Success, exit);
        Assert.Equal("", error);
        Assert.Equal(examples.Length, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains(": ok — ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Check_OnABrokenCharter_PrintsFileLineColumn_AndExitsOne()
    {
        var broken = Path.Combine(_dir, "broken.yaml");
        File.WriteAllText(broken, File.ReadAllText(Secufor).Replace("legal_basis: contract", "legal_basis: contrat", StringComparison.Ordinal));

        var (exit, output, error) = await Run("check", broken);

        Assert.Equal(CharteCommand.Findings, exit);
        Assert.Equal("", output);
        Assert.Matches(@"^.+broken\.yaml:\d+:\d+: error\[legal-basis-unknown\]: unknown legal basis 'contrat' \(did you mean 'contract'\?\)", error);
    }

    [Fact]
    public async Task Check_WithWarningsOnly_PrintsThem_AndExitsZero()
    {
        var warned = Path.Combine(_dir, "warned.yaml");
        File.WriteAllText(warned, File.ReadAllText(Secufor).Replace("updated: 2024-07-30", "updated: 2027-01-01", StringComparison.Ordinal));

        var (exit, output, error) = await Run("check", warned);

        Assert.Equal(CharteCommand.Success, exit);
        Assert.Contains("warning[updated-in-future]", error, StringComparison.Ordinal);
        Assert.Contains("1 warning", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--lang", "fr", "--format", "md", "# Politique de confidentialité — Secufor")]
    [InlineData("--lang", "en", "--format", "md", "# Privacy policy — Secufor")]
    [InlineData("--lang", "en", "--format", "html", "<!DOCTYPE html>\n<html lang=\"en\">")]
    public async Task Policy_RendersInTheAskedLanguageAndFormat(string langOption, string lang, string formatOption, string format, string start)
    {
        var (exit, output, error) = await Run("policy", Secufor, langOption, lang, formatOption, format);

        Assert.Equal(CharteCommand.Success, exit);
        Assert.Equal("", error);
        Assert.StartsWith(start, output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("csv", "\"Identifiant\",\"Activité de traitement\"")]
    [InlineData("json", "{")]
    [InlineData("md", "# Registre des traitements — Secufor")]
    public async Task Register_WritesTheAskedFormatToAFile(string format, string start)
    {
        var file = Path.Combine(_dir, "register." + format);

        var (exit, output, _) = await Run("register", Secufor, "--format", format, "--output", file);

        Assert.Equal(CharteCommand.Success, exit);
        Assert.Equal("", output);
        Assert.StartsWith(start, File.ReadAllText(file), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("check")]
    [InlineData("policy")]
    [InlineData("register")]
    public async Task EveryVerb_HasHelp(string verb)
    {
        var (exit, output, _) = await Run(verb, "--help");

        Assert.Equal(CharteCommand.Success, exit);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
        Assert.Contains($" {verb} ", output, StringComparison.Ordinal);
        Assert.Contains("FILE", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("policy")]
    [InlineData("policy", "examples/secufor.charte.yaml", "--format", "pdf")]
    [InlineData("register", "examples/secufor.charte.yaml", "--bogus")]
    [InlineData("check", "/no/such/charter.yaml")]
    [InlineData("check", "/tmp")]
    public async Task Misuse_ExitsTwo_WithAMessage(params string[] args)
    {
        var (exit, output, error) = await Run(args);

        Assert.Equal(CharteCommand.Usage, exit);
        Assert.Equal("", output);
        Assert.StartsWith("charte: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policy_InALanguageTheCharterDoesNotHave_ExitsTwo()
    {
        var (exit, output, error) = await Run("policy", Secufor, "--lang", "de");

        Assert.Equal(CharteCommand.Usage, exit);
        Assert.Equal("", output);
        Assert.Equal("charte: the charter is written in fr, en, not 'de'\n", error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void FiftyMegabyteFile_IsRefusedByTheRealExecutable_WithExitOne()
    {
        var huge = Path.Combine(_dir, "huge.yaml");
        using (var stream = File.Create(huge))
        {
            stream.SetLength(50L * 1024 * 1024);
        }

        var (exit, _, error) = RunProcess("check", huge);

        Assert.Equal(1, exit);
        Assert.Contains("huge.yaml:1:1: error[file-too-large]", error, StringComparison.Ordinal);
    }

    [Fact]
    public void BinaryFile_IsRefusedByTheRealExecutable_WithExitOne()
    {
        var binary = Path.Combine(_dir, "binary.yaml");
        var bytes = new byte[1 << 16];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(binary, bytes);

        var (exit, _, error) = RunProcess("check", binary);

        Assert.Equal(1, exit);
        Assert.Contains("error[file-not-text]", error, StringComparison.Ordinal);
    }

    private static (int Exit, string Out, string Err) RunProcess(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "charte.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.GetAwaiter().GetResult(), error);
    }
}
