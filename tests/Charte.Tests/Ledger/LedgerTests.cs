using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Charte.Hosting;
using Charte.Storage;
using Charte.Vault;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using NSec.Cryptography;

namespace Charte.Ledger;

/// <summary>The ledger over a real server, the same suite on SQLite and on PostgreSQL.</summary>
public abstract class LedgerTests(StoreKind kind)
{
    private const string Customers = "customer_management";

    private static byte[] LogKey => TestHost.Signing.LogPublicKey.Export(KeyBlobFormat.RawPublicKey);

    [Theory]
    [InlineData("/api/v1/ledger/entries/1/proof?size=abc", "size")]
    [InlineData("/api/v1/ledger/entries/1/proof?size=99999999999999999999", "size")]
    [InlineData("/api/v1/ledger/consistency?from=first&to=2", "from")]
    [InlineData("/api/v1/ledger/consistency?from=1&to=1.5", "to")]
    public async Task AQueryValueThatDoesNotParse_IsNamed_WithoutEchoingIt(string url, string parameter)
    {
        await using var host = await TestHost.StartAsync(kind);
        var app = await host.ClientAsync(Customers);

        var response = await app.GetAsync(url);

        await VaultApiTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid-parameter", url);
        var detail = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString();
        Assert.Equal($"the parameter '{parameter}' must be a whole number", detail);
    }

