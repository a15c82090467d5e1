using System.Globalization;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Charte.Demo;
using Charte.Hosting;
using Charte.Keys;
using Charte.Storage;
using Charte.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Charte.Retention;

/// <summary>
/// The retention engine over a demo population and a few people written through the API, with a fake clock moved
/// across eleven years: at each step exactly the records the clock says are archived or gone, held ones stay, and
/// the ledger has an entry for each action whose counts add up to what was done. Same suite on SQLite and PostgreSQL.
/// </summary>
public abstract partial class RetentionEngineTests(StoreKind kind)
{
    [Fact]
    public async Task OverElevenYears_ExactlyWhatIsDueGoes_HeldDataStays_AndTheLedgerAccountsForEachAction()
    {
        await using var host = await TestHost.StartAsync(kind);
        await DemoPopulation.SeedAsync(host.Charter, host.Store, host.Keys, host.Clock, 120, 7, CancellationToken.None);
        var app = await host.ClientAsync([.. host.Charter.Purposes.Select(p => p.Id)]);
        var held = await VaultApiTests.CreateSubjectAsync(app, "customer", "held@demo.invalid");
        await VaultApiTests.WriteAsync(app, held, "customer_management", ("identity.name", "Held Person"), ("financial.iban", "FR76 3000 6000 0112 3456 7890 189"));
        await app.PostAsJsonAsync($"/api/v1/subjects/{held}/events", new { @event = "contract_end" });
        var prospect = await VaultApiTests.CreateSubjectAsync(app, "prospect", "prospect@demo.invalid");
        await VaultApiTests.WriteAsync(app, prospect, "prospect_file", ("contact.email", "prospect@demo.invalid"));
        await app.PostAsJsonAsync($"/api/v1/subjects/{prospect}/events", new { @event = "last_contact" });
        var hold = new LegalHold { Id = Guid.NewGuid(), SubjectId = held, Reason = "dispute", CreatedAt = host.Clock.GetUtcNow().UtcDateTime };
        await using (var db = await CharteDb.Factory(host.Store).CreateDbContextAsync())
        {
            db.Holds.Add(hold);
            await db.SaveChangesAsync();
        }

        var engine = new RetentionEngine(host.Store, host.Charter, host.Services.GetRequiredService<SubjectKeys>(), host.Clock);
        var start = host.Clock.GetUtcNow();
        long accounted = 0;
        foreach (var offset in new[] { TimeSpan.Zero, TimeSpan.FromDays(183), TimeSpan.FromDays(366), TimeSpan.FromDays(3 * 366), TimeSpan.FromDays(5 * 366 + 2), TimeSpan.FromDays(11 * 366) })
        {
            host.Clock.SetUtcNow(start + offset);
            var after = await RunAndCheckAsync(host, engine, [hold], accounted);
            accounted = after.Accounted;
            Assert.Contains(after.Items, i => i.Subject == held && i.Category == "identity.name");
            Assert.Contains(after.Items, i => i.Subject == held && i.Category == "financial.iban");
        }

        // Eleven years on, everyone but the held customer has been shredded: no key, no data, a tombstone.
        await using var check = await CharteDb.Factory(host.Store).CreateDbContextAsync();
        var remaining = await check.Subjects.Where(s => s.ShreddedAt == null).Select(s => s.Id).ToListAsync();
        Assert.Contains(held, remaining);
        foreach (var subject in remaining.Where(s => s != held))
        {
            Assert.True(await check.Records.AnyAsync(r => r.SubjectId == subject), $"subject {subject} has nothing left but was not shredded");
        }

        // The prospect, whose only data was its prospect file, was shredded once that was deleted.
        Assert.True(await check.Subjects.AnyAsync(s => s.Id == prospect && s.ShreddedAt != null));
        Assert.Null(await host.Services.GetRequiredService<SubjectKeys>().FindAsync(prospect, CancellationToken.None));
        Assert.True(await check.Journal.CountAsync(j => j.Action == "retention.shred") > 0);
        Assert.True(await check.AnonymousRecords.CountAsync() > 0, "statistics kept as anonymous counts");
    }

