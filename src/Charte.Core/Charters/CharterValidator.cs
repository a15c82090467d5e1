using Charte.Retention;

namespace Charte.Charters;

/// <summary>
/// The rules a charter must keep once it is well-formed: every reference resolves, every purpose has a lawful basis
/// with what that basis requires, special categories have their Art. 9 exception, transfers have their safeguard,
/// every piece of data has a retention that ends. Errors stop the charter from being used; warnings are legal but suspicious.
/// </summary>
internal static class CharterValidator
{
    /// <summary>C. civ. art. 2232: no limitation period runs beyond twenty years from the facts; thirty is already generous.</summary>
    private static readonly Iso8601Period SuspiciouslyLong = new(30, 0, 0, 0);

    private static readonly Iso8601Period AudienceCookieCeiling = new(0, 13, 0, 0);

    public static void Validate(Charter charter, DiagnosticBag diagnostics, TimeProvider clock)
    {
        var check = new Checks(charter, diagnostics);
        check.UniqueIds();
        check.Categories();
        check.Processors();
        foreach (var purpose in charter.Purposes)
        {
            check.Purpose(purpose);
        }

        if (charter.Purposes.Count == 0)
        {
            diagnostics.Error("purposes-missing", SourcePosition.Start, "the charter declares no purpose; every processing activity is a purpose");
        }

        check.Cookies();
        check.ConsentSettings();
        check.Unused();
        check.UpdatedDate(clock);
    }

    private sealed class Checks(Charter charter, DiagnosticBag diagnostics)
    {
        public void UniqueIds()
        {
            Unique(charter.Purposes.Select(p => (p.Id, p.At)), "purpose");
            Unique(charter.Subjects.Select(s => (s.Id, s.At)), "subject category");
            Unique(charter.Roles.Select(r => (r.Id, r.At)), "role");
            Unique(charter.Events.Select(e => (e.Id, e.At)), "event", builtIn: charter.Events.Where(e => e.BuiltIn).Select(e => e.Id));
            // Purposes name processors and other recipients in one list, so their ids share one namespace.
            Unique(charter.Processors.Select(p => (p.Id, p.At)).Concat(charter.Recipients.Select(r => (r.Id, r.At))), "processor or recipient");
            Unique(charter.Cookies.Select(c => ($"{c.Name} ({c.Provider})", c.At)), "cookie");
        }

        public void Categories()
        {
            foreach (var category in charter.Categories.All.Where(c => !c.BuiltIn).OrderBy(c => c.At.Line))
            {
                if (CategoryTaxonomy.BuiltIn.Contains(category.Id))
                {
                    diagnostics.Error("duplicate-id", category.At, $"data category '{category.Id}' is built in; extend it with a child such as '{category.Id}.other'");
                    continue;
                }

                if (category.ParentId is { } parent && !charter.Categories.Contains(parent))
                {
                    diagnostics.Error("category-parent-undefined", category.At,
                        $"data category '{category.Id}' extends '{parent}', which is neither built in nor declared");
                }
            }
        }

        public void Processors()
        {
            foreach (var processor in charter.Processors)
            {
                foreach (var sub in processor.SubProcessors)
                {
                    if (charter.FindProcessor(sub.Id) is null)
                    {
                        diagnostics.Error("processor-undefined", sub.At, $"sub-processor '{sub.Id}' of '{processor.Id}' is not declared in 'processors'");
                    }
                }
            }
        }

        public void Purpose(Purpose purpose)
        {
            LegalBasis(purpose);
            SpecialCategories(purpose);
            References(purpose);
            AutomatedDecisions(purpose);
            foreach (var transfer in purpose.Transfers)
            {
                Transfer(purpose, transfer);
            }

            UndeclaredTransfers(purpose);
            foreach (var rule in purpose.Retention)
            {
                RetentionRule(purpose, rule);
            }

            RetentionCoverage(purpose);
        }

