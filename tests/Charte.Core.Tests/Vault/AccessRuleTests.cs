using Charte.Charters;

namespace Charte.Vault;

/// <summary>The access rule as a table: each row a situation from Secufor's charter and the rule that decides it.</summary>
public sealed class AccessRuleTests
{
    private static readonly Charter Secufor = TestCharters.Example("secufor");

    private static readonly PurposeStatus Nothing = PurposeStatus.None;
    private static readonly PurposeStatus Restricted = new(true, false, false);
    private static readonly PurposeStatus Objected = new(false, true, false);
    private static readonly PurposeStatus Consented = new(false, false, true);

    public static TheoryData<string, string, string[], PurposeStatus, string?, bool, Refusal?> Reads => new()
    {
        // why (the legal rule), purpose, granted, status, category, archived, expected
        { "contract purpose, its own category", "customer_management", ["customer_management"], Nothing, "financial.iban", false, null },
        { "a parent named by the purpose covers its children", "customer_management", ["customer_management"], Nothing, "contact.postal_address", false, null },
        { "whole-purpose read", "customer_management", ["customer_management"], Nothing, null, false, null },
        { "Art. 5(1)(b) purpose limitation", "newsletter_customers", ["newsletter_customers"], Nothing, "financial.iban", false, Refusal.CategoryNotInPurpose },
        { "a child named by the purpose does not cover its parent", "newsletter_customers", ["newsletter_customers"], Nothing, "contact", false, Refusal.CategoryNotInPurpose },
        { "the application must hold the purpose", "customer_management", ["newsletter_customers"], Nothing, "contact.email", false, Refusal.PurposeNotGranted },
        { "Art. 18 restriction", "customer_management", ["customer_management"], Restricted, "contact.email", false, Refusal.Restricted },
        { "Art. 21 objection", "newsletter_customers", ["newsletter_customers"], Objected, "contact.email", false, Refusal.Objected },
        { "Art. 6(1)(a) consent missing", "newsletter_prospects", ["newsletter_prospects"], Nothing, "contact.email", false, Refusal.ConsentMissing },
        { "Art. 6(1)(a) consent given", "newsletter_prospects", ["newsletter_prospects"], Consented, "contact.email", false, null },
        { "consent is not needed on a contract basis", "customer_management", ["customer_management"], Nothing, "contact.email", false, null },
        { "intermediate archive is out of normal use", "customer_management", ["customer_management"], Nothing, "financial.invoices", true, Refusal.Archived },
        { "unknown purpose", "telepathy", ["telepathy"], Nothing, null, false, Refusal.UnknownPurpose },
        { "unknown category", "customer_management", ["customer_management"], Nothing, "contact.aura", false, Refusal.UnknownCategory },
        { "the request is judged before the grant", "newsletter_customers", [], Nothing, "financial.iban", false, Refusal.CategoryNotInPurpose },
        { "objection outranks restriction", "customer_management", ["customer_management"], new PurposeStatus(true, true, false), null, false, Refusal.Objected },
    };

    [Theory]
    [MemberData(nameof(Reads))]
    public void Read_IsDecidedByTheCharter(string why, string purpose, string[] granted, PurposeStatus status, string? category, bool archived, Refusal? expected)
    {
        var decided = AccessRule.Read(Secufor, purpose, granted, status, category, archived);

        Assert.True(expected == decided, $"{why}: expected {expected?.ToString() ?? "allowed"}, got {decided?.ToString() ?? "allowed"}");
    }

    [Fact]
    public void Write_IsRefusedUnderRestriction_LikeARead()
    {
        Assert.Equal(Refusal.Restricted, AccessRule.Write(Secufor, "customer_management", ["customer_management"], Restricted, "contact.email"));
        Assert.Null(AccessRule.Write(Secufor, "customer_management", ["customer_management"], Nothing, "contact.email"));
    }

    [Fact]
    public void EveryRefusal_HasAStableName()
    {
        Assert.Equal(
            ["unknown-purpose", "unknown-category", "category-not-in-purpose", "purpose-not-granted", "processing-restricted", "objection", "consent-missing", "archived"],
            YamlNames.All<Refusal>());
    }
}
