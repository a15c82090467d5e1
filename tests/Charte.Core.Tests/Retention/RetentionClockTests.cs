using System.Globalization;
using Charte.Charters;

namespace Charte.Retention;

/// <summary>
/// The retention clock as a table: every retention promise of the seed charters, as written in examples/, then the
/// calendar's edge cases. Instants are written in Paris time; "next" is the Paris day a transition happens (at 00:00
/// Paris), or an exact instant for "until X", or "-" while the clock waits.
/// </summary>
public sealed class RetentionClockTests
{
    public static IEnumerable<object?[]> Rows =>
    [
        // why, charter, purpose, category, subject category, collected, events, as of, phase, next, step
        R("prospects: 3 years from the last contact (day before)", "secufor", "prospect_file", "contact.email", "prospect", "2022-01-10 09:00", "last_contact@2023-03-15 12:00", "2026-03-14 23:59", RetentionPhase.Active, "2026-03-15", RetentionStep.Delete),
        R("prospects: 3 years from the last contact (that day, 00:00 Paris)", "secufor", "prospect_file", "contact.email", "prospect", "2022-01-10 09:00", "last_contact@2023-03-15 12:00", "2026-03-15 00:00", RetentionPhase.Due, "2026-03-15", RetentionStep.Delete),
        R("prospects: a newer contact restarts the clock", "secufor", "prospect_file", "contact.email", "prospect", "2022-01-10 09:00", "last_contact@2023-03-15 12:00;last_contact@2025-01-02 10:00", "2026-03-15 00:00", RetentionPhase.Active, "2028-01-02", RetentionStep.Delete),
        R("prospect file of a customer: until the contract ends", "secufor", "prospect_file", "contact.email", "customer", "2022-01-10 09:00", "last_contact@2023-03-15 12:00", "2030-01-01 00:00", RetentionPhase.Active, "-", RetentionStep.Delete),
        R("customer data: 5 years after the end of the relationship", "secufor", "service", "identity.name", "customer", "2020-05-01 09:00", "relationship_end@2024-07-31 18:00", "2029-07-30 12:00", RetentionPhase.Active, "2029-07-31", RetentionStep.Delete),
        R("customer contract data: active until the contract ends, then archived 5 years", "secufor", "customer_management", "identity.name", "customer", "2020-05-01 09:00", "contract_end@2026-06-30 10:00", "2026-06-30 09:59", RetentionPhase.Active, "2026-06-30 10:00", RetentionStep.Archive),
        R("customer contract data: in the intermediate archive", "secufor", "customer_management", "financial.invoices", "customer", "2020-05-01 09:00", "contract_end@2026-06-30 10:00", "2031-06-29 12:00", RetentionPhase.Archived, "2031-06-30", RetentionStep.Delete),
        R("customer contract data: deleted at the end of the archive", "secufor", "customer_management", "contact.email", "customer", "2020-05-01 09:00", "contract_end@2026-06-30 10:00", "2031-06-30 00:00", RetentionPhase.Due, "2031-06-30", RetentionStep.Delete),
        R("invoices: 10 years from the close of the financial year", "secufor", "legal_obligations", "financial.invoices", "customer", "2025-03-01 09:00", "financial_year_close@2025-12-31 18:00", "2035-12-30 12:00", RetentionPhase.Active, "2035-12-31", RetentionStep.Delete),
        R("transactions (AML): 5 years from collection", "secufor", "legal_obligations", "financial.transactions", "customer", "2025-03-01 09:00", "", "2030-03-01 00:00", RetentionPhase.Due, "2030-03-01", RetentionStep.Delete),
        R("AML file: 5 years after the contract ends", "monpetitplacement", "aml", "identity.name", "customer", "2021-02-01 09:00", "contract_end@2024-09-15 16:00", "2029-09-14 23:00", RetentionPhase.Active, "2029-09-15", RetentionStep.Delete),
        R("card data: until full payment", "secufor", "customer_management", "financial.card", "customer", "2026-11-20 09:00", "payment_complete@2026-11-21 15:30", "2026-11-21 15:30", RetentionPhase.Due, "2026-11-21 15:30", RetentionStep.Delete),
        R("card data: until full payment or the contract's end, whichever first", "secufor", "customer_management", "financial.card", "customer", "2026-11-20 09:00", "contract_end@2026-12-01 10:00", "2026-11-30 12:00", RetentionPhase.Active, "2026-12-01 10:00", RetentionStep.Delete),
        R("card data: neither has happened, the clock waits", "secufor", "customer_management", "financial.card", "customer", "2026-11-20 09:00", "", "2040-01-01 00:00", RetentionPhase.Active, "-", RetentionStep.Delete),
        R("statistics: 6 months from collection, then anonymous statistics", "secufor", "statistics", "connection.browsing", "visitor", "2026-04-15 10:00", "", "2026-10-14 23:00", RetentionPhase.Active, "2026-10-15", RetentionStep.KeepAnonymousStats),
        R("call recordings: 6 months", "secufor", "service_improvement", "communications.call_recording", "customer", "2026-01-10 14:00", "", "2026-07-10 00:00", RetentionPhase.Due, "2026-07-10", RetentionStep.Delete),
        R("call analysis: 1 year", "secufor", "service_improvement", "communications.call_analysis", "customer", "2026-01-10 14:00", "", "2026-07-10 00:00", RetentionPhase.Active, "2027-01-10", RetentionStep.Delete),
        R("rights request: 5 years from the end of the calendar year of the request", "secufor", "rights_requests", "rights_request", "requester", "2026-05-10 11:00", "rights_request@2026-05-10 11:00", "2031-12-31 23:59", RetentionPhase.Active, "2032-01-01", RetentionStep.Delete),
        R("rights request made on 31 December: the same year's end", "secufor", "rights_requests", "rights_request", "requester", "2026-12-31 23:30", "rights_request@2026-12-31 23:30", "2032-01-01 00:00", RetentionPhase.Due, "2032-01-01", RetentionStep.Delete),
        R("insurance: 10 years after the contract", "monpetitplacement", "insurance_contract", "identity.name", "customer", "2010-01-01 09:00", "contract_end@2020-02-29 12:00", "2030-02-27 12:00", RetentionPhase.Active, "2030-02-28", RetentionStep.Delete),
        R("insurance: 30 years after the insured person's death, which overrides", "monpetitplacement", "insurance_contract", "identity.name", "insured", "2010-01-01 09:00", "contract_end@2020-02-29 12:00;death@2021-08-03 08:00", "2031-01-01 00:00", RetentionPhase.Active, "2051-08-03", RetentionStep.Delete),
        R("latest of the contract's end and the last contact: waits for both", "monpetitplacement", "marketing", "contact.email", "customer", "2020-01-01 09:00", "last_contact@2022-01-01 09:00", "2040-01-01 00:00", RetentionPhase.Active, "-", RetentionStep.Delete),
        R("latest of the contract's end and the last contact: the later one counts", "monpetitplacement", "marketing", "contact.email", "customer", "2020-01-01 09:00", "last_contact@2024-05-05 09:00;contract_end@2023-01-01 09:00", "2029-05-04 12:00", RetentionPhase.Active, "2029-05-05", RetentionStep.Delete),
        R("e-signature: the ID document goes once the ceremony is done", "mynotary", "e_signature", "identity.id_document", "signatory", "2026-11-01 09:00", "signature_ceremony@2026-11-02 16:45", "2026-11-02 16:45", RetentionPhase.Due, "2026-11-02 16:45", RetentionStep.Delete),
        R("e-signature: the evidence file stays 10 years", "mynotary", "e_signature", "signature.evidence_file", "signatory", "2026-11-01 09:00", "signature_ceremony@2026-11-02 16:45", "2026-11-02 16:45", RetentionPhase.Active, "2036-11-02", RetentionStep.Delete),
        R("an event of another purpose does not count", "secufor", "newsletter_customers", "contact.email", "customer", "2026-01-01 09:00", "last_contact[prospect_file]@2026-06-01 09:00;last_contact[newsletter_customers]@2026-02-01 09:00", "2029-01-31 12:00", RetentionPhase.Active, "2029-02-01", RetentionStep.Delete),

        // The calendar: month ends, 29 February, daylight saving.
        R("31 January + 1 month = 28 February", "mynotary", "anonymous_statistics", "usage", "user", "2027-01-31 12:00", "", "2027-02-27 12:00", RetentionPhase.Active, "2027-02-28", RetentionStep.KeepAnonymousStats),
        R("31 January + 1 month in a leap year = 29 February", "mynotary", "anonymous_statistics", "usage", "user", "2028-01-31 12:00", "", "2028-02-28 12:00", RetentionPhase.Active, "2028-02-29", RetentionStep.KeepAnonymousStats),
        R("29 February + 1 year = 28 February", "mynotary", "traceability", "connection.logs", "user", "2028-02-29 12:00", "", "2029-02-28 00:00", RetentionPhase.Due, "2029-02-28", RetentionStep.Delete),
        R("collected late on 31 December in Paris, still 2026 there (UTC says 2026 too)", "mynotary", "traceability", "connection.logs", "user", "2026-12-31 23:30", "", "2027-12-30 23:59", RetentionPhase.Active, "2027-12-31", RetentionStep.Delete),
        R("collected at 00:30 Paris on 1 January: a Paris date, although UTC still says 31 December", "mynotary", "traceability", "connection.logs", "user", "2027-01-01 00:30", "", "2027-12-31 23:59", RetentionPhase.Active, "2028-01-01", RetentionStep.Delete),
        R("a transition on the day summer time starts is at 00:00 winter time", "secufor", "statistics", "connection.browsing", "visitor", "2026-09-28 10:00", "", "2027-03-28 00:00", RetentionPhase.Due, "2027-03-28", RetentionStep.KeepAnonymousStats),
        R("a transition on the day winter time returns is at 00:00 summer time", "secufor", "statistics", "connection.browsing", "visitor", "2026-04-25 10:00", "", "2026-10-24 23:59", RetentionPhase.Active, "2026-10-25", RetentionStep.KeepAnonymousStats),
    ];

