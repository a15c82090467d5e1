namespace Charte.Charters;

/// <summary>A node of the dotted data-category taxonomy (<c>contact.email</c>, <c>financial.iban</c>).</summary>
public sealed record DataCategory(string Id, LocalizedText Label, CategoryFamily Family, bool BuiltIn, SourcePosition At)
{
    public string? ParentId => Id.LastIndexOf('.') is var dot and > 0 ? Id[..dot] : null;

    /// <summary>GDPR Art. 9 special category.</summary>
    public bool IsSpecial => Family == CategoryFamily.Special;

    /// <summary>GDPR Art. 10 criminal convictions and offences.</summary>
    public bool IsOffence => Family == CategoryFamily.Offences;

    /// <summary>A rule naming a category covers its children: <c>contact</c> covers <c>contact.email</c>.</summary>
    public bool IsWithin(string ancestorId) =>
        Id == ancestorId || Id.StartsWith(ancestorId + ".", StringComparison.Ordinal);
}

/// <summary>
/// The data categories a charter may name: the built-in defaults, which follow the CNIL register's families,
/// plus the charter's own extensions.
/// </summary>
public sealed class CategoryTaxonomy
{
    private readonly Dictionary<string, DataCategory> _byId;

    public CategoryTaxonomy(IEnumerable<DataCategory> categories)
    {
        _byId = new Dictionary<string, DataCategory>(StringComparer.Ordinal);
        foreach (var category in categories)
        {
            _byId[category.Id] = category;
        }
    }

    public IEnumerable<DataCategory> All => _byId.Values.OrderBy(c => c.Id, StringComparer.Ordinal);

    public DataCategory? Find(string id) => _byId.GetValueOrDefault(id);

    public bool Contains(string id) => _byId.ContainsKey(id);

    public static CategoryTaxonomy BuiltIn { get; } = new(Defaults());

    private static IEnumerable<DataCategory> Defaults()
    {
        DataCategory C(string id, CategoryFamily family, string fr, string en) =>
            new(id, new LocalizedText(new Dictionary<string, string> { ["fr"] = fr, ["en"] = en }), family, true, SourcePosition.Start);

        const CategoryFamily Id = CategoryFamily.Identity, Pl = CategoryFamily.PersonalLife, Pro = CategoryFamily.ProfessionalLife,
            Fin = CategoryFamily.EconomicFinancial, Cx = CategoryFamily.Connection, Loc = CategoryFamily.Location,
            Web = CategoryFamily.Internet, Sp = CategoryFamily.Special, Off = CategoryFamily.Offences, Oth = CategoryFamily.Other;

        return
        [
            C("identity", Id, "État civil, identité, données d'identification", "Civil status, identity, identification data"),
            C("identity.name", Id, "Nom et prénom", "Name"),
            C("identity.birth", Id, "Date et lieu de naissance", "Date and place of birth"),
            C("identity.gender", Id, "Sexe", "Gender"),
            C("identity.nationality", Id, "Nationalité", "Nationality"),
            C("identity.id_document", Id, "Pièce d'identité", "Identity document"),
            C("identity.photo", Id, "Photographie", "Photograph"),
            C("identity.tax_id", Id, "Numéro d'identification fiscale", "Tax identification number"),
            C("identity.customer_number", Id, "Numéro client", "Customer number"),
            C("contact", Id, "Coordonnées", "Contact details"),
            C("contact.email", Id, "Adresse e-mail", "Email address"),
            C("contact.phone", Id, "Numéro de téléphone", "Phone number"),
            C("contact.postal_address", Id, "Adresse postale", "Postal address"),
            C("personal_life", Pl, "Vie personnelle", "Personal life"),
            C("personal_life.family", Pl, "Situation familiale", "Family situation"),
            C("personal_life.dependants", Pl, "Personnes à charge", "Dependants"),
            C("personal_life.matrimonial_regime", Pl, "Régime matrimonial", "Matrimonial property regime"),
            C("personal_life.habits", Pl, "Habitudes de vie", "Lifestyle"),
            C("professional_life", Pro, "Vie professionnelle", "Professional life"),
            C("professional_life.occupation", Pro, "Profession et statut professionnel", "Occupation and status"),
            C("professional_life.employer", Pro, "Employeur", "Employer"),
            C("professional_life.sector", Pro, "Secteur d'activité", "Business sector"),
            C("professional_life.company_ids", Pro, "Numéros SIRET et de TVA", "Company and VAT numbers"),
            C("financial", Fin, "Situation économique et financière", "Economic and financial situation"),
            C("financial.income", Fin, "Revenus", "Income"),
            C("financial.assets", Fin, "Patrimoine", "Assets"),
            C("financial.loans", Fin, "Emprunts", "Loans"),
            C("financial.iban", Fin, "Coordonnées bancaires (IBAN)", "Bank account details (IBAN)"),
            C("financial.card", Fin, "Carte de paiement", "Payment card"),
            C("financial.card.number", Fin, "Numéro de carte et date d'expiration", "Card number and expiry date"),
            C("financial.card.cvv", Fin, "Cryptogramme visuel", "Card security code"),
            C("financial.transactions", Fin, "Transactions", "Transactions"),
            C("financial.invoices", Fin, "Factures", "Invoices"),
            C("connection", Cx, "Données de connexion", "Connection data"),
            C("connection.ip_address", Cx, "Adresse IP", "IP address"),
            C("connection.logs", Cx, "Journaux de connexion", "Connection logs"),
            C("connection.credentials", Cx, "Identifiants et mots de passe", "Credentials and passwords"),
            C("location", Loc, "Données de localisation", "Location data"),
            C("location.gps", Loc, "Position géographique", "Geographic position"),
            C("internet", Web, "Données Internet", "Internet data"),
            C("internet.browsing", Web, "Navigation et parcours de visite", "Browsing and visit path"),
            C("internet.device", Web, "Terminal et système d'exploitation", "Device and operating system"),
            C("internet.cookie_id", Web, "Identifiant de cookie", "Cookie identifier"),
            C("communications", Oth, "Échanges et communications", "Exchanges and communications"),
            C("communications.call_recording", Oth, "Enregistrements d'appels", "Call recordings"),
            C("communications.messages", Oth, "Messages et historique de discussion", "Messages and chat history"),
            C("communications.feedback", Oth, "Avis et réponses aux enquêtes", "Reviews and survey answers"),
            C("special", Sp, "Catégories particulières (art. 9 RGPD)", "Special categories (GDPR Art. 9)"),
            C("special.health", Sp, "Santé", "Health"),
            C("special.racial_ethnic_origin", Sp, "Origine raciale ou ethnique", "Racial or ethnic origin"),
            C("special.political_opinions", Sp, "Opinions politiques", "Political opinions"),
            C("special.religious_beliefs", Sp, "Convictions religieuses ou philosophiques", "Religious or philosophical beliefs"),
            C("special.trade_union", Sp, "Appartenance syndicale", "Trade union membership"),
            C("special.genetic", Sp, "Données génétiques", "Genetic data"),
            C("special.biometric", Sp, "Données biométriques d'identification", "Biometric data for identification"),
            C("special.sex_life", Sp, "Vie sexuelle ou orientation sexuelle", "Sex life or sexual orientation"),
            C("offences", Off, "Infractions et condamnations (art. 10 RGPD)", "Criminal convictions and offences (GDPR Art. 10)"),
        ];
    }
}
