using System.Globalization;
using Charte.Charters;
using Charte.Retention;

namespace Charte.Publishing;

/// <summary>The plain-language words for the charter's vocabulary, in French and English.</summary>
public static class Wording
{
    public static string L(string language, string fr, string en) => language == "fr" ? fr : en;

    public static string Date(DateOnly date, string language) =>
        date.ToString("d MMMM yyyy", CultureInfo.GetCultureInfo(language == "fr" ? "fr-FR" : "en-GB"));

    public static string LegalBasis(Purpose purpose, string language)
    {
        var basis = purpose.LegalBasis switch
        {
            Charters.LegalBasis.Consent => L(language, "votre consentement (art. 6.1.a du RGPD), que vous pouvez retirer à tout moment",
                "your consent (GDPR Art. 6(1)(a)), which you may withdraw at any time"),
            Charters.LegalBasis.Contract => L(language, "l'exécution du contrat conclu avec vous ou de mesures précontractuelles prises à votre demande (art. 6.1.b du RGPD)",
                "the performance of a contract with you, or steps taken at your request before entering into it (GDPR Art. 6(1)(b))"),
            Charters.LegalBasis.LegalObligation => L(language, "le respect d'une obligation légale à laquelle nous sommes soumis (art. 6.1.c du RGPD)",
                "compliance with a legal obligation to which we are subject (GDPR Art. 6(1)(c))"),
            Charters.LegalBasis.VitalInterests => L(language, "la sauvegarde de vos intérêts vitaux ou de ceux d'une autre personne (art. 6.1.d du RGPD)",
                "the protection of your vital interests or those of another person (GDPR Art. 6(1)(d))"),
            Charters.LegalBasis.PublicTask => L(language, "l'exécution d'une mission d'intérêt public (art. 6.1.e du RGPD)",
                "the performance of a task carried out in the public interest (GDPR Art. 6(1)(e))"),
            Charters.LegalBasis.LegitimateInterests => L(language, "notre intérêt légitime (art. 6.1.f du RGPD)", "our legitimate interests (GDPR Art. 6(1)(f))"),
            null => "",
        };
        if (purpose.LegalBasis == Charters.LegalBasis.LegitimateInterests && purpose.Interest is { } interest)
        {
            basis += L(language, " : ", ": ") + interest.In(language);
        }

        if (purpose.LegalReference is { } reference)
        {
            basis += L(language, $" ({reference})", $" ({reference})");
        }

        return Capitalise(basis);
    }

    public static string LegalBasisShort(LegalBasis? basis, string language) => basis switch
    {
        Charters.LegalBasis.Consent => L(language, "Consentement (art. 6.1.a)", "Consent (Art. 6(1)(a))"),
        Charters.LegalBasis.Contract => L(language, "Contrat (art. 6.1.b)", "Contract (Art. 6(1)(b))"),
        Charters.LegalBasis.LegalObligation => L(language, "Obligation légale (art. 6.1.c)", "Legal obligation (Art. 6(1)(c))"),
        Charters.LegalBasis.VitalInterests => L(language, "Intérêts vitaux (art. 6.1.d)", "Vital interests (Art. 6(1)(d))"),
        Charters.LegalBasis.PublicTask => L(language, "Mission d'intérêt public (art. 6.1.e)", "Public task (Art. 6(1)(e))"),
        Charters.LegalBasis.LegitimateInterests => L(language, "Intérêt légitime (art. 6.1.f)", "Legitimate interests (Art. 6(1)(f))"),
        null => "",
    };

    public static string Art9(Art9Exception exception, string language) => exception switch
    {
        Art9Exception.ExplicitConsent => L(language, "consentement explicite (art. 9.2.a)", "explicit consent (Art. 9(2)(a))"),
        Art9Exception.EmploymentSocialProtection => L(language, "obligations en matière de droit du travail et de la protection sociale (art. 9.2.b)", "employment and social protection law (Art. 9(2)(b))"),
        Art9Exception.VitalInterests => L(language, "sauvegarde des intérêts vitaux (art. 9.2.c)", "vital interests (Art. 9(2)(c))"),
        Art9Exception.NotForProfitBody => L(language, "activités d'un organisme à but non lucratif (art. 9.2.d)", "not-for-profit body (Art. 9(2)(d))"),
        Art9Exception.MadePublic => L(language, "données manifestement rendues publiques (art. 9.2.e)", "data manifestly made public (Art. 9(2)(e))"),
        Art9Exception.LegalClaims => L(language, "constatation, exercice ou défense de droits en justice (art. 9.2.f)", "legal claims (Art. 9(2)(f))"),
        Art9Exception.SubstantialPublicInterest => L(language, "motif d'intérêt public important (art. 9.2.g)", "substantial public interest (Art. 9(2)(g))"),
        Art9Exception.HealthSocialCare => L(language, "médecine préventive, diagnostics, soins (art. 9.2.h)", "health or social care (Art. 9(2)(h))"),
        Art9Exception.PublicHealth => L(language, "santé publique (art. 9.2.i)", "public health (Art. 9(2)(i))"),
        Art9Exception.ArchivingResearchStatistics => L(language, "archivage, recherche ou statistiques (art. 9.2.j)", "archiving, research or statistics (Art. 9(2)(j))"),
    };

