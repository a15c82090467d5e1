using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Charte.Keys;

namespace Charte.Vault;

/// <summary>
/// The identifiers by which an application finds a person: normalised, then kept only as blind indexes
/// (HMAC-SHA-256 under the index key). The same normalisation runs at write and at lookup, so
/// " Jean.Dupont@Example.FR " and "jean.dupont@example.fr" find the same person.
/// </summary>
public static partial class Identifiers
{
    public const string Email = "email";
    public const string Phone = "phone";
    public const string CustomerNumber = "customer_number";
    public const string ExternalId = "external_id";

    public static IReadOnlyList<string> Kinds { get; } = [Email, Phone, CustomerNumber, ExternalId];

    /// <summary>Normalises an identifier, or says why it is not one. The message never repeats the value.</summary>
    public static bool TryNormalise(string kind, string? value, out string normalised, out string error)
    {
        normalised = "";
        error = "";
        var text = (value ?? "").Trim();
        if (text.Length == 0)
        {
            error = $"the {kind} identifier is empty";
            return false;
        }

        if (text.Length > 254)
        {
            error = $"the {kind} identifier is longer than 254 characters";
            return false;
        }

        if (text.Any(char.IsControl))
        {
            error = $"the {kind} identifier contains control characters";
            return false;
        }

        switch (kind)
        {
            case Email:
                normalised = text.ToLowerInvariant();
                if (!EmailShape().IsMatch(normalised))
                {
                    error = "the email identifier is not an e-mail address (expected name@domain.tld)";
                    return false;
                }

                return true;
            case Phone:
                // "+33 (0)6…": the bracketed trunk prefix is not dialled from abroad.
                var digits = PhoneNoise().Replace(text.Replace("(0)", "", StringComparison.Ordinal), "");
                if (digits.StartsWith("00", StringComparison.Ordinal))
                {
                    digits = "+" + digits[2..];
                }
                else if (digits.StartsWith('0') && digits.Length == 10)
                {
                    // A French national number: 06 12 34 56 78 is +33 6 12 34 56 78.
                    digits = "+33" + digits[1..];
                }

                if (!PhoneShape().IsMatch(digits))
                {
                    error = "the phone identifier is not a phone number (expected +CC then 6 to 15 digits, or a French 10-digit number)";
                    return false;
                }

                normalised = digits;
                return true;
            case CustomerNumber or ExternalId:
                normalised = text.Normalize(NormalizationForm.FormC);
                return true;
            default:
                error = $"unknown identifier kind '{kind}'; expected one of {string.Join(", ", Kinds)}";
                return false;
        }
    }

    public static byte[] BlindIndex(MasterKeys keys, string kind, string normalised) =>
        HMACSHA256.HashData(keys.BlindIndexKey, Encoding.UTF8.GetBytes(kind + "\n" + normalised));

    /// <summary>The subject's pseudonym in the journal and the ledger: stable, unlinkable to the API id without the index key.</summary>
    public static string Pseudonym(MasterKeys keys, Guid subject)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(keys.PseudonymKey, subject.ToByteArray(), mac);
        return "s_" + Convert.ToHexStringLower(mac[..12]);
    }

    [GeneratedRegex(@"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$", RegexOptions.CultureInvariant)]
    private static partial Regex EmailShape();

    [GeneratedRegex(@"[\s.\-()/]", RegexOptions.CultureInvariant)]
    private static partial Regex PhoneNoise();

    [GeneratedRegex(@"^\+[1-9][0-9]{5,14}$", RegexOptions.CultureInvariant)]
    private static partial Regex PhoneShape();

    internal static string Describe(IEnumerable<string> kinds) => string.Join(", ", kinds.Order(StringComparer.Ordinal).Select(k => k.ToString(CultureInfo.InvariantCulture)));
}