        private void LegalBasis(Purpose purpose)
        {
            switch (purpose.LegalBasis)
            {
                case Charters.LegalBasis.Consent when purpose.ConsentText is null:
                    diagnostics.Error("consent-text-missing", purpose.LegalBasisAt,
                        $"purpose '{purpose.Id}' rests on consent but has no 'consent_text': consent must be informed (GDPR Art. 4(11), 7)");
                    break;
                case Charters.LegalBasis.LegitimateInterests when purpose.Interest is null:
                    diagnostics.Error("interest-missing", purpose.LegalBasisAt,
                        $"purpose '{purpose.Id}' rests on legitimate interests but does not say which ('interest'); the policy must state it (GDPR Art. 13(1)(d))");
                    break;
                case Charters.LegalBasis.LegalObligation when purpose.LegalReference is null:
                    diagnostics.Warning("legal-reference-missing", purpose.LegalBasisAt,
                        $"purpose '{purpose.Id}' rests on a legal obligation; name the law in 'legal_reference' so the register shows it");
                    break;
            }

            if (purpose.LegalBasis is not Charters.LegalBasis.Consent && purpose.ConsentText is not null)
            {
                diagnostics.Warning("consent-text-unused", purpose.LegalBasisAt,
                    $"purpose '{purpose.Id}' has a consent text but its basis is {YamlNames.Of(purpose.LegalBasis ?? default)}; asking for consent that is not the basis misleads people");
            }

            if (purpose.DirectMarketing && purpose.LegalBasis is not (Charters.LegalBasis.Consent or Charters.LegalBasis.LegitimateInterests or null))
            {
                diagnostics.Warning("direct-marketing-basis", purpose.LegalBasisAt,
                    $"direct marketing ('{purpose.Id}') normally rests on consent or legitimate interests (CPCE L34-5, GDPR recital 47)");
            }
        }

        private void SpecialCategories(Purpose purpose)
        {
            var special = purpose.Data.FirstOrDefault(d => charter.Categories.Find(d.Category.Id)?.IsSpecial == true);
            if (special is not null && purpose.Art9Exception is null)
            {
                diagnostics.Error("art9-exception-missing", special.Category.At,
                    $"'{special.Category.Id}' is a special category (GDPR Art. 9): purpose '{purpose.Id}' must name the Art. 9(2) exception in 'art9_exception'");
            }
            else if (special is null && purpose.Art9Exception is not null)
            {
                diagnostics.Warning("art9-exception-unused", purpose.At,
                    $"purpose '{purpose.Id}' names an Art. 9 exception but uses no special category");
            }

            var offence = purpose.Data.FirstOrDefault(d => charter.Categories.Find(d.Category.Id)?.IsOffence == true);
            if (offence is not null && purpose.LegalReference is null)
            {
                diagnostics.Error("art10-authorisation-missing", offence.Category.At,
                    $"offence data (GDPR Art. 10) may only be processed under official authority or when authorised by law: give that law in 'legal_reference' of '{purpose.Id}'");
            }
        }

        private void References(Purpose purpose)
        {
            if (purpose.Data.Count == 0)
            {
                diagnostics.Error("data-missing", purpose.At, $"purpose '{purpose.Id}' lists no data ('data'); the register needs its categories (GDPR Art. 30(1)(c))");
            }

            if (purpose.Subjects.Count == 0)
            {
                diagnostics.Error("subjects-missing", purpose.At, $"purpose '{purpose.Id}' names no subject category ('subjects'), which the register needs (GDPR Art. 30(1)(c))");
            }

            foreach (var subject in purpose.Subjects)
            {
                if (charter.FindSubject(subject.Id) is null)
                {
                    Undefined("subject-undefined", subject, "subject category", "subjects", charter.Subjects.Select(s => s.Id));
                }
            }

            var categories = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in purpose.Data)
            {
                if (item.Category.Id.Length > 0 && !charter.Categories.Contains(item.Category.Id))
                {
                    Undefined("category-undefined", item.Category, "data category", "categories", charter.Categories.All.Select(c => c.Id));
                }
                else if (!categories.Add(item.Category.Id))
                {
                    diagnostics.Error("duplicate-id", item.Category.At, $"purpose '{purpose.Id}' lists '{item.Category.Id}' twice");
                }

                if (item.Source is null)
                {
                    diagnostics.Error("data-source-missing", item.At,
                        $"say where '{item.Category.Id}' comes from: 'source: provided' (given by the person), 'observed' or 'derived'");
                }

                if (item.Mandatory && item.IfMissing is null)
                {
                    diagnostics.Warning("mandatory-consequence-missing", item.At,
                        $"'{item.Category.Id}' is mandatory: say in 'if_missing' what happens if it is not given (GDPR Art. 13(2)(e))");
                }
            }

