using System.Globalization;
using System.Text.RegularExpressions;
using Charte.Retention;

namespace Charte.Charters;

/// <summary>
/// Turns the positioned YAML tree into a <see cref="Charter"/>, reporting every structural mistake
/// (missing keys, wrong shapes, unknown words, malformed periods, missing translations) without stopping at the first.
/// Cross-references and legal rules are checked afterwards by <see cref="CharterValidator"/>.
/// </summary>
internal sealed partial class CharterReader(DiagnosticBag diagnostics)
{
    public static readonly IReadOnlyList<string> SupportedLanguages = ["fr", "en"];

    private IReadOnlyList<string> _languages = ["fr"];

    public Charter? Read(YNode root)
    {
        var map = MappingReader.Of(root, diagnostics, "the charter");
        if (map is null)
        {
            if (root is YScalar { IsNull: true } || root is null)
            {
                diagnostics.Error("yaml-empty", SourcePosition.Start, "the charter is empty");
            }

            return null;
        }

        var format = ReadFormat(map);
        _languages = ReadLanguages(map);
        var organisation = ReadOrganisation(MappingReader.Of(map.Required("organisation"), diagnostics, "organisation"), map.At);
        var charter = new Charter
        {
            Format = format,
            Languages = _languages,
            Organisation = organisation,
            Dpo = ReadDpo(MappingReader.Of(map.Required("dpo"), diagnostics, "dpo"), map.At),
            Authority = ReadAuthority(MappingReader.Of(map.Node("authority"), diagnostics, "authority"), map.At),
            Updated = ReadDate(map, "updated"),
            Changes = ReadChanges(MappingReader.Of(map.Required("changes"), diagnostics, "changes"), map.At),
            Rights = ReadRights(MappingReader.Of(map.Required("rights"), diagnostics, "rights"), map.At, organisation),
            Consent = ReadConsent(MappingReader.Of(map.Node("consent"), diagnostics, "consent"), map.At),
            Subjects = Items(map, "subjects", "subject category", ReadSubject),
            Categories = new CategoryTaxonomy(CategoryTaxonomy.BuiltIn.All.Concat(InheritFamilies(Items(map, "categories", "data category", ReadCategory)))),
            Events = [.. BuiltInEvents.All, .. Items(map, "events", "event", ReadEvent)],
            Roles = Items(map, "roles", "role", ReadRole),
            Processors = Items(map, "processors", "processor", ReadProcessor),
            Recipients = Items(map, "recipients", "recipient", ReadRecipient),
            Purposes = Items(map, "purposes", "purpose", ReadPurpose),
            Cookies = Items(map, "cookies", "cookie", ReadCookie),
            Security = ReadSecurity(MappingReader.Of(map.Node("security"), diagnostics, "security"), map.At),
        };
        map.RejectUnknownKeys();
        return charter;
    }

    private int ReadFormat(MappingReader map)
    {
        var node = map.Node("charter");
        if (node is null)
        {
            diagnostics.Error("format-missing", map.At,
                $"the charter must start with 'charter: {Charter.CurrentFormat}', the version of the charter format it is written in");
            return Charter.CurrentFormat;
        }

        if (node is YScalar scalar && int.TryParse(scalar.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var format)
            && format == Charter.CurrentFormat)
        {
            return format;
        }

        diagnostics.Error("format-unsupported", node.At,
            $"charter format '{(node as YScalar)?.Value}' is not supported; this version of Charte reads format {Charter.CurrentFormat}");
        return Charter.CurrentFormat;
    }

    private List<string> ReadLanguages(MappingReader map)
    {
        var languages = new List<string>();
        foreach (var node in map.List("languages"))
        {
            var code = map.Text(node, "languages");
            if (code is null)
            {
                continue;
            }

            if (!SupportedLanguages.Contains(code))
            {
                diagnostics.Error("language-unsupported", node.At,
                    $"language '{code}' is not supported; Charte writes policies in: {string.Join(", ", SupportedLanguages)}");
            }
            else if (languages.Contains(code))
            {
                diagnostics.Error("duplicate-id", node.At, $"language '{code}' is listed twice");
            }
            else
            {
                languages.Add(code);
            }
        }

        if (languages.Count == 0)
        {
            diagnostics.Error("required", map.KeyAt("languages"), "the charter needs 'languages', for example [fr, en]");
            languages.Add("fr");
        }

        return languages;
    }

