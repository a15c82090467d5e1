using Charte.Charters;

namespace Charte.Rights;

/// <summary>Which rights apply under which legal basis (GDPR Arts. 15–22), as a table.</summary>
public sealed class RightsMatrixTests
{
    [Theory]
    // Arts. 15, 16: always.
    [InlineData(RightKind.Access, LegalBasis.LegalObligation, Applicability.Applies)]
    [InlineData(RightKind.Rectification, LegalBasis.PublicTask, Applicability.Applies)]
    // Art. 17(1)(b): withdrawing consent opens erasure; Art. 17(3)(b): not against a legal obligation or public task.
    [InlineData(RightKind.Erasure, LegalBasis.Consent, Applicability.Applies)]
    [InlineData(RightKind.Erasure, LegalBasis.LegalObligation, Applicability.DoesNotApply)]
    [InlineData(RightKind.Erasure, LegalBasis.PublicTask, Applicability.DoesNotApply)]
    [InlineData(RightKind.Erasure, LegalBasis.Contract, Applicability.Conditional)]
    [InlineData(RightKind.Erasure, LegalBasis.LegitimateInterests, Applicability.Conditional)]
    // Art. 20(1) and (3): only consent or contract.
    [InlineData(RightKind.Portability, LegalBasis.Consent, Applicability.Applies)]
    [InlineData(RightKind.Portability, LegalBasis.Contract, Applicability.Applies)]
    [InlineData(RightKind.Portability, LegalBasis.LegitimateInterests, Applicability.DoesNotApply)]
    [InlineData(RightKind.Portability, LegalBasis.PublicTask, Applicability.DoesNotApply)]
    [InlineData(RightKind.Portability, LegalBasis.LegalObligation, Applicability.DoesNotApply)]
    // Art. 21(1): against legitimate interests or public task, weighed against compelling grounds.
    [InlineData(RightKind.Objection, LegalBasis.LegitimateInterests, Applicability.Conditional)]
    [InlineData(RightKind.Objection, LegalBasis.PublicTask, Applicability.Conditional)]
    [InlineData(RightKind.Objection, LegalBasis.Consent, Applicability.DoesNotApply)]
    [InlineData(RightKind.Objection, LegalBasis.LegalObligation, Applicability.DoesNotApply)]
    // Art. 7(3).
    [InlineData(RightKind.ConsentWithdrawal, LegalBasis.Consent, Applicability.Applies)]
    [InlineData(RightKind.ConsentWithdrawal, LegalBasis.Contract, Applicability.DoesNotApply)]
    // Art. 18: case by case.
    [InlineData(RightKind.Restriction, LegalBasis.Contract, Applicability.Conditional)]
    public void Right_UnderBasis(RightKind right, LegalBasis basis, Applicability expected)
    {
        Assert.Equal(expected, RightsMatrix.For(right, Purpose(basis)));
    }

    [Theory]
    [InlineData(LegalBasis.LegitimateInterests)]
    [InlineData(LegalBasis.Consent)]
    [InlineData(LegalBasis.Contract)]
    public void DirectMarketingObjection_IsAbsolute_WhateverTheBasis(LegalBasis basis)
    {
        Assert.Equal(Applicability.Applies, RightsMatrix.For(RightKind.DirectMarketingObjection, Purpose(basis) with { DirectMarketing = true }));
        Assert.Equal(Applicability.DoesNotApply, RightsMatrix.For(RightKind.DirectMarketingObjection, Purpose(basis)));
    }

    [Fact]
    public void ExplicitConsentUnderArt9_OpensPortability()
    {
        Assert.Equal(Applicability.Applies,
            RightsMatrix.For(RightKind.Portability, Purpose(LegalBasis.LegitimateInterests) with { Art9Exception = Art9Exception.ExplicitConsent }));
    }

    [Fact]
    public void AutomatedDecisionReview_AppliesOnlyWithLegalEffects()
    {
        var automated = new AutomatedDecisions(true, true, LocalizedText.Empty, SourcePosition.Start);

        Assert.Equal(Applicability.Applies, RightsMatrix.For(RightKind.AutomatedDecisionReview, Purpose(LegalBasis.Contract) with { AutomatedDecisions = automated }));
        Assert.Equal(Applicability.DoesNotApply, RightsMatrix.For(RightKind.AutomatedDecisionReview,
            Purpose(LegalBasis.Contract) with { AutomatedDecisions = automated with { LegalEffects = false } }));
    }

    private static Purpose Purpose(LegalBasis basis) => new()
    {
        Id = "p",
        Title = LocalizedText.Empty,
        Summary = LocalizedText.Empty,
        LegalBasis = basis,
        Subjects = [],
        Data = [],
        Recipients = [],
        Access = [],
        Transfers = [],
        Retention = [],
        At = SourcePosition.Start,
    };
}
