using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Charte.Retention;

/// <summary>How a category is anonymised at the end of its retention.</summary>
public enum AnonymisationStrategy
{
    /// <summary>Nothing of the value is kept; the record only counts.</summary>
    Remove,
    /// <summary>A date becomes its year.</summary>
    Year,
    /// <summary>A French postal address becomes its département (75, 2A, 971…).</summary>
    Department,
    /// <summary>An identifier becomes a keyed pseudonym: the same number gives the same pseudonym, for counting, and no way back.</summary>
    Pseudonym,
}

/// <summary>
/// Anonymisation by category: a date of birth keeps its year, a postal address its département, a customer or tax
/// number becomes a keyed pseudonym, everything else is removed. What is kept is unlinked from the subject and coarse
/// enough not to single anyone out.
/// </summary>
public static partial class Anonymisation
{
    public static AnonymisationStrategy StrategyFor(string category) => category switch
    {
        "identity.birth" or "identity.birth_date" => AnonymisationStrategy.Year,
        "contact.postal_address" => AnonymisationStrategy.Department,
        "identity.customer_number" or "identity.tax_id" => AnonymisationStrategy.Pseudonym,
        _ => AnonymisationStrategy.Remove,
    };

    /// <summary>The anonymised value as JSON, or null when nothing is kept. <paramref name="pseudonymKey"/> keys the pseudonyms.</summary>
    public static string? Anonymise(string category, ReadOnlySpan<byte> valueJson, byte[]? pseudonymKey = null)
    {
        var strategy = StrategyFor(category);
        if (strategy == AnonymisationStrategy.Remove)
        {
            return null;
        }

        string? text;
        try
        {
            using var document = JsonDocument.Parse(valueJson.ToArray());
            text = document.RootElement.ValueKind == JsonValueKind.String ? document.RootElement.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }

        var kept = text is null ? null : strategy switch
        {
            AnonymisationStrategy.Year => YearOf(text),
            AnonymisationStrategy.Department => DepartmentOf(text),
            AnonymisationStrategy.Pseudonym when pseudonymKey is not null =>
                "p_" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(pseudonymKey, System.Text.Encoding.UTF8.GetBytes(text.Trim().ToUpperInvariant())))[..24],
            _ => null,
        };
        return kept is null ? null : JsonSerializer.Serialize(kept);
    }

    public static string? YearOf(string date) =>
        Year().Match(date) is { Success: true } match ? match.Value : null;

    /// <summary>The département of the last five-digit postcode in an address: 75011 → 75, 20090 → 2A, 97110 → 971.</summary>
    public static string? DepartmentOf(string address)
    {
        var matches = Postcode().Matches(address);
        if (matches.Count == 0)
        {
            return null;
        }

        var code = matches[^1].Value;
        if (code.StartsWith("97", StringComparison.Ordinal) || code.StartsWith("98", StringComparison.Ordinal))
        {
            return code[..3];
        }

        if (code.StartsWith("20", StringComparison.Ordinal))
        {
            return int.Parse(code[..3], CultureInfo.InvariantCulture) <= 201 ? "2A" : "2B";
        }

        return code[..2];
    }

    [GeneratedRegex(@"\b(1[89]|20)\d{2}\b", RegexOptions.CultureInvariant)]
    private static partial Regex Year();

    [GeneratedRegex(@"\b\d{5}\b", RegexOptions.CultureInvariant)]
    private static partial Regex Postcode();
}
