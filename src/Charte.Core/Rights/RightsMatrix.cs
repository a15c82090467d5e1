using Charte.Charters;

namespace Charte.Rights;

/// <summary>Whether a right applies to data processed under a purpose.</summary>
public enum Applicability
{
    Applies,
    /// <summary>Applies in the cases the article lists; the request is decided case by case.</summary>
    Conditional,
    DoesNotApply,
}

/// <summary>
/// Which rights apply to a purpose, from its legal basis (GDPR Arts. 15–22; regulatory rules §2).
/// Pure: the rights desk decides requests with it, and the policy tells people which purposes each right covers.
/// </summary>
public static class RightsMatrix
{
    public static Applicability For(RightKind right, Purpose purpose) => right switch
    {
        RightKind.Access or RightKind.Rectification => Applicability.Applies,
        RightKind.Erasure => purpose.LegalBasis switch
        {
            // Art. 17(1)(b): withdrawing consent opens erasure.
            LegalBasis.Consent => Applicability.Applies,
            // Art. 17(3)(b): not to the extent the data is needed for the obligation or the task.
            LegalBasis.LegalObligation or LegalBasis.PublicTask => Applicability.DoesNotApply,
            LegalBasis.Contract or LegalBasis.VitalInterests or LegalBasis.LegitimateInterests or null => Applicability.Conditional,
        },
        RightKind.Restriction => Applicability.Conditional,
        // Art. 20(1): only consent or contract, and (Art. 20(3)) never a public task.
        RightKind.Portability => purpose.LegalBasis is LegalBasis.Consent or LegalBasis.Contract
            || purpose.Art9Exception == Art9Exception.ExplicitConsent
            ? Applicability.Applies
            : Applicability.DoesNotApply,
        // Art. 21(1): only for public task and legitimate interests, against compelling grounds.
        RightKind.Objection => purpose.LegalBasis is LegalBasis.LegitimateInterests or LegalBasis.PublicTask
            ? Applicability.Conditional
            : Applicability.DoesNotApply,
        // Art. 21(2)-(3): absolute, whatever the basis.
        RightKind.DirectMarketingObjection => purpose.DirectMarketing ? Applicability.Applies : Applicability.DoesNotApply,
        RightKind.ConsentWithdrawal => purpose.LegalBasis is LegalBasis.Consent ? Applicability.Applies : Applicability.DoesNotApply,
        RightKind.AutomatedDecisionReview => purpose.AutomatedDecisions is { LegalEffects: true } ? Applicability.Applies : Applicability.DoesNotApply,
        RightKind.PostMortemDirectives => Applicability.Applies,
    };

    /// <summary>The article that grants the right.</summary>
    public static string Article(RightKind right, string language) => language == "fr" ? ArticleRef(right) : ArticleRef(right).Replace("RGPD art.", "GDPR Art.", StringComparison.Ordinal).Replace("Loi Informatique et Libertés art.", "French Data Protection Act, art.", StringComparison.Ordinal);

    private static string ArticleRef(RightKind right) => right switch
    {
        RightKind.Access => "RGPD art. 15",
        RightKind.Rectification => "RGPD art. 16",
        RightKind.Erasure => "RGPD art. 17",
        RightKind.Restriction => "RGPD art. 18",
        RightKind.Portability => "RGPD art. 20",
        RightKind.Objection => "RGPD art. 21(1)",
        RightKind.DirectMarketingObjection => "RGPD art. 21(2)",
        RightKind.ConsentWithdrawal => "RGPD art. 7(3)",
        RightKind.AutomatedDecisionReview => "RGPD art. 22(3)",
        RightKind.PostMortemDirectives => "Loi Informatique et Libertés art. 85",
    };
}
