# Generates broken/*.yaml from base.yaml: each fixture is the base charter with one mistake a DPO can make.
# Not part of the build; after regenerating, append each file's "# expect: CODE at LINE:COL" line again.
import pathlib
base = pathlib.Path(__file__).with_name("base.yaml").read_text()
P = "  - id: accounts\n"
cases = {
 "yaml-syntax": ("  name: Exemple SAS\n", "  name: Exemple SAS\n   address: [unclosed\n"),
 "unknown-key": ("  legal_basis: contract\n", "  legal_basis: contract\n    legal_bases: contract\n"),
 "required": ("  name: Exemple SAS\n", ""),
 "legal-basis-unknown": ("legal_basis: contract", "legal_basis: consentement"),
 "legal-basis-multiple": ("legal_basis: contract", "legal_basis: [contract, consent]"),
 "consent-text-missing": ("legal_basis: contract", "legal_basis: consent"),
 "interest-missing": ("legal_basis: contract", "legal_basis: legitimate_interests"),
 "art9-exception-missing": ("{ category: contact.email, source: provided }", "{ category: special.health, source: provided }"),
 "art9-exception-unknown": ("    legal_basis: contract\n", "    legal_basis: contract\n    art9_exception: health\n"),
 "transfer-mechanism-missing": ("    retention:\n", "    transfers:\n      - { to: host, country: US }\n    retention:\n"),
 "transfer-derogation-repetitive": ("    retention:\n", "    transfers:\n      - { to: host, country: US, mechanism: derogation, derogation: b }\n    retention:\n"),
 "transfer-scc-module-missing": ("    retention:\n", "    transfers:\n      - { to: host, country: US, mechanism: scc }\n    retention:\n"),
 "transfer-undeclared": ("    country: FR\n", "    country: US\n"),
 "retention-no-end": ("        then: delete\n", ""),
 "retention-trigger-unknown": ("from: contract_end", "from: end_of_contract"),
 "retention-trigger-conflict": ("        from: contract_end\n", "        from: contract_end\n        until: payment_complete\n"),
 "retention-missing": ("    retention:\n      - active: P3Y\n        from: contract_end\n        then: delete\n", ""),
 "retention-not-covered": ("      - active: P3Y\n", "      - categories: [identity]\n        active: P3Y\n"),
 "period-malformed": ("active: P3Y", "active: 3 ans"),
 "processor-undefined": ("recipients: [staff, host]\n    access", "recipients: [staff, host]\n    transfers:\n      - { to: hosting, country: US, mechanism: scc, scc_module: 2 }\n    access"),
 "recipient-undefined": ("recipients: [staff, host]", "recipients: [staff, hosts]"),
 "role-undefined": ("access: [support]", "access: [suport]"),
 "category-undefined": ("category: contact.email", "category: contact.mail"),
 "subject-undefined": ("subjects: [customer]", "subjects: [customers]"),
 "duplicate-id": ("  - id: customer\n    label: { fr: clients, en: customers }\n", "  - id: customer\n    label: { fr: clients, en: customers }\n  - id: customer\n    label: { fr: clientes, en: clients }\n"),
 "yaml-duplicate-key": ("  address: 1 rue de la Paix, 75002 Paris\n", "  address: 1 rue de la Paix, 75002 Paris\n  name: Autre SAS\n"),
 "translation-missing": ("title: { fr: Gérer les comptes, en: Managing accounts }", "title: { fr: Gérer les comptes }"),
 "format-unsupported": ("charter: 1", "charter: 7"),
 "format-missing": ("charter: 1\n", ""),
 "email-malformed": ("  email: dpo@exemple.fr\nrights", "  email: dpo-at-exemple.fr\nrights"),
 "country-unknown": ("country: FR", "country: France"),
 "date-malformed": ("updated: 2024-01-15", "updated: 15/01/2024"),
 "type-mismatch": ("subjects: [customer]", "subjects: { customer: yes }"),
 "cookie-exemption-missing": ("purposes:\n", "cookies:\n  - { name: sid, provider: Exemple, description: { fr: Session, en: Session }, lifetime: P1D, basis: exempt }\npurposes:\n"),
 "cookie-exempt-lifetime": ("purposes:\n", "cookies:\n  - { name: _pk_id, provider: Matomo, description: { fr: Audience, en: Audience }, lifetime: P25M, basis: exempt, exemption: audience_measurement }\npurposes:\n"),
 "automated-decision-without-exception": ("legal_basis: contract\n", "legal_basis: legitimate_interests\n    interest: { fr: scoring, en: scoring }\n    automated_decisions: { profiling: true, legal_effects: true, logic: { fr: score, en: score } }\n"),
 "category-parent-undefined": ("subjects:\n", "categories:\n  - id: loyalty.points\n    label: { fr: Points, en: Points }\nsubjects:\n"),
 "art10-authorisation-missing": ("{ category: contact.email, source: provided }", "{ category: offences, source: provided }"),
 "data-source-missing": ("{ category: contact.email, source: provided }", "{ category: contact.email }"),
 "language-unsupported": ("languages: [fr, en]", "languages: [fr, en, de]"),
 "yaml-unknown-alias": ("subjects: [customer]", "subjects: [*someone]"),
 "category-family-missing": ("subjects:\n", "categories:\n  - id: loyalty\n    label: { fr: Fidélité, en: Loyalty }\nsubjects:\n"),
 "cookie-purpose-not-consent": ("purposes:\n", "cookies:\n  - { name: _ga, provider: Google, description: { fr: Audience, en: Audience }, lifetime: P13M, basis: consent, purpose: accounts }\npurposes:\n"),
}
out = pathlib.Path(__file__).with_name("broken")
for code, (old, new) in cases.items():
    assert old in base, code
    text = base.replace(old, new, 1)
    (out / f"{code}.yaml").write_text(text)
print(len(cases))