    [Fact]
    public async Task ArchivedRecords_LeaveNormalUse_AndOnlyAnArchivistWithAReasonReadsThem_InTheLedger()
    {
        await using var host = await TestHost.StartAsync(kind);
        var app = await host.ClientAsync("customer_management");
        var archivist = await host.ArchivistAsync("customer_management");
        var subject = await VaultApiTests.CreateSubjectAsync(app, "customer", "archived@demo.invalid");
        await VaultApiTests.WriteAsync(app, subject, "customer_management", ("identity.name", "Jeanne Archive"), ("contact.email", "archived@demo.invalid"));
        await app.PostAsJsonAsync($"/api/v1/subjects/{subject}/events", new { @event = "contract_end" });
        host.Clock.Advance(TimeSpan.FromDays(1));
        var run = await new RetentionEngine(host.Store, host.Charter, host.Services.GetRequiredService<SubjectKeys>(), host.Clock).RunAsync(host.Clock.GetUtcNow(), false, null, CancellationToken.None);

        var normal = await VaultApiTests.ReadAsync(app, subject, "customer_management");
        var oneCategory = await app.GetAsync($"/api/v1/subjects/{subject}/data?purpose=customer_management&category=identity.name");
        var notArchivist = await app.PostAsJsonAsync($"/api/v1/subjects/{subject}/archive", new { purpose = "customer_management", reason = "litigation 2026-118 before the tribunal" });
        var noReason = await archivist.PostAsJsonAsync($"/api/v1/subjects/{subject}/archive", new { purpose = "customer_management", reason = "because" });
        var opened = await archivist.PostAsJsonAsync($"/api/v1/subjects/{subject}/archive", new { purpose = "customer_management", reason = "litigation 2026-118 before the tribunal" });

        Assert.Equal(2, run.Archived);
        Assert.Empty(normal.GetProperty("records").EnumerateArray());
        await VaultApiTests.AssertProblemAsync(oneCategory, System.Net.HttpStatusCode.Forbidden, "archived");
        await VaultApiTests.AssertProblemAsync(notArchivist, System.Net.HttpStatusCode.Forbidden, "archivist-only");
        await VaultApiTests.AssertProblemAsync(noReason, System.Net.HttpStatusCode.UnprocessableEntity, "reason-required");
        Assert.Equal(System.Net.HttpStatusCode.OK, opened.StatusCode);
        var body = await opened.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal(["Jeanne Archive", "archived@demo.invalid"], body.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("value").GetString()).Order(StringComparer.Ordinal));
        await using var db = await CharteDb.Factory(host.Store).CreateDbContextAsync();
        var entry = await db.Journal.SingleAsync(j => j.Id == body.GetProperty("journal").GetInt64());
        Assert.Equal(("archive.read", "ok"), (entry.Action, entry.Outcome));
        var archiving = await db.Journal.SingleAsync(j => j.Action == "retention.archive");
        Assert.StartsWith("2 items: contact.email, identity.name; rule: ", archiving.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("litigation", entry.Detail, StringComparison.Ordinal);
        Assert.Contains("reason sealed", entry.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anonymisation_KeepsOnlyWhatSinglesNoOneOut_UnlinkedFromThePerson()
    {
        // Secufor's charter, with customer contract data anonymised instead of deleted after its archive.
        var yaml = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "examples", "secufor.charte.yaml"));
        var purpose = yaml.IndexOf("  - id: customer_management", StringComparison.Ordinal);
        var then = yaml.IndexOf("then: delete", purpose, StringComparison.Ordinal);
        yaml = yaml[..then] + "then: anonymise" + yaml[(then + "then: delete".Length)..];
        var data = yaml.IndexOf("    data:\n", purpose, StringComparison.Ordinal) + "    data:\n".Length;
        yaml = yaml[..data] + "      - { category: identity.customer_number, source: provided }\n" + yaml[data..];
        var charter = Charters.CharterLoader.Load(System.Text.Encoding.UTF8.GetBytes(yaml), "anonymising.yaml", TimeProvider.System).Charter!;
        await using var host = await TestHost.StartAsync(kind, charter);
        var app = await host.ClientAsync("customer_management");
        var subject = await VaultApiTests.CreateSubjectAsync(app, "customer", "anon@demo.invalid");
        await VaultApiTests.WriteAsync(app, subject, "customer_management",
            ("identity.name", "Jeanne Anonyme"), ("contact.postal_address", "12 rue Oberkampf, 75011 Paris"), ("identity.customer_number", "C-0042"));
        await app.PostAsJsonAsync($"/api/v1/subjects/{subject}/events", new { @event = "contract_end" });
        var engine = new RetentionEngine(host.Store, host.Charter, host.Services.GetRequiredService<SubjectKeys>(), host.Clock);

        host.Clock.Advance(TimeSpan.FromDays(1));
        var archived = await engine.RunAsync(host.Clock.GetUtcNow(), false, null, CancellationToken.None);
        host.Clock.Advance(TimeSpan.FromDays(5 * 366));
        var anonymised = await engine.RunAsync(host.Clock.GetUtcNow(), false, null, CancellationToken.None);

        Assert.Equal(3, archived.Archived);
        Assert.Equal((3, 1), (anonymised.Anonymised, anonymised.Shredded));
        await using var db = await CharteDb.Factory(host.Store).CreateDbContextAsync();
        var kept = await db.AnonymousRecords.AsNoTracking().OrderBy(a => a.Category).Select(a => new { a.Category, a.Value }).ToListAsync();
        Assert.Equal(["contact.postal_address", "identity.customer_number", "identity.name"], kept.Select(k => k.Category));
        Assert.Equal("\"75\"", kept[0].Value);
        Assert.Matches("^\"p_[0-9a-f]{24}\"$", kept[1].Value!);
        Assert.Null(kept[2].Value);
        Assert.False(await db.Records.AnyAsync(r => r.SubjectId == subject));
        Assert.Equal(1, await db.Journal.CountAsync(j => j.Action == "retention.anonymise"));
    }

