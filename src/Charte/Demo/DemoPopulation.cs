using System.Text.Json;
using Bogus;
using Charte.Charters;
using Charte.Journal;
using Charte.Keys;
using Charte.Retention;
using Charte.Storage;
using Charte.Vault;
using Microsoft.EntityFrameworkCore.Storage;

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
            var ids = Enumerable.Range(0, Math.Min(batch, count - start)).Select(_ => PublicRandom.Version7(now)).ToList();
            var dataKeys = await keys.CreateManyAsync(ids, cancellationToken);

            // The import's bulk rows (prepared inserts on SQLite, unnest on PostgreSQL): EF Core's change tracker took
            // most of the demo's start for these few tens of thousands of rows.
            var people = new People();
            foreach (var (key, index) in dataKeys.Select((k, i) => (k, start + i)))
            {
                Person(people, charter, masters, key, faker, now, index);
            }

            await using var db = await databases.CreateDbContextAsync(cancellationToken);
            var connection = await Sql.OpenAsync(db, cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var raw = transaction.GetDbTransaction();
            foreach (var rows in people.All)
            {
                await rows.WriteAsync(connection, raw, cancellationToken);
            }

            await JournalWriter.InsertAsync(connection, raw, [new JournalEntry { At = now.UtcDateTime, Actor = "demo", Action = "demo.seed", Outcome = "ok", Detail = $"{ids.Count} synthetic subjects" }], cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        return count;
    }

    /// <summary>A batch of people as the rows of each table, in the order their foreign keys need.</summary>
    private sealed class People
    {
        public BulkRows Subjects { get; } = new("subjects", "id", "pseudonym", "category", "created_at");
        public BulkRows Identifiers { get; } = new("subject_identifiers", "blind_index", "kind", "subject_id");
        public BulkRows PurposeStates { get; } = new("purpose_states", "subject_id", "purpose", "restricted", "objected", "consent_given_at", "updated_at");
        public BulkRows Records { get; } = new("records", "id", "subject_id", "purpose", "category", "value", "key_version", "source", "collected_at", "updated_at");
        public BulkRows Events { get; } = new("subject_events", "subject_id", "event", "occurred_at", "recorded_at");

        public IEnumerable<BulkRows> All => [Subjects, Identifiers, PurposeStates, Records, Events];
    }

    private static void Person(People people, Charter charter, MasterKeys masters, SubjectDataKey key, Faker faker, DateTimeOffset now, int index)
    {
        var category = faker.PickRandom(charter.Subjects.AsEnumerable()).Id;
        var first = faker.Name.FirstName();
        var last = faker.Name.LastName();
        var email = faker.Internet.Email(first, last, "demo.invalid", uniqueSuffix: index.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToLowerInvariant();
        var collected = now.AddDays(-faker.Random.Int(1, 6 * 365));
        people.Subjects.Add(key.Subject, Identifiers.Pseudonym(masters, key.Subject), category, collected.UtcDateTime);
        people.Identifiers.Add(Identifiers.BlindIndex(masters, Identifiers.Email, email), Identifiers.Email, key.Subject);

        foreach (var purpose in charter.Purposes.Where(p => p.Subjects.Any(s => s.Id == category)))
        {
            if (purpose.LegalBasis == LegalBasis.Consent)
            {
                if (!faker.Random.Bool(0.6f))
                {
                    continue;
                }

                people.PurposeStates.Add(key.Subject, purpose.Id, false, false, collected.UtcDateTime, collected.UtcDateTime);
            }

            foreach (var item in purpose.Data)
            {
                foreach (var leaf in Leaves(charter, item.Category.Id).Take(3))
                {
                    var value = Value(leaf, faker, first, last, email);
                    var id = PublicRandom.Version7(now);
                    people.Records.Add(id, key.Subject, purpose.Id, leaf, key.SealRecord(id, JsonSerializer.SerializeToUtf8Bytes(value)), key.Version,
                        YamlNames.Of(item.Source ?? DataSource.Provided), collected.UtcDateTime, collected.UtcDateTime);
                }
            }
        }

        people.Events.Add(key.Subject, BuiltInEvents.LastContact, collected.AddDays(faker.Random.Int(0, 300)).UtcDateTime, now.UtcDateTime);
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
