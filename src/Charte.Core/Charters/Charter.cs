using Charte.Retention;

namespace Charte.Charters;

/// <summary>
/// An organisation's privacy charter: what it processes, why, on which legal basis, for how long, with whom,
/// and how it protects it. Read from YAML by <see cref="CharterLoader"/>; every decision of the platform reads it.
/// </summary>
public sealed record Charter
{
    /// <summary>The charter format this platform reads.</summary>
    public const int CurrentFormat = 1;

    public required int Format { get; init; }
    public required Organisation Organisation { get; init; }
    public required Dpo Dpo { get; init; }
    public required Authority Authority { get; init; }
    /// <summary>Languages every text of the charter is given in; the first is the default.</summary>
    public required IReadOnlyList<string> Languages { get; init; }
    public required DateOnly Updated { get; init; }
    public required ChangePolicy Changes { get; init; }
    public required CategoryTaxonomy Categories { get; init; }
    public required IReadOnlyList<SubjectCategory> Subjects { get; init; }
    public required IReadOnlyList<Processor> Processors { get; init; }
    public required IReadOnlyList<Recipient> Recipients { get; init; }
    public required IReadOnlyList<Role> Roles { get; init; }
    public required IReadOnlyList<LifecycleEvent> Events { get; init; }
    public required IReadOnlyList<Purpose> Purposes { get; init; }
    public required IReadOnlyList<Cookie> Cookies { get; init; }
    public required ConsentSettings Consent { get; init; }
    public required SecurityPromises Security { get; init; }
    public required RightsDesk Rights { get; init; }

    public Purpose? FindPurpose(string id) => Purposes.FirstOrDefault(p => p.Id == id);

    public LifecycleEvent? FindEvent(string id) => Events.FirstOrDefault(e => e.Id == id);

    public SubjectCategory? FindSubject(string id) => Subjects.FirstOrDefault(s => s.Id == id);

    public Processor? FindProcessor(string id) => Processors.FirstOrDefault(p => p.Id == id);

    public Recipient? FindRecipient(string id) => Recipients.FirstOrDefault(r => r.Id == id);

    public Role? FindRole(string id) => Roles.FirstOrDefault(r => r.Id == id);
}

/// <summary>A reference to something declared elsewhere in the charter, with where it was written.</summary>
public sealed record Ref(string Id, SourcePosition At)
{
    public override string ToString() => Id;
}

public sealed record Organisation(
    string Name,
    string? LegalForm,
    string? Registration,
    string Address,
    string Email,
    string? Phone,
    string? Website,
    SourcePosition At);

public sealed record Dpo(string? Name, string Email, string? Address, SourcePosition At);

/// <summary>The supervisory authority a person may complain to (GDPR Art. 77).</summary>
public sealed record Authority(string Name, string Website, string? Address, SourcePosition At);

/// <summary>How the organisation tells people that the charter changed.</summary>
public sealed record ChangePolicy(LocalizedText Notice, Iso8601Period? Advance, SourcePosition At);

/// <summary>A category of people whose data is processed: customers, prospects, insured persons...</summary>
public sealed record SubjectCategory(string Id, LocalizedText Label, SourcePosition At);

/// <summary>A service provider processing data on the organisation's behalf (GDPR Art. 28).</summary>
public sealed record Processor(
    string Id,
    string Name,
    LocalizedText Service,
    string Country,
    string? Contract,
    IReadOnlyList<Ref> SubProcessors,
    SourcePosition At);

/// <summary>Who receives data: internal teams, third parties, authorities (GDPR Art. 13(1)(e)).</summary>
public sealed record Recipient(string Id, LocalizedText Label, RecipientKind Kind, SourcePosition At);

public enum RecipientKind
{
    Internal,
    ThirdParty,
    Authority,
}

/// <summary>A staff role; purposes name the roles allowed to access their data.</summary>
public sealed record Role(string Id, LocalizedText Label, SourcePosition At);

