using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Charte.Hosting;

/// <summary>
/// The OpenAPI description tells a developer what the API does: how to authenticate, what each operation may answer
/// as a problem and under which status, the multipart bodies, the required query parameters. (That each route answers
/// only the problems it declares is checked on every request of the integration suites: <see cref="ProblemRecorder"/>.)
/// </summary>
public sealed class ApiDescriptionTests
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    private static async Task<JsonElement> DescriptionAsync()
    {
        await using var host = await TestHost.StartAsync(StoreKind.Sqlite);
        return await host.Anonymous().GetFromJsonAsync<JsonElement>("/openapi/v1.json");
    }

    private static IEnumerable<(string Path, string Method, JsonElement Operation)> Operations(JsonElement document) =>
        from path in document.GetProperty("paths").EnumerateObject()
        where path.Name.StartsWith("/api/v1/", StringComparison.Ordinal)
        from operation in path.Value.EnumerateObject()
        where Methods.Contains(operation.Name)
        select (path.Name, operation.Name, operation.Value);

    private static IEnumerable<string> Listed(JsonElement response) =>
        Regex.Matches(response.GetProperty("description").GetString()!, "^- `([a-z0-9-]+)`", RegexOptions.Multiline).Select(m => m.Groups[1].Value);

    [Fact]
    public async Task EveryOperation_SaysHowToAuthenticate_AndAnswersProblemJsonUnderEachStatus()
    {
        var document = await DescriptionAsync();

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty(ApiDescription.SecurityScheme);
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        var operations = Operations(document).ToList();
        Assert.True(operations.Count >= 15, $"{operations.Count} operations under /api/v1");
        Assert.All(operations, o =>
        {
            Assert.True(o.Operation.GetProperty("security")[0].TryGetProperty(ApiDescription.SecurityScheme, out _), $"{o.Method} {o.Path} names no security");
            var unauthorised = o.Operation.GetProperty("responses").GetProperty("401");
            Assert.Equal(["api-key-malformed", "api-key-missing", "api-key-revoked", "api-key-unknown"], Listed(unauthorised));
            foreach (var response in o.Operation.GetProperty("responses").EnumerateObject().Where(r => r.Name[0] is '4' or '5'))
            {
                var schema = response.Value.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema");
                Assert.Equal("#/components/schemas/Problem", schema.GetProperty("$ref").GetString());
                Assert.All(Listed(response.Value), name => Assert.Equal(response.Name, ProblemTypes.Named(name)!.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
        });
    }

    [Fact]
    public async Task EveryProblemTheApiAnswers_IsListedUnderItsStatus_AndInTheProblemSchema()
    {
        var document = await DescriptionAsync();

        var listed = Operations(document).SelectMany(o => o.Operation.GetProperty("responses").EnumerateObject())
            .Where(r => r.Name[0] is '4' or '5').SelectMany(r => Listed(r.Value)).ToHashSet();
        var enumerated = document.GetProperty("components").GetProperty("schemas").GetProperty(ApiDescription.ProblemSchema)
            .GetProperty("properties").GetProperty("type").GetProperty("enum").EnumerateArray().Select(e => e.GetString()).ToHashSet();

        // Not an operation's: /readyz (outside the API), routing's own 405, and the answer to a client already gone.
        var outside = new[] { ProblemTypes.NotReady, ProblemTypes.MethodNotAllowed, ProblemTypes.RequestAborted };
        var unlisted = ProblemTypes.All.Except(outside).Select(t => t.Name).Where(n => !listed.Contains(n)).ToList();
        Assert.True(unlisted.Count == 0, "listed by no operation: " + string.Join(", ", unlisted));
        Assert.Equal(ProblemTypes.All.Select(t => t.Uri).Order(), enumerated.Order());
    }

    [Fact]
    public async Task UploadsDescribeTheirMultipartFields_AndReadsRequireAPurpose()
    {
        var document = await DescriptionAsync();
        var paths = document.GetProperty("paths");

        var upload = paths.GetProperty("/api/v1/subjects/{id}/documents").GetProperty("post").GetProperty("requestBody").GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema");
        Assert.Equal(["purpose", "category", "file"], upload.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("binary", upload.GetProperty("properties").GetProperty("file").GetProperty("format").GetString());
        var seal = paths.GetProperty("/api/v1/seals").GetProperty("post").GetProperty("requestBody").GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema");
        Assert.Equal("binary", seal.GetProperty("properties").GetProperty("files").GetProperty("items").GetProperty("format").GetString());
        foreach (var read in new[] { "/api/v1/subjects/{id}/data", "/api/v1/subjects/{id}/documents/{document}" })
        {
            var purpose = paths.GetProperty(read).GetProperty("get").GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "purpose");
            Assert.True(purpose.GetProperty("required").GetBoolean(), read);
            Assert.Contains("purpose", purpose.GetProperty("description").GetString(), StringComparison.Ordinal);
        }

        // The reads' answers are written by hand (SubjectDataResult) and still described by their shape.
        foreach (var (path, method) in new[] { ("/api/v1/subjects/{id}/data", "get"), ("/api/v1/subjects/{id}/archive", "post") })
        {
            var answer = paths.GetProperty(path).GetProperty(method).GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema");
            Assert.Equal("#/components/schemas/SubjectData", answer.GetProperty("$ref").GetString());
        }

        var shape = document.GetProperty("components").GetProperty("schemas").GetProperty("SubjectData").GetProperty("properties");
        Assert.Equal(["subject", "purpose", "records", "documents", "journal"], shape.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void TheVaultGuide_ListsEveryProblemType_AndNoOther()
    {
        var guide = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "VAULT.md"));
        var table = guide[guide.IndexOf("## Problem types", StringComparison.Ordinal)..];
        table = table[..table.IndexOf("\n\n", table.IndexOf("| NAME", StringComparison.Ordinal), StringComparison.Ordinal)];
        var rows = table.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries))
            .SelectMany(cells => Regex.Matches(cells[1], "`([a-z0-9-]+)`").Select(m => (Name: m.Groups[1].Value, Status: cells[2]))).ToList();

        Assert.Equal(ProblemTypes.All.Select(t => t.Name).Order(), rows.Select(r => r.Name).Order());
        Assert.All(rows, r => Assert.Equal(ProblemTypes.Named(r.Name)!.Status.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Status));
    }
}
