using Microsoft.Data.Sqlite;

namespace Charte.Cli;

/// <summary>
/// Every command that uses a store without setting one up, pointed at a store that is not there or not usable: one
/// line that says what is wrong and what to run, exit 2, no stack trace, and no empty database left behind.
/// </summary>
public sealed class StoreReadinessTests : CliTest
{
    public static TheoryData<string> Commands() =>
    [
        "ledger verify",
        "ledger checkpoint",
        "ledger export {dir}/export",
        "seal {dir}/evidence.txt",
        "retention plan --charter {charter}",
        "retention run --charter {charter}",
        "holds list",
        "holds add --purpose reviews --reason court-case-2026-113 --charter {charter}",
        "holds release 0190d2d6-0000-7000-8000-000000000000",
        "apps list",
        "apps revoke chk_0123456789ab",
    ];

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task NoStoreAtThePath_SaysHowToCreateOne_AndCreatesNothing(string command)
    {
        var path = Path.Combine(Folder, "typo.db");

        var (exit, output, error) = await RunOnAsync(command, path);

        Assert.Equal(CharteCommand.Usage, exit);
        Assert.Equal($"charte: sqlite:{path}: no store at {path}; create one with `charte db migrate --store sqlite:{path}` (or start `charte serve`, which does)", error.TrimEnd());
        Assert.Equal("", output);
        Assert.False(File.Exists(path), "a command that only reads must not create a database");
        Assert.Empty(Directory.GetFiles(Folder, "typo*"));
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task EmptyFiles_AreNotACharteStore(string command)
    {
        var path = Path.Combine(Folder, "empty.db");
        await File.WriteAllBytesAsync(path, []);
        await File.WriteAllBytesAsync(Path.Combine(Folder, "empty.keys.db"), []);

        var (exit, _, error) = await RunOnAsync(command, path);

        Assert.Equal(CharteCommand.Usage, exit);
        Assert.Equal($"charte: sqlite:{path}: no Charte schema in the data; create it with `charte db migrate --store sqlite:{path}`", error.TrimEnd());
    }

    public static TheoryData<string, string> BrokenStores() => new()
    {
        { "not-a-database", "cannot use the store: SQLite Error 26: 'file is not a database'." },
        { "key-store-missing", "the key store {dir}/store.keys.db is missing; without it no personal data can be decrypted. Restore it from its backup beside store.db" },
        { "one-migration-behind", "the data's schema is not up to date (1 migration pending, first " },
        { "migrated-by-a-newer-charte", "the data was migrated by a newer Charte (migration 29991231000000_FromTheFuture); run that version or a later one" },
    };

    [Theory]
    [MemberData(nameof(BrokenStores))]
    public async Task ABrokenOrMismatchedStore_IsNamedInOneLine(string damage, string message)
    {
        var path = Path.Combine(Folder, "store.db");
        Assert.Equal(0, (await RunAsync("db", "migrate", "--store", "sqlite:" + path)).Exit);
        SqliteConnection.ClearAllPools();
        switch (damage)
        {
            case "not-a-database":
                await File.WriteAllBytesAsync(path, [.. Enumerable.Range(0, 8192).Select(i => (byte)(i * 7))]);
                File.Delete(path + "-wal");
                File.Delete(path + "-shm");
                break;
            case "key-store-missing":
                File.Delete(Path.Combine(Folder, "store.keys.db"));
                break;
            default:
                await using (var connection = new SqliteConnection($"Data Source={path}"))
                {
                    await connection.OpenAsync();
                    await using var command = connection.CreateCommand();
                    command.CommandText = damage == "one-migration-behind"
                        ? "DELETE FROM __EFMigrationsHistory WHERE MigrationId = (SELECT max(MigrationId) FROM __EFMigrationsHistory)"
                        : "INSERT INTO __EFMigrationsHistory (MigrationId, ProductVersion) VALUES ('29991231000000_FromTheFuture', '99.0.0')";
                    await command.ExecuteNonQueryAsync();
                }

                SqliteConnection.ClearAllPools();
                break;
        }

        var (exit, _, error) = await RunOnAsync("retention plan --charter {charter}", path);

        Assert.Equal(CharteCommand.Usage, exit);
        Assert.StartsWith($"charte: sqlite:{path}: " + message.Replace("{dir}", Folder, StringComparison.Ordinal), error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task AnUnreachablePostgreSql_IsNamedWithoutItsPassword()
    {
        var (exit, _, error) = await RunAsync("ledger", "verify", "--store", "Host=127.0.0.1;Port=1;Database=charte;Username=charte;Password=s3cret-pw;Timeout=2");

        Assert.Equal(CharteCommand.Usage, exit);
        Assert.StartsWith("charte: postgresql://127.0.0.1:1/charte: cannot use the store: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    /// <summary>
    /// Retention reads the charter while it checks the store, and says what it found in the order the checks have: a store
    /// that is not there is told alone, a charter's mistakes only once the store and the keys are ready.
    /// </summary>
    [Theory]
    [InlineData("retention plan")]
    [InlineData("retention run")]
    public async Task ABrokenCharter_IsToldOnlyOnceTheStoreIsReady(string command)
    {
        var path = Path.Combine(Folder, "store.db");
        var charter = Path.Combine(Folder, "broken.charte.yaml");
        await File.WriteAllTextAsync(charter, "organisation: [\n");

        var (exit, _, error) = await RunOnAsync($"{command} --charter {charter}", path);

        Assert.Equal(CharteCommand.Usage, exit);
        Assert.Equal($"charte: sqlite:{path}: no store at {path}; create one with `charte db migrate --store sqlite:{path}` (or start `charte serve`, which does)", error.TrimEnd());

        Assert.Equal(0, (await RunAsync("keys", "init", "--keys", Path.Combine(Folder, "master.key"))).Exit);
        Assert.Equal(0, (await RunAsync("db", "migrate", "--store", "sqlite:" + path)).Exit);
        (exit, _, error) = await RunOnAsync($"{command} --charter {charter}", path);

        Assert.Equal(CharteCommand.Findings, exit);
        Assert.StartsWith($"{charter}:", error, StringComparison.Ordinal);
        Assert.Contains("error[yaml-syntax]", error, StringComparison.Ordinal);
        Assert.EndsWith($"charte: {charter}: the charter has errors; fix them first", error.TrimEnd(), StringComparison.Ordinal);
    }

    private async Task<(int Exit, string Out, string Err)> RunOnAsync(string command, string store)
    {
        await File.WriteAllTextAsync(Path.Combine(Folder, "evidence.txt"), "evidence");
        var charter = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "examples", "secufor.charte.yaml"));
        var args = command.Replace("{dir}", Folder, StringComparison.Ordinal).Replace("{charter}", charter, StringComparison.Ordinal).Split(' ');
        return await RunAsync([.. args, "--store", "sqlite:" + store, "--keys", Path.Combine(Folder, "master.key")]);
    }
}
