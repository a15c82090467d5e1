using System.CommandLine;
using System.Text;
using Charte.Charters;
using Charte.Publishing;

namespace Charte.Cli;

/// <summary><c>charte check</c>, <c>charte policy</c>, <c>charte register</c>: the verbs that read a charter file.</summary>
internal static class CharterCommands
{
    public static Command Check(TimeProvider clock)
    {
        var files = new Argument<FileInfo[]>("FILE") { Description = "Charter files to check", Arity = ArgumentArity.OneOrMore };
        var command = new Command("check", "Check charters and print every problem as FILE:LINE:COL: message. Exit 1 if any has an error.") { files };
        command.SetAction(result =>
        {
            var exit = CharteCommand.Success;
            foreach (var file in result.GetValue(files)!)
            {
                var loaded = Load(file, clock, result.InvocationConfiguration.Error, out var usage);
                if (usage)
                {
                    return CharteCommand.Usage;
                }

                if (loaded?.Charter is { } charter)
                {
                    var warnings = loaded.Warnings.Count();
                    result.InvocationConfiguration.Output.WriteLine(
                        $"{file}: ok — {charter.Purposes.Count} purposes, {charter.Processors.Count} processors, {charter.Cookies.Count} cookies" +
                        (warnings > 0 ? $", {warnings} warning{(warnings > 1 ? "s" : "")}" : ""));
                }
                else
                {
                    exit = CharteCommand.Findings;
                }
            }

            return exit;
        });
        return command;
    }

    public static Command Policy(TimeProvider clock)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The charter" };
        var language = LanguageOption();
        var format = new Option<string>("--format") { Description = "md (Markdown) or html (standalone accessible page)", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("md", "html");
        var output = OutputOption();
        var command = new Command("policy", "Render the public privacy policy from a charter.") { file, language, format, output };
        command.SetAction(result => Render(result, file, clock, result.GetValue(output), (charter, error) =>
        {
            var lang = Language(charter, result.GetValue(language), error);
            if (lang is null)
            {
                return null;
            }

            var document = PrivacyPolicy.Compose(charter, lang);
            return result.GetValue(format) == "html" ? HtmlWriter.Write(document) : MarkdownWriter.Write(document);
        }));
        return command;
    }

    public static Command Register(TimeProvider clock)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The charter" };
        var language = LanguageOption();
        var format = new Option<string>("--format") { Description = "csv (one row per processing activity), json or md", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("csv", "json", "md");
        var output = OutputOption();
        var command = new Command("register", "Export the GDPR Art. 30 register of processing activities from a charter.") { file, language, format, output };
        command.SetAction(result => Render(result, file, clock, result.GetValue(output), (charter, error) =>
        {
            var lang = Language(charter, result.GetValue(language), error);
            if (lang is null)
            {
                return null;
            }

            var register = Publishing.Register.Compose(charter, lang);
            return result.GetValue(format) switch
            {
                "csv" => register.ToCsv(),
                "json" => register.ToJson(),
                _ => register.ToMarkdown(),
            };
        }));
        return command;
    }

    private static Option<string?> LanguageOption() =>
        new("--lang") { Description = "fr or en (default: the charter's first language)" };

    private static Option<FileInfo?> OutputOption() =>
        new("--output", "-o") { Description = "Write to this file instead of standard output" };

    private static string? Language(Charter charter, string? requested, TextWriter error)
    {
        var language = requested ?? charter.Languages[0];
        if (charter.Languages.Contains(language))
        {
            return language;
        }

        error.WriteLine($"charte: the charter is written in {string.Join(", ", charter.Languages)}, not '{language}'");
        return null;
    }

    private static int Render(ParseResult result, Argument<FileInfo> fileArgument, TimeProvider clock, FileInfo? output, Func<Charter, TextWriter, string?> render)
    {
        var error = result.InvocationConfiguration.Error;
        var loaded = Load(result.GetValue(fileArgument)!, clock, error, out var usage);
        if (usage)
        {
            return CharteCommand.Usage;
        }

        if (loaded?.Charter is not { } charter)
        {
            return CharteCommand.Findings;
        }

        var text = render(charter, error);
        if (text is null)
        {
            return CharteCommand.Usage;
        }

        if (output is null)
        {
            result.InvocationConfiguration.Output.Write(text);
        }
        else
        {
            try
            {
                File.WriteAllText(output.FullName, text, new UTF8Encoding(false));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"charte: cannot write {output}: {e.Message}");
                return CharteCommand.Findings;
            }
        }

        return CharteCommand.Success;
    }

    /// <summary>The file's first <paramref name="limit"/> bytes, or all of them if it is shorter.</summary>
    private static byte[] ReadAtMost(string path, int limit)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var copy = new MemoryStream();
        var chunk = new byte[64 * 1024];
        while (copy.Length < limit && stream.Read(chunk, 0, (int)Math.Min(chunk.Length, limit - copy.Length)) is var n and > 0)
        {
            copy.Write(chunk, 0, n);
        }

        return copy.ToArray();
    }

    /// <summary>Reads and loads a charter, printing its findings. <paramref name="usage"/> is set when the file cannot be read at all.</summary>
    internal static CharterLoadResult? Load(FileInfo file, TimeProvider clock, TextWriter error, out bool usage)
    {
        usage = false;
        var name = file.ToString();
        if (Directory.Exists(file.FullName) || !file.Exists)
        {
            error.WriteLine($"charte: {name}: {(Directory.Exists(file.FullName) ? "is a directory, not a charter file" : "no such file")}");
            usage = true;
            return null;
        }

        CharterLoadResult loaded;
        if (file.Length > CharterLoader.MaxBytes)
        {
            // Refused before reading: a 50 MB file is not a charter, and reading it is wasted work.
            loaded = new CharterLoadResult(null, [CharterLoader.TooLarge(name, file.Length)]);
        }
        else
        {
            byte[] bytes;
            try
            {
                bytes = ReadAtMost(file.FullName, CharterLoader.MaxBytes + 1);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"charte: {name}: {e.Message}");
                usage = true;
                return null;
            }

            // A device or a pipe has no length to check beforehand: reading stops one byte past the limit.
            loaded = bytes.Length > CharterLoader.MaxBytes
                ? new CharterLoadResult(null, [CharterLoader.TooLarge(name, CharterLoader.MaxBytes, atLeast: true)])
                : CharterLoader.Load(bytes, name, clock);
        }

        foreach (var diagnostic in loaded.Diagnostics)
        {
            error.WriteLine(diagnostic.ToString());
        }

        return loaded;
    }
}
