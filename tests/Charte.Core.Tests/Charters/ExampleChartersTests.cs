using Charte.Publishing;

namespace Charte.Charters;

/// <summary>The example charters, written from the seed charters, load cleanly and render complete policies.</summary>
public sealed class ExampleChartersTests
{
    public static TheoryData<string, string> ExamplesAndLanguages()
    {
        var data = new TheoryData<string, string>();
        foreach (var example in TestCharters.Examples().Select(Path.GetFileName))
        {
            data.Add(example!, "fr");
            data.Add(example!, "en");
        }

        return data;
    }

    [Fact]
    public void EverySeedOrganisation_HasAnExample()
    {
        Assert.Equal(["monpetitplacement.charte.yaml", "mynotary.charte.yaml", "secufor.charte.yaml"],
            TestCharters.Examples().Select(Path.GetFileName));
    }

    [Theory]
    [MemberData(nameof(ExamplesAndLanguages))]
    public void Example_LoadsWithoutErrors(string example, string language)
    {
        var loaded = TestCharters.LoadFile(TestCharters.Path("examples", example));

        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Errors));
        Assert.Contains(language, loaded.Charter!.Languages);
    }

    [Theory]
    [MemberData(nameof(ExamplesAndLanguages))]
    public void Policy_NamesEveryPurpose_ItsLegalBasis_AndItsRetentionInPlainWords(string example, string language)
    {
        var charter = TestCharters.LoadFile(TestCharters.Path("examples", example)).Charter!;

        var markdown = MarkdownWriter.Write(PrivacyPolicy.Compose(charter, language));
        var html = HtmlWriter.Write(PrivacyPolicy.Compose(charter, language));

        foreach (var purpose in charter.Purposes)
        {
            var section = Section(markdown, "### " + Escape(purpose.Title.In(language)));
            Assert.Contains(Escape(Wording.LegalBasis(purpose, language)), section, StringComparison.Ordinal);
            foreach (var rule in purpose.Retention)
            {
                var words = Wording.Retention(rule, charter, language);
                Assert.Contains(Escape(words), section, StringComparison.Ordinal);
                Assert.DoesNotContain("P", words.Split(' ').Where(w => w.Length > 1 && w[0] == 'P' && char.IsDigit(w[1])));
            }

            Assert.Contains(System.Net.WebUtility.HtmlEncode(purpose.Title.In(language)), html, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(ExamplesAndLanguages))]
    public void Policy_HasEverySectionArticle13Requires(string example, string language)
    {
        var charter = TestCharters.LoadFile(TestCharters.Path("examples", example)).Charter!;

        var anchors = PrivacyPolicy.Compose(charter, language).Blocks.OfType<Heading>().Where(h => h.Level == 2).Select(h => h.Anchor);

        Assert.Equal(["controller", "dpo", "data", "purposes", "recipients", "transfers", "rights", "post-mortem", "complaint", "cookies", "security", "changes"], anchors);
    }

    [Fact]
    public void SecuforPolicy_InFrench_SaysWhatTheSeedSays()
    {
        var markdown = MarkdownWriter.Write(PrivacyPolicy.Compose(TestCharters.Example("secufor"), "fr"));

        Assert.Contains("3 ans à compter du dernier contact", markdown, StringComparison.Ordinal);
        Assert.Contains("5 ans à compter de la fin de l'année civile de votre demande", markdown, StringComparison.Ordinal);
        Assert.Contains("jusqu'au paiement complet ou jusqu'à la fin du contrat", markdown, StringComparison.Ordinal);
        Assert.Contains("6 mois à compter de la collecte", markdown, StringComparison.Ordinal);
        Assert.Contains("Commission nationale de l'informatique et des libertés", markdown, StringComparison.Ordinal);
        Assert.Contains("clauses contractuelles types de la Commission européenne, module 3", markdown, StringComparison.Ordinal);
        Assert.Contains("directives relatives à la conservation, à l'effacement et à la communication", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void MyNotaryPolicy_KeepsItsPromisesOfTwoServersAndAvailability()
    {
        var fr = MarkdownWriter.Write(PrivacyPolicy.Compose(TestCharters.Example("mynotary"), "fr"));
        var en = MarkdownWriter.Write(PrivacyPolicy.Compose(TestCharters.Example("mynotary"), "en"));

        Assert.Contains("Vos données sont conservées sur 2 serveurs distincts.", fr, StringComparison.Ordinal);
        Assert.Contains("taux de disponibilité de 99 %", fr, StringComparison.Ordinal);
        Assert.Contains("We commit to 99% availability.", en, StringComparison.Ordinal);
        Assert.Contains("10 ans à compter de la cérémonie de signature", fr, StringComparison.Ordinal);
    }

    [Fact]
    public void MonPetitPlacementPolicy_ShowsTheDeathRuleAndProfiling()
    {
        var fr = MarkdownWriter.Write(PrivacyPolicy.Compose(TestCharters.Example("monpetitplacement"), "fr"));

        Assert.Contains("10 ans à compter de la fin du contrat, puis suppression", fr, StringComparison.Ordinal);
        Assert.Contains("Si le décès intervient : 30 ans à compter du décès, puis suppression", fr, StringComparison.Ordinal);
        Assert.Contains("Cette finalité comporte un profilage.", fr, StringComparison.Ordinal);
        Assert.Contains("Votre choix est conservé 13 mois", fr, StringComparison.Ordinal);
    }

    private static string Section(string markdown, string heading)
    {
        var start = markdown.IndexOf(heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no section '{heading}'");
        var end = markdown.IndexOf("\n#", start + heading.Length, StringComparison.Ordinal);
        return end < 0 ? markdown[start..] : markdown[start..end];
    }

    /// <summary>The Markdown writer escapes these; charter text is data, not markup.</summary>
    private static string Escape(string text) =>
        System.Text.RegularExpressions.Regex.Replace(text, @"[\\`*_\[\]<>#]", m => "\\" + m.Value);
}