    private Organisation ReadOrganisation(MappingReader? map, SourcePosition parent)
    {
        if (map is null)
        {
            return new Organisation("", null, null, "", "", null, null, parent);
        }

        var organisation = new Organisation(
            map.RequiredString("name"),
            map.OptionalString("legal_form"),
            map.OptionalString("registration"),
            map.RequiredString("address"),
            Email(map, "email", required: true)!,
            map.OptionalString("phone"),
            Url(map, "website"),
            map.At);
        map.RejectUnknownKeys();
        return organisation;
    }

    private Dpo ReadDpo(MappingReader? map, SourcePosition parent)
    {
        if (map is null)
        {
            return new Dpo(null, "", null, parent);
        }

        var dpo = new Dpo(map.OptionalString("name"), Email(map, "email", required: true)!, map.OptionalString("address"), map.At);
        map.RejectUnknownKeys();
        return dpo;
    }

    private Authority ReadAuthority(MappingReader? map, SourcePosition parent)
    {
        if (map is null)
        {
            return new Authority("Commission nationale de l'informatique et des libertés (CNIL)", "https://www.cnil.fr",
                "3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07", parent);
        }

        var authority = new Authority(map.RequiredString("name"), Url(map, "website", required: true) ?? "", map.OptionalString("address"), map.At);
        map.RejectUnknownKeys();
        return authority;
    }