    [Fact]
    public async Task ItemsOfOneRule_CollectedOnDifferentDays_OrUnderAHoldOnOneCategory_GoEachOnItsOwnDate()
    {
        // Reviews: 3 years from collection, then deleted. A subject's items under that rule are decided together when
        // the earliest and latest agree; these three people are the cases where they do not, or where a hold splits them.
        await using var host = await TestHost.StartAsync(kind);
        var app = await host.ClientAsync("reviews");
        var (early, whole, held) = (await VaultApiTests.CreateSubjectAsync(app, "customer", "early@demo.invalid"),
            await VaultApiTests.CreateSubjectAsync(app, "customer", "whole@demo.invalid"), await VaultApiTests.CreateSubjectAsync(app, "customer", "held@demo.invalid"));
        await VaultApiTests.WriteAsync(app, early, "reviews", ("communications.feedback", "Great service"));
        await VaultApiTests.WriteAsync(app, whole, "reviews", ("communications.feedback", "Slow answer"), ("identity.name", "Whole Person"));
        await VaultApiTests.WriteAsync(app, held, "reviews", ("communications.feedback", "Fine"), ("identity.name", "Held Name"));
        host.Clock.Advance(TimeSpan.FromDays(2 * 365));
        await VaultApiTests.WriteAsync(app, early, "reviews", ("identity.name", "Later Name"));
        await using (var db = await CharteDb.Factory(host.Store).CreateDbContextAsync())
        {
            db.Holds.Add(new LegalHold { Id = Guid.NewGuid(), SubjectId = held, Category = "identity.name", Reason = "dispute over a review", CreatedAt = host.Clock.GetUtcNow().UtcDateTime });
            await db.SaveChangesAsync();
        }

        host.Clock.Advance(TimeSpan.FromDays(365 + 2));
        var engine = new RetentionEngine(host.Store, host.Charter, host.Services.GetRequiredService<SubjectKeys>(), host.Clock);
        var now = host.Clock.GetUtcNow();
        var plan = await engine.PlanAsync(now, CancellationToken.None);
        var dry = await engine.RunAsync(now, dryRun: true, null, CancellationToken.None);
        var run = await engine.RunAsync(now, dryRun: false, null, CancellationToken.None);

        Assert.Equal((4, 1), (plan.DueNow, plan.Held));
        Assert.Equal((4, 1, 1, 6), (run.Deleted, run.Held, run.Shredded, run.Scanned));
        Assert.Equal((run.Deleted, run.Held, run.Scanned), (dry.Deleted, dry.Held, dry.Scanned));
        await using var check = await CharteDb.Factory(host.Store).CreateDbContextAsync();
        var left = await check.Records.AsNoTracking().Select(r => new { r.SubjectId, r.Category }).ToListAsync();
        Assert.Equal([(early, "identity.name"), (held, "identity.name")], left.Select(r => (r.SubjectId, r.Category)).OrderBy(r => r.Category).ThenBy(r => r.SubjectId == held));
        var shredded = await check.Subjects.AsNoTracking().Where(s => s.ShreddedAt != null).Select(s => s.Id).ToListAsync();
        Assert.Equal([whole], shredded);
        var pseudonyms = await check.Subjects.AsNoTracking().ToDictionaryAsync(s => s.Id, s => s.Pseudonym);
        var entries = await check.Journal.AsNoTracking().Where(j => j.Action.StartsWith("retention.")).ToListAsync();
        string? Detail(Guid subject, string action) => entries.SingleOrDefault(e => e.Subject == pseudonyms[subject] && e.Action == action)?.Detail;
        Assert.StartsWith("1 items: communications.feedback; rule: ", Detail(early, "retention.delete"), StringComparison.Ordinal);
        Assert.StartsWith("2 items: communications.feedback, identity.name; rule: ", Detail(whole, "retention.delete"), StringComparison.Ordinal);
        Assert.StartsWith("1 items: communications.feedback; rule: ", Detail(held, "retention.delete"), StringComparison.Ordinal);
        Assert.NotNull(Detail(whole, "retention.shred"));
        Assert.Equal(4, entries.Count);
    }

