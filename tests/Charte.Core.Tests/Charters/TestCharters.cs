using Microsoft.Extensions.Time.Testing;

namespace Charte.Charters;

/// <summary>Loads the charters the tests share: the examples and the broken fixtures, with a fixed clock.</summary>
internal static class TestCharters
{
    /// <summary>22 November 2026, 10:00 in Paris.</summary>
    public static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero));

    public static string Path(params string[] parts) => System.IO.Path.Combine([AppContext.BaseDirectory, .. parts]);

    public static IEnumerable<string> Examples() =>
        Directory.GetFiles(Path("examples"), "*.yaml").Order(StringComparer.Ordinal);

    public static CharterLoadResult LoadFile(string path) =>
        CharterLoader.Load(File.ReadAllBytes(path), System.IO.Path.GetFileName(path), Clock());

    public static CharterLoadResult Load(string yaml) => CharterLoader.Load(yaml, "test.yaml", Clock());

    public static Charter Example(string name)
    {
        var loaded = LoadFile(Path("examples", name + ".charte.yaml"));
        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Errors));
        return loaded.Charter!;
    }

    public static string Base => File.ReadAllText(Path("Charters", "Fixtures", "base.yaml"));

    /// <summary>The base charter with one replacement, asserting the text to replace is there.</summary>
    public static CharterLoadResult BaseWith(string oldText, string newText)
    {
        Assert.Contains(oldText, Base, StringComparison.Ordinal);
        return Load(Base.Replace(oldText, newText, StringComparison.Ordinal));
    }
}
