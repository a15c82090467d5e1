using System.Text;
using System.Text.Json;

namespace Charte.Vault;

/// <summary>The read's answer is written by hand; it must stay byte for byte what the serializer writes for <see cref="SubjectData"/>.</summary>
public class SubjectDataResultTests
{
    private static readonly DateTime Collected = new(2026, 3, 1, 8, 30, 15, 250, DateTimeKind.Utc);
    private static readonly DateTime Updated = new(2026, 11, 24, 2, 48, 59, DateTimeKind.Utc);

    [Theory]
    [InlineData("\"Camille Dupont-Lefèvre <c@example.fr> & co\"")]
    [InlineData("{\"street\":\"12 rue de l'Église\",\"city\":\"Paris\",\"lines\":[1,2.5,true,null]}")]
    [InlineData("42")]
    [InlineData("[]")]
    public void The_answer_is_what_the_serializer_writes_for_its_documented_shape(string value)
    {
        // Values are stored as the serializer wrote them when the application sent them.
        var stored = JsonSerializer.SerializeToUtf8Bytes(JsonDocument.Parse(value).RootElement);
        var row = new DataRecord
        {
            Id = Guid.NewGuid(),
            SubjectId = Guid.NewGuid(),
            Purpose = "customer_management",
            Category = "identity.name",
            Value = [],
            KeyVersion = 1,
            Source = "provided",
            CollectedAt = Collected,
            UpdatedAt = Updated,
        };
        var document = new DocumentOutput(Guid.NewGuid(), "contract.signed", "contrat \"final\" é.pdf", "application/pdf", 123_456, new DateTimeOffset(Collected));
        var subject = Guid.NewGuid();

        var written = new MemoryStream();
        using (var writer = new Utf8JsonWriter(written))
        {
            new SubjectDataResult(subject, "customer_management", [new OpenedRecord(row, stored)], [document], 987_654_321).Write(writer);
        }

        using var parsed = JsonDocument.Parse(stored);
        var expected = JsonSerializer.Serialize(
            new SubjectData(subject, "customer_management", [new RecordOutput(row.Id, row.Category, parsed.RootElement, row.Source, new DateTimeOffset(Collected), new DateTimeOffset(Updated))], [document], 987_654_321),
            new JsonSerializerOptions(JsonSerializerDefaults.Web));
        Assert.Equal(expected, Encoding.UTF8.GetString(written.ToArray()));
    }
}