    [Fact]
    public async Task EveryWriteAndRead_IsInTheLedger_WithAnInclusionProofThatVerifiesAgainstTheSignedCheckpoint()
    {
        await using var host = await TestHost.StartAsync(kind);
        var app = await host.ClientAsync(Customers);
        var subject = await VaultApiTests.CreateSubjectAsync(app);
        var written = await (await app.PutAsJsonAsync($"/api/v1/subjects/{subject}/records", VaultApiTests.Records(Customers, ("contact.email", "a@demo.invalid"))))
            .Content.ReadFromJsonAsync<JsonElement>();
        var read = await VaultApiTests.ReadAsync(app, subject, Customers);

        var early = await app.GetAsync($"/api/v1/ledger/entries/{written.GetProperty("journal").GetInt64()}/proof");
        await host.Sequencer.IntegrateAsync(CancellationToken.None);
        await host.Sequencer.CheckpointAsync(CancellationToken.None);
        var checkpoint = await app.GetFromJsonAsync<JsonElement>("/api/v1/ledger/checkpoint");

        Assert.Contains(early.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.Conflict });
        var (signed, problem) = Checkpoints.Verify(checkpoint.GetProperty("note").GetString()!, host.Services.GetRequiredService<LedgerOptions>().Origin, LogKey);
        Assert.True(signed is not null, problem);
        foreach (var entry in new[] { written.GetProperty("journal").GetInt64(), read.GetProperty("journal").GetInt64() })
        {
            var proof = await app.GetFromJsonAsync<JsonElement>($"/api/v1/ledger/entries/{entry}/proof");
            var leaf = Merkle.LeafHash(Encoding.UTF8.GetBytes(proof.GetProperty("entryJson").GetString()!));
            var path = proof.GetProperty("proof").EnumerateArray().Select(p => Convert.FromBase64String(p.GetString()!)).ToList();
            Assert.True(Merkle.VerifyInclusion(proof.GetProperty("leafIndex").GetInt64(), signed!.Size, leaf, path, signed.Root), $"entry {entry}");
            Assert.DoesNotContain("a@demo.invalid", proof.GetProperty("entryJson").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AnApplication_GetsTheProofsOfItsOwnEntries_AndNoneOfAnothers_NorOfTheSystems()
    {
        await using var host = await TestHost.StartAsync(kind);
        var crm = await host.ClientAsync(Customers);
        var other = await host.ClientAsync(Customers);
        var subject = await VaultApiTests.CreateSubjectAsync(crm);
        var read = await crm.GetAsync($"/api/v1/subjects/{subject}/data?purpose={Customers}");
        var entry = (await read.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("journal").GetInt64();
        await host.Sequencer.IntegrateAsync(CancellationToken.None);
        await host.Sequencer.CheckpointAsync(CancellationToken.None);
        long first;
        await using (var db = await CharteDb.Factory(host.Store).CreateDbContextAsync())
        {
            first = db.Journal.Min(j => j.Id);
        }

        var own = await crm.GetAsync($"/api/v1/ledger/entries/{entry}/proof");
        var theirs = await other.GetAsync($"/api/v1/ledger/entries/{entry}/proof");
        var systems = await crm.GetAsync($"/api/v1/ledger/entries/{first}/proof");
        var never = await other.GetAsync($"/api/v1/ledger/entries/{entry + 1000}/proof");

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Contains("record.read", (await own.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("entryJson").GetString(), StringComparison.Ordinal);
        await VaultApiTests.AssertProblemAsync(theirs, HttpStatusCode.NotFound, "entry-not-found");
        await VaultApiTests.AssertProblemAsync(systems, HttpStatusCode.NotFound, "entry-not-found");
        await VaultApiTests.AssertProblemAsync(never, HttpStatusCode.NotFound, "entry-not-found");
        var detail = (await theirs.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString();
        Assert.Equal(detail!.Replace($"{entry}", $"{entry + 1000}", StringComparison.Ordinal), (await never.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task AProofOfAnEntryTheJournalNeverHad_IsNotFound_AndOfOneNotYetCheckpointed_IsToBeAskedAgain()
    {
        await using var host = await TestHost.StartAsync(kind);
        var app = await host.ClientAsync(Customers);
        await VaultApiTests.CreateSubjectAsync(app);
        await host.Sequencer.IntegrateAsync(CancellationToken.None);
        await host.Sequencer.CheckpointAsync(CancellationToken.None);
        var size = (await app.GetFromJsonAsync<JsonElement>("/api/v1/ledger/checkpoint")).GetProperty("size").GetInt64();
        var later = (await (await app.PostAsJsonAsync("/api/v1/subjects", new { category = "customer" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("journal").GetInt64();

        foreach (var never in new[] { 0, -5, later + 1000 })
        {
            await VaultApiTests.AssertProblemAsync(await app.GetAsync($"/api/v1/ledger/entries/{never}/proof"), HttpStatusCode.NotFound, "entry-not-found", $"entry {never}");
        }

        await VaultApiTests.AssertProblemAsync(await app.GetAsync($"/api/v1/ledger/entries/{later}/proof"), HttpStatusCode.Conflict, "not-yet-in-ledger");
        var unknownSize = await app.GetAsync($"/api/v1/ledger/consistency?from=1&to={size + 7}");
        await VaultApiTests.AssertProblemAsync(unknownSize, HttpStatusCode.NotFound, "checkpoint-not-found");
        Assert.Equal($"both sizes must be checkpointed; the latest checkpointed sizes are {size}",
            (await unknownSize.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task TheJournal_IsAppendOnly_InTheDatabaseItself()
    {
        await using var host = await TestHost.StartAsync(kind);
        var app = await host.ClientAsync(Customers);
        await VaultApiTests.CreateSubjectAsync(app);

        await using var connection = await Sql.OpenAsync(host.Store, CancellationToken.None);
        foreach (var statement in new[] { "UPDATE journal SET actor = 'someone else'", "DELETE FROM journal" })
        {
            await using var command = Sql.Command(connection, statement);
            var refused = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => command.ExecuteNonQueryAsync());
            Assert.Contains("append-only", refused.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("change one byte")]
    [InlineData("delete one")]
    [InlineData("swap two")]
    [InlineData("set a time no clock reads")]
    [InlineData("rewrite and re-sign")]
    public async Task Tampering_IsDetected_AndTheFirstAffectedEntryIsNamed(string tampering)
    {
        await using var host = await TestHost.StartAsync(kind);
        var app = await host.ClientAsync(Customers);
        for (var i = 0; i < 6; i++)
        {
            var subject = await VaultApiTests.CreateSubjectAsync(app, "customer", $"person{i}@demo.invalid");
            await VaultApiTests.WriteAsync(app, subject, Customers, ("contact.email", $"person{i}@demo.invalid"));
            await VaultApiTests.ReadAsync(app, subject, Customers);
            if (i == 2)
            {
                await host.Sequencer.IntegrateAsync(CancellationToken.None);
                await host.Sequencer.CheckpointAsync(CancellationToken.None);
            }
        }

        await host.Sequencer.IntegrateAsync(CancellationToken.None);
        await host.Sequencer.CheckpointAsync(CancellationToken.None);
        Assert.True((await VerifyAsync(host)).Valid);

        await using var connection = await Sql.OpenAsync(host.Store, CancellationToken.None);
        var ids = new List<long>();
        await foreach (var leaf in LedgerStore.LeavesAsync(connection, CancellationToken.None))
        {
            ids.Add(leaf.EntryId);
        }

        await using var open = await Sql.OpenAsync(host.Store, CancellationToken.None);
        await ExecuteAsync(open, kind == StoreKind.Sqlite
            ? string.Join(" ", new[] { "journal", "ledger_leaves", "ledger_nodes", "ledger_checkpoints" }.Select(t => $"DROP TRIGGER {t}_no_update; DROP TRIGGER {t}_no_delete;"))
            : string.Join(" ", new[] { "journal", "ledger_leaves", "ledger_nodes", "ledger_checkpoints" }.Select(t => $"ALTER TABLE {t} DISABLE TRIGGER USER;")));
        var victim = ids[7];
        var other = ids[8];
        string expected;
        switch (tampering)
        {
            case "change one byte":
                await ExecuteAsync(open, $"UPDATE journal SET outcome = 'ko' WHERE id = {victim}");
                expected = $"entry {victim} (leaf 7) does not match its leaf hash";
                break;
            case "delete one":
                await ExecuteAsync(open, $"DELETE FROM journal WHERE id = {victim}");
                expected = $"entry {victim} (leaf 7) is missing from the journal";
                break;
            case "swap two":
                await ExecuteAsync(open, $"""
                    UPDATE journal SET action = CASE WHEN id = {victim} THEN (SELECT action FROM journal WHERE id = {other}) ELSE (SELECT action FROM journal WHERE id = {victim}) END
                    WHERE id IN ({victim}, {other})
                    """);
                expected = $"entry {victim} (leaf 7) does not match its leaf hash";
                break;
            case "set a time no clock reads":
                await ExecuteAsync(open, kind == StoreKind.Sqlite
                    ? $"UPDATE journal SET at = 'the day after tomorrow' WHERE id = {victim}"
                    : $"UPDATE journal SET at = 'infinity' WHERE id = {victim}");
                expected = $"entry {victim} (leaf 7) does not match its leaf hash";
                break;
            default:
                // An operator with the database rewrites an entry, rebuilds the whole tree and signs it with a key of their own.
                await ExecuteAsync(open, $"UPDATE journal SET outcome = 'ko' WHERE id = {victim}; DELETE FROM ledger_checkpoints; DELETE FROM ledger_nodes; DELETE FROM ledger_leaves;");
                using (var forger = SigningKeys.CreateInMemory("Forger", TimeProvider.System))
                {
                    var sequencer = new Sequencer(host.Store, forger, new BuiltInTimestampAuthority(forger.Tsa, host.Clock), host.Sequencer.Options, host.Clock, NullLogger<Sequencer>.Instance);
                    await sequencer.IntegrateAsync(CancellationToken.None);
                    await sequencer.CheckpointAsync(CancellationToken.None);
                }

                expected = $"entries from entry {ids[0]} (leaf 0) on are covered by no valid checkpoint";
                break;
        }

        var report = await VerifyAsync(host);
        Assert.False(report.Valid);
        Assert.Contains(expected, report.First!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEntryThatCommitsLate_OrAfterAHoleOfRolledBackIds_StillJoinsTheTree()
    {
        await using var host = await TestHost.StartAsync(kind);
        var app = await host.ClientAsync(Customers);
        var subject = await VaultApiTests.CreateSubjectAsync(app);
        await host.Sequencer.IntegrateAsync(CancellationToken.None);

        // A rolled-back import leaves a hole wider than a sequencing batch in the ids (PostgreSQL's sequence does not roll back).
        await using (var connection = await Sql.OpenAsync(host.Store, CancellationToken.None))
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await Journal.JournalWriter.InsertAsync(connection, transaction, [.. Enumerable.Range(0, host.Sequencer.Options.BatchSize + 100).Select(_ => Entry(host, "rolled back"))], CancellationToken.None);
            await transaction.RollbackAsync();
        }

        // On PostgreSQL, a transaction that took its id before later entries and commits after they are in the tree.
        await using var late = await Sql.OpenAsync(host.Store, CancellationToken.None);
        await using var lateTransaction = kind == StoreKind.PostgreSql ? await late.BeginTransactionAsync() : null;
        if (lateTransaction is not null)
        {
            await Journal.JournalWriter.InsertAsync(late, lateTransaction, [Entry(host, "late")], CancellationToken.None);
        }

        await VaultApiTests.ReadAsync(app, subject, Customers);
        await host.Sequencer.IntegrateAsync(CancellationToken.None);
        if (lateTransaction is not null)
        {
            await lateTransaction.CommitAsync();
        }

        await VaultApiTests.ReadAsync(app, subject, Customers);
        await host.Sequencer.IntegrateAsync(CancellationToken.None);
        await host.Sequencer.CheckpointAsync(CancellationToken.None);

        await using var check = await Sql.OpenAsync(host.Store, CancellationToken.None);
        await using var missing = Sql.Command(check, "SELECT COUNT(*) FROM journal j WHERE NOT EXISTS (SELECT 1 FROM ledger_leaves l WHERE l.entry_id = j.id)");
        Assert.Equal(0L, Convert.ToInt64(await missing.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        await using var rolledBack = Sql.Command(check, "SELECT COUNT(*) FROM journal WHERE outcome = 'rolled back'");
        Assert.Equal(0L, Convert.ToInt64(await rolledBack.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.True((await VerifyAsync(host)).Valid);
    }

    [Fact]
    public async Task TwoSequencers_RacingOnOneStore_PutEveryEntryInTheTreeOnce()
    {
        await using var host = await TestHost.StartAsync(kind);

        // A second sequencer with small batches, integrating without pause while entries arrive and the host's own
        // sequencer integrates too: each batch is read and hashed before its write, so the two keep moving the tree
        // under each other's feet.
        using var other = new Sequencer(host.Store, TestHost.Signing, new BuiltInTimestampAuthority(TestHost.Signing.Tsa, host.Clock),
            host.Sequencer.Options with { BatchSize = 16 }, host.Clock, NullLogger<Sequencer>.Instance);
        using var done = new CancellationTokenSource();
        var racing = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                await other.IntegrateAsync(CancellationToken.None);
                await Task.Yield();
            }
        });
        for (var round = 0; round < 30; round++)
        {
            await using (var connection = await Sql.OpenAsync(host.Store, CancellationToken.None))
            await using (var transaction = await connection.BeginTransactionAsync())
            {
                await Journal.JournalWriter.InsertAsync(connection, transaction, [.. Enumerable.Range(0, 40).Select(_ => Entry(host, "ok"))], CancellationToken.None);
                await transaction.CommitAsync();
            }

            await host.Sequencer.IntegrateAsync(CancellationToken.None);
        }

        await done.CancelAsync();
        await racing;
        await other.IntegrateAsync(CancellationToken.None);
        await host.Sequencer.IntegrateAsync(CancellationToken.None);
        await host.Sequencer.CheckpointAsync(CancellationToken.None);

        await using var check = await Sql.OpenAsync(host.Store, CancellationToken.None);
        await using var counts = Sql.Command(check, "SELECT (SELECT COUNT(*) FROM journal), (SELECT COUNT(*) FROM ledger_leaves), (SELECT COUNT(DISTINCT entry_id) FROM ledger_leaves)");
        await using var reader = await counts.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var (journal, leaves, distinct) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        Assert.True(journal >= 1200, $"{journal} journal entries");
        Assert.Equal(journal, leaves);
        Assert.Equal(journal, distinct);
        var report = await VerifyAsync(host);
        Assert.True(report.Valid, LedgerVerifier.Describe(report));
        Assert.Equal(journal, report.Leaves);
    }

    [Fact]
    public async Task TwoProcessesSigningTheSameTree_AtTheSameMoment_BothGetTheOneStoredCheckpoint()
    {
        await using var host = await TestHost.StartAsync(kind);
        var app = await host.ClientAsync(Customers);
        await VaultApiTests.CreateSubjectAsync(app);
        await host.Sequencer.IntegrateAsync(CancellationToken.None);

        // Both have checked that the tree grew and are waiting for their timestamp when the first one stores.
        var both = new Meeting(2);
        Sequencer Signer() => new(host.Store, TestHost.Signing, new MeetingAuthority(new BuiltInTimestampAuthority(TestHost.Signing.Tsa, host.Clock), both),
            host.Sequencer.Options, host.Clock, NullLogger<Sequencer>.Instance);
        using var first = Signer();
        using var second = Signer();
        var signed = await Task.WhenAll(first.CheckpointAsync(CancellationToken.None), second.CheckpointAsync(CancellationToken.None));

        Assert.All(signed, c => Assert.NotNull(c));
        Assert.Equal(signed[0]!.Size, signed[1]!.Size);
        Assert.Equal(signed[0]!.Root, signed[1]!.Root);
        await using var check = await Sql.OpenAsync(host.Store, CancellationToken.None);
        await using var count = Sql.Command(check, "SELECT COUNT(*) FROM ledger_checkpoints");
        Assert.Equal(1L, Convert.ToInt64(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.True((await VerifyAsync(host)).Valid);
    }

    /// <summary>Lets callers through only once <c>parties</c> of them have arrived.</summary>
    private sealed class Meeting(int parties)
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _arrived;

        public Task ArriveAsync()
        {
            if (Interlocked.Increment(ref _arrived) == parties)
            {
                _all.SetResult();
            }

            return _all.Task;
        }
    }

    private sealed class MeetingAuthority(ITimestampAuthority inner, Meeting meeting) : ITimestampAuthority
    {
        public async Task<byte[]> StampAsync(byte[] sha256, CancellationToken cancellationToken)
        {
            await meeting.ArriveAsync().WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            return await inner.StampAsync(sha256, cancellationToken);
        }
    }

    private static Journal.JournalEntry Entry(TestHost host, string outcome) =>
        new() { At = host.Clock.GetUtcNow().UtcDateTime, Actor = "cli", Action = "test.append", Outcome = outcome };

    [Fact]
    public async Task TheVerifier_HashesTheTreeInParts_AndAgreesWithTheSequencer_OnEveryCheckpointAndEveryKindOfEntry()
    {
        await using var host = await TestHost.StartAsync(kind);
        var parts = LedgerScan.PartLeaves;

        // Checkpoints inside a part, on a part's boundary, just after one, and at the end, over entries whose text
        // the JSON writer escapes (quotes, backslashes, HTML characters, accents, controls), details as long as the journal
        // takes (2,000 bytes), absent fields, and times of every precision.
        var texts = new[] { "plain", "with \"quotes\"", "back\\slash", "<b>&'+`", "été…", "tab\there", "", "rule: 3 ans à compter du dernier contact" };
        var longest = new string('é', 999) + "!";
        var sizes = new long[] { 5, parts, parts + 1, 2 * parts + 7, 2 * parts + 300 };
        var written = 0L;
        foreach (var size in sizes)
        {
            var entries = new List<Journal.JournalEntry>();
            for (; written < size; written++)
            {
                var text = texts[written % texts.Length];
                entries.Add(new Journal.JournalEntry
                {
                    At = host.Clock.GetUtcNow().UtcDateTime.AddTicks(written % 3 == 0 ? 0 : written * 1_234_567 % 10_000_000),
                    Actor = "cli",
                    Action = "test.append",
                    Subject = written % 5 == 0 ? null : "s_" + written.ToString("x24", System.Globalization.CultureInfo.InvariantCulture),
                    Purpose = written % 7 == 0 ? null : Customers,
                    Outcome = written % 11 == 0 ? text : "ok",
                    Detail = written % 13 == 0 ? longest : written % 2 == 0 ? null : text,
                });
            }

            await using (var connection = await Sql.OpenAsync(host.Store, CancellationToken.None))
            await using (var transaction = await connection.BeginTransactionAsync())
            {
                await Journal.JournalWriter.InsertAsync(connection, transaction, entries, CancellationToken.None);
                await transaction.CommitAsync();
            }

            await host.Sequencer.IntegrateAsync(CancellationToken.None);
            await host.Sequencer.CheckpointAsync(CancellationToken.None);
            await using var connection2 = await Sql.OpenAsync(host.Store, CancellationToken.None);
            Assert.Equal(size, (await LedgerStore.CheckpointAsync(connection2, null, CancellationToken.None))!.Size);
        }

        var report = await VerifyAsync(host);
        Assert.True(report.Valid, LedgerVerifier.Describe(report));
        Assert.Equal(sizes[^1], report.Leaves);
        Assert.Equal(sizes.Length, report.Checkpoints);

        // A change in the second part is named, and so is the checkpoint after it.
        await using var open = await Sql.OpenAsync(host.Store, CancellationToken.None);
        await ExecuteAsync(open, kind == StoreKind.Sqlite ? "DROP TRIGGER journal_no_update" : "ALTER TABLE journal DISABLE TRIGGER USER");
        long victim;
        await using (var find = Sql.Command(open, $"SELECT entry_id FROM ledger_leaves WHERE idx = {parts + 3}"))
        {
            victim = Convert.ToInt64(await find.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }

        await ExecuteAsync(open, $"UPDATE journal SET detail = 'changed' WHERE id = {victim}");
        var tampered = await VerifyAsync(host);
        Assert.False(tampered.Valid);
        Assert.Contains($"entry {victim} (leaf {parts + 3}) does not match its leaf hash", tampered.First!.Message, StringComparison.Ordinal);
        Assert.Contains(tampered.Problems, p => p.Message.Contains($"checkpoint of size {2 * parts + 7}: the entries recomputed from the journal give another root", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AWholePart_IsCheckedAgainstItsStoredSubtreeHash_AndAForgedOneHidesNoChangedEntry()
    {
        await using var host = await TestHost.StartAsync(kind);
        var parts = LedgerScan.PartLeaves;
        await using (var connection = await Sql.OpenAsync(host.Store, CancellationToken.None))
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var entries = Enumerable.Range(0, parts + 5).Select(i => Entry(host, "ok")).ToList();
            await Journal.JournalWriter.InsertAsync(connection, transaction, entries, CancellationToken.None);
            await transaction.CommitAsync();
        }

        await host.Sequencer.IntegrateAsync(CancellationToken.None);
        await host.Sequencer.CheckpointAsync(CancellationToken.None);
        Assert.True((await VerifyAsync(host)).Valid);

        await using var open = await Sql.OpenAsync(host.Store, CancellationToken.None);
        await ExecuteAsync(open, kind == StoreKind.Sqlite
            ? "DROP TRIGGER journal_no_update; DROP TRIGGER ledger_nodes_no_update;"
            : "ALTER TABLE journal DISABLE TRIGGER USER; ALTER TABLE ledger_nodes DISABLE TRIGGER USER;");
        var level = System.Numerics.BitOperations.Log2((uint)parts);
        async Task StoreSubtreeHashAsync(byte[] hash)
        {
            await using var update = Sql.Command(open, $"UPDATE ledger_nodes SET hash = @hash WHERE level = {level} AND idx = 0");
            update.Add("@hash", hash);
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        // The first part's stored subtree hash damaged alone: its entries are intact, the stored tree is not.
        await StoreSubtreeHashAsync(new byte[Merkle.HashSize]);
        var damaged = await VerifyAsync(host);
        Assert.False(damaged.Valid);
        Assert.Equal($"the stored hash of the subtree of leaves 0 to {parts - 1} differs from the one its entries give: the stored tree is damaged there, and proofs through it will not verify", damaged.First!.Message);
        Assert.Single(damaged.Problems);

        // An entry changed, and the part's stored hash forged to match the changed entries (as someone rewriting history
        // would): the short way agrees with the forgery, the signed root does not, and every leaf is then checked.
        var leaves = new List<StoredLeaf>();
        await foreach (var leaf in LedgerStore.LeavesAsync(open, CancellationToken.None))
        {
            leaves.Add(leaf);
        }

        var victim = leaves[7].EntryId;
        await ExecuteAsync(open, $"UPDATE journal SET detail = 'rewritten' WHERE id = {victim}");
        var rewritten = new List<byte[]>();
        await foreach (var leaf in LedgerStore.LeavesAsync(open, CancellationToken.None))
        {
            if (leaf.Index < parts)
            {
                rewritten.Add(Merkle.LeafHash(LedgerEntry.Canonical(leaf.Entry!)));
            }
        }

        await StoreSubtreeHashAsync(Merkle.Root(rewritten));
        var tampered = await VerifyAsync(host);
        Assert.False(tampered.Valid);
        Assert.Contains($"entry {victim} (leaf 7) does not match its leaf hash", tampered.First!.Message, StringComparison.Ordinal);
        Assert.Contains(tampered.Problems, p => p.Message.Contains($"checkpoint of size {parts + 5}: the entries recomputed from the journal give another root", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerifyingSinceACheckpoint_ChecksTheLaterCheckpointsOnly_ButStillEveryEntry()
    {
        await using var host = await TestHost.StartAsync(kind);
        var app = await host.ClientAsync(Customers);
        var sizes = new List<long>();
        for (var round = 0; round < 3; round++)
        {
            var subject = await VaultApiTests.CreateSubjectAsync(app, "customer", $"person{round}@demo.invalid");
            await VaultApiTests.ReadAsync(app, subject, Customers);
            await host.Sequencer.IntegrateAsync(CancellationToken.None);
            sizes.Add((await host.Sequencer.CheckpointAsync(CancellationToken.None))!.Size);
            host.Clock.Advance(TimeSpan.FromMinutes(1));
        }

        var (first, middle, last) = (sizes[0], sizes[1], sizes[2]);
        var whole = await VerifyAsync(host);
        var since = await LedgerVerifier.VerifyAsync(host.Store, LogKey, TestHost.Signing.Ca, CancellationToken.None, since: middle);
        Assert.True(whole.Valid && since.Valid, LedgerVerifier.Describe(whole) + LedgerVerifier.Describe(since));
        Assert.Equal((3, 2, middle), (whole.Checkpoints, since.Checkpoints, since.Since));
        Assert.EndsWith($"to check only what comes after: charte ledger verify --since {last}", LedgerVerifier.Describe(since), StringComparison.Ordinal);
        Assert.Equal((true, (long?)null, (long?)null), await LedgerVerifier.NearestCheckpointsAsync(host.Store, middle, CancellationToken.None));
        Assert.Equal((false, (long?)first, (long?)middle), await LedgerVerifier.NearestCheckpointsAsync(host.Store, middle - 1, CancellationToken.None));

        await using var open = await Sql.OpenAsync(host.Store, CancellationToken.None);
        await ExecuteAsync(open, kind == StoreKind.Sqlite
            ? "DROP TRIGGER ledger_checkpoints_no_update; DROP TRIGGER journal_no_update;"
            : "ALTER TABLE ledger_checkpoints DISABLE TRIGGER USER; ALTER TABLE journal DISABLE TRIGGER USER;");

        // The first checkpoint's timestamp token damaged: a whole verification finds it; one since the middle, which an
        // auditor verified before, does not look at it again.
        await ExecuteAsync(open, $"UPDATE ledger_checkpoints SET timestamp_token = root WHERE tree_size = {first}");
        Assert.Contains($"checkpoint of size {first}", (await VerifyAsync(host)).First!.Message, StringComparison.Ordinal);
        Assert.True((await LedgerVerifier.VerifyAsync(host.Store, LogKey, TestHost.Signing.Ca, CancellationToken.None, since: middle)).Valid);

        // The last one's token damaged: found from the middle on.
        await ExecuteAsync(open, $"UPDATE ledger_checkpoints SET timestamp_token = root WHERE tree_size = {last}");
        var later = await LedgerVerifier.VerifyAsync(host.Store, LogKey, TestHost.Signing.Ca, CancellationToken.None, since: middle);
        Assert.False(later.Valid);
        Assert.Contains($"checkpoint of size {last}", later.First!.Message, StringComparison.Ordinal);

        // An entry before the starting checkpoint changed: every entry is still recomputed, and it is named first.
        await using (var reading = await Sql.OpenAsync(host.Store, CancellationToken.None))
        {
            var victim = await LedgerStore.LeavesAsync(reading, CancellationToken.None).Select(l => l.EntryId).FirstAsync();
            await ExecuteAsync(open, $"UPDATE journal SET outcome = 'ko' WHERE id = {victim}");
            var changed = await LedgerVerifier.VerifyAsync(host.Store, LogKey, TestHost.Signing.Ca, CancellationToken.None, since: middle);
            Assert.False(changed.Valid);
            Assert.Contains($"entry {victim} (leaf 0) does not match its leaf hash", changed.First!.Message, StringComparison.Ordinal);
        }
    }

    private static Task<LedgerReport> VerifyAsync(TestHost host) => LedgerVerifier.VerifyAsync(host.Store, LogKey, TestHost.Signing.Ca, CancellationToken.None);

    private static async Task ExecuteAsync(System.Data.Common.DbConnection connection, string sql)
    {
        await using var command = Sql.Command(connection, sql);
        await command.ExecuteNonQueryAsync();
    }
}

public sealed class LedgerOnSqlite() : LedgerTests(StoreKind.Sqlite);

public sealed class LedgerOnPostgreSql() : LedgerTests(StoreKind.PostgreSql);

/// <summary>Sealing evidence over the API.</summary>
public sealed class SealsApiTests
{
    [Fact]
    public async Task ABundle_IsSealed_TheSealVerifies_AndItIsJournaled()
    {
        await using var host = await TestHost.StartAsync(StoreKind.Sqlite);
        var app = await host.ClientAsync("customer_management");
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.ASCII.GetBytes("%PDF-1.7 contract")), "file", "contract.pdf" },
            { new ByteArrayContent(Encoding.ASCII.GetBytes("consent given 2026-11-22")), "file", "consent.txt" },
        };

        var response = await app.PostAsync("/api/v1/seals", form);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var manifest = Encoding.UTF8.GetBytes(body.GetProperty("manifest").GetString()!);
        var signature = Convert.FromBase64String(body.GetProperty("signature").GetString()!);
        Assert.Equal(
            $"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.ASCII.GetBytes("consent given 2026-11-22")))}  consent.txt\n" +
            $"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.ASCII.GetBytes("%PDF-1.7 contract")))}  contract.pdf\n",
            body.GetProperty("manifest").GetString());
        Assert.Null(Seals.Verify(manifest, signature, TestHost.Signing.Ca));
        Assert.NotNull(Seals.Verify([.. manifest, .. "x"u8.ToArray()], signature, TestHost.Signing.Ca));

        await host.Sequencer.IntegrateAsync(CancellationToken.None);
        await host.Sequencer.CheckpointAsync(CancellationToken.None);
        var proof = await app.GetFromJsonAsync<JsonElement>($"/api/v1/ledger/entries/{body.GetProperty("journal").GetInt64()}/proof");
        Assert.Contains("evidence.seal", proof.GetProperty("entryJson").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoFile_OrNotMultipart_IsAClearProblem()
    {
        await using var host = await TestHost.StartAsync(StoreKind.Sqlite);
        var app = await host.ClientAsync("customer_management");
        using var empty = new MultipartFormDataContent { { new StringContent("x"), "note" } };

        await VaultApiTests.AssertProblemAsync(await app.PostAsync("/api/v1/seals", empty), HttpStatusCode.UnprocessableEntity, "invalid-bundle");
        await VaultApiTests.AssertProblemAsync(await app.PostAsJsonAsync("/api/v1/seals", new { file = "x" }), HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
    }
}