    [Fact]
    public async Task RandomStores_EachRunDoesExactlyWhatTheClockSaysOfEachRecord()
    {
        // Records of one or two purposes per person, of their categories (and children of them), collected on days
        // scattered over eight years, several per subject under one rule; events of every kind, for the person or one purpose;
        // holds on a subject, a purpose and a category. A run reads most subjects in groups; whatever it decides must
        // be what the clock says of each record, every time the clock moves on.
        await using var host = await TestHost.StartAsync(kind);
        var random = new Random(20261123);
        var start = host.Clock.GetUtcNow();
        DateTime Day(double yearsBack) => (start - TimeSpan.FromDays(random.NextDouble() * yearsBack * 365.25)).UtcDateTime;
        var purposes = host.Charter.Purposes.Where(p => p.Data.Count > 0).ToList();
        var events = BuiltInEvents.All.Select(e => e.Id).Where(e => e != BuiltInEvents.Collected).Concat(host.Charter.Events.Select(e => e.Id)).Distinct().ToList();
        var subjects = new List<Guid>();
        await using (var db = await CharteDb.Factory(host.Store).CreateDbContextAsync())
        {
            for (var s = 0; s < 100; s++)
            {
                var subject = Guid.CreateVersion7(start);
                subjects.Add(subject);
                db.Subjects.Add(new Subject { Id = subject, Pseudonym = $"s_{s:x24}", Category = host.Charter.Subjects[random.Next(host.Charter.Subjects.Count)].Id, CreatedAt = Day(8) });
                foreach (var purpose in purposes.OrderBy(_ => random.Next()).Take(1 + random.Next(2)))
                {
                    var categories = purpose.Data.Select(d => d.Category.Id).SelectMany(c => new[] { c, c + ".other" }).Where(_ => random.Next(2) == 0).Distinct();
                    foreach (var category in categories)
                    {
                        var collected = Day(8);
                        db.Records.Add(new DataRecord { Id = Guid.NewGuid(), SubjectId = subject, Purpose = purpose.Id, Category = category, Value = [1, 2, 3], KeyVersion = 1, Source = "provided", CollectedAt = collected, UpdatedAt = collected });
                    }
                }

                foreach (var happened in events.Where(_ => random.Next(3) == 0))
                {
                    db.Events.Add(new SubjectEvent { SubjectId = subject, Event = happened, Purpose = random.Next(3) == 0 ? purposes[random.Next(purposes.Count)].Id : null, OccurredAt = Day(6), RecordedAt = start.UtcDateTime });
                }
            }

            await db.SaveChangesAsync();
        }

        List<LegalHold> holds =
        [
            new() { Id = Guid.NewGuid(), SubjectId = subjects[7], Reason = "dispute", CreatedAt = start.UtcDateTime },
            new() { Id = Guid.NewGuid(), Purpose = purposes[1].Id, Reason = "audit of the purpose", CreatedAt = start.UtcDateTime, Until = (start + TimeSpan.FromDays(4 * 365)).UtcDateTime },
            new() { Id = Guid.NewGuid(), SubjectId = subjects[11], Category = purposes[0].Data[0].Category.Id, Reason = "litigation over one kind of data", CreatedAt = start.UtcDateTime },
        ];
        await using (var db = await CharteDb.Factory(host.Store).CreateDbContextAsync())
        {
            db.Holds.AddRange(holds);
            await db.SaveChangesAsync();
        }

        var engine = new RetentionEngine(host.Store, host.Charter, host.Services.GetRequiredService<SubjectKeys>(), host.Clock);
        long accounted = 0;
        foreach (var years in new[] { 0, 1, 2, 3, 5, 7, 11, 32 })
        {
            host.Clock.SetUtcNow(start + TimeSpan.FromDays(years * 365.25 + 1));
            var now = host.Clock.GetUtcNow();
            accounted = (await RunAndCheckAsync(host, engine, [.. holds.Where(h => h.ActiveAt(now))], accounted)).Accounted;
        }

        Assert.True(accounted > 0, "the runs did something");
    }

