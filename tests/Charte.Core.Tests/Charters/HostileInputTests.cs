using System.Text;
using Charte.Publishing;

namespace Charte.Charters;

/// <summary>Whatever arrives, the loader answers with a finding, never an exception or a hang.</summary>
public sealed class HostileInputTests
{
    [Theory]
    [InlineData("", "yaml-empty")]
    [InlineData("   \n\n\t\n", "yaml-empty")]
    [InlineData("# only a comment\n", "yaml-empty")]
    [InlineData("~", "yaml-empty")]
    [InlineData("just a sentence", "type-mismatch")]
    [InlineData("- a\n- list\n", "type-mismatch")]
    [InlineData("charter: 1\n---\ncharter: 1\n", "yaml-multiple-documents")]
    [InlineData("{ [complex]: key }", "yaml-complex-key")]
    [InlineData("key: \"unterminated", "yaml-syntax")]
    [InlineData("charter: [1, 2", "yaml-syntax")]
    [InlineData("charter: 1\nlanguages: [fr, en\norganisation: x\n", "yaml-syntax")]
    public void MalformedText_GetsAClearError(string text, string code)
    {
        var loaded = TestCharters.Load(text);

        Assert.Null(loaded.Charter);
        Assert.Contains(loaded.Errors, e => e.Code == code);
    }

    /// <summary>
    /// The example charters cut short at every point and damaged by the edits a hand makes (a bracket or a brace
    /// opened, a colon, a quote, a tab, a line removed): each load ends with the charter or with findings, never an
    /// exception, and what still loads renders its policy and register (an unclosed flow sequence met a mapping key made YamlDotNet's scanner throw InvalidOperationException,
    /// which crashed the loader).
    /// </summary>
    [Fact]
    public void TheExamples_CutShortOrDamagedAnywhere_AreFindingsNeverAnException()
    {
        var random = new Random(20261123);
        string[] edits = ["[", "{", ": ", "\"", "'", "\t", "- ", "&a ", "*a ", "? ", "|", ">", "#", "\n  ", "]", "}", ","];
        var failures = new List<string>();
        foreach (var example in TestCharters.Examples())
        {
            var text = File.ReadAllText(example);
            var variants = Enumerable.Range(1, 120).Select(i => text[..(text.Length * i / 121)])
                .Concat(Enumerable.Range(0, 400).Select(_ =>
                {
                    var at = random.Next(text.Length);
                    if (random.Next(5) > 0)
                    {
                        return text[..at] + edits[random.Next(edits.Length)] + text[at..];
                    }

                    var start = text.LastIndexOf('\n', at) + 1;
                    var end = text.IndexOf('\n', at);
                    return text[..start] + (end < 0 ? "" : text[(end + 1)..]);
                }));
            foreach (var variant in variants)
            {
                try
                {
                    var loaded = TestCharters.Load(variant);
                    if (loaded.Charter is null && !loaded.Errors.Any())
                    {
                        failures.Add($"{Path.GetFileName(example)}: neither a charter nor an error");
                    }

                    // What still loads (an edit inside a text, a line the charter could do without) renders.
                    if (loaded.Charter is { } charter)
                    {
                        foreach (var language in charter.Languages)
                        {
                            _ = HtmlWriter.Write(PrivacyPolicy.Compose(charter, language)) + MarkdownWriter.Write(PrivacyPolicy.Compose(charter, language));
                            var register = Register.Compose(charter, language);
                            _ = register.ToCsv() + register.ToJson() + register.ToMarkdown();
                        }
                    }
                }
                catch (Exception e)
                {
                    failures.Add($"{Path.GetFileName(example)}: {e.GetType().Name}: {e.Message}");
                }
            }
        }

        Assert.Empty(failures.Distinct());
    }

    [Theory]
    [InlineData("charter: 1\norganisation:\n\tname: x\n", 3, 1)]
    [InlineData("charter: 1\n\torganisation: x\n", 2, 1)]
    [InlineData("charter: 1\norganisation:\n  name: x\n  \tcountry: FR\n", 4, 3)]
    public void ATabIndentingALine_IsNamedAtTheTab(string text, int line, int column)
    {
        var error = Assert.Single(TestCharters.Load(text).Errors);

        Assert.Equal(("yaml-syntax", new SourcePosition(line, column), "YAML syntax: a tab indents this line; YAML indents with spaces only"), (error.Code, error.Position, error.Message));
    }