    private DateOnly ReadDate(MappingReader map, string key)
    {
        var node = map.Required(key);
        var text = map.Text(node, key);
        if (text is not null && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        if (text is not null)
        {
            diagnostics.Error("date-malformed", node!.At, $"'{text}' is not a date; write it as YYYY-MM-DD, for example 2024-07-30");
        }

        return DateOnly.MinValue;
    }

    private ChangePolicy ReadChanges(MappingReader? map, SourcePosition parent)
    {
        if (map is null)
        {
            return new ChangePolicy(LocalizedText.Empty, null, parent);
        }

        var changes = new ChangePolicy(Localized(map, "notice", required: true)!, Period(map, "advance"), map.At);
        map.RejectUnknownKeys();
        return changes;
    }

    private RightsDesk ReadRights(MappingReader? map, SourcePosition parent, Organisation organisation)
    {
        if (map is null)
        {
            return new RightsDesk(organisation.Email, organisation.Address, null, true, parent);
        }

        var rights = new RightsDesk(
            Email(map, "email", required: true)!,
            map.OptionalString("postal_address"),
            Url(map, "online"),
            map.Boolean("post_mortem_directives", defaultValue: true),
            map.At);
        map.RejectUnknownKeys();
        return rights;
    }

    private ConsentSettings ReadConsent(MappingReader? map, SourcePosition parent)
    {
        // CNIL: a choice is kept about 6 months, then asked again; 13 months is the ceiling for audience cookies.
        var defaults = new ConsentSettings(new Iso8601Period(0, 6, 0, 0), new Iso8601Period(0, 6, 0, 0), parent);
        if (map is null)
        {
            return defaults;
        }

        var consent = new ConsentSettings(
            Period(map, "validity") ?? defaults.ConsentValidity,
            Period(map, "refusal_validity") ?? defaults.RefusalValidity,
            map.At);
        map.RejectUnknownKeys();
        return consent;
    }

    private SubjectCategory ReadSubject(MappingReader map) =>
        new(Id(map), Localized(map, "label", required: true)!, map.At);

    private (DataCategory Category, bool FamilyGiven) ReadCategory(MappingReader map)
    {
        var id = Id(map, dotted: true);
        var family = map.Enum<CategoryFamily>("family", "category-family-unknown");
        if (family is null && !map.Has("family") && !id.Contains('.', StringComparison.Ordinal))
        {
            diagnostics.Error("category-family-missing", map.At,
                $"new top-level category '{id}' needs a 'family' for the register: {string.Join(", ", YamlNames.All<CategoryFamily>())}");
        }

        return (new DataCategory(id, Localized(map, "label", required: true)!, family ?? CategoryFamily.Other, false, map.At), family is not null);
    }

    /// <summary>A child category without a family of its own takes its nearest ancestor's, built in or declared.</summary>
    private static IEnumerable<DataCategory> InheritFamilies(List<(DataCategory Category, bool FamilyGiven)> declared)
    {
        var families = CategoryTaxonomy.BuiltIn.All.ToDictionary(c => c.Id, c => c.Family, StringComparer.Ordinal);
        foreach (var (category, given) in declared.OrderBy(d => d.Category.Id.Count(c => c == '.')))
        {
            var family = category.Family;
            if (!given)
            {
                for (var parent = category.ParentId; parent is not null; parent = parent.LastIndexOf('.') is var dot and > 0 ? parent[..dot] : null)
                {
                    if (families.TryGetValue(parent, out var inherited))
                    {
                        family = inherited;
                        break;
                    }
                }
            }

            families.TryAdd(category.Id, family);
            yield return category with { Family = family };
        }
    }

    private LifecycleEvent ReadEvent(MappingReader map) =>
        new(Id(map), Localized(map, "label", required: true)!, false, map.At);

    private Role ReadRole(MappingReader map) =>
        new(Id(map), Localized(map, "label", required: true)!, map.At);

    private Processor ReadProcessor(MappingReader map) =>
        new(Id(map), map.RequiredString("name"), Localized(map, "service", required: true)!, Country(map, "country"),
            map.OptionalString("contract"), map.Refs("sub_processors"), map.At);

    private Recipient ReadRecipient(MappingReader map) =>
        new(Id(map), Localized(map, "label", required: true)!, map.Enum<RecipientKind>("kind", "recipient-kind-unknown") ?? RecipientKind.ThirdParty, map.At);

    private Purpose ReadPurpose(MappingReader map)
    {
        var basisNode = map.Node("legal_basis");
        LegalBasis? basis = null;
        if (basisNode is YSequence several)
        {
            diagnostics.Error("legal-basis-multiple", several.At,
                "a purpose has exactly one legal basis (GDPR Art. 6(1)); split it into one purpose per basis");
        }
        else if (basisNode is null)
        {
            diagnostics.Error("required", map.At, "purpose needs 'legal_basis' (" + string.Join(", ", YamlNames.All<LegalBasis>()) + ")");
        }
        else
        {
            basis = map.EnumOf<LegalBasis>(basisNode, "legal_basis", "legal-basis-unknown");
        }

        return new Purpose
        {
            Id = Id(map),
            Title = Localized(map, "title", required: true)!,
            Summary = Localized(map, "summary", required: true)!,
            LegalBasis = basis,
            LegalBasisAt = basisNode?.At ?? map.At,
            Interest = Localized(map, "interest", required: false),
            LegalReference = map.OptionalString("legal_reference"),
            ConsentText = Localized(map, "consent_text", required: false),
            Art9Exception = map.Enum<Art9Exception>("art9_exception", "art9-exception-unknown"),
            DirectMarketing = map.Boolean("direct_marketing", defaultValue: false),
            Subjects = map.Refs("subjects"),
            Data = Items(map, "data", "data item", ReadDataItem),
            AutomatedDecisions = MappingReader.Of(map.Node("automated_decisions"), diagnostics, "automated_decisions") is { } automated
                ? Finish(automated, new AutomatedDecisions(
                    automated.Boolean("profiling", false), automated.Boolean("legal_effects", false),
                    Localized(automated, "logic", required: true)!, automated.At))
                : null,
            Recipients = map.Refs("recipients"),
            Access = map.Refs("access"),
            Transfers = Items(map, "transfers", "transfer", ReadTransfer),
            Retention = Items(map, "retention", "retention rule", ReadRetentionRule),
            At = map.At,
        };
    }

    private DataItem ReadDataItem(MappingReader map)
    {
        var categoryNode = map.Required("category");
        var category = map.Text(categoryNode, "category") ?? "";
        return new DataItem(
            new Ref(category, categoryNode?.At ?? map.At),
            map.Enum<DataSource>("source", "data-source-unknown"),
            map.Boolean("mandatory", defaultValue: false),
            Localized(map, "if_missing", required: false),
            map.At);
    }

    private Transfer ReadTransfer(MappingReader map)
    {
        var toNode = map.Required("to");
        return new Transfer
        {
            To = new Ref(map.Text(toNode, "to") ?? "", toNode?.At ?? map.At),
            Country = Country(map, "country"),
            CountryAt = map.KeyAt("country"),
            Mechanism = map.Enum<TransferMechanism>("mechanism", "transfer-mechanism-unknown"),
            SccModule = map.Integer("scc_module", 1, 4),
            Derogation = map.Enum<Art49Derogation>("derogation", "transfer-derogation-unknown"),
            Repetitive = map.Boolean("repetitive", defaultValue: true),
            Reference = map.OptionalString("reference"),
            At = map.At,
        };
    }

    private RetentionRule ReadRetentionRule(MappingReader map)
    {
        var whenNode = map.Node("when");
        return new RetentionRule
        {
            Categories = map.Refs("categories"),
            For = map.Refs("for"),
            When = whenNode is null ? null : new Ref(map.Text(whenNode, "when") ?? "", whenNode.At),
            Active = Period(map, "active"),
            ActiveAt = map.KeyAt("active"),
            From = Anchor(map, "from"),
            Until = Anchor(map, "until"),
            Archive = Period(map, "archive"),
            Then = map.Enum<EndAction>("then", "end-action-unknown"),
            Justification = map.OptionalString("justification"),
            At = map.At,
        };
    }

    private RetentionAnchor? Anchor(MappingReader map, string key)
    {
        var node = map.Node(key);
        switch (node)
        {
            case null:
                return null;
            case YScalar scalar:
                return new RetentionAnchor([new Ref(scalar.Value.Trim(), scalar.At)], EventCombination.Single, false, scalar.At);
            case YMapping:
                var inner = new MappingReader((YMapping)node, diagnostics, $"'{key}'");
                RetentionAnchor? anchor = null;
                if (inner.Node("end_of_year_of") is { } year)
                {
                    anchor = new RetentionAnchor([new Ref(inner.Text(year, "end_of_year_of") ?? "", year.At)], EventCombination.Single, true, node.At);
                }
                else if (inner.Has("latest_of"))
                {
                    anchor = new RetentionAnchor(inner.Refs("latest_of"), EventCombination.LatestOf, false, node.At);
                }
                else if (inner.Has("first_of"))
                {
                    anchor = new RetentionAnchor(inner.Refs("first_of"), EventCombination.FirstOf, false, node.At);
                }

                inner.RejectUnknownKeys();
                if (anchor is null)
                {
                    diagnostics.Error("retention-trigger-malformed", node.At,
                        $"'{key}' takes an event, or one of end_of_year_of: EVENT, latest_of: [EVENTS], first_of: [EVENTS]");
                }

                return anchor;
            default:
                diagnostics.Error("retention-trigger-malformed", node.At, $"'{key}' takes an event name, not {node.Kind}");
                return null;
        }
    }

    private Cookie ReadCookie(MappingReader map)
    {
        var purposeNode = map.Node("purpose");
        return new Cookie
        {
            Name = map.RequiredString("name"),
            Provider = map.RequiredString("provider"),
            Description = Localized(map, "description", required: true)!,
            Lifetime = Period(map, "lifetime", required: true),
            Basis = map.Enum<CookieBasis>("basis", "cookie-basis-unknown"),
            Exemption = map.Enum<CookieExemption>("exemption", "cookie-exemption-unknown"),
            Purpose = purposeNode is null ? null : new Ref(map.Text(purposeNode, "purpose") ?? "", purposeNode.At),
            At = map.At,
        };
    }

    private SecurityPromises ReadSecurity(MappingReader? map, SourcePosition parent)
    {
        if (map is null)
        {
            return new SecurityPromises([], null, null, [], parent);
        }

        var security = new SecurityPromises(
            Items(map, "measures", "security measure", m =>
                new SecurityMeasure(m.Enum<SecurityFamily>("family", "security-family-unknown"), Localized(m, "description", required: true)!, m.At)),
            map.Decimal("availability", 0, 100),
            map.Integer("replicas", 1, 100),
            Items(map, "hosting", "hosting site", m =>
                new HostingSite(m.RequiredString("provider"), Country(m, "country"), Localized(m, "description", required: false), m.At)),
            map.At);
        map.RejectUnknownKeys();
        return security;
    }

    private List<T> Items<T>(MappingReader parent, string key, string what, Func<MappingReader, T> read)
    {
        var items = new List<T>();
        foreach (var node in parent.List(key))
        {
            if (MappingReader.Of(node, diagnostics, what) is { } map)
            {
                items.Add(Finish(map, read(map)));
            }
        }

        return items;
    }

    private static T Finish<T>(MappingReader map, T value)
    {
        map.RejectUnknownKeys();
        return value;
    }

    private string Id(MappingReader map, bool dotted = false)
    {
        var node = map.Required("id");
        var id = map.Text(node, "id") ?? "";
        if (id.Length > 0 && !(dotted ? DottedIdPattern() : IdPattern()).IsMatch(id))
        {
            diagnostics.Error("id-malformed", node!.At,
                $"id '{id}' must be lower-case letters, digits and underscores{(dotted ? ", with dots between levels" : "")}, starting with a letter");
        }

        return id;
    }

    private LocalizedText? Localized(MappingReader map, string key, bool required)
    {
        var node = required ? map.Required(key) : map.Node(key);
        switch (node)
        {
            case null:
                return required ? LocalizedText.Empty : null;
            case YScalar scalar:
                if (_languages.Count > 1)
                {
                    diagnostics.Error("translation-missing", scalar.At,
                        $"'{key}' must be given in each language of the charter ({string.Join(", ", _languages)}), as {{{string.Join(", ", _languages.Select(l => l + ": ..."))}}}");
                }

                return LocalizedText.Same(scalar.Value.Trim(), _languages);
            case YMapping mapping:
                var values = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (languageKey, valueNode) in mapping.Entries)
                {
                    if (!_languages.Contains(languageKey.Value))
                    {
                        var hint = languageKey.Value.Contains(' ', StringComparison.Ordinal)
                            ? "; if it is part of a text, put the text in quotes: inside { } a comma ends the value"
                            : "";
                        diagnostics.Error("translation-unknown-language", languageKey.At,
                            $"'{languageKey.Value}' is not a language of this charter ({string.Join(", ", _languages)}){hint}");
                        continue;
                    }

                    if (map.Text(valueNode, key) is { Length: > 0 } text)
                    {
                        values[languageKey.Value] = text;
                    }
                }

                foreach (var language in _languages.Where(l => !values.ContainsKey(l)))
                {
                    diagnostics.Error("translation-missing", mapping.At, $"'{key}' has no '{language}' text");
                }

                return new LocalizedText(values);
            default:
                diagnostics.Error("type-mismatch", node.At, $"'{key}' must be a text or a mapping of language to text, not {node.Kind}");
                return LocalizedText.Empty;
        }
    }