    /// <summary>
    /// Runs retention now and checks that exactly the records the clock says are due went (or were archived), that the
    /// dry run beforehand said the same, and that the ledger accounts for each; returns what remains and the ledger's
    /// running count.
    /// </summary>
    private static async Task<(List<Row> Items, long Accounted)> RunAndCheckAsync(TestHost host, RetentionEngine engine, List<LegalHold> holds, long accounted)
    {
        var now = host.Clock.GetUtcNow();
        var before = await SnapshotAsync(host);
        var expected = before.Items.ToDictionary(i => i.Id, i => Expect(host, i, before, holds, now));

        var dry = await engine.RunAsync(now, dryRun: true, null, CancellationToken.None);
        var summary = await engine.RunAsync(now, dryRun: false, null, CancellationToken.None);
        var after = await SnapshotAsync(host);

        Assert.Equal(summary with { Shredded = 0, DryRun = true }, dry);
        var gone = before.Items.Select(i => i.Id).Except(after.Items.Select(i => i.Id)).ToHashSet();
        Assert.Equal(expected.Where(e => e.Value is RetentionStep.Delete or RetentionStep.KeepAnonymousStats or RetentionStep.Anonymise).Select(e => e.Key).Order(), gone.Order());
        var archivedNow = after.Items.Where(i => i.Archived && !before.Items.Single(b => b.Id == i.Id).Archived).Select(i => i.Id);
        Assert.Equal(expected.Where(e => e.Value == RetentionStep.Archive).Select(e => e.Key).Order(), archivedNow.Order());

        var entries = await RetentionEntriesAsync(host);
        var done = summary.Archived + summary.Deleted + summary.Anonymised + summary.Counted;
        Assert.Equal(accounted + done, entries);
        return (after.Items, entries);
    }