    [Theory]
    [InlineData("charter: 1\norganisation:\n  name: ACME: the company\n", 3, "(a value that contains ': ' must be in quotes)")]
    [InlineData("charter: 1\norganisation:\n  name: ACME\n address: x\n", 4, "(is this line indented as the other keys of its block are?)")]
    public void CommonSyntaxMistakes_SayTheirLikelyCause(string text, int line, string hint)
    {
        var error = Assert.Single(TestCharters.Load(text).Errors);

        Assert.Equal(("yaml-syntax", line), (error.Code, error.Position.Line));
        Assert.EndsWith(hint, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFlowSequenceLeftOpen_BeforeAKeyValueLine_IsASyntaxErrorWhereReadingStopped()
    {
        var error = Assert.Single(TestCharters.Load("charter: 1\nlanguages: [fr, en\norganisation: x\n").Errors);

        Assert.Equal("yaml-syntax", error.Code);
        Assert.Equal(2, error.Position.Line);
        Assert.Contains("a '[' or '{' not closed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BinaryData_IsRefusedAsNotText()
    {
        var bytes = new byte[4096];
        new Random(42).NextBytes(bytes);

        var loaded = CharterLoader.Load(bytes, "photo.jpg", TestCharters.Clock());

        Assert.Equal("file-not-text", Assert.Single(loaded.Errors).Code);
    }

    [Fact]
    public void NulBytesInValidUtf8_AreRefusedAsBinary()
    {
        var loaded = CharterLoader.Load("charter: 1\n\0\0\0"u8, "x.yaml", TestCharters.Clock());

        var error = Assert.Single(loaded.Errors);
        Assert.Equal("file-not-text", error.Code);
        Assert.Equal(2, error.Position.Line);
    }

    [Fact]
    public void FiftyMegabytes_IsRefusedWithoutParsing()
    {
        var bytes = new byte[50 * 1024 * 1024];
        bytes.AsSpan().Fill((byte)'a');

        var loaded = CharterLoader.Load(bytes, "huge.yaml", TestCharters.Clock());

        var error = Assert.Single(loaded.Errors);
        Assert.Equal("file-too-large", error.Code);
        Assert.Contains("51,200 KiB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeepNesting_IsRefusedAtALimit()
    {
        var text = new StringBuilder("charter: ");
        for (var i = 0; i < 10_000; i++) text.Append('[');
        for (var i = 0; i < 10_000; i++) text.Append(']');

        var loaded = TestCharters.Load(text.ToString());

        Assert.Equal("yaml-too-deep", Assert.Single(loaded.Errors).Code);
    }

    [Fact]
    public void BillionLaughs_IsRefusedBeforeExpanding()
    {
        var text = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (var level = 'b'; level <= 'j'; level++)
        {
            var previous = (char)(level - 1);
            text.Append(level).Append(": &").Append(level).Append(" [")
                .AppendJoin(',', Enumerable.Repeat("*" + previous, 9)).Append("]\n");
        }

        var loaded = TestCharters.Load(text.ToString());

        var error = Assert.Single(loaded.Errors);
        Assert.Equal("yaml-too-large", error.Code);
        Assert.Contains("billion laughs", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAliasUsedOnce_IsFine()
    {
        var loaded = TestCharters.Load(TestCharters.Base
            .Replace("  - id: customer\n", "  - id: &who customer\n", StringComparison.Ordinal)
            .Replace("subjects: [customer]", "subjects: [*who]", StringComparison.Ordinal));

        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Diagnostics));
    }

    [Fact]
    public void ByteOrderMark_IsIgnored()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(TestCharters.Base)).ToArray();

        Assert.False(CharterLoader.Load(bytes, "bom.yaml", TestCharters.Clock()).HasErrors);
    }

    [Fact]
    public void VeryLongLine_IsHandled()
    {
        var loaded = TestCharters.BaseWith("name: Exemple SAS", "name: " + new string('x', 1_000_000));

        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Diagnostics.Take(3)));
    }
}