    private static object?[] R(string why, string charter, string purpose, string category, string? subject, string collected, string events, string asOf,
        RetentionPhase phase, string next, RetentionStep step) => [why, charter, purpose, category, subject, collected, events, asOf, phase, next, step];

    [Theory]
    [MemberData(nameof(Rows))]
    public void TheClock_DecidesAsTheCharterSays(string why, string charter, string purpose, string category, string? subject, string collected, string events, string asOf,
        RetentionPhase phase, string next, RetentionStep step)
    {
        var decision = RetentionClock.Decide(TestCharters.Example(charter), new RecordFacts(purpose, category, subject, Paris(collected)), Events(events), Paris(asOf));

        Assert.True(decision.Rule is not null, $"{why}: no rule");
        Assert.Equal((phase, step), (decision.Phase, decision.Step));
        var expected = next == "-" ? (DateTimeOffset?)null : next.Length == 10 ? LegalTime.StartOfDay(DateOnly.ParseExact(next, "yyyy-MM-dd", CultureInfo.InvariantCulture)) : Paris(next);
        Assert.Equal(expected, decision.Next);
    }

    [Fact]
    public void Transitions_AreAtMidnightParis_WithTheOffsetOfThatDay()
    {
        Assert.Equal(new DateTimeOffset(2027, 3, 27, 23, 0, 0, TimeSpan.Zero), LegalTime.StartOfDay(new DateOnly(2027, 3, 28)).ToUniversalTime());
        Assert.Equal(new DateTimeOffset(2026, 10, 24, 22, 0, 0, TimeSpan.Zero), LegalTime.StartOfDay(new DateOnly(2026, 10, 25)).ToUniversalTime());
    }