    public static string Source(DataSource? source, string language) => source switch
    {
        DataSource.Provided => L(language, "fournies par vous", "provided by you"),
        DataSource.Observed => L(language, "observées lors de votre utilisation", "observed from your use"),
        DataSource.Derived => L(language, "déduites par nous", "derived by us"),
        null => "",
    };

    public static string Safeguard(Transfer transfer, string language)
    {
        var text = transfer.Mechanism switch
        {
            TransferMechanism.Adequacy => L(language, "décision d'adéquation de la Commission européenne (art. 45 du RGPD)",
                "European Commission adequacy decision (GDPR Art. 45)"),
            TransferMechanism.StandardContractualClauses => L(language,
                $"clauses contractuelles types de la Commission européenne, module {transfer.SccModule} (art. 46.2.c du RGPD)",
                $"European Commission standard contractual clauses, module {transfer.SccModule} (GDPR Art. 46(2)(c))"),
            TransferMechanism.BindingCorporateRules => L(language, "règles d'entreprise contraignantes (art. 47 du RGPD)", "binding corporate rules (GDPR Art. 47)"),
            TransferMechanism.CodeOfConduct => L(language, "code de conduite approuvé (art. 46.2.e du RGPD)", "approved code of conduct (GDPR Art. 46(2)(e))"),
            TransferMechanism.Certification => L(language, "mécanisme de certification approuvé (art. 46.2.f du RGPD)", "approved certification mechanism (GDPR Art. 46(2)(f))"),
            TransferMechanism.AdHocClauses => L(language, "clauses contractuelles autorisées par l'autorité de contrôle (art. 46.3.a du RGPD)",
                "contractual clauses authorised by the supervisory authority (GDPR Art. 46(3)(a))"),
            TransferMechanism.Derogation => L(language, $"dérogation pour une situation particulière (art. 49.1.{Letter(transfer.Derogation)} du RGPD)",
                $"derogation for a specific situation (GDPR Art. 49(1)({Letter(transfer.Derogation)}))"),
            TransferMechanism.CompellingLegitimateInterests => L(language, "intérêts légitimes impérieux, transfert ponctuel (art. 49.1 al. 2 du RGPD)",
                "compelling legitimate interests, occasional transfer (GDPR Art. 49(1) second subparagraph)"),
            null => "",
        };
        return transfer.Reference is { } reference ? $"{text} — {reference}" : text;
    }

    private static string Letter(Art49Derogation? derogation) => derogation is { } d ? YamlNames.Of(d) : "?";

    public static string Right(RightKind right, string language) => right switch
    {
        RightKind.Access => L(language, "Droit d'accès", "Right of access"),
        RightKind.Rectification => L(language, "Droit de rectification", "Right to rectification"),
        RightKind.Erasure => L(language, "Droit à l'effacement", "Right to erasure"),
        RightKind.Restriction => L(language, "Droit à la limitation du traitement", "Right to restriction of processing"),
        RightKind.Portability => L(language, "Droit à la portabilité", "Right to data portability"),
        RightKind.Objection => L(language, "Droit d'opposition", "Right to object"),
        RightKind.DirectMarketingObjection => L(language, "Droit d'opposition à la prospection", "Right to object to direct marketing"),
        RightKind.ConsentWithdrawal => L(language, "Retrait du consentement", "Withdrawal of consent"),
        RightKind.AutomatedDecisionReview => L(language, "Droit à une intervention humaine", "Right to human intervention"),
        RightKind.PostMortemDirectives => L(language, "Directives après votre décès", "Directives after your death"),
    };

