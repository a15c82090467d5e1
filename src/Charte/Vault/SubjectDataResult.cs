using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;

namespace Charte.Vault;

/// <summary>A record's row with its value decrypted: the JSON the application wrote, checked to be one JSON value.</summary>
internal sealed record OpenedRecord(DataRecord Row, byte[] Value);

/// <summary>
/// A read's answer, of the shape <see cref="SubjectData"/> (which the OpenAPI description shows), written straight to
/// the response: each record's value goes out as the bytes it was decrypted to, which <see cref="RecordsApi.Open"/>
/// has checked to be one JSON value, instead of being parsed into a document, copied and written back (a read's
/// answer is the vault's most frequent; the serializer's way cost a twentieth of a read's time).
/// </summary>
internal sealed class SubjectDataResult(Guid subject, string purpose, IReadOnlyList<OpenedRecord> records, IReadOnlyList<DocumentOutput> documents, long journal)
    : IResult, IStatusCodeHttpResult, IContentTypeHttpResult, IEndpointMetadataProvider
{
    private const string Json = "application/json";

    public int? StatusCode => StatusCodes.Status200OK;

    public string ContentType => Json + "; charset=utf-8";

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(SubjectData), [Json]));

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        using (var writer = new Utf8JsonWriter(response.BodyWriter))
        {
            Write(writer);
        }

        return response.BodyWriter.FlushAsync(httpContext.RequestAborted).AsTask();
    }

    /// <summary>The answer's JSON, as <see cref="JsonSerializerDefaults.Web"/> writes <see cref="SubjectData"/>.</summary>
    internal void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("subject", subject);
        writer.WriteString("purpose", purpose);
        writer.WriteStartArray("records");
        foreach (var (row, value) in records)
        {
            writer.WriteStartObject();
            writer.WriteString("id", row.Id);
            writer.WriteString("category", row.Category);
            writer.WritePropertyName("value");
            writer.WriteRawValue(value, skipInputValidation: true);
            writer.WriteString("source", row.Source);
            writer.WriteString("collectedAt", RecordsApi.Utc(row.CollectedAt));
            writer.WriteString("updatedAt", RecordsApi.Utc(row.UpdatedAt));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("documents");
        foreach (var document in documents)
        {
            writer.WriteStartObject();
            writer.WriteString("id", document.Id);
            writer.WriteString("category", document.Category);
            writer.WriteString("name", document.Name);
            writer.WriteString("mediaType", document.MediaType);
            writer.WriteNumber("size", document.Size);
            writer.WriteString("collectedAt", document.CollectedAt);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteNumber("journal", journal);
        writer.WriteEndObject();
    }
}