    [Fact]
    public void ARecordNoRuleCovers_HasNoDecision_RatherThanAGuess()
    {
        var decision = RetentionClock.Decide(TestCharters.Example("secufor"), new RecordFacts("service_improvement", "identity.name", "visitor", Paris("2026-01-01 09:00")), [], Paris("2040-01-01 00:00"));

        Assert.Null(decision.Rule);
        Assert.Null(decision.Next);
    }

    private static DateTimeOffset Paris(string local)
    {
        var time = DateTime.ParseExact(local, "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        return new DateTimeOffset(time, LegalTime.Paris.GetUtcOffset(time));
    }

    /// <summary>"event@time" or "event[purpose]@time", separated by semicolons.</summary>
    private static List<EventFact> Events(string text) =>
        [.. text.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(e =>
        {
            var (name, at) = (e[..e.IndexOf('@', StringComparison.Ordinal)], e[(e.IndexOf('@', StringComparison.Ordinal) + 1)..]);
            var bracket = name.IndexOf('[', StringComparison.Ordinal);
            return bracket < 0 ? new EventFact(name, null, Paris(at)) : new EventFact(name[..bracket], name[(bracket + 1)..^1], Paris(at));
        })];
}

public sealed class AnonymisationTests
{
    [Theory]
    [InlineData("identity.birth", "\"1987-04-12\"", "\"1987\"")]
    [InlineData("contact.postal_address", "\"12 rue Oberkampf, 75011 Paris\"", "\"75\"")]
    [InlineData("contact.postal_address", "\"Route de Bastia, 20090 Ajaccio\"", "\"2A\"")]
    [InlineData("contact.postal_address", "\"Lot 3, 20200 Bastia\"", "\"2B\"")]
    [InlineData("contact.postal_address", "\"Rue Frébault, 97110 Pointe-à-Pitre\"", "\"971\"")]
    [InlineData("contact.postal_address", "\"no postcode here\"", null)]
    [InlineData("identity.name", "\"Jeanne Martin\"", null)]
    [InlineData("contact.email", "\"jeanne@demo.invalid\"", null)]
    [InlineData("identity.birth", "{\"not\":\"a string\"}", null)]
    public void EachCategory_KeepsOnlyWhatSinglesNoOneOut(string category, string value, string? expected) =>
        Assert.Equal(expected, Anonymisation.Anonymise(category, System.Text.Encoding.UTF8.GetBytes(value)));

    [Fact]
    public void ACustomerNumber_BecomesAKeyedPseudonym_TheSameForTheSameNumber()
    {
        byte[] key = [.. Enumerable.Range(0, 32).Select(i => (byte)i)], other = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
        var a = Anonymisation.Anonymise("identity.customer_number", "\"C-0042\""u8, key);

        Assert.Matches("^\"p_[0-9a-f]{24}\"$", a);
        Assert.Equal(a, Anonymisation.Anonymise("identity.customer_number", "\" c-0042 \""u8, key));
        Assert.NotEqual(a, Anonymisation.Anonymise("identity.customer_number", "\"C-0042\""u8, other));
        Assert.Null(Anonymisation.Anonymise("identity.customer_number", "\"C-0042\""u8));
    }
}
