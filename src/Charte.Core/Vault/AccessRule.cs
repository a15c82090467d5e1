using Charte.Charters;

namespace Charte.Vault;

/// <summary>Why the vault refused to read or write personal data. Each value is a stable problem type of the API.</summary>
public enum Refusal
{
    /// <summary>The charter has no purpose with this id.</summary>
    [YamlName("unknown-purpose")] UnknownPurpose,
    /// <summary>The charter's taxonomy has no category with this id.</summary>
    [YamlName("unknown-category")] UnknownCategory,
    /// <summary>The purpose does not use this category (purpose limitation, GDPR Art. 5(1)(b)).</summary>
    [YamlName("category-not-in-purpose")] CategoryNotInPurpose,
    /// <summary>The calling application was not granted this purpose.</summary>
    [YamlName("purpose-not-granted")] PurposeNotGranted,
    /// <summary>The person restricted processing for this purpose (GDPR Art. 18).</summary>
    [YamlName("processing-restricted")] Restricted,
    /// <summary>The person objected to processing for this purpose (GDPR Art. 21).</summary>
    [YamlName("objection")] Objected,
    /// <summary>The purpose rests on consent and the person has not given it, or withdrew it (GDPR Art. 6(1)(a), 7(3)).</summary>
    [YamlName("consent-missing")] ConsentMissing,
    /// <summary>The data is in the intermediate archive: out of normal use.</summary>
    [YamlName("archived")] Archived,
}

/// <summary>What the person has said about one purpose.</summary>
public sealed record PurposeStatus(bool Restricted, bool Objected, bool ConsentGiven)
{
    public static PurposeStatus None { get; } = new(false, false, false);
}

/// <summary>
/// The vault's access rule, decided from the charter alone: who may read or write which category of a person's data,
/// for which purpose. Pure: no storage, no clock; the server asks it before every read and every write.
/// </summary>
public static class AccessRule
{
    /// <summary>
    /// May an application holding <paramref name="granted"/> read <paramref name="category"/> (or, when null, the data
    /// of the purpose as a whole) for <paramref name="purposeId"/>? Returns null when it may, otherwise the rule that refuses.
    /// </summary>
    public static Refusal? Read(Charter charter, string purposeId, IReadOnlyCollection<string> granted, PurposeStatus status, string? category = null, bool archived = false) =>
        Decide(charter, purposeId, granted, status, category) ?? (archived ? Refusal.Archived : null);

    /// <summary>May the application store <paramref name="category"/> under <paramref name="purposeId"/>? Writing is collecting,
    /// so restriction and objection stop it as they stop reading.</summary>
    public static Refusal? Write(Charter charter, string purposeId, IReadOnlyCollection<string> granted, PurposeStatus status, string category) =>
        Decide(charter, purposeId, granted, status, category);

    /// <summary>The first rule that refuses, in the order a developer would fix them: the request itself, then the grant, then the person.</summary>
    private static Refusal? Decide(Charter charter, string purposeId, IReadOnlyCollection<string> granted, PurposeStatus status, string? category)
    {
        if (charter.FindPurpose(purposeId) is not { } purpose)
        {
            return Refusal.UnknownPurpose;
        }

        if (category is not null)
        {
            if (!charter.Categories.Contains(category))
            {
                return Refusal.UnknownCategory;
            }

            if (!Uses(purpose, category))
            {
                return Refusal.CategoryNotInPurpose;
            }
        }

        if (!granted.Contains(purposeId))
        {
            return Refusal.PurposeNotGranted;
        }

        if (status.Objected)
        {
            return Refusal.Objected;
        }

        if (status.Restricted)
        {
            return Refusal.Restricted;
        }

        return purpose.LegalBasis == LegalBasis.Consent && !status.ConsentGiven ? Refusal.ConsentMissing : null;
    }

    /// <summary>A purpose that names a category uses its children too: <c>contact</c> covers <c>contact.email</c>.</summary>
    public static bool Uses(Purpose purpose, string category) =>
        purpose.Data.Any(item => category == item.Category.Id || category.StartsWith(item.Category.Id + ".", StringComparison.Ordinal));
}
