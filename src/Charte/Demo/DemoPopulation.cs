using System.Text.Json;
using Bogus;
using Charte.Charters;
using Charte.Journal;
using Charte.Keys;
using Charte.Retention;
using Charte.Storage;
using Charte.Vault;

namespace Charte.Demo;

/// <summary>
/// Synthetic people for the demo: clearly fake (Bogus, e-mail addresses under <c>demo.invalid</c>), written through
/// the same encryption and blind indexes as real data, with their records, lifecycle events and consents.
/// </summary>
internal static class DemoPopulation
{
    public static async Task<int> SeedAsync(Charter charter, StoreLocation store, MasterKeys masters, TimeProvider clock, int count, int seed, CancellationToken cancellationToken)
    {
        var databases = CharteDb.Factory(store);
        var keys = new SubjectKeys(KeyStoreDb.Factory(store), masters, clock, TimeSpan.Zero);
        Randomizer.Seed = new Random(seed);
        var faker = new Faker("fr");
        var now = clock.GetUtcNow();
        const int batch = 250;
        for (var start = 0; start < count; start += batch)
        {
            var ids = Enumerable.Range(0, Math.Min(batch, count - start)).Select(_ => Guid.CreateVersion7(now)).ToList();
            var dataKeys = await keys.CreateManyAsync(ids, cancellationToken);
            await using var db = await databases.CreateDbContextAsync(cancellationToken);
            foreach (var (key, index) in dataKeys.Select((k, i) => (k, start + i)))
            {
                Person(db, charter, masters, key, faker, now, index);
            }

            db.Journal.Add(new JournalEntry { At = now.UtcDateTime, Actor = "demo", Action = "demo.seed", Outcome = "ok", Detail = $"{ids.Count} synthetic subjects" });
            await db.SaveChangesAsync(cancellationToken);
        }

        return count;
    }

    private static void Person(CharteDb db, Charter charter, MasterKeys masters, SubjectDataKey key, Faker faker, DateTimeOffset now, int index)
    {
        var category = faker.PickRandom(charter.Subjects.AsEnumerable()).Id;
        var first = faker.Name.FirstName();
        var last = faker.Name.LastName();
        var email = faker.Internet.Email(first, last, "demo.invalid", uniqueSuffix: index.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToLowerInvariant();
        var collected = now.AddDays(-faker.Random.Int(1, 6 * 365));
        db.Subjects.Add(new Subject { Id = key.Subject, Pseudonym = Identifiers.Pseudonym(masters, key.Subject), Category = category, CreatedAt = collected.UtcDateTime });
        db.Identifiers.Add(new SubjectIdentifier { SubjectId = key.Subject, Kind = Identifiers.Email, BlindIndex = Identifiers.BlindIndex(masters, Identifiers.Email, email) });

        foreach (var purpose in charter.Purposes.Where(p => p.Subjects.Any(s => s.Id == category)))
        {
            if (purpose.LegalBasis == LegalBasis.Consent)
            {
                if (!faker.Random.Bool(0.6f))
                {
                    continue;
                }

                db.PurposeStates.Add(new PurposeState { SubjectId = key.Subject, Purpose = purpose.Id, ConsentGivenAt = collected.UtcDateTime, UpdatedAt = collected.UtcDateTime });
            }

            foreach (var item in purpose.Data)
            {
                foreach (var leaf in Leaves(charter, item.Category.Id).Take(3))
                {
                    var value = Value(leaf, faker, first, last, email);
                    var id = Guid.CreateVersion7(now);
                    db.Records.Add(new DataRecord
                    {
                        Id = id,
                        SubjectId = key.Subject,
                        Purpose = purpose.Id,
                        Category = leaf,
                        Value = key.SealRecord(id, JsonSerializer.SerializeToUtf8Bytes(value)),
                        KeyVersion = key.Version,
                        Source = YamlNames.Of(item.Source ?? DataSource.Provided),
                        CollectedAt = collected.UtcDateTime,
                        UpdatedAt = collected.UtcDateTime,
                    });
                }
            }
        }

        db.Events.Add(new SubjectEvent { SubjectId = key.Subject, Event = BuiltInEvents.LastContact, OccurredAt = collected.AddDays(faker.Random.Int(0, 300)).UtcDateTime, RecordedAt = now.UtcDateTime });
    }

    /// <summary>The most specific categories under one a purpose names: <c>contact</c> gives <c>contact.email</c>, <c>contact.phone</c>…</summary>
    private static IEnumerable<string> Leaves(Charter charter, string category)
    {
        var children = charter.Categories.All.Where(c => c.ParentId == category).Select(c => c.Id).ToList();
        return children.Count == 0 ? [category] : children.SelectMany(c => Leaves(charter, c));
    }

    private static string Value(string category, Faker faker, string first, string last, string email) => category switch
    {
        "identity.name" => $"{first} {last}",
        "identity.birth" => faker.Date.Past(60, DateTime.UnixEpoch.AddYears(35)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        "contact.email" => email,
        "contact.phone" => "+33 6 " + faker.Random.ReplaceNumbers("## ## ## ##"),
        "contact.postal_address" => $"{faker.Address.StreetAddress()}, {faker.Address.ZipCode()} {faker.Address.City()}",
        _ when category.StartsWith("financial.iban", StringComparison.Ordinal) => "FR76 " + faker.Random.ReplaceNumbers("#### #### #### #### #### ###"),
        _ => $"demo {category} {faker.Random.AlphaNumeric(8)}",
    };
}
