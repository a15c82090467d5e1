namespace Charte.Publishing;

/// <summary>The HTML policy is a standalone, accessible page, and charter text never becomes markup.</summary>
public sealed class HtmlPolicyTests
{
    [Theory]
    [InlineData("fr", "Aller au contenu")]
    [InlineData("en", "Skip to content")]
    public void Page_IsStandaloneAndNavigable(string language, string skipLink)
    {
        var html = HtmlWriter.Write(PrivacyPolicy.Compose(Charters.TestCharters.Example("secufor"), language));

        Assert.StartsWith("<!DOCTYPE html>\n<html lang=\"" + language + "\">", html, StringComparison.Ordinal);
        Assert.Contains("<meta name=\"viewport\"", html, StringComparison.Ordinal);
        Assert.Contains($"<a class=\"skip\" href=\"#main\">{skipLink}</a>", html, StringComparison.Ordinal);
        Assert.Contains("<main id=\"main\">", html, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "<h1>"));
        Assert.Contains("<th scope=\"col\">", html, StringComparison.Ordinal);
        Assert.Contains("<caption>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"mailto:dpo@secufor.net\">dpo@secufor.net</a>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void CharterText_IsEscaped()
    {
        var loaded = Charters.TestCharters.BaseWith("summary: { fr: Ouvrir et gérer votre compte., en: Opening and managing your account. }",
            "summary: { fr: \"<script>alert(1)</script> & <b>gras</b>\", en: \"*bold* [link](javascript:alert(1))\" }");

        var html = HtmlWriter.Write(PrivacyPolicy.Compose(loaded.Charter!, "fr"));
        var markdown = MarkdownWriter.Write(PrivacyPolicy.Compose(loaded.Charter!, "en"));

        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;gras&lt;/b&gt;", html, StringComparison.Ordinal);
        Assert.Contains("\\*bold\\* \\[link\\](javascript:alert(1))", markdown, StringComparison.Ordinal);
    }
}
