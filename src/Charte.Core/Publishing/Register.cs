using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Charte.Charters;
using static Charte.Publishing.Wording;

namespace Charte.Publishing;

/// <summary>One fiche of the GDPR Art. 30(1) register, with the CNIL model's fields plus legal basis and Art. 9 exception.</summary>
public sealed record RegisterActivity(
    string Id,
    string Name,
    string Purpose,
    string LegalBasis,
    string? LegalReference,
    string? Art9Exception,
    IReadOnlyList<string> SubjectCategories,
    IReadOnlyList<string> DataCategories,
    IReadOnlyList<string> CnilFamilies,
    bool SpecialCategories,
    IReadOnlyList<string> Retention,
    IReadOnlyList<string> InternalRecipients,
    IReadOnlyList<string> Processors,
    IReadOnlyList<string> ThirdPartyRecipients,
    IReadOnlyList<string> Transfers,
    string? AutomatedDecisions,
    IReadOnlyList<string> AccessRoles,
    IReadOnlyList<string> SecurityMeasures);

public sealed record RegisterHeader(
    string Organisation,
    string Address,
    string Email,
    string? Phone,
    string Dpo,
    string Updated,
    string Language);

/// <summary>The GDPR Art. 30 register of processing activities, composed from the charter.</summary>
public sealed record Register(RegisterHeader Controller, IReadOnlyList<RegisterActivity> Activities)
{
    public static Register Compose(Charter charter, string language)
    {
        var org = charter.Organisation;
        var security = charter.Security.Measures.Select(m => $"{SecurityFamily(m.Family, language)}: {m.Description.In(language)}")
            .Concat(charter.Security.Hosting.Select(h => $"{L(language, "Hébergement", "Hosting")}: {h.Provider} ({h.Country})"))
            .ToList();
        var header = new RegisterHeader(
            org.Name + (org.LegalForm is { } f ? $" ({f})" : "") + (org.Registration is { } r ? $", {r}" : ""),
            org.Address, org.Email, org.Phone,
            (charter.Dpo.Name is { } n ? $"{n} <{charter.Dpo.Email}>" : charter.Dpo.Email) + (charter.Dpo.Address is { } a ? $", {a}" : ""),
            charter.Updated.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            language);

        var activities = charter.Purposes.Select(p =>
        {
            var categories = p.Data.Select(d => charter.Categories.Find(d.Category.Id)).OfType<DataCategory>().ToList();
            var recipients = p.Recipients.Select(r => (Processor: charter.FindProcessor(r.Id), Recipient: charter.FindRecipient(r.Id))).ToList();
            return new RegisterActivity(
                p.Id,
                p.Title.In(language),
                p.Summary.In(language),
                LegalBasisShort(p.LegalBasis, language) + (p.LegalBasis == Charters.LegalBasis.LegitimateInterests && p.Interest is { } i ? $": {i.In(language)}" : ""),
                p.LegalReference,
                p.Art9Exception is { } e ? Art9(e, language) : null,
                [.. p.Subjects.Select(s => charter.FindSubject(s.Id)?.Label.In(language) ?? s.Id)],
                [.. categories.Select(c => $"{c.Label.In(language)} ({c.Id})")],
                [.. categories.Select(c => Family(c.Family, language)).Distinct()],
                categories.Any(c => c.IsSpecial || c.IsOffence),
                [.. p.Retention.Select(rule => Wording.Retention(rule, charter, language) + (rule.Justification is { } j ? $" [{j}]" : ""))],
                [.. recipients.Where(x => x.Recipient?.Kind == RecipientKind.Internal).Select(x => x.Recipient!.Label.In(language))],
                [.. recipients.Where(x => x.Processor is not null).Select(x => $"{x.Processor!.Name} — {x.Processor.Service.In(language)} ({x.Processor.Country}){(x.Processor.Contract is { } c ? $", {c}" : "")}")],
                [.. recipients.Where(x => x.Recipient is { Kind: not RecipientKind.Internal }).Select(x => x.Recipient!.Label.In(language))],
                [.. p.Transfers.Where(t => !Countries.InEea(t.Country)).Select(t => $"{PrivacyPolicy.RecipientName(charter, t.To.Id, language)} — {Countries.Name(t.Country, language)} — {Safeguard(t, language)}")],
                p.AutomatedDecisions is { } ad ? ad.Logic.In(language) : null,
                [.. p.Access.Select(a => charter.FindRole(a.Id)?.Label.In(language) ?? a.Id)],
                security);
        }).ToList();
        return new Register(header, activities);
    }