    private sealed record Snapshot(List<Row> Items, Dictionary<Guid, string?> Categories, Dictionary<Guid, List<EventFact>> Events);

    private sealed record Row(Guid Id, Guid Subject, string Purpose, string Category, DateTimeOffset CollectedAt, bool Archived);

    /// <summary>What the clock says should happen to an item now (null: nothing), holds applied as the engine must.</summary>
    private static RetentionStep? Expect(TestHost host, Row item, Snapshot snapshot, List<LegalHold> holds, DateTimeOffset now)
    {
        var decision = RetentionClock.Decide(host.Charter, new RecordFacts(item.Purpose, item.Category, snapshot.Categories[item.Subject], item.CollectedAt),
            snapshot.Events.GetValueOrDefault(item.Subject) ?? [], now);
        RetentionStep? step = decision.Phase switch
        {
            RetentionPhase.Due when decision.Rule is not null => decision.Step,
            RetentionPhase.Archived when !item.Archived => RetentionStep.Archive,
            _ => null,
        };
        return step is not null and not RetentionStep.Archive && holds.Any(h => h.Covers(item.Subject, item.Purpose, item.Category)) ? null : step;
    }

    private static async Task<Snapshot> SnapshotAsync(TestHost host)
    {
        await using var db = await CharteDb.Factory(host.Store).CreateDbContextAsync();
        var items = await db.Records.AsNoTracking().Select(r => new { r.Id, r.SubjectId, r.Purpose, r.Category, r.CollectedAt, r.ArchivedAt }).ToListAsync();
        var categories = await db.Subjects.AsNoTracking().Where(s => s.ShreddedAt == null).ToDictionaryAsync(s => s.Id, s => s.Category);
        var events = (await db.Events.AsNoTracking().ToListAsync()).GroupBy(e => e.SubjectId)
            .ToDictionary(g => g.Key, g => g.Select(e => new EventFact(e.Event, e.Purpose, new DateTimeOffset(DateTime.SpecifyKind(e.OccurredAt, DateTimeKind.Utc)))).ToList());
        return new Snapshot(
            [.. items.Select(i => new Row(i.Id, i.SubjectId, i.Purpose, i.Category, new DateTimeOffset(DateTime.SpecifyKind(i.CollectedAt, DateTimeKind.Utc)), i.ArchivedAt is not null))],
            categories, events);
    }

    /// <summary>The items the ledger's retention entries account for: the sum of their counts.</summary>
    internal static async Task<long> RetentionEntriesAsync(TestHost host) => await RetentionEntriesAsync(host.Store);

    internal static async Task<long> RetentionEntriesAsync(StoreLocation store)
    {
        await using var db = await CharteDb.Factory(store).CreateDbContextAsync();
        var details = await db.Journal.AsNoTracking().Where(j => j.Action.StartsWith("retention.") && j.Action != "retention.shred").Select(j => j.Detail!).ToListAsync();
        return details.Sum(d => long.Parse(Count().Match(d).Groups[1].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^(\d+) items")]
    private static partial Regex Count();
}

public sealed class RetentionEngineOnSqlite() : RetentionEngineTests(StoreKind.Sqlite);

public sealed class RetentionEngineOnPostgreSql() : RetentionEngineTests(StoreKind.PostgreSql);
