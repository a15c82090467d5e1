using System.Text.Json;
using Charte.Charters;

namespace Charte.Publishing;

/// <summary>The GDPR Art. 30 register: one fiche per processing activity, with the CNIL model's fields.</summary>
public sealed class RegisterTests
{
    [Fact]
    public void Csv_HasOneRowPerPurpose_WithTheCnilFields()
    {
        var charter = TestCharters.Example("secufor");

        var rows = ParseCsv(Register.Compose(charter, "fr").ToCsv());

        Assert.Equal(charter.Purposes.Count + 1, rows.Count);
        Assert.Equal(["Identifiant", "Activité de traitement", "Finalité", "Base légale", "Texte de référence", "Exception art. 9",
            "Catégories de personnes concernées", "Catégories de données", "Familles CNIL", "Données sensibles", "Durées de conservation",
            "Destinataires internes", "Sous-traitants", "Autres destinataires", "Transferts hors UE", "Décisions automatisées",
            "Rôles habilités", "Mesures de sécurité"], rows[0]);
        var prospects = rows.Single(r => r[0] == "prospect_file");
        Assert.Equal("Intérêt légitime (art. 6.1.f): développer et promouvoir notre activité", prospects[3]);
        Assert.Contains("Prospects : 3 ans à compter du dernier contact, puis suppression", prospects[10], StringComparison.Ordinal);
        Assert.Contains("HubSpot — États-Unis — décision d'adéquation", prospects[14], StringComparison.Ordinal);
    }

    [Fact]
    public void Csv_NeutralisesFormulaInjection_AndQuotesEveryCell()
    {
        var loaded = TestCharters.BaseWith("title: { fr: Gérer les comptes, en: Managing accounts }",
            "title: { fr: \"=HYPERLINK(\\\"http://evil\\\")\", en: \"x, \\\"y\\\"\" }");
        var csv = Register.Compose(loaded.Charter!, "fr").ToCsv();

        Assert.Contains("\"'=HYPERLINK(\"\"http://evil\"\")\"", csv, StringComparison.Ordinal);
        Assert.Contains("\"x, \"\"y\"\"\"", Register.Compose(loaded.Charter!, "en").ToCsv(), StringComparison.Ordinal);
    }

    [Fact]
    public void Json_CarriesControllerAndActivities()
    {
        var charter = TestCharters.Example("monpetitplacement");

        using var json = JsonDocument.Parse(Register.Compose(charter, "en").ToJson());

        Assert.Equal("Mon Petit Placement (SAS, courtier en assurance (COA))", json.RootElement.GetProperty("controller").GetProperty("organisation").GetString());
        var activities = json.RootElement.GetProperty("activities");
        Assert.Equal(charter.Purposes.Count, activities.GetArrayLength());
        var insurance = activities.EnumerateArray().Single(a => a.GetProperty("id").GetString() == "insurance_contract");
        Assert.Equal(["10 years from the end of the contract, then deleted [Prescription des actions en assurance-vie]",
            "If death occurs: 30 years from death, then deleted [Code des assurances L114-1 (bénéficiaires, 30 ans à compter du décès)]"],
            insurance.GetProperty("retention").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Markdown_HasOneSectionPerActivity()
    {
        var charter = TestCharters.Example("mynotary");

        var markdown = Register.Compose(charter, "fr").ToMarkdown();

        foreach (var purpose in charter.Purposes)
        {
            Assert.Contains("## " + purpose.Title.In("fr"), markdown, StringComparison.Ordinal);
        }

        Assert.Contains("Délégué à la protection des données : dpo@mynotary.fr", markdown, StringComparison.Ordinal);
    }

    private static List<string[]> ParseCsv(string csv)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var cell = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < csv.Length; i++)
        {
            var c = csv[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < csv.Length && csv[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cell.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { row.Add(cell.ToString()); cell.Clear(); }
            else if (c == '\n') { row.Add(cell.ToString()); cell.Clear(); rows.Add([.. row]); row.Clear(); }
            else if (c != '\r') cell.Append(c);
        }

        return rows;
    }
}