    public static string RightExplained(RightKind right, string language) => right switch
    {
        RightKind.Access => L(language, "obtenir la confirmation que nous traitons vos données, et une copie de celles-ci avec les informations sur leur traitement.",
            "obtain confirmation that we process your data, and a copy of it with the information about its processing."),
        RightKind.Rectification => L(language, "faire corriger ou compléter des données inexactes ou incomplètes.", "have inaccurate or incomplete data corrected or completed."),
        RightKind.Erasure => L(language, "obtenir l'effacement de vos données, sauf lorsque leur conservation est nécessaire, notamment pour respecter une obligation légale ou pour la défense de droits en justice.",
            "have your data erased, unless keeping it is necessary, in particular to comply with a legal obligation or for legal claims."),
        RightKind.Restriction => L(language, "faire geler l'utilisation de vos données pendant la vérification de leur exactitude ou d'une opposition, ou lorsque le traitement est illicite ou que vous en avez besoin pour un droit en justice.",
            "have the use of your data frozen while its accuracy or an objection is checked, or when processing is unlawful or you need the data for a legal claim."),
        RightKind.Portability => L(language, "recevoir les données que vous nous avez fournies dans un format structuré et lisible par machine, ou les faire transmettre à un autre responsable.",
            "receive the data you provided to us in a structured, machine-readable format, or have it sent to another controller."),
        RightKind.Objection => L(language, "vous opposer à tout moment, pour des raisons tenant à votre situation particulière, au traitement fondé sur notre intérêt légitime ; nous cessons sauf motifs impérieux ou défense de droits en justice.",
            "object at any time, on grounds relating to your particular situation, to processing based on our legitimate interests; we stop unless we have compelling grounds or need it for legal claims."),
        RightKind.DirectMarketingObjection => L(language, "vous opposer à tout moment, sans avoir à vous justifier, à l'utilisation de vos données à des fins de prospection, y compris au profilage lié ; un lien de désinscription figure dans chaque message.",
            "object at any time, without giving reasons, to the use of your data for direct marketing, including related profiling; every message carries an unsubscribe link."),
        RightKind.ConsentWithdrawal => L(language, "retirer votre consentement à tout moment, aussi simplement que vous l'avez donné ; le retrait ne remet pas en cause ce qui a été fait avant.",
            "withdraw your consent at any time, as easily as you gave it; withdrawal does not affect what was done before."),
        RightKind.AutomatedDecisionReview => L(language, "ne pas faire l'objet d'une décision fondée exclusivement sur un traitement automatisé produisant des effets juridiques, obtenir une intervention humaine, exprimer votre point de vue et contester la décision.",
            "not be subject to a decision based solely on automated processing with legal effects, obtain human intervention, express your point of view and contest the decision."),
        RightKind.PostMortemDirectives => L(language, "définir des directives sur la conservation, l'effacement et la communication de vos données après votre décès.",
            "set directives on the retention, erasure and communication of your data after your death."),
    };

    public static string SecurityFamily(SecurityFamily? family, string language) => family switch
    {
        Charters.SecurityFamily.AccessControl => L(language, "Contrôle d'accès", "Access control"),
        Charters.SecurityFamily.Traceability => L(language, "Traçabilité", "Traceability"),
        Charters.SecurityFamily.SoftwareProtection => L(language, "Protection des logiciels", "Software protection"),
        Charters.SecurityFamily.Backup => L(language, "Sauvegarde", "Backup"),
        Charters.SecurityFamily.Encryption => L(language, "Chiffrement", "Encryption"),
        Charters.SecurityFamily.ProcessorControl => L(language, "Contrôle des sous-traitants", "Processor control"),
        Charters.SecurityFamily.PhysicalSecurity => L(language, "Sécurité physique", "Physical security"),
        Charters.SecurityFamily.Availability => L(language, "Disponibilité", "Availability"),
        Charters.SecurityFamily.Organisational => L(language, "Mesures organisationnelles", "Organisational measures"),
        Charters.SecurityFamily.Other or null => L(language, "Autres mesures", "Other measures"),
    };

    public static string Family(CategoryFamily family, string language) => family switch
    {
        CategoryFamily.Identity => L(language, "État civil, identité, données d'identification, images", "Civil status, identity, identification data, images"),
        CategoryFamily.PersonalLife => L(language, "Vie personnelle", "Personal life"),
        CategoryFamily.ProfessionalLife => L(language, "Vie professionnelle", "Professional life"),
        CategoryFamily.EconomicFinancial => L(language, "Informations d'ordre économique et financier", "Economic and financial information"),
        CategoryFamily.Connection => L(language, "Données de connexion", "Connection data"),
        CategoryFamily.Location => L(language, "Données de localisation", "Location data"),
        CategoryFamily.Internet => L(language, "Internet", "Internet"),
        CategoryFamily.Special => L(language, "Données sensibles (art. 9 RGPD)", "Special categories (GDPR Art. 9)"),
        CategoryFamily.Offences => L(language, "Infractions et condamnations (art. 10 RGPD)", "Offences and convictions (GDPR Art. 10)"),
        CategoryFamily.Other => L(language, "Autres", "Other"),
    };

    public static string EndAction(EndAction action, string language) => action switch
    {
        Charters.EndAction.Delete => L(language, "suppression", "deletion"),
        Charters.EndAction.Anonymise => L(language, "anonymisation", "anonymisation"),
        Charters.EndAction.KeepAnonymousStats => L(language, "statistiques anonymes", "anonymous statistics"),
    };

    /// <summary>A retention rule with who and what it covers: "Prospects : 3 ans à compter du dernier contact, puis suppression".</summary>
    public static string Retention(RetentionRule rule, Charter charter, string language)
    {
        var scope = new List<string>();
        if (rule.For.Count > 0)
        {
            scope.Add(string.Join(L(language, " et ", " and "), rule.For.Select(s => charter.FindSubject(s.Id)?.Label.In(language) ?? s.Id)));
        }

        if (rule.Categories.Count > 0)
        {
            scope.Add(string.Join(", ", rule.Categories.Select(c => charter.Categories.Find(c.Id)?.Label.In(language) ?? c.Id)));
        }

        var description = RetentionWording.Describe(rule, charter, language);
        return scope.Count == 0
            ? Capitalise(description)
            : Capitalise(string.Join(", ", scope)) + L(language, " : ", ": ") + description;
    }

    public static string Capitalise(string text) =>
        text.Length == 0 ? text : char.ToUpper(text[0], CultureInfo.InvariantCulture) + text[1..];
}
