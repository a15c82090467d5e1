using Charte.Charters;
using Charte.Retention;
using Charte.Rights;
using static Charte.Publishing.Wording;

namespace Charte.Publishing;

/// <summary>
/// Composes the public privacy policy from the charter (GDPR Arts. 12–14): who we are, what we collect and why,
/// on which basis, for how long, for whom, where it goes, the rights and how to use them, cookies, security, changes.
/// </summary>
public static class PrivacyPolicy
{
    public static Document Compose(Charter charter, string language)
    {
        string T(string fr, string en) => L(language, fr, en);
        var org = charter.Organisation;
        var blocks = new List<Block>();
        void H2(string anchor, string text) => blocks.Add(new Heading(2, text, anchor));
        void P(string text) => blocks.Add(new Paragraph(text));

        P(T($"Dernière mise à jour : {Date(charter.Updated, language)}.", $"Last updated: {Date(charter.Updated, language)}."));
        P(T($"Cette politique explique comment {org.Name} traite vos données personnelles, conformément au règlement (UE) 2016/679 (RGPD) et à la loi Informatique et Libertés.",
            $"This policy explains how {org.Name} processes your personal data, under Regulation (EU) 2016/679 (GDPR) and the French Data Protection Act."));

        H2("controller", T("Qui traite vos données", "Who processes your data"));
        var identity = org.Name + (org.LegalForm is { } form ? $", {form}" : "") + (org.Registration is { } rcs ? $", {rcs}" : "");
        P(T($"Le responsable du traitement est {identity}, dont le siège est situé {org.Address}.",
            $"The controller is {identity}, with its registered office at {org.Address}."));
        var contact = new List<string> { T($"E-mail : {org.Email}", $"Email: {org.Email}") };
        if (org.Phone is { } phone) contact.Add(T($"Téléphone : {phone}", $"Phone: {phone}"));
        if (org.Website is { } website) contact.Add(T($"Site : {website}", $"Website: {website}"));
        blocks.Add(new BulletList(contact));

        H2("dpo", T("Délégué à la protection des données", "Data protection officer"));
        var dpo = charter.Dpo;
        P(T($"Vous pouvez contacter notre délégué à la protection des données{(dpo.Name is { } n ? $", {n}," : "")} à l'adresse {dpo.Email}{(dpo.Address is { } a ? $" ou par courrier : {a}" : "")}.",
            $"You can contact our data protection officer{(dpo.Name is { } n2 ? $", {n2}," : "")} at {dpo.Email}{(dpo.Address is { } a2 ? $" or by post: {a2}" : "")}."));

        H2("data", T("Les données que nous traitons", "The data we process"));
        P(T("Le tableau indique, pour chaque catégorie de données, les finalités qui l'utilisent, d'où elle provient, et si vous devez la fournir.",
            "The table shows, for each category of data, the purposes that use it, where it comes from, and whether you must provide it."));
        var rows = new List<IReadOnlyList<string>>();
        foreach (var group in charter.Purposes.SelectMany(p => p.Data.Select(d => (Purpose: p, Item: d))).GroupBy(x => x.Item.Category.Id).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var category = charter.Categories.Find(group.Key);
            var mandatory = group.Where(x => x.Item.Mandatory).Select(x =>
                x.Purpose.Title.In(language) + (x.Item.IfMissing is { } miss ? T($" (à défaut : {miss.In(language)})", $" (if not given: {miss.In(language)})") : "")).ToList();
            rows.Add([
                category?.Label.In(language) ?? group.Key,
                string.Join("\n", group.Select(x => x.Purpose.Title.In(language)).Distinct()),
                string.Join(", ", group.Select(x => Source(x.Item.Source, language)).Distinct()),
                mandatory.Count == 0 ? T("Facultatif", "Optional") : T("Obligatoire pour : ", "Mandatory for: ") + string.Join("; ", mandatory),
            ]);
        }

        blocks.Add(new Table(T("Catégories de données", "Categories of data"),
            [T("Données", "Data"), T("Finalités", "Purposes"), T("Origine", "Source"), T("Obligatoire ?", "Mandatory?")], rows));

        H2("purposes", T("Pourquoi nous les utilisons, sur quelle base et combien de temps", "Why we use it, on what basis, and for how long"));
        foreach (var purpose in charter.Purposes)
        {
            blocks.Add(new Heading(3, purpose.Title.In(language), "purpose-" + purpose.Id.Replace('_', '-')));
            P(purpose.Summary.In(language));
            P(T("Base légale : ", "Legal basis: ") + LegalBasis(purpose, language) + ".");
            if (purpose.Art9Exception is { } art9)
            {
                P(T("Données sensibles traitées au titre de l'exception suivante : ", "Special categories processed under this exception: ") + Art9(art9, language) + ".");
            }

            if (purpose.ConsentText is { } consentText)
            {
                P(T("Ce que nous vous demandons d'accepter : « ", "What we ask you to accept: \"") + consentText.In(language) + T(" »", "\""));
            }

            P(T("Personnes concernées : ", "People concerned: ") + string.Join(", ", purpose.Subjects.Select(s => charter.FindSubject(s.Id)?.Label.In(language) ?? s.Id)) + ".");
            P(T("Données utilisées : ", "Data used: ") + string.Join(", ", purpose.Data.Select(d => charter.Categories.Find(d.Category.Id)?.Label.In(language) ?? d.Category.Id)) + ".");
            P(T("Durée de conservation :", "Retention:"));
            blocks.Add(new BulletList([.. purpose.Retention.Select(r => Wording.Retention(r, charter, language) + ".")]));
            if (purpose.Recipients.Count > 0)
            {
                P(T("Destinataires : ", "Recipients: ") + string.Join(", ", purpose.Recipients.Select(r => RecipientName(charter, r.Id, language))) + ".");
            }

            foreach (var transfer in purpose.Transfers.Where(t => !Countries.InEea(t.Country)))
            {
                P(T($"Transfert hors de l'EEE : vers {RecipientName(charter, transfer.To.Id, language)} ({Countries.Name(transfer.Country, language)}), encadré par : {Safeguard(transfer, language).TrimEnd('.')}.",
                    $"Transfer outside the EEA: to {RecipientName(charter, transfer.To.Id, language)} ({Countries.Name(transfer.Country, language)}), safeguarded by: {Safeguard(transfer, language).TrimEnd('.')}."));
            }

            if (purpose.AutomatedDecisions is { } automated)
            {
                var kind = automated.LegalEffects
                    ? T("Cette finalité comporte une décision fondée exclusivement sur un traitement automatisé qui produit des effets juridiques à votre égard (art. 22 du RGPD). ",
                        "This purpose involves a decision based solely on automated processing that has legal effects on you (GDPR Art. 22). ")
                    : automated.Profiling ? T("Cette finalité comporte un profilage. ", "This purpose involves profiling. ") : "";
                P(kind + T("Logique : ", "Logic: ") + automated.Logic.In(language));
            }
        }

        H2("recipients", T("Qui reçoit vos données", "Who receives your data"));
        P(T("Vos données ne sont jamais vendues. Elles sont communiquées, dans la limite de ce dont chacun a besoin, aux destinataires suivants.",
            "Your data is never sold. It is shared, within the limits of what each needs, with the following recipients."));
        var recipientItems = charter.Recipients.Select(r => r.Label.In(language)).ToList();
        recipientItems.AddRange(charter.Processors.Select(p =>
            T($"{p.Name}, sous-traitant ({p.Service.In(language)}, {Countries.Name(p.Country, language)})",
              $"{p.Name}, processor ({p.Service.In(language)}, {Countries.Name(p.Country, language)})")));
        blocks.Add(new BulletList(recipientItems));

        H2("transfers", T("Transferts hors de l'Union européenne", "Transfers outside the European Union"));
        var transfers = charter.Purposes.SelectMany(p => p.Transfers).Where(t => !Countries.InEea(t.Country))
            .DistinctBy(t => (t.To.Id, t.Country, t.Mechanism)).ToList();
        if (transfers.Count == 0)
        {
            P(T("Vos données ne sont pas transférées hors de l'Espace économique européen.", "Your data is not transferred outside the European Economic Area."));
        }
        else
        {
            P(T($"Certaines données sont transférées hors de l'Espace économique européen, avec les garanties suivantes. Vous pouvez en obtenir une copie en écrivant à {dpo.Email}.",
                $"Some data is transferred outside the European Economic Area, with the following safeguards. You can obtain a copy by writing to {dpo.Email}."));
            blocks.Add(new Table(T("Transferts", "Transfers"), [T("Destinataire", "Recipient"), T("Pays", "Country"), T("Garantie", "Safeguard")],
                [.. transfers.Select(t => (IReadOnlyList<string>)[RecipientName(charter, t.To.Id, language), Countries.Name(t.Country, language), Safeguard(t, language)])]));
        }

        H2("rights", T("Vos droits", "Your rights"));
        var how = new List<string> { T($"par e-mail : {charter.Rights.Email}", $"by email: {charter.Rights.Email}") };
        if (charter.Rights.OnlineUrl is { } url) how.Insert(0, T($"en ligne : {url}", $"online: {url}"));
        if (charter.Rights.PostalAddress is { } postal) how.Add(T($"par courrier : {postal}", $"by post: {postal}"));
        P(T("Vous pouvez exercer vos droits gratuitement :", "You can exercise your rights free of charge:"));
        blocks.Add(new BulletList(how));
        P(T("Nous répondons dans un délai d'un mois à compter de la réception de votre demande. Ce délai peut être prolongé de deux mois si la demande est complexe ou si nous en recevons beaucoup ; nous vous en informons alors dans le premier mois, avec les raisons. Nous ne demandons un justificatif d'identité qu'en cas de doute raisonnable sur votre identité, et le supprimons une fois la vérification faite.",
            "We answer within one month of receiving your request. This may be extended by two months if the request is complex or we receive many; we then tell you within the first month, with the reasons. We ask for proof of identity only if we have reasonable doubts about who you are, and delete it once checked."));
        foreach (var right in Enum.GetValues<RightKind>().Where(r => r != RightKind.PostMortemDirectives))
        {
            var applies = charter.Purposes.Where(p => RightsMatrix.For(right, p) != Applicability.DoesNotApply).ToList();
            if (applies.Count == 0)
            {
                continue;
            }

            blocks.Add(new Heading(3, Right(right, language), "right-" + YamlNames.Of(right).Replace('_', '-')));
            P(T("Vous pouvez ", "You may ") + RightExplained(right, language) + $" ({RightsMatrix.Article(right, language)})");
            var conditional = applies.Where(p => RightsMatrix.For(right, p) == Applicability.Conditional).ToList();
            P(applies.Count == charter.Purposes.Count && conditional.Count == 0
                ? T("Ce droit s'applique à toutes nos finalités.", "This right applies to all our purposes.")
                : applies.Count == charter.Purposes.Count && conditional.Count == applies.Count
                ? T("Ce droit s'applique à toutes nos finalités, dans les cas prévus par la loi.", "This right applies to all our purposes, in the cases the law provides.")
                : T("Finalités concernées : ", "Purposes concerned: ") + string.Join(", ", applies.Select(p =>
                    p.Title.In(language) + (RightsMatrix.For(right, p) == Applicability.Conditional ? T(" (dans les cas prévus par la loi)", " (in the cases the law provides)") : ""))) + ".");
        }

        if (charter.Rights.PostMortemDirectives)
        {
            H2("post-mortem", T("Directives relatives à vos données après votre décès", "Directives about your data after your death"));
            P(T("Vous pouvez définir des directives relatives à la conservation, à l'effacement et à la communication de vos données après votre décès (article 85 de la loi Informatique et Libertés). Ces directives peuvent être générales, et enregistrées auprès d'un tiers de confiance numérique certifié par la CNIL, ou particulières à nos traitements et nous être adressées "
                + $"à {charter.Rights.Email}. Vous pouvez y désigner une personne chargée de leur exécution ; à défaut, vos héritiers en auront la charge. Vous pouvez les modifier ou les révoquer à tout moment.",
                "You can set directives on the retention, erasure and communication of your data after your death (French Data Protection Act, art. 85). They may be general, lodged with a digital trusted third party certified by the CNIL, or specific to our processing and sent to us "
                + $"at {charter.Rights.Email}. You may name a person to carry them out; failing that, your heirs will. You can change or revoke them at any time."));
        }

        H2("complaint", T("Réclamation auprès de l'autorité de contrôle", "Complaint to the supervisory authority"));
        var authority = charter.Authority;
        P(T($"Si vous estimez que le traitement de vos données ne respecte pas la réglementation, vous pouvez introduire une réclamation auprès de {authority.Name} ({authority.Website}{(authority.Address is { } aa ? $", {aa}" : "")}), ou de l'autorité de l'État membre de votre résidence habituelle ou de votre lieu de travail, sans préjudice de tout autre recours administratif ou juridictionnel.",
            $"If you believe the processing of your data breaks the rules, you can lodge a complaint with {authority.Name} ({authority.Website}{(authority.Address is { } ab ? $", {ab}" : "")}), or with the authority of the Member State where you live or work, without prejudice to any other administrative or judicial remedy."));

        H2("cookies", T("Cookies et traceurs", "Cookies and trackers"));
        if (charter.Cookies.Count == 0)
        {
            P(T("Nous ne déposons aucun cookie ni traceur soumis à votre consentement.", "We set no cookie or tracker that needs your consent."));
        }
        else
        {
            P(T($"Les traceurs exemptés sont nécessaires au fonctionnement du service. Les autres ne sont déposés qu'avec votre accord, que vous donnez ou refusez aussi simplement l'un que l'autre, et pouvez retirer à tout moment. Votre choix est conservé {RetentionWording.Period(charter.Consent.ConsentValidity, language)} s'il s'agit d'un accord et {RetentionWording.Period(charter.Consent.RefusalValidity, language)} s'il s'agit d'un refus, puis nous vous demandons à nouveau.",
                $"Exempt trackers are needed for the service to work. The others are set only with your agreement, which you give or refuse equally easily and can withdraw at any time. Your choice is kept for {RetentionWording.Period(charter.Consent.ConsentValidity, language)} if you accept and {RetentionWording.Period(charter.Consent.RefusalValidity, language)} if you refuse; then we ask again."));
            blocks.Add(new Table(T("Cookies et traceurs", "Cookies and trackers"),
                [T("Nom", "Name"), T("Fournisseur", "Provider"), T("Rôle", "Role"), T("Durée de vie", "Lifetime"), T("Consentement", "Consent")],
                [.. charter.Cookies.Select(c => (IReadOnlyList<string>)[
                    c.Name, c.Provider, c.Description.In(language),
                    c.Lifetime is { } life ? RetentionWording.Period(life, language) : "",
                    c.Basis == CookieBasis.Exempt ? T("Exempté", "Exempt") : T("Requis", "Required") + (c.Purpose is { } cp ? $" ({charter.FindPurpose(cp.Id)?.Title.In(language)})" : ""),
                ])]));
        }

        H2("security", T("Sécurité de vos données", "Security of your data"));
        P(T("Nous prenons les mesures techniques et organisationnelles appropriées pour protéger vos données (art. 32 du RGPD) :",
            "We take appropriate technical and organisational measures to protect your data (GDPR Art. 32):"));
        var measures = charter.Security.Measures.Select(m => SecurityFamily(m.Family, language) + T(" : ", ": ") + m.Description.In(language)).ToList();
        foreach (var site in charter.Security.Hosting)
        {
            measures.Add(T($"Hébergement : {site.Provider}, {Countries.Name(site.Country, language)}", $"Hosting: {site.Provider}, {Countries.Name(site.Country, language)}")
                + (site.Description is { } d ? $" — {d.In(language)}" : ""));
        }

        if (charter.Security.Replicas is { } replicas)
        {
            measures.Add(T($"Vos données sont conservées sur {replicas} serveurs distincts.", $"Your data is kept on {replicas} separate servers."));
        }

        if (charter.Security.AvailabilityPercent is { } availability)
        {
            measures.Add(T($"Nous nous engageons sur un taux de disponibilité de {availability.ToString(System.Globalization.CultureInfo.GetCultureInfo("fr-FR"))} %.",
                $"We commit to {availability.ToString(System.Globalization.CultureInfo.InvariantCulture)}% availability."));
        }

        blocks.Add(new BulletList(measures));

        H2("changes", T("Modifications de cette politique", "Changes to this policy"));
        P(charter.Changes.Notice.In(language));
        if (charter.Changes.Advance is { } advance)
        {
            P(T($"Toute modification substantielle vous est annoncée au moins {RetentionWording.Period(advance, language)} avant son entrée en vigueur.",
                $"Any substantial change is announced at least {RetentionWording.Period(advance, language)} before it takes effect."));
        }

        return new Document(language, T($"Politique de confidentialité — {org.Name}", $"Privacy policy — {org.Name}"), blocks);
    }

    internal static string RecipientName(Charter charter, string id, string language) =>
        charter.FindProcessor(id)?.Name ?? charter.FindRecipient(id)?.Label.In(language) ?? id;
}
