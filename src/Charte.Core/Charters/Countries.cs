using System.Globalization;

namespace Charte.Charters;

/// <summary>ISO 3166-1 countries as transfers see them: inside the EEA, covered by an adequacy decision, or neither.</summary>
public static class Countries
{
    /// <summary>EU member states plus Iceland, Liechtenstein and Norway.</summary>
    public static readonly IReadOnlySet<string> Eea = new HashSet<string>(StringComparer.Ordinal)
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
        "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
    };

    /// <summary>
    /// Countries with an Art. 45 adequacy decision in force (European Commission list). The United States is covered only
    /// for organisations self-certified under the EU-US Data Privacy Framework (10 July 2023).
    /// </summary>
    public static readonly IReadOnlySet<string> Adequate = new HashSet<string>(StringComparer.Ordinal)
    {
        "AD", "AR", "CA", "FO", "GG", "IL", "IM", "JP", "JE", "NZ", "KR", "CH", "GB", "UY", "US",
    };

    private static readonly Dictionary<string, string> French = new(StringComparer.Ordinal)
    {
        ["AT"] = "Autriche",
        ["BE"] = "Belgique",
        ["BG"] = "Bulgarie",
        ["HR"] = "Croatie",
        ["CY"] = "Chypre",
        ["CZ"] = "Tchéquie",
        ["DK"] = "Danemark",
        ["EE"] = "Estonie",
        ["FI"] = "Finlande",
        ["FR"] = "France",
        ["DE"] = "Allemagne",
        ["GR"] = "Grèce",
        ["HU"] = "Hongrie",
        ["IE"] = "Irlande",
        ["IT"] = "Italie",
        ["LV"] = "Lettonie",
        ["LT"] = "Lituanie",
        ["LU"] = "Luxembourg",
        ["MT"] = "Malte",
        ["NL"] = "Pays-Bas",
        ["PL"] = "Pologne",
        ["PT"] = "Portugal",
        ["RO"] = "Roumanie",
        ["SK"] = "Slovaquie",
        ["SI"] = "Slovénie",
        ["ES"] = "Espagne",
        ["SE"] = "Suède",
        ["IS"] = "Islande",
        ["LI"] = "Liechtenstein",
        ["NO"] = "Norvège",
        ["AD"] = "Andorre",
        ["AR"] = "Argentine",
        ["CA"] = "Canada",
        ["FO"] = "Îles Féroé",
        ["GG"] = "Guernesey",
        ["IL"] = "Israël",
        ["IM"] = "Île de Man",
        ["JP"] = "Japon",
        ["JE"] = "Jersey",
        ["NZ"] = "Nouvelle-Zélande",
        ["KR"] = "Corée du Sud",
        ["CH"] = "Suisse",
        ["GB"] = "Royaume-Uni",
        ["UY"] = "Uruguay",
        ["US"] = "États-Unis",
        ["CN"] = "Chine",
        ["IN"] = "Inde",
        ["SG"] = "Singapour",
        ["AU"] = "Australie",
        ["BR"] = "Brésil",
        ["MA"] = "Maroc",
        ["TN"] = "Tunisie",
        ["MU"] = "Maurice",
        ["UA"] = "Ukraine",
        ["RU"] = "Russie",
        ["TR"] = "Turquie",
        ["MX"] = "Mexique",
        ["ZA"] = "Afrique du Sud",
        ["PH"] = "Philippines",
        ["SN"] = "Sénégal",
        ["CI"] = "Côte d'Ivoire",
        ["AE"] = "Émirats arabes unis",
        ["HK"] = "Hong Kong",
        ["TW"] = "Taïwan",
    };

    public static bool IsKnown(string code)
    {
        if (code.Length != 2 || !char.IsAsciiLetterUpper(code[0]) || !char.IsAsciiLetterUpper(code[1]))
        {
            return false;
        }

        try
        {
            return new RegionInfo(code).TwoLetterISORegionName == code;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public static bool InEea(string code) => Eea.Contains(code);

    public static string Name(string code, string language)
    {
        if (language == "fr" && French.TryGetValue(code, out var french))
        {
            return french;
        }

        return IsKnown(code) ? new RegionInfo(code).EnglishName : code;
    }
}
