using Charte.Charters;

namespace Charte.Retention;

/// <summary>The lifecycle events every charter may use without declaring them.</summary>
public static class BuiltInEvents
{
    public const string Collected = "collected";
    public const string LastContact = "last_contact";
    public const string ContractEnd = "contract_end";
    public const string AccountClosed = "account_closed";
    public const string PaymentComplete = "payment_complete";
    public const string Death = "death";
    public const string RequestClosed = "request_closed";

    /// <summary>Labels are noun phrases with their article, so that wording can say "à compter du dernier contact".</summary>
    public static IReadOnlyList<LifecycleEvent> All { get; } =
    [
        E(Collected, "la collecte", "collection"),
        E(LastContact, "le dernier contact", "the last contact"),
        E(ContractEnd, "la fin du contrat", "the end of the contract"),
        E(AccountClosed, "la clôture du compte", "account closure"),
        E(PaymentComplete, "le paiement complet", "full payment"),
        E(Death, "le décès", "death"),
        E(RequestClosed, "la clôture de la demande", "the closing of the request"),
    ];

    private static LifecycleEvent E(string id, string fr, string en) =>
        new(id, new LocalizedText(new Dictionary<string, string> { ["fr"] = fr, ["en"] = en }), true, SourcePosition.Start);
}
