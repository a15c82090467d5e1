namespace Charte.Cli;

/// <summary>
/// The exit codes the README promises, for the verbs that take a store, keys and a charter: 2 for what the command
/// line names wrongly (a store setting, a key file or a charter file that is not there), 1 for a charter with errors.
/// Every case stops before anything is started or written.
/// </summary>
public sealed class ExitCodeTests : CliTest
{
    public static TheoryData<string, int, string> Cases() => new()
    {
        // command ({store}: a migrated store; {keys}: a key file; {charter}: a valid charter), exit, start of the last line
        { "serve --store Host= --keys {keys} --charter {charter}", CharteCommand.Usage, "charte: --store:" },
        { "serve --store {store} --keys {dir}/none.key --charter {charter}", CharteCommand.Usage, "charte: {dir}/none.key: no key file" },
        { "serve --store {store} --keys {keys} --charter {dir}/none.yaml", CharteCommand.Usage, "charte: {dir}/none.yaml: no such file" },
        { "serve --store {store} --keys {keys} --charter {broken}", CharteCommand.Findings, "charte: {broken}: the charter has errors" },
        { "apps add crm --purpose reviews --store sqlite: --charter {charter}", CharteCommand.Usage, "charte: --store:" },
        { "apps add crm --purpose reviews --store {store} --charter {dir}/none.yaml", CharteCommand.Usage, "charte: {dir}/none.yaml: no such file" },
        { "apps add crm --purpose reviews --store {store} --charter {broken}", CharteCommand.Findings, "charte: {broken}: the charter has errors" },
        { "keys rotate --keys {dir}/none.key --store {store}", CharteCommand.Usage, "charte: {dir}/none.key: no key file" },
        { "ledger checkpoint --store {store} --keys {keys} --charter {broken}", CharteCommand.Findings, "charte: {broken}: the charter has errors" },
        { "retention plan --store {store} --keys {keys} --charter {dir}/none.yaml", CharteCommand.Usage, "charte: {dir}/none.yaml: no such file" },
        { "retention plan --store {store} --keys {keys} --charter {charter} --compare-with {broken}", CharteCommand.Findings, "charte: {broken}: the charter has errors" },
        { "holds add --purpose reviews --reason court-case-2026-113 --store {store} --charter {broken}", CharteCommand.Findings, "charte: {broken}: the charter has errors" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EachProblemHasItsExitCode_AndItsOneLine(string command, int expected, string line)
    {
        var keys = Path.Combine(Folder, "master.key");
        var store = Path.Combine(Folder, "store.db");
        var broken = Path.Combine(Folder, "broken.charte.yaml");
        await File.WriteAllTextAsync(broken, "organisation: [\n");
        Assert.Equal(0, (await RunAsync("keys", "init", "--keys", keys)).Exit);
        Assert.Equal(0, (await RunAsync("db", "migrate", "--store", "sqlite:" + store)).Exit);
        string Fill(string text) => text
            .Replace("{store}", "sqlite:" + store, StringComparison.Ordinal)
            .Replace("{keys}", keys, StringComparison.Ordinal)
            .Replace("{charter}", Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "examples", "secufor.charte.yaml")), StringComparison.Ordinal)
            .Replace("{broken}", broken, StringComparison.Ordinal)
            .Replace("{dir}", Folder, StringComparison.Ordinal);

        var (exit, output, error) = await RunAsync(Fill(command).Split(' '));

        Assert.True(expected == exit, $"{command}: exit {exit}, expected {expected}: {error}");
        Assert.StartsWith(Fill(line), error.TrimEnd().Split('\n')[^1], StringComparison.Ordinal);
        Assert.Equal("", output);
    }
}
