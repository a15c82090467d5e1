using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Charte.Hosting;
using Charte.Keys;
using Charte.Storage;
using Microsoft.EntityFrameworkCore;

namespace Charte.Vault;

/// <summary>The vault API through HTTP, the same suite on SQLite and on PostgreSQL. Every test starts its own server and store.</summary>
public abstract class VaultApiTests(StoreKind kind)
{
    private const string Customers = "customer_management";   // contract: identity.name, contact, financial.iban…
    private const string Newsletter = "newsletter_customers"; // legitimate interests: identity.name, contact.email
    private const string Prospects = "newsletter_prospects";  // consent: contact.email, identity.name
    private const string Email = "jeanne.martin@demo.invalid";
    private const string Iban = "FR76 3000 6000 0112 3456 7890 189";

    protected StoreKind Kind { get; } = kind;

    [Fact]
    public async Task Read_UnderAPurposeThatLacksTheCategory_IsRefused_AndNothingOfAnotherPurposeLeaks()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers, Newsletter);
        var subject = await CreateSubjectAsync(app);
        await WriteAsync(app, subject, Customers, ("contact.email", Email), ("financial.iban", Iban));

        var refused = await app.GetAsync($"/api/v1/subjects/{subject}/data?purpose={Newsletter}&category=financial.iban");
        var underB = await ReadAsync(app, subject, Newsletter);
        var underA = await ReadAsync(app, subject, Customers);

        await AssertProblemAsync(refused, HttpStatusCode.Forbidden, "category-not-in-purpose");
        Assert.Empty(underB.GetProperty("records").EnumerateArray());
        Assert.Equal([Iban, Email], underA.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("value").GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ManyReadsAtOnce_OfManySubjectsUnderTwoPurposes_EachGetItsOwnSubjectsData()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers, Newsletter);
        var people = new List<(Guid Id, string Email)>();
        for (var i = 0; i < 12; i++)
        {
            var email = $"person{i}@demo.invalid";
            var id = await CreateSubjectAsync(app, identifier: email);
            await WriteAsync(app, id, Customers, ("contact.email", email), ("financial.iban", $"FR76 0000 {i:D4}"));
            await WriteAsync(app, id, Newsletter, ("contact.email", email));
            if (i % 3 == 0)
            {
                await UploadAsync(app, id, Customers, "commercial.contracts", $"contrat-{i}.pdf", Encoding.UTF8.GetBytes($"contrat {i}"));
            }

            people.Add((id, email));
        }

        var erased = people[^1];
        Assert.Equal(HttpStatusCode.OK, (await app.DeleteAsync($"/api/v1/subjects/{erased.Id}")).StatusCode);
        var unknown = Guid.CreateVersion7();

        // Reads of every kind in one burst, so that the server batches them together: each answer must be its own.
        var reads = Enumerable.Range(0, 240).Select(n => (Person: n % 14 == 13 ? (unknown, "") : people[n % 12], Purpose: n % 2 == 0 ? Customers : Newsletter)).ToList();
        var answers = await Task.WhenAll(reads.Select(r => app.GetAsync($"/api/v1/subjects/{r.Person.Item1}/data?purpose={r.Purpose}")));

        for (var n = 0; n < reads.Count; n++)
        {
            var ((id, email), purpose) = reads[n];
            if (id == unknown)
            {
                await AssertProblemAsync(answers[n], HttpStatusCode.NotFound, "subject-not-found");
                continue;
            }

            if (id == erased.Id)
            {
                await AssertProblemAsync(answers[n], HttpStatusCode.Gone, "subject-shredded");
                continue;
            }

            Assert.Equal(HttpStatusCode.OK, answers[n].StatusCode);
            var data = await answers[n].Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(id, data.GetProperty("subject").GetGuid());
            Assert.Equal(purpose, data.GetProperty("purpose").GetString());
            Assert.Equal(email, Value(data, "contact.email"));
            var index = people.FindIndex(p => p.Id == id);
            Assert.Equal(purpose == Customers ? $"FR76 0000 {index:D4}" : null, Value(data, "financial.iban"));
            Assert.Equal(purpose == Customers && index % 3 == 0 ? [$"contrat-{index}.pdf"] : [],
                data.GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("name").GetString()).ToArray());
        }
    }

    [Fact]
    public async Task AReadUnderLoad_SeesEveryWriteAcknowledgedBeforeItWasSent()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);
        var other = await CreateSubjectAsync(app, identifier: "other@demo.invalid");
        await WriteAsync(app, other, Customers, ("contact.email", "other@demo.invalid"));
        using var stop = new CancellationTokenSource();
        var load = Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                Assert.Equal(HttpStatusCode.OK, (await app.GetAsync($"/api/v1/subjects/{other}/data?purpose={Customers}", CancellationToken.None)).StatusCode);
            }
        }));

        for (var i = 0; i < 25; i++)
        {
            var email = $"jeanne.{i}@demo.invalid";
            await WriteAsync(app, subject, Customers, ("contact.email", email));
            Assert.Equal(email, Value(await ReadAsync(app, subject, Customers), "contact.email"));
        }

        await stop.CancelAsync();
        await load;
    }

    [Fact]
    public async Task ApiKey_WithoutThePurpose_IsRefusedToWriteAndToRead()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var billing = await host.ClientAsync(Customers);
        var marketing = await host.ClientAsync(Newsletter);
        var subject = await CreateSubjectAsync(billing);
        await WriteAsync(billing, subject, Customers, ("financial.iban", Iban));

        var read = await marketing.GetAsync($"/api/v1/subjects/{subject}/data?purpose={Customers}");
        var write = await marketing.PutAsJsonAsync($"/api/v1/subjects/{subject}/records", Records(Customers, ("financial.iban", "FR00")));

        await AssertProblemAsync(read, HttpStatusCode.Forbidden, "purpose-not-granted");
        await AssertProblemAsync(write, HttpStatusCode.Forbidden, "purpose-not-granted");
        Assert.Equal(Iban, Value(await ReadAsync(billing, subject, Customers), "financial.iban"));
    }

    [Theory]
    [InlineData("restricted", "processing-restricted")]
    [InlineData("objected", "objection")]
    public async Task RestrictionOrObjection_BlocksReads_UntilLifted(string flag, string rule)
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);
        await WriteAsync(app, subject, Customers, ("contact.email", Email));

        var set = await app.PutAsJsonAsync($"/api/v1/subjects/{subject}/purposes/{Customers}", new Dictionary<string, bool> { [flag] = true });
        var whileSet = await app.GetAsync($"/api/v1/subjects/{subject}/data?purpose={Customers}");
        var writeWhileSet = await app.PutAsJsonAsync($"/api/v1/subjects/{subject}/records", Records(Customers, ("contact.email", "other@demo.invalid")));
        await app.PutAsJsonAsync($"/api/v1/subjects/{subject}/purposes/{Customers}", new Dictionary<string, bool> { [flag] = false });

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        await AssertProblemAsync(whileSet, HttpStatusCode.Forbidden, rule);
        await AssertProblemAsync(writeWhileSet, HttpStatusCode.Forbidden, rule);
        Assert.Equal(Email, Value(await ReadAsync(app, subject, Customers), "contact.email"));
    }

    [Fact]
    public async Task ConsentPurpose_IsReadableOnlyWhileConsentIsGiven()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Prospects);
        var subject = await CreateSubjectAsync(app, "prospect");

        var before = await app.PutAsJsonAsync($"/api/v1/subjects/{subject}/records", Records(Prospects, ("contact.email", Email)));
        await app.PutAsJsonAsync($"/api/v1/subjects/{subject}/purposes/{Prospects}", new { consent = true });
        await WriteAsync(app, subject, Prospects, ("contact.email", Email));
        var given = await ReadAsync(app, subject, Prospects);
        await app.PutAsJsonAsync($"/api/v1/subjects/{subject}/purposes/{Prospects}", new { consent = false });
        var withdrawn = await app.GetAsync($"/api/v1/subjects/{subject}/data?purpose={Prospects}");

        await AssertProblemAsync(before, HttpStatusCode.Forbidden, "consent-missing");
        Assert.Equal(Email, Value(given, "contact.email"));
        await AssertProblemAsync(withdrawn, HttpStatusCode.Forbidden, "consent-missing");
    }

    [Fact]
    public async Task Consent_OnAPurposeThatDoesNotRestOnConsent_IsRejected()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);

        var response = await app.PutAsJsonAsync($"/api/v1/subjects/{subject}/purposes/{Customers}", new { consent = true });

        await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "consent-not-the-basis");
    }

    [Fact]
    public async Task Write_IsAllOrNothing_WhenOneCategoryIsRefused()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Newsletter);
        var subject = await CreateSubjectAsync(app);

        var response = await app.PutAsJsonAsync($"/api/v1/subjects/{subject}/records", Records(Newsletter, ("contact.email", Email), ("financial.iban", Iban)));

        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "category-not-in-purpose");
        Assert.Empty((await ReadAsync(app, subject, Newsletter)).GetProperty("records").EnumerateArray());
    }

    [Fact]
    public async Task ConcurrentFirstWrites_OfOneRecordAndOnePurposeStatus_AllSucceed_AndLeaveOneRowEach()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);

        var writes = Enumerable.Range(0, 24).Select(i => app.PutAsJsonAsync($"/api/v1/subjects/{subject}/records", Records(Customers, ("contact.email", $"v{i}@demo.invalid"))));
        var statuses = Enumerable.Range(0, 24).Select(i => app.PutAsJsonAsync($"/api/v1/subjects/{subject}/purposes/{Customers}", new { restricted = false }));
        var responses = await Task.WhenAll(writes.Concat(statuses));

        foreach (var response in responses)
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        await using var db = await CharteDb.Factory(host.Store).CreateDbContextAsync();
        Assert.Equal(1, await db.Records.CountAsync(r => r.SubjectId == subject && r.Category == "contact.email"));
        Assert.Equal(1, await db.PurposeStates.CountAsync(p => p.SubjectId == subject && p.Purpose == Customers));
    }

    [Fact]
    public async Task Writes_RacingAnErasure_EitherLandBeforeItAndAreErased_OrAreRefused410_NothingOutlivesTheReceipt()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        for (var round = 0; round < 5; round++)
        {
            var subject = await CreateSubjectAsync(app);
            await app.PutAsJsonAsync($"/api/v1/subjects/{subject}/records", Records(Customers, ("contact.email", "first@demo.invalid")));

            var writes = Enumerable.Range(0, 16).Select(i => (i % 3) switch
            {
                0 => app.PutAsJsonAsync($"/api/v1/subjects/{subject}/records", Records(Customers, ($"identity.name", $"Name {i}"))),
                1 => app.PostAsJsonAsync($"/api/v1/subjects/{subject}/events", new { @event = "last_contact", purpose = Customers }),
                _ => app.PutAsJsonAsync($"/api/v1/subjects/{subject}/purposes/{Customers}", new { objected = false }),
            }).ToList();
            var erase = app.DeleteAsync($"/api/v1/subjects/{subject}");
            var responses = await Task.WhenAll(writes.Append(erase));

            Assert.Equal(HttpStatusCode.OK, (await erase).StatusCode);
            foreach (var response in responses)
            {
                Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.Gone, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            await using var db = await CharteDb.Factory(host.Store).CreateDbContextAsync();
            Assert.Equal(0, await db.Records.CountAsync(r => r.SubjectId == subject));
            Assert.Equal(0, await db.Events.CountAsync(e => e.SubjectId == subject));
            Assert.Equal(0, await db.PurposeStates.CountAsync(p => p.SubjectId == subject));
        }
    }

    [Fact]
    public async Task Write_Twice_UpdatesTheRecord_AndKeepsWhenItWasCollected()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);
        await WriteAsync(app, subject, Customers, ("contact.email", Email));
        host.Clock.Advance(TimeSpan.FromDays(3));

        await WriteAsync(app, subject, Customers, ("contact.email", "new@demo.invalid"));
        var record = (await ReadAsync(app, subject, Customers)).GetProperty("records")[0];

        Assert.Equal("new@demo.invalid", record.GetProperty("value").GetString());
        Assert.Equal(TestHost.Start, record.GetProperty("collectedAt").GetDateTimeOffset());
        Assert.Equal(TestHost.Start.AddDays(3), record.GetProperty("updatedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task StructuredValues_RoundTrip()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);
        var address = new { street = "12 rue de la Paix", postcode = "75002", city = "Paris" };

        var response = await app.PutAsJsonAsync($"/api/v1/subjects/{subject}/records", new { purpose = Customers, records = new[] { new { category = "contact.postal_address", value = (object)address, source = "provided" } } });
        var read = await ReadAsync(app, subject, Customers);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("75002", read.GetProperty("records")[0].GetProperty("value").GetProperty("postcode").GetString());
    }

    [Fact]
    public async Task Subject_IsFoundByItsNormalisedEmail_AndCreatingItAgainReturnsTheSameSubject()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);

        var found = await app.PostAsJsonAsync("/api/v1/subjects/search", new { kind = "email", value = "  Jeanne.MARTIN@demo.invalid " });
        var again = await app.PostAsJsonAsync("/api/v1/subjects", new { identifiers = new { email = "JEANNE.martin@demo.invalid", phone = "06 12 34 56 78" } });
        var byPhone = await app.PostAsJsonAsync("/api/v1/subjects/search", new { kind = "phone", value = "+33612345678" });
        var unknown = await app.PostAsJsonAsync("/api/v1/subjects/search", new { kind = "email", value = "nobody@demo.invalid" });

        Assert.Equal(subject, (await found.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(subject, (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
        Assert.Equal(subject, (await byPhone.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
        await AssertProblemAsync(unknown, HttpStatusCode.NotFound, "subject-not-found");
    }

    [Theory]
    [InlineData("application/pdf", "application/pdf")]
    [InlineData("text/plain; charset=utf-8", "text/plain; charset=utf-8")]
    [InlineData(null, "application/octet-stream")]
    [InlineData("../../x", null)]
    [InlineData("text/*", null)]
    [InlineData("application/pdf\"<script>", null)]
    public async Task ADocumentsMediaType_IsServedBack_OnlyWhenItIsOne(string? declared, string? served)
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);
        var file = new ByteArrayContent("contrat"u8.ToArray());
        if (declared is not null)
        {
            file.Headers.TryAddWithoutValidation("Content-Type", declared);
        }

        var form = new MultipartFormDataContent { { new StringContent(Customers), "purpose" }, { new StringContent("commercial.contracts"), "category" }, { file, "file", "contrat.pdf" } };
        var response = await app.PostAsync($"/api/v1/subjects/{subject}/documents", form);

        if (served is null)
        {
            await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "invalid-document");
            Assert.StartsWith("the file's media type", await DetailAsync(response), StringComparison.Ordinal);
            await using var db = await CharteDb.Factory(host.Store).CreateDbContextAsync();
            Assert.Equal(0, await db.Documents.CountAsync());
            return;
        }

        var document = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var read = await app.GetAsync($"/api/v1/subjects/{subject}/documents/{document}?purpose={Customers}");
        Assert.Equal(served, read.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task Document_RoundTrips_WithItsDigest_AndACorruptedCopyIsNeverServed()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);
        var content = Encoding.UTF8.GetBytes("Contrat de service n° 42 — Jeanne Martin");
        var stored = await UploadAsync(app, subject, Customers, "commercial.contracts", "contrat-jeanne-martin.pdf", content);
        var document = stored.GetProperty("id").GetGuid();

        var first = await app.GetAsync($"/api/v1/subjects/{subject}/documents/{document}?purpose={Customers}");
        await using (var db = await CharteDb.Factory(host.Store).CreateDbContextAsync())
        {
            var row = await db.DocumentContents.SingleAsync(c => c.DocumentId == document);
            row.Content[^1] ^= 0x01;
            db.Entry(row).Property(c => c.Content).IsModified = true;
            await db.SaveChangesAsync();
        }

        var second = await app.GetAsync($"/api/v1/subjects/{subject}/documents/{document}?purpose={Customers}");

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), stored.GetProperty("sha256").GetString());
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(content, await first.Content.ReadAsByteArrayAsync());
        Assert.Equal($"sha-256=:{Convert.ToBase64String(SHA256.HashData(content))}:", first.Headers.GetValues("Repr-Digest").Single());
        Assert.Equal("contrat-jeanne-martin.pdf", first.Content.Headers.ContentDisposition?.FileNameStar ?? first.Content.Headers.ContentDisposition?.FileName);
        Assert.Equal("attachment", first.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("default-src 'none'; sandbox", first.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", first.Headers.GetValues("X-Content-Type-Options").Single());
        await AssertProblemAsync(second, HttpStatusCode.Conflict, "integrity-failure");
        Assert.Contains(await JournalAsync(host), j => j.Action == "document.read" && j.Outcome == "failed:integrity");
    }

    [Theory]
    [InlineData("altered ciphertext")]
    [InlineData("sealed value that is not JSON")]
    public async Task Record_ThatFailsItsIntegrityCheck_IsNeverServed(string damage)
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);
        await WriteAsync(app, subject, Customers, ("contact.email", Email));
        var key = await new SubjectKeys(KeyStoreDb.Factory(host.Store), host.Keys, host.Clock, TimeSpan.Zero).FindAsync(subject, CancellationToken.None);
        await using (var db = await CharteDb.Factory(host.Store).CreateDbContextAsync())
        {
            var row = await db.Records.SingleAsync(r => r.SubjectId == subject);
            row.Value = damage == "altered ciphertext" ? [.. row.Value[..^1], (byte)(row.Value[^1] ^ 0x01)] : key!.SealRecord(row.Id, "{\"email\": "u8.ToArray());
            await db.SaveChangesAsync();
        }

        var response = await app.GetAsync($"/api/v1/subjects/{subject}/data?purpose={Customers}");

        await AssertProblemAsync(response, HttpStatusCode.Conflict, "integrity-failure");
        Assert.DoesNotContain("email", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(await JournalAsync(host), j => j.Action == "record.read" && j.Outcome == "failed:integrity");
    }

    [Fact]
    public async Task PersonalData_IsAnsweredNotToBeCached_AndNotToBeSniffed_ProblemsToo()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);

        var data = await app.GetAsync($"/api/v1/subjects/{subject}/data?purpose={Customers}");
        var problem = await app.GetAsync($"/api/v1/subjects/{subject}/data?purpose=telepathy");
        var health = await app.GetAsync("/healthz");

        foreach (var response in new[] { data, problem })
        {
            Assert.True(response.Headers.CacheControl?.NoStore, $"{(int)response.StatusCode}: Cache-Control {response.Headers.CacheControl}");
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        }

        Assert.Equal("nosniff", health.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task Document_OverTheSizeLimit_IsRefused413_AndNothingIsStored()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);

        var response = await UploadRawAsync(app, subject, Customers, "commercial.contracts", "big.bin", new byte[10 * 1024 * 1024 + 1]);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "document-too-large");
        await using var db = await CharteDb.Factory(host.Store).CreateDbContextAsync();
        Assert.Equal(0, await db.Documents.CountAsync());
    }

    [Fact]
    public async Task Erasure_DestroysTheKey_SoNoCopyOfTheCiphertextDecryptsWithTheRemainingKeys()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var erased = await CreateSubjectAsync(app);
        var kept = await CreateSubjectAsync(app, identifier: "kept@demo.invalid");
        await WriteAsync(app, erased, Customers, ("contact.email", Email), ("financial.iban", Iban));
        await WriteAsync(app, kept, Customers, ("contact.email", "kept@demo.invalid"));
        await UploadAsync(app, erased, Customers, "commercial.contracts", "contrat.pdf", Encoding.UTF8.GetBytes("contrat"));
        var backup = await SnapshotAsync(host, erased);
        var backupFile = await BackupFileAsync(host);

        var response = await app.DeleteAsync($"/api/v1/subjects/{erased}");
        var afterwards = await app.GetAsync($"/api/v1/subjects/{erased}/data?purpose={Customers}");
        var search = await app.PostAsJsonAsync("/api/v1/subjects/search", new { kind = "email", value = Email });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await AssertProblemAsync(afterwards, HttpStatusCode.Gone, "subject-shredded");
        await AssertProblemAsync(search, HttpStatusCode.NotFound, "subject-not-found");
        Assert.Empty((await SnapshotAsync(host, erased)).Records);
        var remaining = await RemainingKeysAsync(host);
        Assert.Contains(remaining, k => k.Subject == kept);
        Assert.DoesNotContain(remaining, k => k.Subject == erased);
        Assert.Equal(2, backup.Records.Count);
        foreach (var (id, keyVersion, value) in backup.Records)
        {
            Assert.All(remaining, key => Assert.ThrowsAny<CryptographicException>(() => key.OpenRecord(id, keyVersion, value)));
        }

        if (backupFile is not null)
        {
            // The copy of the database file taken before erasure still holds the ciphertext, and nothing opens it.
            var copy = await CopiedRecordsAsync(backupFile, erased);
            Assert.Equal(2, copy.Count);
            foreach (var (id, keyVersion, value) in copy)
            {
                Assert.All(remaining, key => Assert.ThrowsAny<CryptographicException>(() => key.OpenRecord(id, keyVersion, value)));
            }
        }

        Assert.Equal("kept@demo.invalid", Value(await ReadAsync(app, kept, Customers), "contact.email"));
    }

    [Fact]
    public async Task Erasure_ByAnApplicationThatLacksOneOfTheSubjectsPurposes_IsRefused()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var billing = await host.ClientAsync(Customers);
        var marketing = await host.ClientAsync(Newsletter);
        var subject = await CreateSubjectAsync(billing);
        await WriteAsync(billing, subject, Customers, ("contact.email", Email));

        var response = await marketing.DeleteAsync($"/api/v1/subjects/{subject}");

        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "purpose-not-granted");
        Assert.Equal(Email, Value(await ReadAsync(billing, subject, Customers), "contact.email"));
    }

    [Fact]
    public async Task Import_CreatesEveryPersonOfTheFile_InOneTransaction_FindableAndReadable()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var lines = string.Join("\n", Enumerable.Range(0, 3).Select(i => JsonSerializer.Serialize(new
        {
            identifiers = new { email = $"Person{i}@Demo.invalid" },
            category = "customer",
            purpose = Customers,
            records = new[] { new { category = "identity.name", value = $"Person {i}" }, new { category = "contact.email", value = $"person{i}@demo.invalid" } },
            events = new[] { new { @event = "last_contact" } },
        }))) + "\n";

        var response = await app.PostAsync("/api/v1/import", new StringContent(lines, Encoding.UTF8, "application/x-ndjson"));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var found = await app.PostAsJsonAsync("/api/v1/subjects/search", new { kind = "email", value = "person1@demo.invalid" });
        var subject = (await found.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal((3, 6), (body.GetProperty("subjects").GetInt32(), body.GetProperty("records").GetInt32()));
        Assert.Equal(body.GetProperty("ids")[1].GetGuid(), subject);
        Assert.Equal("Person 1", Value(await ReadAsync(app, subject, Customers), "identity.name"));
        var journal = await JournalAsync(host);
        Assert.Equal(3, journal.Count(j => j.Action == "subject.import"));
        Assert.DoesNotContain(journal, j => (j.Detail ?? "").Contains("demo.invalid", StringComparison.OrdinalIgnoreCase));
        await using var db = await CharteDb.Factory(host.Store).CreateDbContextAsync();
        Assert.Equal(3, await db.Events.CountAsync(e => e.Event == "last_contact"));
    }

    [Theory]
    [InlineData("unknown category", "{\"purpose\":\"customer_management\",\"records\":[{\"category\":\"identity.aura\",\"value\":1}]}", "unknown-category")]
    [InlineData("category of another purpose", "{\"purpose\":\"customer_management\",\"records\":[{\"category\":\"communications.call_recording\",\"value\":1}]}", "category-not-in-purpose")]
    [InlineData("malformed JSON", "{\"purpose\":", "malformed-json")]
    [InlineData("invalid e-mail", "{\"identifiers\":{\"email\":\"not-an-address\"},\"purpose\":\"customer_management\",\"records\":[{\"category\":\"identity.name\",\"value\":\"x\"}]}", "invalid-identifier")]
    [InlineData("same person twice", "{\"identifiers\":{\"email\":\"first@demo.invalid\"},\"purpose\":\"customer_management\",\"records\":[{\"category\":\"identity.name\",\"value\":\"x\"}]}", "duplicate-identifier")]
    [InlineData("event on a default date", "{\"purpose\":\"customer_management\",\"records\":[{\"category\":\"identity.name\",\"value\":\"x\"}],\"events\":[{\"event\":\"last_contact\",\"at\":\"0001-01-01T00:00:00Z\"}]}", "event-too-early")]
    [InlineData("event under a purpose the charter lacks", "{\"purpose\":\"customer_management\",\"records\":[{\"category\":\"identity.name\",\"value\":\"x\"}],\"events\":[{\"event\":\"last_contact\",\"purpose\":\"x\\u0000y\"}]}", "unknown-purpose")]
    [InlineData("event under a purpose the application lacks", "{\"purpose\":\"customer_management\",\"records\":[{\"category\":\"identity.name\",\"value\":\"x\"}],\"events\":[{\"event\":\"death\",\"purpose\":\"newsletter_customers\"}]}", "purpose-not-granted")]
    [InlineData("collected on a default date", "{\"purpose\":\"customer_management\",\"records\":[{\"category\":\"identity.name\",\"value\":\"x\",\"collectedAt\":\"0001-01-01T00:00:00Z\"}]}", "collected-too-early")]
    [InlineData("person already in the vault", "{\"identifiers\":{\"email\":\"jeanne.martin@demo.invalid\"},\"purpose\":\"customer_management\",\"records\":[{\"category\":\"identity.name\",\"value\":\"x\"}]}", "already-known")]
    public async Task Import_WithABadSecondLine_SaysWhichLine_AndWritesNothing(string why, string secondLine, string type)
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        await CreateSubjectAsync(app);
        var before = await CountsAsync(host);
        var first = "{\"identifiers\":{\"email\":\"first@demo.invalid\"},\"purpose\":\"customer_management\",\"records\":[{\"category\":\"identity.name\",\"value\":\"First\"}]}";

        var response = await app.PostAsync("/api/v1/import", new StringContent(first + "\n" + secondLine + "\n", Encoding.UTF8, "application/x-ndjson"));

        var status = type switch
        {
            "category-not-in-purpose" or "purpose-not-granted" => HttpStatusCode.Forbidden,
            "malformed-json" => HttpStatusCode.BadRequest,
            _ => HttpStatusCode.UnprocessableEntity,
        };
        await AssertProblemAsync(response, status, type, why);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, problem.GetProperty("line").GetInt32());
        Assert.StartsWith("line 2: ", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        if (type is "unknown-category" or "category-not-in-purpose")
        {
            // A refusal of the access rule says which rule, for which purpose and category, as the per-subject route does.
            Assert.Equal((type, "customer_management"), (problem.GetProperty("rule").GetString(), problem.GetProperty("purpose").GetString()));
            Assert.False(string.IsNullOrEmpty(problem.GetProperty("category").GetString()));
        }

        Assert.Equal(before, await CountsAsync(host));
    }

    [Fact]
    public async Task Import_OfALineWithAnImpossibleDate_NamesTheFieldAndTheFormItExpects()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var line = "{\"purpose\":\"customer_management\",\"records\":[{\"category\":\"identity.name\",\"value\":\"x\"}],\"events\":[{\"event\":\"last_contact\",\"at\":\"2025-02-29T10:00:00Z\"}]}";

        var response = await app.PostAsync("/api/v1/import", new StringContent(line + "\n", Encoding.UTF8, "application/x-ndjson"));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "malformed-json");
        Assert.Equal("line 1: not valid JSON for an import line: the value is not a date and time (ISO 8601, such as 2026-11-23T09:30:00+01:00) at column 148 (field $.events[0].at)",
            (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Import_OfAFileSavedAsLatin1_IsRefusedAtItsFirstSuchLine_AndAUtf8FileWithAByteOrderMarkIsImported()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var before = await CountsAsync(host);
        string Line(string email, string name) =>
            $"{{\"identifiers\":{{\"email\":\"{email}\"}},\"purpose\":\"customer_management\",\"records\":[{{\"category\":\"identity.name\",\"value\":\"{name}\"}}]}}\n";
        var latin1 = Encoding.UTF8.GetBytes(Line("first@demo.invalid", "Anne")).Concat(Encoding.Latin1.GetBytes(Line("second@demo.invalid", "José García"))).ToArray();

        var refused = await app.PostAsync("/api/v1/import", new ByteArrayContent(latin1) { Headers = { ContentType = new("application/x-ndjson") } });
        var withMark = await app.PostAsync("/api/v1/import", new ByteArrayContent([.. Encoding.UTF8.Preamble, .. Encoding.UTF8.GetBytes(Line("third@demo.invalid", "José García"))]) { Headers = { ContentType = new("application/x-ndjson") } });

        await AssertProblemAsync(refused, HttpStatusCode.BadRequest, "malformed-json");
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, problem.GetProperty("line").GetInt32());
        Assert.Equal("line 2: not UTF-8 text: the byte at column 131 starts no UTF-8 character (an import is UTF-8)", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Created, withMark.StatusCode);
        var id = (await withMark.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ids")[0].GetGuid();
        var read = await ReadAsync(app, id, Customers);
        Assert.Contains("José García", read.GetRawText().Replace("\\u00E9", "é", StringComparison.Ordinal).Replace("\\u00ED", "í", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(before.Subjects + 1, (await CountsAsync(host)).Subjects);
    }

    [Fact]
    public async Task Import_OfNothing_OrNotNdjson_IsAClearProblem()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);

        await AssertProblemAsync(await app.PostAsync("/api/v1/import", new StringContent("\n\n", Encoding.UTF8, "application/x-ndjson")), HttpStatusCode.UnprocessableEntity, "empty-import");
        await AssertProblemAsync(await app.PostAsJsonAsync("/api/v1/import", new { purpose = Customers }), HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
    }

    [Fact]
    public async Task Journal_HoldsEveryWriteReadAndRefusal_WithoutPersonalData()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers, Newsletter);
        var subject = await CreateSubjectAsync(app);
        await WriteAsync(app, subject, Customers, ("contact.email", Email), ("financial.iban", Iban));
        await ReadAsync(app, subject, Customers);
        await app.GetAsync($"/api/v1/subjects/{subject}/data?purpose={Newsletter}&category=financial.iban");
        await app.PostAsJsonAsync($"/api/v1/subjects/{subject}/events", new { @event = "last_contact" });

        var journal = await JournalAsync(host);

        Assert.Equal(
            ["subject.create ok", "record.write ok", "record.read ok", "record.read refused:category-not-in-purpose", "event.record ok"],
            journal.Where(j => j.Actor.StartsWith("app:", StringComparison.Ordinal)).Select(j => $"{j.Action} {j.Outcome}"));
        var pseudonym = Identifiers.Pseudonym(host.Keys, subject);
        Assert.All(journal.Where(j => j.Subject is not null), j => Assert.Equal(pseudonym, j.Subject));
        var text = string.Join("\n", journal.Select(j => $"{j.Actor}|{j.Action}|{j.Subject}|{j.Purpose}|{j.Outcome}|{j.Detail}"));
        Assert.DoesNotContain("jeanne", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("FR76", text, StringComparison.Ordinal);
        Assert.DoesNotContain(subject.ToString(), text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task NamesTheCharterDoesNotHave_AreRefused_WithoutBeingJournaled_AndANulByteFailsNobodyElse()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);
        await WriteAsync(app, subject, Customers, ("contact.email", Email));
        var data = $"/api/v1/subjects/{subject}/data";

        // A client that puts personal data (or a NUL byte) where a purpose or a category goes, while others read.
        var others = Enumerable.Range(0, 40).Select(_ => app.GetAsync($"{data}?purpose={Customers}")).ToList();
        var unknown = new[]
        {
            app.GetAsync($"{data}?purpose={Customers}&category={Uri.EscapeDataString(Email)}"),
            app.GetAsync($"{data}?purpose={Uri.EscapeDataString(Email)}"),
            app.GetAsync($"{data}?purpose={Customers}&category=%00contact"),
            app.GetAsync($"{data}?purpose=customer%00management"),
            app.PutAsJsonAsync($"/api/v1/subjects/{subject}/records", Records(Customers, (Email, "x"))),
            app.PutAsJsonAsync($"/api/v1/subjects/{subject}/records", Records("x\u0000" + Email, ("contact.email", "x"))),
        };
        var elsewhere = new[]
        {
            app.PostAsJsonAsync($"/api/v1/subjects/{subject}/events", new { @event = "last_contact", purpose = "x\u0000" }),
            app.PutAsJsonAsync($"/api/v1/subjects/{subject}/purposes/x%00y", new { restricted = true }),
            app.PostAsync($"/api/v1/subjects/{subject}/documents", new MultipartFormDataContent { { new StringContent("x\u0000"), "purpose" }, { new StringContent("commercial.contracts"), "category" }, { new ByteArrayContent("x"u8.ToArray()), "file", "x.pdf" } }),
            app.PostAsJsonAsync($"/api/v1/subjects/{subject}/archive", new { purpose = "x\u0000", reason = "court case 2026-113, request of the judge" }),
            app.PostAsJsonAsync("/api/v1/subjects/search", new { kind = "email\u0000", value = Email }),
            app.GetAsync($"/api/v1/subjects/{subject}/documents/{Guid.NewGuid()}?purpose=customer%00management"),
        };

        foreach (var response in await Task.WhenAll(unknown))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        }

        foreach (var response in await Task.WhenAll(elsewhere))
        {
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{response.RequestMessage!.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        Assert.All(await Task.WhenAll(others), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var journal = await JournalAsync(host);
        var text = string.Join("\n", journal.Select(j => $"{j.Purpose}|{j.Detail}"));
        Assert.DoesNotContain("jeanne", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain('\0', text);
        var refused = journal.Where(j => j.Action.StartsWith("record.", StringComparison.Ordinal) && j.Outcome is "refused:unknown-purpose" or "refused:unknown-category").ToList();
        Assert.Equal(6, refused.Count);
        Assert.All(refused, j => Assert.Null(j.Detail));
        Assert.Equal(2, refused.Count(j => j.Purpose == Customers && j.Action == "record.read"));
        Assert.Equal(1, refused.Count(j => j.Purpose == Customers && j.Action == "record.write"));
        Assert.Equal(3, refused.Count(j => j.Purpose is null));
    }

    [Fact]
    public async Task AJournalEntryTheStoreRefuses_FailsOnlyItsOwnRequest_NotTheOthersOfItsBatch()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var journal = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Journal.JournalWriter>(host.Services);
        Journal.JournalEntry Entry(string detail) => new() { At = TestHost.Start.UtcDateTime, Actor = "test", Action = "test.append", Outcome = "ok", Detail = detail };

        // PostgreSQL refuses a NUL byte in text; SQLite stores it. Either way, the entries around it are committed.
        var good = Enumerable.Range(0, 30).Select(i => journal.AppendAsync(Entry($"entry {i}"), CancellationToken.None)).ToList();
        var odd = journal.AppendAsync(Entry("a\0b"), CancellationToken.None);
        good.AddRange(Enumerable.Range(30, 30).Select(i => journal.AppendAsync(Entry($"entry {i}"), CancellationToken.None)));

        var ids = await Task.WhenAll(good);
        Assert.Equal(60, ids.Distinct().Count());
        Assert.Equal(ids.Order(), ids);
        if (Kind == StoreKind.PostgreSql)
        {
            await Assert.ThrowsAnyAsync<Npgsql.PostgresException>(() => odd);
        }
        else
        {
            Assert.Contains(await odd, (await JournalAsync(host)).Select(j => j.Id));
        }

        Assert.Equal(60, (await JournalAsync(host)).Count(j => j.Action == "test.append" && j.Detail!.StartsWith("entry ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task EventsAndStatusChanges_RefusedForTheirPurpose_AreJournaledAsEveryRefusal()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);

        var eventNotGranted = await app.PostAsJsonAsync($"/api/v1/subjects/{subject}/events", new { @event = "last_contact", purpose = Newsletter });
        var statusNotGranted = await app.PutAsJsonAsync($"/api/v1/subjects/{subject}/purposes/{Newsletter}", new { objected = true });
        var eventUnknown = await app.PostAsJsonAsync($"/api/v1/subjects/{subject}/events", new { @event = "last_contact", purpose = Email });
        var statusOfNobody = await app.PutAsJsonAsync($"/api/v1/subjects/{Guid.NewGuid()}/purposes/{Newsletter}", new { objected = true });

        await AssertProblemAsync(eventNotGranted, HttpStatusCode.Forbidden, "purpose-not-granted");
        await AssertProblemAsync(statusNotGranted, HttpStatusCode.Forbidden, "purpose-not-granted");
        await AssertProblemAsync(eventUnknown, HttpStatusCode.UnprocessableEntity, "unknown-purpose");
        await AssertProblemAsync(statusOfNobody, HttpStatusCode.NotFound, "subject-not-found");
        var pseudonym = Identifiers.Pseudonym(host.Keys, subject);
        Assert.Equal(
            [$"event.record {pseudonym} {Newsletter} refused:purpose-not-granted", $"purpose.status {pseudonym} {Newsletter} refused:purpose-not-granted", $"event.record {pseudonym}  refused:unknown-purpose"],
            (await JournalAsync(host)).Where(j => j.Outcome.StartsWith("refused:", StringComparison.Ordinal)).Select(j => $"{j.Action} {j.Subject} {j.Purpose} {j.Outcome}"));
    }

    [Fact]
    public async Task Writes_ReturnTheirJournalIndex()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);

        var written = await (await app.PutAsJsonAsync($"/api/v1/subjects/{subject}/records", Records(Customers, ("contact.email", Email)))).Content.ReadFromJsonAsync<JsonElement>();

        var index = written.GetProperty("journal").GetInt64();
        var entry = (await JournalAsync(host)).Single(j => j.Id == index);
        Assert.Equal("record.write", entry.Action);
        Assert.Equal("1 records: contact.email", entry.Detail);
    }

    [Fact]
    public async Task Events_MustBeDeclaredInTheCharter_AndInThePast()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);

        var known = await app.PostAsJsonAsync($"/api/v1/subjects/{subject}/events", new { @event = "contract_end", purpose = Customers, at = TestHost.Start.AddDays(-2) });
        var unknown = await app.PostAsJsonAsync($"/api/v1/subjects/{subject}/events", new { @event = "birthday" });
        var future = await app.PostAsJsonAsync($"/api/v1/subjects/{subject}/events", new { @event = "last_contact", at = TestHost.Start.AddDays(1) });
        var defaultDate = await app.PostAsJsonAsync($"/api/v1/subjects/{subject}/events", new { @event = "last_contact", at = default(DateTimeOffset) });
        var firstDay = await app.PostAsJsonAsync($"/api/v1/subjects/{subject}/events", new { @event = "death", at = new DateTimeOffset(1900, 1, 1, 12, 0, 0, TimeSpan.Zero) });

        Assert.Equal(HttpStatusCode.Created, known.StatusCode);
        await AssertProblemAsync(unknown, HttpStatusCode.UnprocessableEntity, "unknown-event");
        await AssertProblemAsync(future, HttpStatusCode.UnprocessableEntity, "event-in-future");
        await AssertProblemAsync(defaultDate, HttpStatusCode.UnprocessableEntity, "event-too-early");
        Assert.Equal("at is before 1900-01-01: is it a default date sent by mistake? Give the day it happened",
            (await defaultDate.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Created, firstDay.StatusCode);
        await using var db = await CharteDb.Factory(host.Store).CreateDbContextAsync();
        Assert.Equal([new DateTime(1900, 1, 1, 12, 0, 0, DateTimeKind.Utc), TestHost.Start.AddDays(-2).UtcDateTime], await db.Events.Select(e => e.OccurredAt).OrderBy(d => d).ToListAsync());
    }

    /// <summary>
    /// Valid bodies of every JSON route (and of an NDJSON import) damaged as hands and broken clients damage them (a character added, removed or
    /// replaced by a JSON-significant one, the body cut short): each answer is a success or a problem+json 4xx, never
    /// a 5xx. Seeded, so a failure replays.
    /// </summary>
    [Fact]
    public async Task DamagedBodies_OfEveryJsonRoute_AreAnsweredWithA4xxProblem_NeverA5xx()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);
        (string Method, string Path, string Body)[] routes =
        [
            ("POST", "/api/v1/subjects", "{\"identifiers\":{\"email\":\"fuzz@demo.invalid\",\"phone\":\"+33612345678\"},\"category\":\"customer\"}"),
            ("PUT", $"/api/v1/subjects/{subject}/records", "{\"purpose\":\"customer_management\",\"records\":[{\"category\":\"contact.email\",\"value\":{\"a\":[1,2.5,true,null,\"x\"]},\"source\":\"provided\",\"collectedAt\":\"2026-01-02T03:04:05+01:00\"}]}"),
            ("POST", $"/api/v1/subjects/{subject}/events", "{\"event\":\"contract_end\",\"purpose\":\"customer_management\",\"at\":\"2026-01-02T03:04:05Z\"}"),
            ("POST", "/api/v1/subjects/search", "{\"kind\":\"email\",\"value\":\"fuzz@demo.invalid\"}"),
            ("PUT", $"/api/v1/subjects/{subject}/purposes/{Customers}", "{\"restricted\":false,\"objected\":false}"),
            ("POST", $"/api/v1/subjects/{subject}/archive", "{\"purpose\":\"customer_management\",\"reason\":\"court case 2026-113\"}"),
            ("POST", "/api/v1/import", "{\"identifiers\":{\"email\":\"a@demo.invalid\"},\"category\":\"customer\",\"purpose\":\"customer_management\",\"records\":[{\"category\":\"identity.name\",\"value\":\"A\"}],\"events\":[{\"event\":\"contract_end\",\"at\":\"2026-01-02T03:04:05Z\"}]}\n"
                + "{\"identifiers\":{\"phone\":\"+33612345678\"},\"purpose\":\"customer_management\",\"records\":[{\"category\":\"contact.email\",\"value\":{\"x\":[1]}}]}\n"),
        ];
        var random = new Random(20261123);
        const string Significant = "{}[]:,\"\\ \n0-.eE+tfnu\u00e9\ud83d";
        var failures = new List<string>();
        var answered = new HashSet<int>();
        foreach (var (method, path, body) in routes)
        {
            for (var i = 0; i < 60; i++)
            {
                var at = random.Next(body.Length);
                var damaged = random.Next(4) switch
                {
                    0 => body[..at],
                    1 => body.Remove(at, 1),
                    2 => body.Insert(at, Significant[random.Next(Significant.Length)].ToString()),
                    _ => body.Remove(at, 1).Insert(at, Significant[random.Next(Significant.Length)].ToString()),
                };
                var media = path.EndsWith("/import", StringComparison.Ordinal) ? "application/x-ndjson" : "application/json";
                using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(damaged, Encoding.UTF8, media) };
                using var response = await app.SendAsync(request);
                var status = (int)response.StatusCode;
                answered.Add(status / 100);
                if (status >= 500 || (status >= 400 && response.Content.Headers.ContentType?.MediaType != "application/problem+json"))
                {
                    failures.Add($"{method} {path} {damaged} → {status} {await response.Content.ReadAsStringAsync()}");
                }
            }
        }

        Assert.Empty(failures);
        Assert.Equal([2, 4], answered.Order()); // some damage leaves a valid body (a space added): both kinds of answer were met
    }

    public static TheoryData<string, string, string, string, int, string> BadRequests => new()
    {
        // name, method, path, body (or @N for N bytes), expected status, expected type
        { "malformed JSON", "PUT", "/records", "{\"purpose\": \"customer_management\", ", 400, "malformed-json" },
        { "wrong type", "PUT", "/records", "{\"purpose\": 12, \"records\": []}", 400, "malformed-json" },
        { "unknown field", "PUT", "/records", "{\"purpose\": \"customer_management\", \"records\": [], \"extra\": 1}", 400, "malformed-json" },
        { "missing field", "PUT", "/records", "{\"records\": []}", 400, "malformed-json" },
        { "JSON null", "PUT", "/records", "null", 400, "invalid-request" },
        { "empty body", "PUT", "/records", "", 400, "malformed-json" },
        { "empty records", "PUT", "/records", "{\"purpose\": \"customer_management\", \"records\": []}", 422, "no-records" },
        { "null value", "PUT", "/records", "{\"purpose\": \"customer_management\", \"records\": [{\"category\": \"contact.email\", \"value\": null}]}", 422, "invalid-record" },
        { "duplicate category", "PUT", "/records", "{\"purpose\": \"customer_management\", \"records\": [{\"category\": \"contact.email\", \"value\": \"a\"}, {\"category\": \"contact.email\", \"value\": \"b\"}]}", 422, "duplicate-category" },
        { "bad source", "PUT", "/records", "{\"purpose\": \"customer_management\", \"records\": [{\"category\": \"contact.email\", \"value\": \"a\", \"source\": \"guessed\"}]}", 422, "invalid-source" },
        { "unknown purpose", "PUT", "/records", "{\"purpose\": \"telepathy\", \"records\": [{\"category\": \"contact.email\", \"value\": \"a\"}]}", 422, "unknown-purpose" },
        { "unknown category", "PUT", "/records", "{\"purpose\": \"customer_management\", \"records\": [{\"category\": \"contact.aura\", \"value\": \"a\"}]}", 422, "unknown-category" },
        { "huge body", "PUT", "/records", "@2000000", 413, "body-too-large" },
        { "huge value", "PUT", "/records", "#70000", 422, "value-too-large" },
        { "read without purpose", "GET", "/data", "", 400, "purpose-required" },
        { "read unknown purpose", "GET", "/data?purpose=telepathy", "", 422, "unknown-purpose" },
        { "read for two purposes at once", "GET", "/data?purpose=customer_management&purpose=newsletter_customers", "", 400, "invalid-parameter" },
        { "invalid email", "POST", "/../../subjects", "{\"identifiers\": {\"email\": \"not-an-email\"}}", 422, "invalid-identifier" },
        { "unknown identifier kind", "POST", "/../../subjects", "{\"identifiers\": {\"passport\": \"X\"}}", 422, "invalid-identifier" },
        { "unknown subject category", "POST", "/../../subjects", "{\"category\": \"martian\"}", 422, "unknown-subject-category" },
        { "not JSON", "POST", "/../../subjects", "text:hello", 415, "unsupported-media-type" },
        { "document as JSON", "POST", "/documents", "{}", 415, "unsupported-media-type" },
        { "value not UTF-8", "PUT", "/records", "latin1:{\"purpose\": \"customer_management\", \"records\": [{\"category\": \"contact.email\", \"value\": \"josé@demo.invalid\"}]}", 400, "malformed-json" },
        { "field not UTF-8", "POST", "/../../subjects", "latin1:{\"category\": \"customér\"}", 400, "malformed-json" },
        { "multipart without a boundary", "POST", "/documents", "multipart:abc", 400, "invalid-request" },
        { "lone surrogate in a value", "PUT", "/records", "{\"purpose\": \"customer_management\", \"records\": [{\"category\": \"contact.email\", \"value\": {\"a\": [\"ok\", \"\\ud800\"]}}]}", 422, "invalid-record" },
        { "lone surrogate in a field", "PUT", "/records", "{\"purpose\": \"\\udc00\", \"records\": []}", 400, "malformed-json" },
        { "field twice", "PUT", "/records", "{\"purpose\": \"customer_management\", \"purpose\": \"newsletter_customers\", \"records\": [{\"category\": \"contact.email\", \"value\": \"a\"}]}", 400, "malformed-json" },
        { "control character in an e-mail", "POST", "/../../subjects", "{\"identifiers\": {\"email\": \"a\\u0000b@demo.invalid\"}}", 422, "invalid-identifier" },
        { "collected on a default date", "PUT", "/records", "{\"purpose\": \"customer_management\", \"records\": [{\"category\": \"contact.email\", \"value\": \"a\", \"collectedAt\": \"0001-01-01T00:00:00+00:00\"}]}", 422, "collected-too-early" },
        { "event on a default date", "POST", "/events", "{\"event\": \"last_contact\", \"at\": \"0001-01-01T00:00:00-14:00\"}", 422, "event-too-early" },
        { "event out of the calendar", "POST", "/events", "{\"event\": \"last_contact\", \"at\": \"0001-01-01T00:00:00+14:00\"}", 400, "malformed-json" },
    };

    [Theory]
    [InlineData("{\"purpose\": \"customer_management\", \"records\": [{\"category\": \"contact.email\", \"value\": {\"a\": [\"ok\", \"\\ud800\"]}}]}",
        "records[0].value.a[1]: a string holds half of a UTF-16 surrogate pair (an escaped \\uD800–\\uDFFF alone), which is not text")]
    [InlineData("{\"purpose\": \"\\udc00\", \"records\": []}",
        "a string holds half of a UTF-16 surrogate pair (an escaped \\uD800–\\uDFFF alone), which is not text at line 1, column 21 (field $.purpose)")]
    [InlineData("{\"purpose\": \"customer_management\", \"purpose\": \"newsletter_customers\", \"records\": []}",
        "a field appears twice in one object at line 1, column 46 (field $.purpose)")]
    [InlineData("[{\"purpose\": \"customer_management\"}]", "the body is not an object (JSON) at line 1, column 2")]
    [InlineData("{\"purpose\": 12, \"records\": []}",
        "the value is not a string at line 1, column 15 (field $.purpose)")]
    [InlineData("{\"purpose\": \"customer_management\", \"records\": {}}",
        "the value is not an array at line 1, column 48 (field $.records)")]
    [InlineData("{\"purpose\": \"customer_management\", \"records\": [{\"category\": \"contact.email\", \"value\": \"a\", \"collectedAt\": \"2024-02-30T10:00:00Z\"}]}",
        "the value is not a date and time (ISO 8601, such as 2026-11-23T09:30:00+01:00) at line 1, column 129 (field $.records[0].collectedAt)")]
    [InlineData("{\"purpose\": \"customer_management\", \"records\": [{\"category\": \"contact.email\", \"value\": \"a\", \"collectedAt\": 1732000000}]}",
        "the value is not a date and time (ISO 8601, such as 2026-11-23T09:30:00+01:00) at line 1, column 117 (field $.records[0].collectedAt)")]
    public async Task TextThatIsNotText_AFieldGivenTwice_OrAValueNotOfItsForm_AreNamedWhereTheyAre(string body, string detail)
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);

        var response = await app.PutAsync($"/api/v1/subjects/{subject}/records", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(detail, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task AnIdentifierGivenTwice_IsNamed_NotCalledMalformed()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);

        var response = await app.PostAsync("/api/v1/subjects", new StringContent("{\"identifiers\": {\"email\": \"a@demo.invalid\", \"email\": \"b@demo.invalid\"}}", Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "malformed-json");
        var detail = await DetailAsync(response);
        Assert.StartsWith("a field appears twice in one object at line 1", detail, StringComparison.Ordinal);
        Assert.EndsWith("(field $.identifiers.email)", detail, StringComparison.Ordinal);
        Assert.Equal(0, (await CountsAsync(host)).Subjects);
    }

    [Theory]
    [InlineData("a URL of 9 KiB", 9 * 1024, 0, 0, 414, "uri-too-long")]
    [InlineData("a URL of 60 KiB", 60 * 1024, 0, 0, 414, "uri-too-long")]
    [InlineData("one header of 40 KiB", 0, 1, 40 * 1024, 431, "headers-too-large")]
    [InlineData("150 small headers", 0, 150, 10, 431, "headers-too-large")]
    [InlineData("a URL and headers within the limits", 7 * 1024, 90, 300, 200, null)]
    public async Task RequestsOverTheSizeLimits_GetAProblem_NotAnEmptyAnswer(string why, int urlBytes, int headers, int headerBytes, int status, string? type)
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);
        var path = $"/api/v1/subjects/{subject}/data?purpose={Customers}";
        using var request = new HttpRequestMessage(HttpMethod.Get, path + (urlBytes > 0 ? "&pad=" + new string('x', urlBytes - path.Length - 5) : ""));
        for (var i = 0; i < headers; i++)
        {
            request.Headers.Add($"X-Pad-{i}", new string('x', headerBytes));
        }

        var response = await app.SendAsync(request);

        if (type is null)
        {
            Assert.True(response.StatusCode == (HttpStatusCode)status, why);
            return;
        }

        await AssertProblemAsync(response, (HttpStatusCode)status, type, why);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadInput_GetsAProblemWithAStableType_AndWritesNothing(string name, string method, string path, string body, int status, string type)
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);
        var before = await CountsAsync(host);
        var url = new Uri(app.BaseAddress!, $"/api/v1/subjects/{subject}{path}".Replace($"/{subject}/../../subjects", "", StringComparison.Ordinal));

        using var request = new HttpRequestMessage(new HttpMethod(method), url) { Content = Body(body) };
        var response = await app.SendAsync(request);

        await AssertProblemAsync(response, (HttpStatusCode)status, type, name);
        var after = await CountsAsync(host);
        Assert.Equal(before.Records, after.Records);
        Assert.Equal(before.Subjects, after.Subjects);
    }

    [Theory]
    [InlineData(null, "api-key-missing")]
    [InlineData("Basic dXNlcjpwYXNz", "api-key-malformed")]
    [InlineData("Bearer charte_000000000000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "api-key-unknown")]
    [InlineData("Bearer not-a-key", "api-key-malformed")]
    public async Task Request_WithoutAValidKey_Is401(string? authorization, string type)
    {
        await using var host = await TestHost.StartAsync(Kind);
        var client = host.Anonymous();
        if (authorization is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        var response = await client.PostAsJsonAsync("/api/v1/subjects", new { });

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, type);
    }

    [Fact]
    public async Task RevokedKey_Is401_AtOnce()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);
        await using (var db = await CharteDb.Factory(host.Store).CreateDbContextAsync())
        {
            await db.ApiKeys.ExecuteUpdateAsync(k => k.SetProperty(x => x.RevokedAt, host.Clock.GetUtcNow().UtcDateTime));
        }

        var response = await app.GetAsync($"/api/v1/subjects/{subject}/data?purpose={Customers}");

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "api-key-revoked");
    }

    [Fact]
    public async Task UnknownSubject_Is404_AndAMalformedIdIsNamedAsSuch_WithoutBeingEchoed()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var app = await host.ClientAsync(Customers);
        var subject = await CreateSubjectAsync(app);

        var unknown = await app.GetAsync($"/api/v1/subjects/{Guid.NewGuid()}/data?purpose={Customers}");
        var email = await app.GetAsync($"/api/v1/subjects/jeanne.martin@demo.invalid/data?purpose={Customers}");
        var document = await app.GetAsync($"/api/v1/subjects/{subject}/documents/42?purpose={Customers}");
        var entry = await app.GetAsync("/api/v1/ledger/entries/last/proof");
        var route = await app.GetAsync("/api/v1/nothing-here");

        await AssertProblemAsync(unknown, HttpStatusCode.NotFound, "subject-not-found");
        await AssertProblemAsync(email, HttpStatusCode.NotFound, "subject-not-found");
        var detail = await DetailAsync(email);
        Assert.StartsWith("the subject id in the path is not a UUID", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("jeanne", detail, StringComparison.Ordinal);
        await AssertProblemAsync(document, HttpStatusCode.NotFound, "document-not-found");
        Assert.StartsWith("the document id in the path is not a UUID", await DetailAsync(document), StringComparison.Ordinal);
        await AssertProblemAsync(entry, HttpStatusCode.NotFound, "entry-not-found");
        Assert.StartsWith("the entry id in the path is not a whole number", await DetailAsync(entry), StringComparison.Ordinal);
        await AssertProblemAsync(route, HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Health_Readiness_AndOpenApi_AreServed()
    {
        await using var host = await TestHost.StartAsync(Kind);
        var client = host.Anonymous();

        var health = await client.GetStringAsync("/healthz");
        var ready = await client.GetStringAsync("/readyz");
        var openapi = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var reference = await client.GetAsync("/api/");

        Assert.Equal("ok", health);
        Assert.Equal("ready", ready);
        Assert.True(openapi.GetProperty("paths").TryGetProperty("/api/v1/subjects/{id}/data", out _));
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
    }

    // ——— helpers ———

    internal static async Task<Guid> CreateSubjectAsync(HttpClient app, string category = "customer", string identifier = Email)
    {
        var response = await app.PostAsJsonAsync("/api/v1/subjects", new { identifiers = new { email = identifier }, category });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    internal static object Records(string purpose, params (string Category, string Value)[] records) =>
        new { purpose, records = records.Select(r => new { category = r.Category, value = r.Value }).ToArray() };

    internal static async Task WriteAsync(HttpClient app, Guid subject, string purpose, params (string Category, string Value)[] records)
    {
        var response = await app.PutAsJsonAsync($"/api/v1/subjects/{subject}/records", Records(purpose, records));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    internal static async Task<JsonElement> ReadAsync(HttpClient app, Guid subject, string purpose)
    {
        var response = await app.GetAsync($"/api/v1/subjects/{subject}/data?purpose={purpose}");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static string? Value(JsonElement data, string category) =>
        data.GetProperty("records").EnumerateArray().Where(r => r.GetProperty("category").GetString() == category).Select(r => r.GetProperty("value").GetString()).SingleOrDefault();

    private static async Task<JsonElement> UploadAsync(HttpClient app, Guid subject, string purpose, string category, string name, byte[] content)
    {
        var response = await UploadRawAsync(app, subject, purpose, category, name, content);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static Task<HttpResponseMessage> UploadRawAsync(HttpClient app, Guid subject, string purpose, string category, string name, byte[] content)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent(purpose), "purpose" },
            { new StringContent(category), "category" },
            { new ByteArrayContent(content), "file", name },
        };
        return app.PostAsync($"/api/v1/subjects/{subject}/documents", form);
    }

    private static HttpContent? Body(string body) => body switch
    {
        "" => new StringContent("", Encoding.UTF8, "application/json"),
        ['@', .. var size] => new StringContent("{\"purpose\": \"" + new string('x', int.Parse(size, System.Globalization.CultureInfo.InvariantCulture)) + "\"}", Encoding.UTF8, "application/json"),
        ['#', .. var size] => new StringContent("{\"purpose\": \"customer_management\", \"records\": [{\"category\": \"contact.email\", \"value\": \"" + new string('x', int.Parse(size, System.Globalization.CultureInfo.InvariantCulture)) + "\"}]}", Encoding.UTF8, "application/json"),
        ['t', 'e', 'x', 't', ':', .. var text] => new StringContent(text, Encoding.UTF8, "text/plain"),
        ['l', 'a', 't', 'i', 'n', '1', ':', .. var text] => new ByteArrayContent(Encoding.Latin1.GetBytes(text)) { Headers = { ContentType = new("application/json") } },
        ['m', 'u', 'l', 't', 'i', 'p', 'a', 'r', 't', ':', .. var text] => new ByteArrayContent(Encoding.UTF8.GetBytes(text)) { Headers = { ContentType = new("multipart/form-data") } },
        _ => new StringContent(body, Encoding.UTF8, "application/json"),
    };

    internal static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type, string? because = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{because}: expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Problems.Prefix + type, JsonDocument.Parse(text).RootElement.GetProperty("type").GetString());
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;

    private static async Task<List<Journal.JournalEntry>> JournalAsync(TestHost host)
    {
        await using var db = await CharteDb.Factory(host.Store).CreateDbContextAsync();
        return await db.Journal.OrderBy(j => j.Id).ToListAsync();
    }

    private static async Task<(int Subjects, int Records)> CountsAsync(TestHost host)
    {
        await using var db = await CharteDb.Factory(host.Store).CreateDbContextAsync();
        return (await db.Subjects.CountAsync(), await db.Records.CountAsync());
    }

    private sealed record Snapshot(List<(Guid Id, int KeyVersion, byte[] Value)> Records);

    /// <summary>What a dump of the data store holds for one subject: its ciphertexts, with the ids they are bound to.</summary>
    private static async Task<Snapshot> SnapshotAsync(TestHost host, Guid subject)
    {
        await using var db = await CharteDb.Factory(host.Store).CreateDbContextAsync();
        var records = await db.Records.Where(r => r.SubjectId == subject).Select(r => new { r.Id, r.KeyVersion, r.Value }).ToListAsync();
        return new Snapshot([.. records.Select(r => (r.Id, r.KeyVersion, r.Value))]);
    }

    /// <summary>A backup of the SQLite data file (VACUUM INTO), as an operator would take it; null on PostgreSQL.</summary>
    private static async Task<string?> BackupFileAsync(TestHost host)
    {
        if (host.Store.SqlitePath is not { } path)
        {
            return null;
        }

        var copy = path + ".backup";
        await using var db = await CharteDb.Factory(host.Store).CreateDbContextAsync();
        await db.Database.ExecuteSqlAsync($"VACUUM INTO {copy}");
        return copy;
    }

    private static async Task<List<(Guid, int, byte[])>> CopiedRecordsAsync(string file, Guid subject)
    {
        await using var db = await CharteDb.Factory(StoreLocation.Parse("sqlite:" + file)).CreateDbContextAsync();
        var records = await db.Records.Where(r => r.SubjectId == subject).Select(r => new { r.Id, r.KeyVersion, r.Value }).ToListAsync();
        return [.. records.Select(r => (r.Id, r.KeyVersion, r.Value))];
    }

    /// <summary>Every data key left in the key store, unwrapped with the master keys: all an attacker with the keys could use.</summary>
    private static async Task<List<SubjectDataKey>> RemainingKeysAsync(TestHost host)
    {
        var keys = new SubjectKeys(KeyStoreDb.Factory(host.Store), host.Keys, host.Clock, TimeSpan.Zero);
        await using var db = await KeyStoreDb.Factory(host.Store).CreateDbContextAsync();
        var subjects = await db.SubjectKeys.Select(k => k.SubjectId).ToListAsync();
        var found = new List<SubjectDataKey>();
        foreach (var subject in subjects)
        {
            found.Add((await keys.FindAsync(subject, CancellationToken.None))!);
        }

        return found;
    }
}

public sealed class VaultApiOnSqlite() : VaultApiTests(StoreKind.Sqlite);

public sealed class VaultApiOnPostgreSql() : VaultApiTests(StoreKind.PostgreSql);
