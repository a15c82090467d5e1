using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Charte.Hosting;

/// <summary>
/// What the OpenAPI description says beyond the routes and their bodies, for the developers who call the API: how to
/// authenticate (a bearer API key), every problem each operation may answer (grouped by status, each type with when it
/// is answered, from <see cref="ProblemTypes"/> and the endpoint's <see cref="ProblemTypesMetadata"/>), the multipart
/// bodies the handlers read themselves, and what the query parameters mean.
/// </summary>
public static class ApiDescription
{
    public const string SecurityScheme = "apiKey";
    public const string ProblemSchema = "Problem";

    private static readonly Dictionary<string, (string Description, bool Required)> Parameters = new(StringComparer.Ordinal)
    {
        ["purpose"] = ("The purpose the data is read for: an id of the charter's purposes. Every read names one.", true),
        ["category"] = ("Only this data category (an id of the charter's taxonomy), which the purpose must use.", false),
        ["size"] = ("The tree size of a checkpoint (default: the latest checkpoint).", false),
        ["from"] = ("The smaller checkpointed tree size.", true),
        ["to"] = ("The larger checkpointed tree size.", true),
    };

    /// <summary>The multipart bodies of the routes that read one: their fields, in order, with the required ones.</summary>
    private static readonly Dictionary<string, (string Field, string Description, Field Kind, bool Required)[]> Multipart = new(StringComparer.Ordinal)
    {
        ["api/v1/subjects/{id}/documents"] =
        [
            ("purpose", "The purpose the file is kept for.", Field.Text, true),
            ("category", "The file's data category, which the purpose must use.", Field.Text, true),
            ("source", "provided (default), observed or derived.", Field.Text, false),
            ("file", "The file (one); its SHA-256 is recorded and checked on every read.", Field.File, true),
        ],
        ["api/v1/seals"] = [("files", "The files to seal (1 to 32, under any field name), each with a file name of its own.", Field.Files, true)],
    };

    private enum Field
    {
        Text,
        File,
        Files,
    }

    public static void AddTo(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Charte API";
            document.Info.Description =
                "Personal data stored and read only under the organisation's privacy charter. Every call under /api/v1 sends an " +
                "application's API key as `Authorization: Bearer charte_…` (`charte apps add`). Every error is " +
                "`application/problem+json` (RFC 9457) whose `type` is `urn:charte:problem:NAME`: match on the type, the detail is for people.";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SecurityScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "charte_<12 hex>_<40 letters and digits>",
                Description = "An application's API key, printed once by `charte apps add` or `charte apps key`; it holds the purposes the application may use.",
            };
            document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            document.Components.Schemas[ProblemSchema] = Problem();
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var path = Template(context.Description.RelativePath);
            if (!path.StartsWith("api/v1/", StringComparison.Ordinal))
            {
                return Task.CompletedTask;
            }

            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecurityScheme, context.Document)] = [] }];
            foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
            {
                if (parameter.In == ParameterLocation.Query && Parameters.TryGetValue(parameter.Name ?? "", out var meaning))
                {
                    parameter.Description = meaning.Description;
                    parameter.Required = meaning.Required;
                }
            }

            if (Multipart.TryGetValue(path, out var fields))
            {
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, OpenApiMediaType> { ["multipart/form-data"] = new() { Schema = Form(fields) } },
                };
            }

            var declared = context.Description.ActionDescriptor.EndpointMetadata.OfType<ProblemTypesMetadata>().SelectMany(m => m.Types);
            operation.Responses ??= [];
            // 499: the client went away; nobody reads that answer.
            foreach (var status in ProblemTypes.AnyRequest.Concat(declared).Distinct().Where(t => t != ProblemTypes.RequestAborted).GroupBy(t => t.Status).OrderBy(g => g.Key))
            {
                operation.Responses[status.Key.ToString(CultureInfo.InvariantCulture)] = new OpenApiResponse
                {
                    Description = Describe(status),
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, context.Document) },
                    },
                };
            }

            return Task.CompletedTask;
        });
    }

    /// <summary>The problem types every operation may answer, by their names, as the description lists them.</summary>
    public static string Describe(IEnumerable<ProblemType> types)
    {
        var text = new StringBuilder();
        foreach (var type in types.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"- `{type.Name}`: {type.When}\n");
        }

        return text.ToString().TrimEnd();
    }

    /// <summary>A route's template as OpenAPI writes it: <c>{id:guid}</c> is <c>{id}</c>.</summary>
    private static string Template(string? relativePath) =>
        System.Text.RegularExpressions.Regex.Replace(relativePath ?? "", @"\{(\w+):[^}]*\}", "{$1}", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));

    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "RFC 9457 problem details. `type` is stable (urn:charte:problem:NAME); `detail` never repeats personal data.",
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "urn:charte:problem:NAME", Enum = [.. ProblemTypes.All.Select(t => (System.Text.Json.Nodes.JsonNode)t.Uri)] },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The same for every problem of the type." },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "This occurrence, for people." },
            ["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "To find the server's log line." },
            ["rule"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A refusal of the access rule: the rule that refused." },
            ["purpose"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
            ["category"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
            ["line"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "An import: the line refused (from 1)." },
        },
        Required = new HashSet<string>(StringComparer.Ordinal) { "type", "title", "status" },
    };

    private static OpenApiSchema Form((string Field, string Description, Field Kind, bool Required)[] fields) => new()
    {
        Type = JsonSchemaType.Object,
        Properties = fields.ToDictionary(f => f.Field, f => (IOpenApiSchema)(f.Kind == Field.Files
            ? new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" }, Description = f.Description }
            : new OpenApiSchema { Type = JsonSchemaType.String, Format = f.Kind == Field.File ? "binary" : null, Description = f.Description }), StringComparer.Ordinal),
        Required = new HashSet<string>(fields.Where(f => f.Required).Select(f => f.Field), StringComparer.Ordinal),
    };
}
