namespace Charte.Charters;

/// <summary>The other side of the broken fixtures: what the rules accept, and what they only warn about.</summary>
public sealed class ValidationRulesTests
{
    [Fact]
    public void SpecialCategory_WithArt9Exception_IsAccepted()
    {
        var loaded = TestCharters.BaseWith("    legal_basis: contract\n    subjects",
            "    legal_basis: consent\n    consent_text: { fr: J'accepte, en: I agree }\n    art9_exception: a_explicit_consent\n    subjects");
        var withHealth = TestCharters.Load(TestCharters.Base
            .Replace("    legal_basis: contract\n    subjects", "    legal_basis: consent\n    consent_text: { fr: J'accepte, en: I agree }\n    art9_exception: a_explicit_consent\n    subjects", StringComparison.Ordinal)
            .Replace("{ category: contact.email, source: provided }", "{ category: special.health, source: provided }", StringComparison.Ordinal));

        Assert.Contains(loaded.Warnings, w => w.Code == "art9-exception-unused");
        Assert.False(withHealth.HasErrors, string.Join("\n", withHealth.Diagnostics));
        Assert.Equal(Art9Exception.ExplicitConsent, withHealth.Charter!.Purposes[0].Art9Exception);
    }

    [Fact]
    public void OccasionalDerogationTransfer_IsAccepted()
    {
        var loaded = TestCharters.BaseWith("    retention:\n",
            "    transfers:\n      - { to: host, country: US, mechanism: derogation, derogation: b, repetitive: false }\n    retention:\n");

        Assert.DoesNotContain(loaded.Errors, e => e.Code.StartsWith("transfer", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("legal_obligation", "legal-reference-missing")]
    [InlineData("vital_interests", "consent-text-unused")]
    public void SuspiciousButLegal_IsAWarning_AndTheCharterLoads(string basis, string warning)
    {
        var loaded = TestCharters.BaseWith("    legal_basis: contract\n",
            $"    legal_basis: {basis}\n" + (warning == "consent-text-unused" ? "    consent_text: { fr: Oui, en: Yes }\n" : ""));

        Assert.NotNull(loaded.Charter);
        Assert.Contains(loaded.Warnings, w => w.Code == warning);
    }

    [Fact]
    public void UpdatedDate_AfterToday_InParis_IsAWarning()
    {
        var loaded = TestCharters.BaseWith("updated: 2024-01-15", "updated: 2026-11-23");
        var today = TestCharters.BaseWith("updated: 2024-01-15", "updated: 2026-11-22");

        Assert.Contains(loaded.Warnings, w => w.Code == "updated-in-future");
        Assert.DoesNotContain(today.Warnings, w => w.Code == "updated-in-future");
    }

    [Fact]
    public void TransferInsideTheEea_IsAWarning_NotAnError()
    {
        var loaded = TestCharters.BaseWith("    retention:\n", "    transfers:\n      - { to: host, country: DE }\n    retention:\n");

        Assert.NotNull(loaded.Charter);
        Assert.Contains(loaded.Warnings, w => w.Code == "transfer-inside-eea");
    }

    [Fact]
    public void AdequacyToTheUnitedStates_WithoutCertification_IsAWarning()
    {
        var loaded = HostAbroad("US", "adequacy");

        Assert.NotNull(loaded.Charter);
        Assert.Contains(loaded.Warnings, w => w.Code == "transfer-dpf-unverified");
    }

    [Fact]
    public void AdequacyToACountryWithoutDecision_IsAnError()
    {
        var loaded = HostAbroad("CN", "adequacy");

        Assert.Contains(loaded.Errors, e => e.Code == "transfer-adequacy-unknown");
    }

    [Fact]
    public void RetentionForOneSubjectCategory_LeavesTheOtherUncovered()
    {
        var loaded = TestCharters.Load(TestCharters.Base
            .Replace("  - id: customer\n", "  - id: prospect\n    label: { fr: prospects, en: prospects }\n  - id: customer\n", StringComparison.Ordinal)
            .Replace("subjects: [customer]", "subjects: [customer, prospect]", StringComparison.Ordinal)
            .Replace("      - active: P3Y\n", "      - for: [customer]\n        active: P3Y\n", StringComparison.Ordinal));

        var error = Assert.Single(loaded.Errors);
        Assert.Equal("retention-not-covered", error.Code);
        Assert.Contains("of prospect", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RuleNamingAParentCategory_CoversItsChildren()
    {
        var loaded = TestCharters.BaseWith("      - active: P3Y\n", "      - categories: [contact]\n        active: P3Y\n");

        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Diagnostics));
    }

    [Fact]
    public void CharterCanExtendTheTaxonomy_AndChildrenInheritTheFamily()
    {
        var loaded = TestCharters.Load(TestCharters.Base
            .Replace("subjects:\n", "categories:\n  - id: loyalty\n    family: economic_financial\n    label: { fr: Fidélité, en: Loyalty }\n  - id: loyalty.points\n    label: { fr: Points, en: Points }\nsubjects:\n", StringComparison.Ordinal)
            .Replace("{ category: contact.email, source: provided }", "{ category: loyalty.points, source: derived }", StringComparison.Ordinal));

        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Diagnostics));
        Assert.Equal(CategoryFamily.EconomicFinancial, loaded.Charter!.Categories.Find("loyalty.points")!.Family);
    }

    [Fact]
    public void SingleLanguageCharter_AcceptsPlainTexts()
    {
        var loaded = TestCharters.Load(TestCharters.Base
            .Replace("languages: [fr, en]", "languages: [fr]", StringComparison.Ordinal)
            .Replace("{ fr: Gérer les comptes, en: Managing accounts }", "Gérer les comptes", StringComparison.Ordinal)
            .Replace(", en: customers }", " }", StringComparison.Ordinal)
            .Replace(", en: Support }", " }", StringComparison.Ordinal)
            .Replace(", en: Hosting }", " }", StringComparison.Ordinal)
            .Replace(", en: staff }", " }", StringComparison.Ordinal)
            .Replace(", en: We tell you by email. }", " }", StringComparison.Ordinal)
            .Replace(", en: Opening and managing your account. }", " }", StringComparison.Ordinal));

        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Diagnostics));
        Assert.Equal("Gérer les comptes", loaded.Charter!.Purposes[0].Title.In("fr"));
    }

    [Fact]
    public void CommaInsideAFlowMapping_GetsAHintAboutQuoting()
    {
        var loaded = TestCharters.BaseWith("label: { fr: le personnel, en: staff }", "label: { fr: le personnel, les stagiaires, en: staff }");

        var error = Assert.Single(loaded.Errors, e => e.Code == "translation-unknown-language");
        Assert.Contains("put the text in quotes", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The base charter with its host processor in <paramref name="country"/>, and the transfer declared.</summary>
    private static CharterLoadResult HostAbroad(string country, string mechanism) => TestCharters.Load(TestCharters.Base
        .Replace("    country: FR\n", $"    country: {country}\n", StringComparison.Ordinal)
        .Replace("    retention:\n", $"    transfers:\n      - {{ to: host, country: {country}, mechanism: {mechanism} }}\n    retention:\n", StringComparison.Ordinal));
}
