using Charte.Charters;

namespace Charte.Cli;

/// <summary>A charter file for the server verbs: loaded, its findings printed, null when it has errors.</summary>
internal static class CharterFile
{
    public static Charter? Load(string path, TimeProvider clock, TextWriter error)
    {
        var loaded = CharterCommands.Load(new FileInfo(path), clock, error, out _);
        if (loaded is not null && loaded.Charter is null)
        {
            error.WriteLine($"charte: {path}: the charter has errors; fix them first");
        }

        return loaded?.Charter;
    }
}
