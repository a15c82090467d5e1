using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Charte.Publishing;

/// <summary>A rendered document as plain blocks, so that one composition yields both Markdown and HTML.</summary>
public sealed record Document(string Language, string Title, IReadOnlyList<Block> Blocks);

public abstract record Block;

public sealed record Heading(int Level, string Text, string Anchor) : Block;

public sealed record Paragraph(string Text) : Block;

public sealed record BulletList(IReadOnlyList<string> Items) : Block;

public sealed record Table(string Caption, IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Rows) : Block;

/// <summary>Writes a <see cref="Document"/> as CommonMark.</summary>
public static partial class MarkdownWriter
{
    public static string Write(Document document)
    {
        var md = new StringBuilder();
        md.Append("# ").Append(Escape(document.Title)).Append("\n\n");
        foreach (var block in document.Blocks)
        {
            switch (block)
            {
                case Heading h:
                    md.Append('#', h.Level).Append(' ').Append(Escape(h.Text)).Append("\n\n");
                    break;
                case Paragraph p:
                    md.Append(Escape(p.Text)).Append("\n\n");
                    break;
                case BulletList list:
                    foreach (var item in list.Items)
                    {
                        md.Append("- ").Append(Escape(item)).Append('\n');
                    }

                    md.Append('\n');
                    break;
                case Table table:
                    md.Append('|').AppendJoin('|', table.Headers.Select(Cell)).Append("|\n");
                    md.Append('|').AppendJoin('|', table.Headers.Select(_ => "---")).Append("|\n");
                    foreach (var row in table.Rows)
                    {
                        md.Append('|').AppendJoin('|', row.Select(Cell)).Append("|\n");
                    }

                    md.Append('\n');
                    break;
            }
        }

        return md.ToString().TrimEnd() + "\n";
    }

    private static string Cell(string text) => " " + Escape(text).Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", "<br>", StringComparison.Ordinal) + " ";

    /// <summary>Charter text is data, not markup: characters Markdown would interpret are escaped.</summary>
    private static string Escape(string text) =>
        MarkdownSpecial().Replace(text, m => "\\" + m.Value);

    [GeneratedRegex(@"[\\`*_\[\]<>#]", RegexOptions.CultureInvariant)]
    private static partial Regex MarkdownSpecial();
}

/// <summary>Writes a <see cref="Document"/> as a standalone, accessible HTML page (landmarks, headings, captioned tables, skip link).</summary>
public static partial class HtmlWriter
{
    public static string Write(Document document)
    {
        var fr = document.Language == "fr";
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"").Append(document.Language).Append("\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(E(document.Title)).Append("</title>\n<style>\n").Append(Style).Append("</style>\n</head>\n<body>\n")
            .Append("<a class=\"skip\" href=\"#main\">").Append(fr ? "Aller au contenu" : "Skip to content").Append("</a>\n");

        var sections = document.Blocks.OfType<Heading>().Where(h => h.Level == 2).ToList();
        html.Append("<header><h1>").Append(E(document.Title)).Append("</h1></header>\n");
        html.Append("<nav aria-label=\"").Append(fr ? "Sommaire" : "Contents").Append("\"><ol>\n");
        foreach (var section in sections)
        {
            html.Append("<li><a href=\"#").Append(section.Anchor).Append("\">").Append(E(section.Text)).Append("</a></li>\n");
        }

        html.Append("</ol></nav>\n<main id=\"main\">\n");
        var open = false;
        foreach (var block in document.Blocks)
        {
            switch (block)
            {
                case Heading { Level: 2 } h:
                    if (open)
                    {
                        html.Append("</section>\n");
                    }

                    html.Append("<section aria-labelledby=\"").Append(h.Anchor).Append("\">\n<h2 id=\"").Append(h.Anchor).Append("\">")
                        .Append(E(h.Text)).Append("</h2>\n");
                    open = true;
                    break;
                case Heading h:
                    html.Append("<h").Append(h.Level).Append(" id=\"").Append(h.Anchor).Append("\">").Append(E(h.Text))
                        .Append("</h").Append(h.Level).Append(">\n");
                    break;
                case Paragraph p:
                    html.Append("<p>").Append(Linked(p.Text)).Append("</p>\n");
                    break;
                case BulletList list:
                    html.Append("<ul>\n");
                    foreach (var item in list.Items)
                    {
                        html.Append("<li>").Append(Linked(item)).Append("</li>\n");
                    }

                    html.Append("</ul>\n");
                    break;
                case Table table:
                    html.Append("<div class=\"table\" role=\"region\" tabindex=\"0\" aria-label=\"").Append(E(table.Caption)).Append("\">\n<table>\n<caption>")
                        .Append(E(table.Caption)).Append("</caption>\n<thead><tr>");
                    foreach (var header in table.Headers)
                    {
                        html.Append("<th scope=\"col\">").Append(E(header)).Append("</th>");
                    }

                    html.Append("</tr></thead>\n<tbody>\n");
                    foreach (var row in table.Rows)
                    {
                        html.Append("<tr>");
                        for (var i = 0; i < row.Count; i++)
                        {
                            var tag = i == 0 ? "th scope=\"row\"" : "td";
                            html.Append('<').Append(tag).Append('>').Append(Linked(row[i]).Replace("\n", "<br>", StringComparison.Ordinal))
                                .Append("</").Append(i == 0 ? "th" : "td").Append('>');
                        }

                        html.Append("</tr>\n");
                    }

                    html.Append("</tbody>\n</table>\n</div>\n");
                    break;
            }
        }

        if (open)
        {
            html.Append("</section>\n");
        }

        html.Append("</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    /// <summary>Escapes the text, then turns e-mail addresses and https links into links.</summary>
    private static string Linked(string text) =>
        LinkPattern().Replace(E(text), m => m.Value.Contains('@', StringComparison.Ordinal) && !m.Value.StartsWith("http", StringComparison.Ordinal)
            ? $"<a href=\"mailto:{m.Value}\">{m.Value}</a>"
            : $"<a href=\"{m.Value}\">{m.Value}</a>");

    [GeneratedRegex(@"https?://[^\s<>""]+[^\s<>"".,;:)]|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", RegexOptions.CultureInvariant)]
    private static partial Regex LinkPattern();

    private const string Style = """
        body { font: 1rem/1.6 system-ui, sans-serif; max-width: 52rem; margin: 0 auto; padding: 1rem 1.5rem; color: #1a1a1a; background: #fff; }
        h1, h2, h3 { line-height: 1.25; }
        h2 { margin-top: 2.5rem; border-bottom: 2px solid #1d3f72; padding-bottom: .25rem; }
        a { color: #1d3f72; }
        a:focus, [tabindex]:focus { outline: 3px solid #f0a000; outline-offset: 2px; }
        .skip { position: absolute; left: -999px; }
        .skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; }
        .table { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
        caption { text-align: left; font-weight: 600; padding: .25rem 0; }
        th, td { border: 1px solid #8a8a8a; padding: .4rem .6rem; text-align: left; vertical-align: top; }
        thead th { background: #e8eef7; }
        @media (prefers-color-scheme: dark) {
          body { color: #eee; background: #121212; } a { color: #9cc3ff; } thead th { background: #23324a; } h2 { border-color: #9cc3ff; }
        }

        """;
}