    private Iso8601Period? Period(MappingReader map, string key, bool required = false)
    {
        var node = required ? map.Required(key) : map.Node(key);
        var text = map.Text(node, key);
        if (text is null)
        {
            return null;
        }

        if (Iso8601Period.TryParse(text, out var period))
        {
            return period;
        }

        if (Iso8601Period.TooLong(text))
        {
            diagnostics.Error("period-malformed", node!.At,
                $"'{text}' is longer than any period a charter keeps: {Iso8601Period.Bounds}");
            return null;
        }

        var suggestion = Iso8601Period.SuggestFor(text) is { } iso ? $" (did you mean {iso}?)" : "";
        diagnostics.Error("period-malformed", node!.At,
            $"'{text}' is not an ISO 8601 period{suggestion}; write P3Y for 3 years, P6M for 6 months, P1Y6M, P30D");
        return null;
    }

    private string? Email(MappingReader map, string key, bool required = false)
    {
        var node = required ? map.Required(key) : map.Node(key);
        var text = map.Text(node, key);
        if (text is { Length: > 0 } && !EmailPattern().IsMatch(text))
        {
            diagnostics.Error("email-malformed", node!.At, $"'{text}' is not an e-mail address");
        }

        return text ?? (required ? "" : null);
    }

    private string? Url(MappingReader map, string key, bool required = false)
    {
        var node = required ? map.Required(key) : map.Node(key);
        var text = map.Text(node, key);
        if (text is { Length: > 0 } && !(Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"))
        {
            diagnostics.Error("url-malformed", node!.At, $"'{text}' is not a web address (https://...)");
        }

        return text;
    }

    private string Country(MappingReader map, string key)
    {
        var node = map.Required(key);
        var code = map.Text(node, key) ?? "";
        if (code.Length > 0 && !Countries.IsKnown(code))
        {
            diagnostics.Error("country-unknown", node!.At, $"'{code}' is not an ISO 3166-1 country code (FR, DE, US, ...)");
        }

        return code;
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^[a-z][a-z0-9_]{0,63}(\.[a-z][a-z0-9_]{0,63}){0,5}$", RegexOptions.CultureInvariant)]
    private static partial Regex DottedIdPattern();

    [GeneratedRegex(@"^[^@\s<>""]{1,64}@[^@\s<>""]+\.[^@\s<>""]{2,}$", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();
}
