using Charte.Charters;

namespace Charte.Retention;

/// <summary>Every retention formulation found in the seed charters parses and prints in plain words, in French and English.</summary>
public sealed class RetentionWordingTests
{
    private const string Events = """
        events:
          - id: relationship_end
            label: { fr: la fin de la relation d'affaires, en: the end of the business relationship }
          - id: rights_request
            label: { fr: votre demande, en: your request }
          - id: financial_year_close
            label: { fr: la clôture de l'exercice, en: the close of the financial year }
        """;

    [Theory]
    // Secufor: "conservées pendant un délai de 3 ans à compter de votre dernier contact"
    [InlineData("active: P3Y\n        from: last_contact", "3 ans à compter du dernier contact, puis suppression", "3 years from the last contact, then deleted")]
    // Secufor: "5 ans à compter de la fin de la relation d'affaires"
    [InlineData("active: P5Y\n        from: relationship_end", "5 ans à compter de la fin de la relation d'affaires, puis suppression", "5 years from the end of the business relationship, then deleted")]
    // Secufor: "5 ans à compter de la fin de l'année civile de votre demande"
    [InlineData("active: P5Y\n        from: { end_of_year_of: rights_request }", "5 ans à compter de la fin de l'année civile de votre demande, puis suppression", "5 years from the end of the calendar year of your request, then deleted")]
    // Secufor: "jusqu'au paiement complet ou jusqu'à la résiliation de votre contrat"
    [InlineData("until: { first_of: [payment_complete, contract_end] }", "jusqu'au paiement complet ou jusqu'à la fin du contrat, selon la date la plus proche, puis suppression", "until full payment or the end of the contract, whichever comes first, then deleted")]
    [InlineData("until: payment_complete", "jusqu'au paiement complet, puis suppression", "until full payment, then deleted")]
    // Secufor: "pendant toute la durée de la relation contractuelle ... archivées à des fins probatoires pendant 5 ans"
    [InlineData("until: contract_end\n        archive: P5Y", "jusqu'à la fin du contrat, puis archivage intermédiaire pendant 5 ans, puis suppression", "until the end of the contract, then kept in intermediate archive for 5 years, then deleted")]
    // Secufor: "6 mois à compter de la collecte" (statistics, call recordings); "1 an" (call analysis)
    [InlineData("active: P6M\n        from: collected", "6 mois à compter de la collecte, puis suppression", "6 months from collection, then deleted")]
    [InlineData("active: P1Y\n        from: collected", "1 an à compter de la collecte, puis suppression", "1 year from collection, then deleted")]
    // Secufor: invoices 10 years; AML 5 years from the end of the relationship
    [InlineData("active: P10Y\n        from: financial_year_close", "10 ans à compter de la clôture de l'exercice, puis suppression", "10 years from the close of the financial year, then deleted")]
    // Secufor: "supprimées une fois la demande d'information traitée"
    [InlineData("until: request_closed", "jusqu'à la clôture de la demande, puis suppression", "until the closing of the request, then deleted")]
    // Mon Petit Placement: "jusqu'à 10 ans après le terme du contrat"
    [InlineData("active: P10Y\n        from: contract_end", "10 ans à compter de la fin du contrat, puis suppression", "10 years from the end of the contract, then deleted")]
    // Mon Petit Placement: "(jusqu'à 30 ans dans le cadre du décès de l'assuré)"
    [InlineData("when: death\n        active: P30Y\n        from: death", "si le décès intervient : 30 ans à compter du décès, puis suppression", "if death occurs: 30 years from death, then deleted")]
    // "the latest of several events"
    [InlineData("active: P5Y\n        from: { latest_of: [contract_end, last_contact] }", "5 ans à compter de la fin du contrat ou du dernier contact, selon la date la plus tardive, puis suppression", "5 years from the end of the contract or the last contact, whichever is later, then deleted")]
    [InlineData("until: account_closed", "jusqu'à la clôture du compte, puis suppression", "until account closure, then deleted")]
    [InlineData("active: P1Y6M\n        from: collected", "1 an et 6 mois à compter de la collecte, puis suppression", "1 year and 6 months from collection, then deleted")]
    public void SeedFormulation_PrintsInPlainWords(string rule, string french, string english)
    {
        var charter = Load(rule, "delete");
        var parsed = charter.Purposes[0].Retention.Last();

        Assert.Equal(french, RetentionWording.Describe(parsed, charter, "fr"));
        Assert.Equal(english, RetentionWording.Describe(parsed, charter, "en"));
    }

    [Theory]
    [InlineData("anonymise", ", puis anonymisation", ", then anonymised")]
    [InlineData("keep_anonymous_stats", ", puis seules des statistiques anonymes sont conservées", ", then only anonymous statistics are kept")]
    public void EndAction_IsSaid(string action, string french, string english)
    {
        var charter = Load("active: P6M\n        from: collected", action);
        var rule = charter.Purposes[0].Retention.Last();

        Assert.EndsWith(french, RetentionWording.Describe(rule, charter, "fr"), StringComparison.Ordinal);
        Assert.EndsWith(english, RetentionWording.Describe(rule, charter, "en"), StringComparison.Ordinal);
    }

    private static Charter Load(string rule, string then)
    {
        var yaml = TestCharters.Base
            .Replace("purposes:\n", Events + "\npurposes:\n", StringComparison.Ordinal)
            .Replace("      - active: P3Y\n        from: contract_end\n        then: delete\n",
                $"      - active: P3Y\n        from: contract_end\n        then: delete\n      - {rule}\n        then: {then}\n", StringComparison.Ordinal);
        var loaded = TestCharters.Load(yaml);
        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Errors));
        return loaded.Charter!;
    }
}