/// <summary>A dated fact that starts or ends a retention clock.</summary>
public sealed record LifecycleEvent(string Id, LocalizedText Label, bool BuiltIn, SourcePosition At);

/// <summary>One processing activity (finalité).</summary>
public sealed record Purpose
{
    public required string Id { get; init; }
    public required LocalizedText Title { get; init; }
    public required LocalizedText Summary { get; init; }
    public required LegalBasis? LegalBasis { get; init; }
    /// <summary>The legitimate interest pursued (Art. 13(1)(d)), when the basis is legitimate interests.</summary>
    public LocalizedText? Interest { get; init; }
    /// <summary>The law that creates the obligation, when the basis is a legal obligation.</summary>
    public string? LegalReference { get; init; }
    public LocalizedText? ConsentText { get; init; }
    public Art9Exception? Art9Exception { get; init; }
    public required IReadOnlyList<Ref> Subjects { get; init; }
    public required IReadOnlyList<DataItem> Data { get; init; }
    public AutomatedDecisions? AutomatedDecisions { get; init; }
    public required IReadOnlyList<Ref> Recipients { get; init; }
    public required IReadOnlyList<Ref> Access { get; init; }
    public required IReadOnlyList<Transfer> Transfers { get; init; }
    public required IReadOnlyList<RetentionRule> Retention { get; init; }
    public bool DirectMarketing { get; init; }
    public required SourcePosition At { get; init; }
    public SourcePosition LegalBasisAt { get; init; }
}

/// <summary>One data category a purpose uses, where it comes from, and whether the person must give it.</summary>
public sealed record DataItem(
    Ref Category,
    DataSource? Source,
    bool Mandatory,
    LocalizedText? IfMissing,
    SourcePosition At);

/// <summary>Profiling or decisions based solely on automated processing (GDPR Arts. 13(2)(f), 22).</summary>
public sealed record AutomatedDecisions(bool Profiling, bool LegalEffects, LocalizedText Logic, SourcePosition At);

/// <summary>A transfer of personal data outside the EEA (GDPR Chapter V).</summary>
public sealed record Transfer
{
    public required Ref To { get; init; }
    public required string Country { get; init; }
    public TransferMechanism? Mechanism { get; init; }
    public int? SccModule { get; init; }
    public Art49Derogation? Derogation { get; init; }
    public bool Repetitive { get; init; }
    public string? Reference { get; init; }
    public required SourcePosition At { get; init; }
    public SourcePosition CountryAt { get; init; }
}

/// <summary>A cookie or other tracker read or written on the visitor's device.</summary>
public sealed record Cookie
{
    public required string Name { get; init; }
    public required string Provider { get; init; }
    public required LocalizedText Description { get; init; }
    public required Iso8601Period? Lifetime { get; init; }
    public required CookieBasis? Basis { get; init; }
    public CookieExemption? Exemption { get; init; }
    /// <summary>The consent-based purpose the visitor agrees to when accepting this cookie.</summary>
    public Ref? Purpose { get; init; }
    public required SourcePosition At { get; init; }
}

/// <summary>How long consent and refusal choices last before the banner asks again.</summary>
public sealed record ConsentSettings(Iso8601Period ConsentValidity, Iso8601Period RefusalValidity, SourcePosition At);

/// <summary>Security measures and service promises (GDPR Art. 32; the seeds' "99 %", "two servers").</summary>
public sealed record SecurityPromises(
    IReadOnlyList<SecurityMeasure> Measures,
    decimal? AvailabilityPercent,
    int? Replicas,
    IReadOnlyList<HostingSite> Hosting,
    SourcePosition At);

public sealed record SecurityMeasure(SecurityFamily? Family, LocalizedText Description, SourcePosition At);

public sealed record HostingSite(string Provider, string Country, LocalizedText? Description, SourcePosition At);

/// <summary>How a person exercises their rights, and the post-mortem directive policy.</summary>
public sealed record RightsDesk(
    string Email,
    string? PostalAddress,
    string? OnlineUrl,
    bool PostMortemDirectives,
    SourcePosition At);