            foreach (var recipient in purpose.Recipients)
            {
                if (charter.FindProcessor(recipient.Id) is null && charter.FindRecipient(recipient.Id) is null)
                {
                    Undefined("recipient-undefined", recipient, "processor or recipient", "processors' or 'recipients",
                        charter.Processors.Select(p => p.Id).Concat(charter.Recipients.Select(r => r.Id)));
                }
            }

            if (purpose.Recipients.Count == 0)
            {
                diagnostics.Warning("recipients-missing", purpose.At, $"purpose '{purpose.Id}' names no recipient; even internal teams are recipients (GDPR Art. 30(1)(d))");
            }

            foreach (var role in purpose.Access)
            {
                if (charter.FindRole(role.Id) is null)
                {
                    Undefined("role-undefined", role, "role", "roles", charter.Roles.Select(r => r.Id));
                }
            }

            if (purpose.Access.Count == 0)
            {
                diagnostics.Warning("access-missing", purpose.At, $"no role may access the data of purpose '{purpose.Id}' ('access'); staff will be refused");
            }
        }

        private void AutomatedDecisions(Purpose purpose)
        {
            if (purpose.AutomatedDecisions is not { LegalEffects: true } automated)
            {
                return;
            }

            // Art. 22(2): allowed only when necessary for a contract, authorised by law, or based on explicit consent.
            var allowed = purpose.LegalBasis switch
            {
                Charters.LegalBasis.Contract or Charters.LegalBasis.Consent => true,
                Charters.LegalBasis.LegalObligation or Charters.LegalBasis.PublicTask => purpose.LegalReference is not null,
                Charters.LegalBasis.VitalInterests or Charters.LegalBasis.LegitimateInterests or null => false,
            };
            if (!allowed)
            {
                diagnostics.Error("automated-decision-without-exception", automated.At,
                    $"purpose '{purpose.Id}' takes decisions with legal effects solely by automated means, which GDPR Art. 22(2) allows only " +
                    "for a contract, with explicit consent, or when a law authorises it (legal_reference)");
            }
        }