    private static readonly (string Fr, string En, Func<RegisterActivity, string> Value)[] Columns =
    [
        ("Identifiant", "Id", a => a.Id),
        ("Activité de traitement", "Processing activity", a => a.Name),
        ("Finalité", "Purpose", a => a.Purpose),
        ("Base légale", "Legal basis", a => a.LegalBasis),
        ("Texte de référence", "Legal reference", a => a.LegalReference ?? ""),
        ("Exception art. 9", "Art. 9 exception", a => a.Art9Exception ?? ""),
        ("Catégories de personnes concernées", "Categories of data subjects", a => Join(a.SubjectCategories)),
        ("Catégories de données", "Categories of personal data", a => Join(a.DataCategories)),
        ("Familles CNIL", "CNIL families", a => Join(a.CnilFamilies)),
        ("Données sensibles", "Special categories", a => a.SpecialCategories ? "oui/yes" : "non/no"),
        ("Durées de conservation", "Retention periods", a => Join(a.Retention)),
        ("Destinataires internes", "Internal recipients", a => Join(a.InternalRecipients)),
        ("Sous-traitants", "Processors", a => Join(a.Processors)),
        ("Autres destinataires", "Other recipients", a => Join(a.ThirdPartyRecipients)),
        ("Transferts hors UE", "Transfers outside the EU", a => Join(a.Transfers)),
        ("Décisions automatisées", "Automated decisions", a => a.AutomatedDecisions ?? ""),
        ("Rôles habilités", "Authorised roles", a => Join(a.AccessRoles)),
        ("Mesures de sécurité", "Security measures", a => Join(a.SecurityMeasures)),
    ];

    private static string Join(IReadOnlyList<string> items) => string.Join("; ", items);

    /// <summary>RFC 4180 CSV, one row per processing activity, headers in the register's language.</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        var fr = Controller.Language == "fr";
        csv.AppendJoin(',', Columns.Select(c => Quote(fr ? c.Fr : c.En))).Append("\r\n");
        foreach (var activity in Activities)
        {
            csv.AppendJoin(',', Columns.Select(c => Quote(c.Value(activity)))).Append("\r\n");
        }

        return csv.ToString();
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public string ToMarkdown()
    {
        var language = Controller.Language;
        var blocks = new List<Block>
        {
            new Paragraph(L(language, "Registre des activités de traitement (article 30 du RGPD).", "Record of processing activities (GDPR Article 30).")),
            new Heading(2, L(language, "Responsable du traitement", "Controller"), "controller"),
            new BulletList([
                Controller.Organisation, Controller.Address, Controller.Email,
                .. Controller.Phone is { } phone ? [phone] : Array.Empty<string>(),
                L(language, "Délégué à la protection des données : ", "Data protection officer: ") + Controller.Dpo,
                L(language, "Mise à jour : ", "Updated: ") + Controller.Updated,
            ]),
        };
        foreach (var activity in Activities)
        {
            blocks.Add(new Heading(2, activity.Name, "activity-" + activity.Id));
            blocks.Add(new Table(activity.Name, [L(language, "Rubrique", "Field"), L(language, "Contenu", "Content")],
                [.. Columns.Skip(1).Select(c => (IReadOnlyList<string>)[language == "fr" ? c.Fr : c.En, c.Value(activity).Replace("; ", "\n", StringComparison.Ordinal)])]));
        }

        return MarkdownWriter.Write(new Document(language, L(language, $"Registre des traitements — {Controller.Organisation}", $"Register of processing — {Controller.Organisation}"), blocks));
    }

    private static string Quote(string value)
    {
        // A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
        if (value.Length > 0 && "=+-@\t\r".Contains(value[0], StringComparison.Ordinal))
        {
            value = "'" + value;
        }

        return "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
