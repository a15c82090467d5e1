namespace Charte.Cli;

/// <summary>Command lines a careless or hostile operator types: each gets one clear line and an exit code, never a crash.</summary>
public sealed class HostileInputTests : CliTest
{
    [Fact]
    public async Task AnEndlessCharterFile_IsRefusedAtTheSizeLimit_WithoutReadingItAll()
    {
        var (exit, _, error) = await RunAsync("check", "/dev/zero");

        Assert.Equal(CharteCommand.Findings, exit);
        Assert.Equal("/dev/zero:1:1: error[file-too-large]: the file is more than 2,048 KiB; a charter is at most 2 MiB, so this is not a charter", error.TrimEnd());
    }

    public static TheoryData<string, string> BadCommandLines() => new()
    {
        { "serve --urls notaurl", "charte: --urls 'notaurl' is not an address to listen on, such as http://127.0.0.1:5080" },
        { "serve --urls ftp://127.0.0.1:21", "charte: --urls 'ftp://127.0.0.1:21': the scheme is 'ftp'; use http:// or https://" },
        { "serve --urls http://127.0.0.1:99999", "charte: --urls 'http://127.0.0.1:99999': the port 99999 is not between 0 and 65535" },
        { "demo --urls notaurl --dir {dir}/demo", "charte: --urls 'notaurl' is not an address to listen on, such as http://127.0.0.1:5080" },
        { "retention plan --as-of 0001-01-01", "charte: --as-of 0001-01-01 is out of range: give a date from 1900-01-01 to 9899-12-31" },
        { "retention run --as-of 9999-12-31", "charte: --as-of 9999-12-31 is out of range: give a date from 1900-01-01 to 9899-12-31" },
        { "seal {dir}", "charte: {dir}: is a directory; seal the files in it" },
    };

    [Theory]
    [MemberData(nameof(BadCommandLines))]
    public async Task ABadValue_IsNamed_AndNothingStarts(string command, string message)
    {
        var store = await StoreAsync();
        var charter = Path.Combine(AppContext.BaseDirectory, "examples", "secufor.charte.yaml");
        var args = command.Replace("{dir}", Folder, StringComparison.Ordinal).Split(' ');
        string[] options = args[0] == "demo" ? [] : ["--store", "sqlite:" + store, "--keys", Path.Combine(Folder, "master.key"), .. args[0] == "seal" ? Array.Empty<string>() : ["--charter", charter]];

        var (exit, output, error) = await RunAsync([.. args, .. options]);

        Assert.Equal(CharteCommand.Usage, exit);
        Assert.Equal(message.Replace("{dir}", Folder, StringComparison.Ordinal), error.TrimEnd());
        Assert.DoesNotContain("Charte demo", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Folder, "demo")), "the demo must not prepare anything before its options are checked");
    }

    [Fact]
    public async Task AFileNameWithALineBreak_IsNotSealed_ForItWouldWriteAManifestLineOfItsOwn()
    {
        var store = await StoreAsync();
        var forged = Path.Combine(Folder, "invoice.pdf\n" + new string('0', 64) + "  contract.pdf");
        await File.WriteAllTextAsync(forged, "x");
        var output = Path.Combine(Folder, "sealed");

        var (exit, _, error) = await RunAsync("seal", forged, "--out", output, "--store", "sqlite:" + store, "--keys", Path.Combine(Folder, "master.key"));

        Assert.Equal(CharteCommand.Usage, exit);
        Assert.Equal($"charte: {forged.ReplaceLineEndings("\\n")}: a file name with a control character (a line break…) cannot stand on a manifest line; rename the file", error.TrimEnd());
        Assert.False(File.Exists(Path.Combine(output, "manifest.txt")));
    }

    [Theory]
    [InlineData("demo --subjects many", "charte: --subjects 'many' must be a whole number from 0 to 1,000,000")]
    [InlineData("demo --subjects 99999999999", "charte: --subjects '99999999999' must be a whole number from 0 to 1,000,000")]
    [InlineData("holds release 42", "charte: ID '42' is not a hold's id (a UUID such as 0190d2d6-0000-7000-8000-000000000000)")]
    public async Task ATypedValueOfTheWrongForm_IsNamedInWords_NotAsADotNetType(string command, string message)
    {
        var (exit, _, error) = await RunAsync([.. command.Split(' '), .. command.StartsWith("demo", StringComparison.Ordinal) ? ["--dir", Path.Combine(Folder, "demo")] : Array.Empty<string>()]);

        Assert.Equal(CharteCommand.Usage, exit);
        Assert.Equal(message, error.Split('\n')[0].TrimEnd());
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Folder, "demo")));
    }

    [Fact]
    public async Task AValueTypedWrong_IsRepeatedOnOneShortLine_NotPrintedBackWhole()
    {
        var store = await StoreAsync();
        var charter = Path.Combine(AppContext.BaseDirectory, "examples", "secufor.charte.yaml");
        var pasted = "\u001b]0;owned\u0007" + new string('x', 5000) + "\nline two";

        var (exit, _, error) = await RunAsync("apps", "add", pasted, "--purpose", "reviews", "--store", "sqlite:" + store, "--keys", Path.Combine(Folder, "master.key"), "--charter", charter);
        var (dateExit, _, dateError) = await RunAsync("retention", "plan", "--as-of", "2026-01-01\nforged line", "--store", "sqlite:" + store, "--keys", Path.Combine(Folder, "master.key"), "--charter", charter);

        Assert.Equal(CharteCommand.Usage, exit);
        Assert.Equal("charte: '\\u001B]0;owned\\u0007xxxxxxxxxxxxxxxxxxxx…' is not a valid application name: use 1 to 64 letters, digits, - and _", error.TrimEnd());
        Assert.Equal(CharteCommand.Usage, dateExit);
        Assert.Equal("charte: --as-of '2026-01-01\\nforged line' is not a date (YYYY-MM-DD)", dateError.TrimEnd());
    }

    [Theory]
    [InlineData("ledger export {file}")]
    [InlineData("seal {evidence} --out {file}")]
    public async Task AnOutputFolderThatIsAFile_IsNamed_AndNothingIsWritten(string command)
    {
        var store = await StoreAsync();
        var file = Path.Combine(Folder, "afile");
        var evidence = Path.Combine(Folder, "evidence.txt");
        await File.WriteAllTextAsync(file, "");
        await File.WriteAllTextAsync(evidence, "evidence");
        var args = command.Replace("{file}", file, StringComparison.Ordinal).Replace("{evidence}", evidence, StringComparison.Ordinal).Split(' ');

        var (exit, _, error) = await RunAsync([.. args, "--store", "sqlite:" + store, "--keys", Path.Combine(Folder, "master.key")]);

        Assert.Equal(CharteCommand.Usage, exit);
        Assert.Equal($"charte: {file} is a file; give a folder to write into", error.TrimEnd());
        Assert.Equal(0, new FileInfo(file).Length);
    }

    /// <summary>A migrated store and a key file (with its signing keys) in the test's folder: the store's path.</summary>
    private async Task<string> StoreAsync()
    {
        var store = Path.Combine(Folder, "store.db");
        Assert.Equal(0, (await RunAsync("keys", "init", "--keys", Path.Combine(Folder, "master.key"))).Exit);
        Assert.Equal(0, (await RunAsync("db", "migrate", "--store", "sqlite:" + store)).Exit);
        return store;
    }
}