        private void Transfer(Purpose purpose, Transfer transfer)
        {
            if (transfer.To.Id.Length > 0 && charter.FindProcessor(transfer.To.Id) is null && charter.FindRecipient(transfer.To.Id) is null)
            {
                Undefined("processor-undefined", transfer.To, "processor or recipient", "processors' or 'recipients",
                    charter.Processors.Select(p => p.Id).Concat(charter.Recipients.Select(r => r.Id)));
            }

            if (transfer.Country.Length == 0 || !Countries.IsKnown(transfer.Country))
            {
                return;
            }

            if (Countries.InEea(transfer.Country))
            {
                diagnostics.Warning("transfer-inside-eea", transfer.CountryAt,
                    $"{transfer.Country} is in the EEA: sending data there is not a transfer under GDPR Chapter V");
                return;
            }

            switch (transfer.Mechanism)
            {
                case null:
                    diagnostics.Error("transfer-mechanism-missing", transfer.At,
                        $"transfer to '{transfer.To.Id}' in {transfer.Country}, outside the EEA, needs a 'mechanism' (GDPR Arts. 45–49): " +
                        string.Join(", ", YamlNames.All<TransferMechanism>()));
                    break;
                case TransferMechanism.Adequacy when !Countries.Adequate.Contains(transfer.Country):
                    if (transfer.Reference is null)
                    {
                        diagnostics.Error("transfer-adequacy-unknown", transfer.At,
                            $"no adequacy decision is known for {transfer.Country}; use another mechanism, or give the decision in 'reference'");
                    }

                    break;
                case TransferMechanism.Adequacy when transfer.Country == "US" && transfer.Reference is null:
                    diagnostics.Warning("transfer-dpf-unverified", transfer.At,
                        $"the EU-US Data Privacy Framework covers only self-certified organisations: record '{transfer.To.Id}''s certification in 'reference'");
                    break;
                case TransferMechanism.StandardContractualClauses when transfer.SccModule is null:
                    diagnostics.Error("transfer-scc-module-missing", transfer.At,
                        "standard contractual clauses come in modules (Decision 2021/914): give 'scc_module' 1 (controller to controller), " +
                        "2 (controller to processor), 3 (processor to processor) or 4 (processor to controller)");
                    break;
                case TransferMechanism.AdHocClauses when transfer.Reference is null:
                    diagnostics.Error("transfer-authorisation-missing", transfer.At,
                        "ad hoc contractual clauses need the supervisory authority's authorisation (GDPR Art. 46(3)): give it in 'reference'");
                    break;
                case TransferMechanism.Derogation:
                    if (transfer.Derogation is null)
                    {
                        diagnostics.Error("transfer-derogation-missing", transfer.At,
                            "a derogation transfer must name its letter of GDPR Art. 49(1): 'derogation: a' to 'g'");
                    }

                    RepetitiveDerogation(transfer);
                    break;
                case TransferMechanism.CompellingLegitimateInterests:
                    if (transfer.Reference is null)
                    {
                        diagnostics.Error("transfer-assessment-missing", transfer.At,
                            "a transfer on compelling legitimate interests needs its assessment and safeguards recorded (GDPR Art. 49(6)): give them in 'reference'");
                    }

                    RepetitiveDerogation(transfer);
                    break;
            }

            if (transfer.Derogation is not null && transfer.Mechanism is not TransferMechanism.Derogation)
            {
                diagnostics.Warning("transfer-derogation-ignored", transfer.At, "'derogation' is only read when 'mechanism: derogation'");
            }

            if (charter.FindProcessor(transfer.To.Id) is { } processor && processor.Country != transfer.Country && Countries.IsKnown(processor.Country))
            {
                diagnostics.Warning("transfer-country-mismatch", transfer.CountryAt,
                    $"processor '{processor.Id}' is declared in {processor.Country} but this transfer goes to {transfer.Country}");
            }

            if (!purpose.Recipients.Any(r => r.Id == transfer.To.Id) && transfer.To.Id.Length > 0)
            {
                diagnostics.Warning("transfer-recipient-unlisted", transfer.To.At,
                    $"purpose '{purpose.Id}' transfers data to '{transfer.To.Id}' without listing it in 'recipients'");
            }
        }

        private void RepetitiveDerogation(Transfer transfer)
        {
            if (transfer.Repetitive)
            {
                diagnostics.Error("transfer-derogation-repetitive", transfer.At,
                    "Art. 49 derogations cover occasional transfers only (EDPB Guidelines 2/2018); for a regular transfer use standard contractual clauses, " +
                    "or set 'repetitive: false' if it truly is occasional");
            }
        }

        private void UndeclaredTransfers(Purpose purpose)
        {
            foreach (var recipient in purpose.Recipients)
            {
                if (charter.FindProcessor(recipient.Id) is { } processor && Countries.IsKnown(processor.Country) && !Countries.InEea(processor.Country)
                    && !purpose.Transfers.Any(t => t.To.Id == processor.Id))
                {
                    diagnostics.Error("transfer-undeclared", recipient.At,
                        $"processor '{processor.Id}' is in {processor.Country}, outside the EEA: purpose '{purpose.Id}' must declare the transfer and its mechanism in 'transfers'");
                }
            }
        }

