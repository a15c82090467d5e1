using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Charte.Charters;

/// <summary>
/// docs/charter.schema.json, which editors use to autocomplete and validate, says the same as the reader:
/// its enums are the model's, and every example charter validates against it.
/// </summary>
public sealed class CharterSchemaTests
{
    private static readonly JsonElement Schema = JsonDocument.Parse(File.ReadAllText(TestCharters.Path("docs", "charter.schema.json"))).RootElement;

    [Fact]
    public void SchemaEnums_AreTheModelsYamlNames()
    {
        Assert.Equal(YamlNames.All<LegalBasis>(), Enum("$defs", "purpose", "properties", "legal_basis"));
        Assert.Equal(YamlNames.All<Art9Exception>(), Enum("$defs", "purpose", "properties", "art9_exception"));
        Assert.Equal(YamlNames.All<EndAction>(), Enum("$defs", "purpose", "properties", "retention", "items", "properties", "then"));
        Assert.Equal(YamlNames.All<TransferMechanism>(), Enum("$defs", "purpose", "properties", "transfers", "items", "properties", "mechanism"));
        Assert.Equal(YamlNames.All<Art49Derogation>(), Enum("$defs", "purpose", "properties", "transfers", "items", "properties", "derogation"));
        Assert.Equal(YamlNames.All<DataSource>(), Enum("$defs", "purpose", "properties", "data", "items", "properties", "source"));
        Assert.Equal(YamlNames.All<CookieBasis>(), Enum("properties", "cookies", "items", "properties", "basis"));
        Assert.Equal(YamlNames.All<CookieExemption>(), Enum("properties", "cookies", "items", "properties", "exemption"));
        Assert.Equal(YamlNames.All<SecurityFamily>(), Enum("properties", "security", "properties", "measures", "items", "properties", "family"));
        Assert.Equal(YamlNames.All<CategoryFamily>(), Enum("properties", "categories", "items", "properties", "family"));
        Assert.Equal(YamlNames.All<RecipientKind>(), Enum("properties", "recipients", "items", "properties", "kind"));
        Assert.Equal(CharterReader.SupportedLanguages, Enum("properties", "languages", "items"));
    }

    public static TheoryData<string> Examples() => [.. TestCharters.Examples().Select(f => Path.GetFileName(f))];

    [Theory]
    [MemberData(nameof(Examples))]
    public void Example_ValidatesAgainstTheSchema(string example)
    {
        var tree = Tree(File.ReadAllText(TestCharters.Path("examples", example)));

        Assert.Equal([], Validate(tree, Schema, "$"));
    }

    [Fact]
    public void Schema_RejectsWhatTheReaderRejects()
    {
        var tree = Tree(TestCharters.Base.Replace("legal_basis: contract", "legal_basis: consentement", StringComparison.Ordinal)
            .Replace("  name: Exemple SAS\n", "  name: Exemple SAS\n  nmae: typo\n", StringComparison.Ordinal));

        var problems = Validate(tree, Schema, "$");

        Assert.Contains("$.organisation: unknown property 'nmae'", problems);
        Assert.Contains("$.purposes[0].legal_basis: 'consentement' not in enum", problems);
    }

    private static YNode Tree(string yaml)
    {
        var diagnostics = new DiagnosticBag("x.yaml");
        return YamlTree.Read(yaml, diagnostics) ?? throw new InvalidOperationException(string.Join("\n", diagnostics.ToList()));
    }

    private static List<string> Enum(params string[] path)
    {
        var node = Schema;
        foreach (var step in path)
        {
            node = node.GetProperty(step);
        }

        return [.. node.GetProperty("enum").EnumerateArray().Select(e => e.GetString()!)];
    }

    /// <summary>A small JSON Schema validator for the keywords the charter schema uses.</summary>
    private static List<string> Validate(YNode node, JsonElement schema, string at)
    {
        var problems = new List<string>();
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var target = Schema;
            foreach (var step in reference.GetString()!.TrimStart('#', '/').Split('/'))
            {
                target = target.GetProperty(step);
            }

            problems.AddRange(Validate(node, target, at));
        }

        if (schema.TryGetProperty("oneOf", out var options) &&
            !options.EnumerateArray().Any(option => Validate(node, option, at).Count == 0))
        {
            problems.Add($"{at}: matches none of the allowed forms");
        }

        var scalar = (node as YScalar)?.Value;
        if (schema.TryGetProperty("type", out var type))
        {
            var ok = type.GetString() switch
            {
                "object" => node is YMapping,
                "array" => node is YSequence,
                "string" => scalar is not null,
                "boolean" => scalar is "true" or "false",
                "integer" => scalar is not null && long.TryParse(scalar, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
                "number" => scalar is not null && decimal.TryParse(scalar, NumberStyles.Number, CultureInfo.InvariantCulture, out _),
                _ => false,
            };
            if (!ok)
            {
                problems.Add($"{at}: not {type.GetString()}");
                return problems;
            }
        }

        if (schema.TryGetProperty("enum", out var values) && !values.EnumerateArray().Any(v => v.ToString() == scalar))
        {
            problems.Add($"{at}: '{scalar}' not in enum");
        }

        if (schema.TryGetProperty("const", out var constant) && constant.ToString() != scalar)
        {
            problems.Add($"{at}: not {constant}");
        }

        if (schema.TryGetProperty("pattern", out var pattern) && scalar is not null && !Regex.IsMatch(scalar, pattern.GetString()!))
        {
            problems.Add($"{at}: '{scalar}' does not match {pattern}");
        }

        if (node is YMapping mapping)
        {
            var properties = schema.TryGetProperty("properties", out var p) ? p : default;
            foreach (var required in schema.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(x => x.GetString()!) : [])
            {
                if (!mapping.Entries.Any(e => e.Key.Value == required))
                {
                    problems.Add($"{at}: missing '{required}'");
                }
            }

            foreach (var (key, value) in mapping.Entries)
            {
                if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(key.Value, out var propertySchema))
                {
                    problems.AddRange(Validate(value, propertySchema, $"{at}.{key.Value}"));
                }
                else if (schema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.False)
                {
                    problems.Add($"{at}: unknown property '{key.Value}'");
                }
            }
        }

        if (node is YSequence sequence && schema.TryGetProperty("items", out var items))
        {
            for (var i = 0; i < sequence.Items.Count; i++)
            {
                problems.AddRange(Validate(sequence.Items[i], items, $"{at}[{i}]"));
            }
        }

        return problems;
    }
}
