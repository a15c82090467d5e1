using Charte.Charters;

namespace Charte.Cli;

/// <summary>
/// A charter file for the server verbs: loaded, its findings printed, null when it has errors. Its <c>exit</c> says,
/// for a null, the command's exit code: <see cref="CharteCommand.Usage"/> when there is no such file,
/// <see cref="CharteCommand.Findings"/> when the charter has errors.
/// </summary>
internal static class CharterFile
{
    public static Charter? Load(string path, TimeProvider clock, TextWriter error, out int exit)
    {
        var loaded = CharterCommands.Load(new FileInfo(path), clock, error, out var usage);
        if (loaded is not null && loaded.Charter is null)
        {
            error.WriteLine($"charte: {path}: the charter has errors; fix them first");
        }

        exit = usage ? CharteCommand.Usage : CharteCommand.Findings;
        return loaded?.Charter;
    }
}