        private void RetentionRule(Purpose purpose, RetentionRule rule)
        {
            if (rule.From is not null && rule.Until is not null)
            {
                diagnostics.Error("retention-trigger-conflict", rule.At, "a retention rule counts either 'from' an event or 'until' an event, not both");
            }
            else if (rule.From is null && rule.Until is null)
            {
                diagnostics.Error("retention-no-end", rule.At,
                    "this retention rule never ends: say 'active: P3Y' with 'from: EVENT', or 'until: EVENT'");
            }
            else if (rule.From is not null && rule.Active is null && rule.ActiveAt == rule.At)
            {
                diagnostics.Error("retention-no-end", rule.At, $"retention counted from an event needs its 'active' period (for example P3Y)");
            }
            else if (rule.Until is not null && rule.Active is not null)
            {
                diagnostics.Error("retention-trigger-conflict", rule.ActiveAt,
                    "'active' with 'until' is ambiguous: data stays active until the event; put a period after it in 'archive'");
            }

            if (rule.Then is null)
            {
                diagnostics.Error("retention-no-end", rule.At,
                    "this retention rule does not say what happens at its end: 'then: delete', 'anonymise' or 'keep_anonymous_stats'");
            }

            foreach (var anchor in new[] { rule.From, rule.Until })
            {
                foreach (var evt in anchor?.Events ?? [])
                {
                    EventReference(evt);
                }

                if (anchor is { Combination: not EventCombination.Single, Events.Count: < 2 })
                {
                    diagnostics.Error("retention-trigger-malformed", anchor.At, "'latest_of' and 'first_of' combine two events or more");
                }
            }

            if (rule.When is { } when)
            {
                EventReference(when);
            }

            foreach (var category in rule.Categories)
            {
                if (!charter.Categories.Contains(category.Id))
                {
                    Undefined("category-undefined", category, "data category", "categories", charter.Categories.All.Select(c => c.Id));
                }
                else if (!purpose.Data.Any(d => charter.Categories.Find(d.Category.Id)?.IsWithin(category.Id) == true || IsWithin(category.Id, d.Category.Id)))
                {
                    diagnostics.Error("retention-category-not-in-purpose", category.At,
                        $"purpose '{purpose.Id}' does not collect '{category.Id}', so it cannot keep it");
                }
            }

            foreach (var subject in rule.For)
            {
                if (!purpose.Subjects.Any(s => s.Id == subject.Id))
                {
                    diagnostics.Error("subject-undefined", subject.At, $"'{subject.Id}' is not among the subjects of purpose '{purpose.Id}'");
                }
            }

            var total = (rule.Active ?? Iso8601Period.Zero).ApproximateDays + (rule.Archive ?? Iso8601Period.Zero).ApproximateDays;
            if (total > SuspiciouslyLong.ApproximateDays)
            {
                diagnostics.Warning("retention-very-long", rule.At,
                    "this data is kept more than 30 years: longer than any civil limitation period (C. civ. 2224, 2232); is that intended?");
            }
        }

        /// <summary>Every category of the purpose, for every subject category, has an unconditional rule that ends.</summary>
        private void RetentionCoverage(Purpose purpose)
        {
            if (purpose.Retention.Count == 0)
            {
                diagnostics.Error("retention-missing", purpose.At,
                    $"purpose '{purpose.Id}' says nothing of how long its data is kept ('retention'); GDPR Art. 5(1)(e) and 13(2)(a) require it");
                return;
            }

            var subjects = purpose.Subjects.Count == 0 ? [null] : purpose.Subjects.Select(s => s.Id).ToList<string?>();
            foreach (var item in purpose.Data)
            {
                foreach (var subject in subjects)
                {
                    var covered = purpose.Retention.Any(rule => rule.When is null
                        && (rule.Categories.Count == 0 || rule.Categories.Any(c => IsWithin(item.Category.Id, c.Id)))
                        && (rule.For.Count == 0 || subject is null || rule.For.Any(f => f.Id == subject)));
                    if (!covered)
                    {
                        var whose = subject is null ? "" : $" of {subject}";
                        diagnostics.Error("retention-not-covered", item.At,
                            $"no retention rule of purpose '{purpose.Id}' covers '{item.Category.Id}'{whose}: say how long it is kept");
                        break;
                    }
                }
            }
        }

