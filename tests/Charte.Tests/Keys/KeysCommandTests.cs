using System.Text;
using Charte.Cli;
using Charte.Storage;

namespace Charte.Keys;

/// <summary><c>charte keys init</c> and <c>charte keys rotate</c> on a real SQLite store.</summary>
public sealed class KeysCommandTests : CliTest
{
    [Fact]
    public async Task Init_NeverOverwritesAKeyFile()
    {
        var path = Path.Combine(Folder, "master.key");

        var first = await RunAsync("keys", "init", "--keys", path);
        var before = await File.ReadAllBytesAsync(path);
        var second = await RunAsync("keys", "init", "--keys", path);

        Assert.Equal(0, first.Exit);
        Assert.Equal(1, second.Exit);
        Assert.Contains("already exists", second.Err, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task Rotate_RewrapsEveryDataKey_AndTheDataStillOpens_WithoutTheOldMasterKey()
    {
        var path = Path.Combine(Folder, "master.key");
        var store = StoreLocation.Parse("sqlite:" + Path.Combine(Folder, "charte.db"));
        await RunAsync("keys", "init", "--keys", path);
        await RunAsync("db", "migrate", "--store", "sqlite:" + store.SqlitePath);
        var keys = new SubjectKeys(KeyStoreDb.Factory(store), MasterKeys.Load(path), Clock, TimeSpan.Zero);
        var subjects = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToList();
        var sealedValues = new List<(Guid Subject, Guid Record, byte[] Value)>();
        foreach (var subject in subjects)
        {
            var key = await keys.CreateAsync(subject, CancellationToken.None);
            var record = Guid.NewGuid();
            sealedValues.Add((subject, record, key.SealRecord(record, Encoding.UTF8.GetBytes("\"secret\""))));
        }

        var (exit, output, error) = await RunAsync("keys", "rotate", "--retire-unused", "--keys", path, "--store", "sqlite:" + store.SqlitePath);

        Assert.True(exit == 0, error);
        Assert.Contains("5 data keys re-wrapped", output, StringComparison.Ordinal);
        Assert.Contains("version 1 retired", output, StringComparison.Ordinal);
        var rotated = MasterKeys.Load(path);
        Assert.Equal([2], rotated.Versions);
        Assert.Throws<KeyFileException>(() => rotated.Kek(1));
        var after = new SubjectKeys(KeyStoreDb.Factory(store), rotated, Clock, TimeSpan.Zero);
        foreach (var (subject, record, value) in sealedValues)
        {
            var key = await after.FindAsync(subject, CancellationToken.None);
            Assert.Equal("\"secret\"", Encoding.UTF8.GetString(key!.OpenRecord(record, 1, value)));
        }
    }

    [Fact]
    public async Task Serve_WithABrokenStoreSetting_ExitsWithAMessage()
    {
        var (exit, _, error) = await RunAsync("db", "migrate", "--store", "Host=;Port=notaport");

        Assert.NotEqual(0, exit);
        Assert.Contains("--store", error, StringComparison.Ordinal);
    }
}
