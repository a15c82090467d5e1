using System.Text;

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
    public void MalformedText_GetsAClearError(string text, string code)
    {
        var loaded = TestCharters.Load(text);

        Assert.Null(loaded.Charter);
        Assert.Contains(loaded.Errors, e => e.Code == code);
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