        public void Cookies()
        {
            foreach (var cookie in charter.Cookies)
            {
                switch (cookie.Basis)
                {
                    case CookieBasis.Exempt when cookie.Exemption is null:
                        diagnostics.Error("cookie-exemption-missing", cookie.At,
                            $"cookie '{cookie.Name}' is exempt from consent: say why in 'exemption' ({string.Join(", ", YamlNames.All<CookieExemption>())}); LIL art. 82");
                        break;
                    case CookieBasis.Exempt when cookie.Exemption == CookieExemption.AudienceMeasurement && cookie.Lifetime is { } life
                                                 && life.ApproximateDays > AudienceCookieCeiling.ApproximateDays:
                        diagnostics.Error("cookie-exempt-lifetime", cookie.At,
                            $"an audience-measurement cookie is exempt from consent only if it lives 13 months at most (CNIL); '{cookie.Name}' lives {life}");
                        break;
                    case CookieBasis.Consent:
                        if (cookie.Purpose is null)
                        {
                            diagnostics.Error("cookie-purpose-missing", cookie.At,
                                $"cookie '{cookie.Name}' needs consent: name the consent-based purpose it serves in 'purpose', so the banner can ask for it");
                        }
                        else if (charter.FindPurpose(cookie.Purpose.Id) is not { } purpose)
                        {
                            Undefined("purpose-undefined", cookie.Purpose, "purpose", "purposes", charter.Purposes.Select(p => p.Id));
                        }
                        else if (purpose.LegalBasis is not Charters.LegalBasis.Consent)
                        {
                            diagnostics.Error("cookie-purpose-not-consent", cookie.Purpose.At,
                                $"cookie '{cookie.Name}' needs consent but purpose '{purpose.Id}' does not rest on consent");
                        }

                        if (cookie.Lifetime is { } lifetime && lifetime.ApproximateDays > AudienceCookieCeiling.ApproximateDays)
                        {
                            diagnostics.Warning("cookie-long-lifetime", cookie.At,
                                $"cookie '{cookie.Name}' lives {lifetime}; the CNIL recommends 13 months at most");
                        }

                        break;
                    case null:
                        diagnostics.Error("required", cookie.At, $"cookie '{cookie.Name}' needs 'basis': consent or exempt");
                        break;
                }
            }
        }

        public void ConsentSettings()
        {
            if (charter.Consent.ConsentValidity.ApproximateDays > AudienceCookieCeiling.ApproximateDays)
            {
                diagnostics.Warning("consent-validity-long", charter.Consent.At,
                    $"consent is kept {charter.Consent.ConsentValidity} before asking again; the CNIL recommends asking again after about 6 and at most 13 months");
            }
        }

        public void Unused()
        {
            foreach (var processor in charter.Processors)
            {
                if (!charter.Purposes.Any(p => p.Recipients.Any(r => r.Id == processor.Id))
                    && !charter.Processors.Any(p => p.SubProcessors.Any(s => s.Id == processor.Id)))
                {
                    diagnostics.Warning("processor-unused", processor.At, $"processor '{processor.Id}' receives data from no purpose");
                }
            }

            foreach (var role in charter.Roles)
            {
                if (!charter.Purposes.Any(p => p.Access.Any(a => a.Id == role.Id)))
                {
                    diagnostics.Warning("role-unused", role.At, $"role '{role.Id}' is allowed no purpose");
                }
            }
        }

        public void UpdatedDate(TimeProvider clock)
        {
            var today = LegalTime.Today(clock);
            if (charter.Updated > today)
            {
                diagnostics.Warning("updated-in-future", SourcePosition.Start,
                    $"'updated' is {charter.Updated:yyyy-MM-dd}, after today ({today:yyyy-MM-dd})");
            }
        }

        private void EventReference(Ref evt)
        {
            if (evt.Id.Length > 0 && charter.FindEvent(evt.Id) is null)
            {
                Undefined("retention-trigger-unknown", evt, "event", "events", charter.Events.Select(e => e.Id));
            }
        }

        private void Undefined(string code, Ref reference, string what, string where, IEnumerable<string> known)
        {
            var hint = MappingReader.Closest(reference.Id, known) is { } near ? $" (did you mean '{near}'?)" : "";
            diagnostics.Error(code, reference.At, $"{what} '{reference.Id}' is not declared in '{where}'{hint}");
        }

        private void Unique(IEnumerable<(string Id, SourcePosition At)> items, string what, IEnumerable<string>? builtIn = null)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var reserved = new HashSet<string>(builtIn ?? [], StringComparer.Ordinal);
            foreach (var (id, at) in items.Where(i => i.Id.Length > 0))
            {
                if (at != SourcePosition.Start && reserved.Contains(id) && !seen.Contains(id))
                {
                    diagnostics.Error("duplicate-id", at, $"{what} '{id}' is built in; do not declare it again");
                }
                else if (!seen.Add(id))
                {
                    diagnostics.Error("duplicate-id", at, $"{what} id '{id}' is used twice");
                }
            }
        }

        private static bool IsWithin(string id, string ancestor) =>
            id == ancestor || id.StartsWith(ancestor + ".", StringComparison.Ordinal);
    }
}
