namespace Charte.Charters;

/// <summary>The YAML spelling of an enum value, when it is not the value's name in snake_case.</summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class YamlNameAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>GDPR Art. 6(1): one lawful basis per purpose.</summary>
public enum LegalBasis
{
    /// <summary>Art. 6(1)(a).</summary>
    Consent,
    /// <summary>Art. 6(1)(b): contract or steps before entering into it.</summary>
    Contract,
    /// <summary>Art. 6(1)(c).</summary>
    LegalObligation,
    /// <summary>Art. 6(1)(d).</summary>
    VitalInterests,
    /// <summary>Art. 6(1)(e).</summary>
    PublicTask,
    /// <summary>Art. 6(1)(f).</summary>
    LegitimateInterests,
}

/// <summary>GDPR Art. 9(2)(a)–(j): the exception that lifts the ban on special categories.</summary>
public enum Art9Exception
{
    [YamlName("a_explicit_consent")] ExplicitConsent,
    [YamlName("b_employment_social_protection")] EmploymentSocialProtection,
    [YamlName("c_vital_interests")] VitalInterests,
    [YamlName("d_not_for_profit_body")] NotForProfitBody,
    [YamlName("e_made_public")] MadePublic,
    [YamlName("f_legal_claims")] LegalClaims,
    [YamlName("g_substantial_public_interest")] SubstantialPublicInterest,
    [YamlName("h_health_social_care")] HealthSocialCare,
    [YamlName("i_public_health")] PublicHealth,
    [YamlName("j_archiving_research_statistics")] ArchivingResearchStatistics,
}

/// <summary>Where a value comes from: given by the person, observed from their use, or derived by the controller.</summary>
public enum DataSource
{
    Provided,
    Observed,
    Derived,
}

/// <summary>GDPR Chapter V: what makes a transfer outside the EEA lawful.</summary>
public enum TransferMechanism
{
    /// <summary>Art. 45 adequacy decision.</summary>
    Adequacy,
    /// <summary>Art. 46(2)(c)/(d) standard contractual clauses (Decision 2021/914).</summary>
    [YamlName("scc")] StandardContractualClauses,
    /// <summary>Art. 46(2)(b) and 47.</summary>
    [YamlName("bcr")] BindingCorporateRules,
    /// <summary>Art. 46(2)(e).</summary>
    CodeOfConduct,
    /// <summary>Art. 46(2)(f).</summary>
    Certification,
    /// <summary>Art. 46(3)(a): needs the supervisory authority's authorisation.</summary>
    AdHocClauses,
    /// <summary>Art. 49(1) first subparagraph, (a) to (g).</summary>
    Derogation,
    /// <summary>Art. 49(1) second subparagraph.</summary>
    CompellingLegitimateInterests,
}

/// <summary>GDPR Art. 49(1)(a)–(g).</summary>
public enum Art49Derogation
{
    [YamlName("a")] ExplicitConsent,
    [YamlName("b")] ContractWithSubject,
    [YamlName("c")] ContractInSubjectsInterest,
    [YamlName("d")] ImportantPublicInterest,
    [YamlName("e")] LegalClaims,
    [YamlName("f")] VitalInterests,
    [YamlName("g")] PublicRegister,
}

/// <summary>What happens to data when its retention ends.</summary>
public enum EndAction
{
    Delete,
    Anonymise,
    KeepAnonymousStats,
}

/// <summary>The rights a data subject can exercise (GDPR Arts. 15–22, LIL art. 85).</summary>
public enum RightKind
{
    Access,
    Rectification,
    Erasure,
    Restriction,
    Portability,
    Objection,
    DirectMarketingObjection,
    ConsentWithdrawal,
    AutomatedDecisionReview,
    PostMortemDirectives,
}

/// <summary>CNIL register families of security measures.</summary>
public enum SecurityFamily
{
    AccessControl,
    Traceability,
    SoftwareProtection,
    Backup,
    Encryption,
    ProcessorControl,
    PhysicalSecurity,
    Availability,
    Organisational,
    Other,
}

/// <summary>CNIL register families of personal data.</summary>
public enum CategoryFamily
{
    Identity,
    PersonalLife,
    ProfessionalLife,
    EconomicFinancial,
    Connection,
    Location,
    Internet,
    /// <summary>GDPR Art. 9.</summary>
    Special,
    /// <summary>GDPR Art. 10.</summary>
    Offences,
    Other,
}

/// <summary>Whether a cookie needs consent (LIL art. 82) or falls under an exemption.</summary>
public enum CookieBasis
{
    Consent,
    Exempt,
}

/// <summary>The exemptions to consent for trackers (CNIL délib. 2020-091).</summary>
public enum CookieExemption
{
    ConsentStorage,
    Authentication,
    ShoppingCart,
    InterfacePersonalisation,
    LoadBalancing,
    PaywallMetering,
    AudienceMeasurement,
    Security,
}

public static class YamlNames
{
    private static readonly Dictionary<Type, (Dictionary<string, object> ByName, Dictionary<object, string> ByValue)> Cache = [];
    private static readonly Lock Gate = new();

    /// <summary>The YAML spelling of <paramref name="value"/>.</summary>
    public static string Of<T>(T value) where T : struct, Enum => Table(typeof(T)).ByValue[value];

    /// <summary>All YAML spellings of <typeparamref name="T"/>, in declaration order.</summary>
    public static IReadOnlyList<string> All<T>() where T : struct, Enum => [.. Enum.GetValues<T>().Select(v => Of(v))];

    public static bool TryParse<T>(string text, out T value) where T : struct, Enum
    {
        if (Table(typeof(T)).ByName.TryGetValue(text, out var found))
        {
            value = (T)found;
            return true;
        }

        value = default;
        return false;
    }

    internal static string SnakeCase(string pascal)
    {
        var builder = new System.Text.StringBuilder(pascal.Length + 8);
        for (var i = 0; i < pascal.Length; i++)
        {
            if (char.IsUpper(pascal[i]) && i > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(pascal[i]));
        }

        return builder.ToString();
    }

    private static (Dictionary<string, object> ByName, Dictionary<object, string> ByValue) Table(Type type)
    {
        lock (Gate)
        {
            if (!Cache.TryGetValue(type, out var table))
            {
                table = ([], []);
                foreach (var field in type.GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static))
                {
                    var name = field.GetCustomAttributes(typeof(YamlNameAttribute), false) is [YamlNameAttribute attribute, ..]
                        ? attribute.Name
                        : SnakeCase(field.Name);
                    var value = field.GetValue(null)!;
                    table.ByName[name] = value;
                    table.ByValue[value] = name;
                }

                Cache[type] = table;
            }

            return table;
        }
    }
}
