using System.Data.Common;
using System.Globalization;
using Charte.Charters;
using Charte.Journal;
using Charte.Keys;
using Charte.Storage;
using Charte.Vault;
using Npgsql;

namespace Charte.Retention;

/// <summary>One record or document as the sweep sees it: no value, only what the clock needs.</summary>
internal sealed record Item(Guid Id, bool Document, Guid Subject, string Purpose, string Category, DateTimeOffset CollectedAt, bool Archived);

/// <summary>What the sweep decided for one item.</summary>
internal sealed record Action(Item Item, RetentionStep Step, RetentionRule Rule);

/// <summary>
/// A page of subjects: their items with what the clock needs, their pseudonyms (for the ledger entries), and the range
/// of subject ids the page covers, which bounds every statement that acts on it.
/// </summary>
internal sealed record Page(List<(Item Item, string? SubjectCategory, List<EventFact> Events)> Items, Dictionary<Guid, string> Pseudonyms, SubjectRange Range);

/// <summary>
/// The first and last subject id of a page. Every statement of a page names it beside its list of ids, so that the
/// database reads the page's rows through the subject index: a list of ids alone let PostgreSQL scan the whole table
/// once per page, and a sweep grow with the square of the store.
/// </summary>
internal readonly record struct SubjectRange(Guid First, Guid Last)
{
    public string Bound(DbCommand command, string column)
    {
        command.Add("@first", First);
        command.Add("@last", Last);
        return $"{column} >= @first AND {column} <= @last";
    }
}

public sealed record PlanRow(string When, string Purpose, RetentionStep Step, string Rule, int Records);

public sealed record RetentionPlan(DateTimeOffset AsOf, IReadOnlyList<PlanRow> Rows, int DueNow, int Held, int Waiting, int WithoutRule, int Scanned);

/// <summary>How a charter change moves what is due, for one purpose and step.</summary>
public sealed record PlanChange(string Purpose, RetentionStep Step, int NowBefore, int NowAfter, int YearBefore, int YearAfter);

public sealed record RetentionSummary(int Archived, int Deleted, int Anonymised, int Counted, int Shredded, int Held, int Scanned, bool DryRun);

/// <summary>
/// The retention engine: sweeps the store in pages of subjects (bounded memory, keyset pagination), asks the
/// retention clock about every record and document, and applies what is due — archive, delete, anonymise, keep
/// anonymous counts — then destroys the key of a subject left with nothing (crypto-shredding). Each page is one
/// transaction with its journal entries, one per subject, purpose and step, so a crash leaves each page done or not
/// done, and a rerun finds nothing left to do for the pages done. On PostgreSQL, a page first locks its subjects
/// (<c>FOR UPDATE SKIP LOCKED</c>), and actions count only the rows they changed: two sweeps never act twice on a record.
/// Legal holds suspend the end actions (not archiving) of what they cover.
/// </summary>
public sealed class RetentionEngine(StoreLocation store, Charter charter, SubjectKeys keys, TimeProvider clock)
{
    public const int PageSize = 500;
    public const string Actor = "system:retention";

    /// <summary>The key of anonymisation's pseudonyms: derived from the master key, apart from the subjects' pseudonyms.</summary>
    private byte[] PseudonymKey => System.Security.Cryptography.HKDF.DeriveKey(System.Security.Cryptography.HashAlgorithmName.SHA256, keys.Masters.PseudonymKey, 32,
        info: System.Text.Encoding.ASCII.GetBytes("charte/anonymise/v1"));

    /// <summary>The same store and keys under another version of the charter, to forecast a change before applying it.</summary>
    public RetentionEngine With(Charter other) => new(store, other, keys, clock);

    /// <summary>Per purpose and step, what is due now and in the next twelve months, before and after; only what differs.</summary>
    public static List<PlanChange> Compare(RetentionPlan before, RetentionPlan after, DateTimeOffset asOf)
    {
        var horizon = LegalTime.Date(asOf).AddMonths(12).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        static (int Now, int Year) Sum(RetentionPlan plan, string purpose, RetentionStep step, string horizon) =>
            (plan.Rows.Where(r => r.Purpose == purpose && r.Step == step && r.When == "now").Sum(r => r.Records),
             plan.Rows.Where(r => r.Purpose == purpose && r.Step == step && r.When != "now" && string.CompareOrdinal(r.When, horizon) < 0).Sum(r => r.Records));
        return [.. before.Rows.Concat(after.Rows).Select(r => (r.Purpose, r.Step)).Distinct().Order()
            .Select(k => (k, Before: Sum(before, k.Purpose, k.Step, horizon), After: Sum(after, k.Purpose, k.Step, horizon)))
            .Where(c => c.Before != c.After)
            .Select(c => new PlanChange(c.k.Purpose, c.k.Step, c.Before.Now, c.After.Now, c.Before.Year, c.After.Year))];
    }

    public async Task<RetentionPlan> PlanAsync(DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        var holds = await HoldsAsync(asOf, cancellationToken);
        var rows = new Dictionary<(string, string, RetentionStep, string), int>();
        int due = 0, held = 0, waiting = 0, withoutRule = 0, scanned = 0;
        await foreach (var page in PagesAsync(cancellationToken))
        {
            foreach (var (item, subjectCategory, events) in page.Items)
            {
                scanned++;
                var (decision, step, isHeld) = Verdict(item, subjectCategory, events, asOf, holds);
                if (decision.Rule is null)
                {
                    withoutRule++;
                }
                else if (isHeld)
                {
                    held++;
                }
                else if (step is { } now)
                {
                    due++;
                    Count(rows, ("now", item.Purpose, now, Describe(decision.Rule)));
                }
                else if (decision.Next is { } next)
                {
                    Count(rows, (LegalTime.Date(next).ToString("yyyy-MM", CultureInfo.InvariantCulture), item.Purpose, decision.Step, Describe(decision.Rule)));
                }
                else
                {
                    waiting++;
                }
            }
        }

        var ordered = rows.Select(r => new PlanRow(r.Key.Item1, r.Key.Item2, r.Key.Item3, r.Key.Item4, r.Value))
            .OrderBy(r => r.When == "now" ? "" : r.When, StringComparer.Ordinal).ThenBy(r => r.Purpose, StringComparer.Ordinal).ThenBy(r => r.Step).ToList();
        return new RetentionPlan(asOf, ordered, due, held, waiting, withoutRule, scanned);
    }

    /// <summary>
    /// How many pages a run applies at once: on PostgreSQL two, so that one page's statements run while the other waits
    /// for its round trips (pages are disjoint ranges of subjects, each locked by its own transaction); on SQLite one, as
    /// the store has one writer.
    /// </summary>
    private int ApplyingAtOnce => store.Provider == StoreProvider.PostgreSql ? 2 : 1;

    public async Task<RetentionSummary> RunAsync(DateTimeOffset asOf, bool dryRun, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var holds = await HoldsAsync(asOf, cancellationToken);
        int archived = 0, deleted = 0, anonymised = 0, counted = 0, shredded = 0, held = 0, scanned = 0;
        var applying = new Queue<(Task<Done> Done, int Scanned)>();
        async Task CompleteOldestAsync()
        {
            var (task, upTo) = applying.Dequeue();
            var done = await task;
            (archived, deleted, anonymised, counted, shredded) = (archived + done.Archived, deleted + done.Deleted, anonymised + done.Anonymised, counted + done.Counted, shredded + done.Shredded);
            progress?.Report(upTo);
        }

        try
        {
            // The next page is read while this one is applied (pages are disjoint ranges of subjects).
            await using var pages = PagesAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
            var reading = pages.MoveNextAsync();
            while (await reading)
            {
                var page = pages.Current;
                reading = pages.MoveNextAsync();
                var actions = new List<Action>();
                foreach (var (item, subjectCategory, events) in page.Items)
                {
                    scanned++;
                    var (decision, step, isHeld) = Verdict(item, subjectCategory, events, asOf, holds);
                    if (isHeld)
                    {
                        held++;
                    }
                    else if (step is { } now)
                    {
                        actions.Add(new Action(item, now, decision.Rule!));
                    }
                }

                if (dryRun)
                {
                    archived += actions.Count(a => a.Step == RetentionStep.Archive);
                    deleted += actions.Count(a => a.Step == RetentionStep.Delete);
                    anonymised += actions.Count(a => a.Step == RetentionStep.Anonymise);
                    counted += actions.Count(a => a.Step == RetentionStep.KeepAnonymousStats);
                    progress?.Report(scanned);
                    continue;
                }

                if (applying.Count == ApplyingAtOnce)
                {
                    await CompleteOldestAsync();
                }

                applying.Enqueue((actions.Count > 0 ? ApplyAsync(actions, page.Pseudonyms, page.Range, holds, cancellationToken) : Task.FromResult(Done.Nothing), scanned));
            }

            while (applying.Count > 0)
            {
                await CompleteOldestAsync();
            }
        }
        finally
        {
            // A failure leaves no page being applied behind it: each finishes (commits or rolls back) before the run ends.
            await Task.WhenAll(applying.Select(a => (Task)a.Done)).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        return new RetentionSummary(archived, deleted, anonymised, counted, shredded, held, scanned, dryRun);
    }

    /// <summary>
    /// The clock's decision on an item and the step to take now, if any (archive what reached its archive phase, end
    /// what is due); an end step a legal hold covers is not taken, and the item is reported as held.
    /// </summary>
    private (RetentionDecision Decision, RetentionStep? Step, bool Held) Verdict(Item item, string? subjectCategory, List<EventFact> events, DateTimeOffset asOf, List<LegalHold> holds)
    {
        var decision = RetentionClock.Decide(charter, new RecordFacts(item.Purpose, item.Category, subjectCategory, item.CollectedAt), events, asOf);
        RetentionStep? step = decision.Rule is null ? null : decision.Phase switch
        {
            RetentionPhase.Due => decision.Step,
            RetentionPhase.Archived when !item.Archived => RetentionStep.Archive,
            _ => null,
        };
        return step is { } end && end != RetentionStep.Archive && holds.Any(h => h.Covers(item.Subject, item.Purpose, item.Category))
            ? (decision, null, true)
            : (decision, step, false);
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<RetentionRule, string> _wording = new(ReferenceEqualityComparer.Instance);

    private string Describe(RetentionRule rule) => _wording.GetOrAdd(rule, r => RetentionWording.Describe(r, charter, "en"));

    private static void Count<TKey>(Dictionary<TKey, int> counts, TKey key) where TKey : notnull =>
        counts[key] = counts.GetValueOrDefault(key) + 1;

    private async Task<List<LegalHold>> HoldsAsync(DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        var holds = new List<LegalHold>();
        await using var connection = await Sql.OpenAsync(store, cancellationToken);
        await using var command = Sql.Command(connection, "SELECT id, subject_id, purpose, category, reason, until, created_at FROM legal_holds WHERE released_at IS NULL");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            holds.Add(new LegalHold
            {
                Id = reader.GetGuid(0),
                SubjectId = reader.IsDBNull(1) ? null : reader.GetGuid(1),
                Purpose = reader.IsDBNull(2) ? null : reader.GetString(2),
                Category = reader.IsDBNull(3) ? null : reader.GetString(3),
                Reason = reader.GetString(4),
                Until = reader.NullableDateTime(5),
                CreatedAt = Sql.Utc(reader.GetDateTime(6)),
            });
        }

        return [.. holds.Where(h => h.ActiveAt(asOf))];
    }

    private sealed record Done(int Archived, int Deleted, int Anonymised, int Counted, int Shredded)
    {
        public static readonly Done Nothing = new(0, 0, 0, 0, 0);
    }

    private async Task<Done> ApplyAsync(List<Action> actions, Dictionary<Guid, string> pseudonyms, SubjectRange range, List<LegalHold> holds, CancellationToken cancellationToken)
    {
        int archived = 0, deleted = 0, anonymised = 0, counted = 0;
        var emptied = new HashSet<Guid>();
        var now = clock.GetUtcNow().UtcDateTime;
        await using var connection = await Sql.OpenAsync(store, cancellationToken);
        await using var dbTransaction = await connection.BeginTransactionAsync(cancellationToken);
        var owned = await LockAsync(connection, dbTransaction, range, [.. actions.Select(a => a.Item.Subject).Distinct()], cancellationToken);
        var mine = actions.Where(a => owned.Contains(a.Item.Subject)).ToDictionary(a => a.Item.Id);
        var anonymous = new BulkRows("anonymous_records", "id", "purpose", "category", "value", "collected_year", "created_at");
        var changed = new List<(Action Action, Changed Row)>();
        foreach (var step in mine.Values.Select(a => a.Step).Distinct())
        {
            var ids = mine.Values.Where(a => a.Step == step).ToList();
            var kept = step == RetentionStep.Anonymise ? await AnonymiseAsync(connection, dbTransaction, range, [.. ids.Where(a => !a.Item.Document).Select(a => a.Item.Id)], now, cancellationToken) : [];
            foreach (var document in new[] { false, true })
            {
                var rows = await ChangeAsync(connection, dbTransaction, document ? "documents" : "records", step, range, [.. ids.Where(a => a.Item.Document == document).Select(a => a.Item.Id)], now, cancellationToken);
                changed.AddRange(rows.Select(r => (mine[r.Id], r)));
            }

            var done = changed.Where(c => c.Action.Step == step).ToList();
            switch (step)
            {
                case RetentionStep.Archive:
                    archived += done.Count;
                    break;
                case RetentionStep.Delete:
                    deleted += done.Count;
                    break;
                case RetentionStep.Anonymise:
                    anonymised += done.Count;
                    Keep(anonymous, done.Select(d => kept.GetValueOrDefault(d.Row.Id) ?? Anonymous(d.Action.Item, null, now)));
                    break;
                default:
                    counted += done.Count;
                    Keep(anonymous, done.Select(d => Anonymous(d.Action.Item, null, now)));
                    break;
            }

            if (step != RetentionStep.Archive)
            {
                emptied.UnionWith(done.Select(d => d.Action.Item.Subject));
            }
        }

        // One ledger entry per subject, purpose, step and rule, counting only the rows this sweep changed.
        var entries = new List<JournalEntry>();
        foreach (var group in changed.GroupBy(c => (c.Action.Item.Subject, c.Action.Item.Purpose, c.Action.Step, c.Action.Rule)))
        {
            var (subject, purpose, step, rule) = group.Key;
            var categories = string.Join(", ", group.Select(c => c.Action.Item.Category).Distinct().Order(StringComparer.Ordinal));
            entries.Add(new JournalEntry
            {
                At = now,
                Actor = Actor,
                Action = "retention." + YamlNames.Of(step),
                Subject = pseudonyms.GetValueOrDefault(subject),
                Purpose = purpose,
                Outcome = "ok",
                Detail = Truncate($"{group.Count()} items: {categories}; rule: {Describe(rule)}"),
            });
        }

        // Subjects left with nothing (and under no hold) are shredded in this same transaction: on PostgreSQL their rows
        // are locked, so nothing can be added to them meanwhile. Their keys go first (a crash before the commit leaves
        // their data unreadable and due, and the next run finishes the job).
        var remaining = emptied.Count == 0 ? [] : await RemainingAsync(connection, dbTransaction, range, emptied, cancellationToken);
        var empty = emptied.Where(s => !remaining.Contains(s) && !holds.Any(h => h.SubjectId == s)).ToDictionary(s => s, s => new JournalEntry
        {
            At = now,
            Actor = Actor,
            Action = "retention.shred",
            Subject = pseudonyms.GetValueOrDefault(s),
            Outcome = "ok",
            Detail = "key destroyed; nothing of the subject remains",
        });
        await JournalWriter.InsertAsync(connection, dbTransaction, entries, cancellationToken);
        await anonymous.WriteAsync(connection, dbTransaction, cancellationToken);
        if (empty.Count > 0)
        {
            await keys.ShredManyAsync(store, [.. empty.Keys], cancellationToken);
            await SubjectsApi.TombstoneAsync(connection, dbTransaction, empty, clock, cancellationToken);
        }

        await dbTransaction.CommitAsync(cancellationToken);

        var shredded = empty.Count;
        return new Done(archived, deleted, anonymised, counted, shredded);
    }

    /// <summary>What anonymisation keeps of each record, by record id, read before the records go.</summary>
    private async Task<Dictionary<Guid, AnonymousRecord>> AnonymiseAsync(DbConnection connection, DbTransaction transaction, SubjectRange range, List<Guid> records, DateTime now, CancellationToken cancellationToken)
    {
        var rows = new List<(Item Item, byte[] Value, int KeyVersion)>(records.Count);
        await using (var command = Sql.Command(connection, "", transaction))
        {
            command.CommandText = $"SELECT id, subject_id, purpose, category, value, key_version, collected_at, archived_at FROM records WHERE {range.Bound(command, "subject_id")} AND {Sql.IdIn(command, "id", "@ids", records)}";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var item = new Item(reader.GetGuid(0), false, reader.GetGuid(1), reader.GetString(2), reader.GetString(3), new DateTimeOffset(Sql.Utc(reader.GetDateTime(6))), !reader.IsDBNull(7));
                rows.Add((item, (byte[])reader.GetValue(4), reader.GetInt32(5)));
            }
        }

        var kept = new Dictionary<Guid, AnonymousRecord>();
        foreach (var subject in rows.GroupBy(r => r.Item.Subject))
        {
            var key = await keys.FindAsync(subject.Key, cancellationToken);
            foreach (var (item, value, keyVersion) in subject)
            {
                kept[item.Id] = Anonymous(item, key is null ? null : Anonymisation.Anonymise(item.Category, key.OpenRecord(item.Id, keyVersion, value), PseudonymKey), now);
            }
        }

        return kept;
    }

    /// <summary>Which of the given subjects of the page still have records or documents (after this transaction's actions).</summary>
    private static async Task<HashSet<Guid>> RemainingAsync(DbConnection connection, DbTransaction transaction, SubjectRange range, IReadOnlyCollection<Guid> subjects, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(connection, "", transaction);
        var bounded = $"{range.Bound(command, "subject_id")} AND {Sql.IdIn(command, "subject_id", "@subjects", subjects)}";
        command.CommandText = $"SELECT subject_id FROM records WHERE {bounded} UNION SELECT subject_id FROM documents WHERE {bounded}";
        var remaining = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            remaining.Add(reader.GetGuid(0));
        }

        return remaining;
    }

    private sealed record Changed(Guid Id);

    /// <summary>
    /// Archives or deletes the given rows in one statement, and returns those it actually changed (<c>RETURNING</c>):
    /// a row another sweep already handled is not counted twice.
    /// </summary>
    private static async Task<List<Changed>> ChangeAsync(DbConnection connection, DbTransaction transaction, string table, RetentionStep step, SubjectRange range, List<Guid> ids, DateTime now, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        await using var command = Sql.Command(connection, "", transaction);
        var match = $"{range.Bound(command, "subject_id")} AND {Sql.IdIn(command, "id", "@ids", ids)}";
        command.CommandText = step == RetentionStep.Archive
            ? $"UPDATE {table} SET archived_at = @now WHERE {match} AND archived_at IS NULL RETURNING id"
            : $"DELETE FROM {table} WHERE {match} RETURNING id";
        if (step == RetentionStep.Archive)
        {
            command.Add("@now", now);
        }

        var changed = new List<Changed>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            changed.Add(new Changed(reader.GetGuid(0)));
        }

        return changed;
    }

    private static void Keep(BulkRows rows, IEnumerable<AnonymousRecord> kept)
    {
        foreach (var record in kept)
        {
            rows.Add(record.Id, record.Purpose, record.Category, record.Value, record.CollectedYear, record.CreatedAt);
        }
    }

    private static AnonymousRecord Anonymous(Item item, string? value, DateTime now) => new()
    {
        Id = Guid.CreateVersion7(new DateTimeOffset(now, TimeSpan.Zero)),
        Purpose = item.Purpose,
        Category = item.Category,
        Value = value,
        CollectedYear = LegalTime.Date(item.CollectedAt).Year,
        CreatedAt = now,
    };

    private static string Truncate(string text) => text.Length <= 1000 ? text : text[..997] + "…";

    /// <summary>The subjects this transaction may act on: on PostgreSQL, those no other sweep holds; on SQLite, all (one writer).</summary>
    private static async Task<HashSet<Guid>> LockAsync(DbConnection connection, DbTransaction transaction, SubjectRange range, List<Guid> subjects, CancellationToken cancellationToken)
    {
        if (connection is not NpgsqlConnection npgsql)
        {
            return [.. subjects];
        }

        // The page's statements name thousands of ids in one array. A prepared statement's generic plan cannot see how
        // many, guesses a few, and looks each up in the primary key (a descent of the index per id: 137 ms a page of
        // 10,000 records, against 9 ms for a scan of the page's subject range that checks each row against the array).
        // Planned with their values, they take the range.
        await using (var custom = new NpgsqlCommand("SET LOCAL plan_cache_mode = force_custom_plan", npgsql, (NpgsqlTransaction)transaction))
        {
            await custom.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = new NpgsqlCommand("SELECT id FROM subjects WHERE id >= $1 AND id <= $2 AND id = ANY($3) FOR UPDATE SKIP LOCKED", npgsql, (NpgsqlTransaction)transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = range.First });
        command.Parameters.Add(new NpgsqlParameter { Value = range.Last });
        command.Parameters.Add(new NpgsqlParameter { Value = subjects.ToArray() });
        var owned = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            owned.Add(reader.GetGuid(0));
        }

        return owned;
    }

    /// <summary>The store in pages of subjects, each with its items and events; memory holds one page at a time.</summary>
    private async IAsyncEnumerable<Page> PagesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Guid? after = null;
        while (true)
        {
            await using var connection = await Sql.OpenAsync(store, cancellationToken);
            var subjects = new List<(Guid Id, string? Category)>();
            var pseudonyms = new Dictionary<Guid, string>();
            await using (var command = Sql.Command(connection, after is null
                ? $"SELECT id, category, pseudonym FROM subjects WHERE shredded_at IS NULL ORDER BY id LIMIT {PageSize}"
                : $"SELECT id, category, pseudonym FROM subjects WHERE shredded_at IS NULL AND id > @after ORDER BY id LIMIT {PageSize}"))
            {
                if (after is { } last)
                {
                    command.Add("@after", last);
                }

                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    subjects.Add((reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
                    pseudonyms[subjects[^1].Id] = reader.GetString(2);
                }
            }

            if (subjects.Count == 0)
            {
                yield break;
            }

            var (first, lastId) = (subjects[0].Id, subjects[^1].Id);
            var events = new Dictionary<Guid, List<EventFact>>();
            await foreach (var (subject, fact) in EventsAsync(connection, first, lastId, cancellationToken))
            {
                (events.TryGetValue(subject, out var list) ? list : events[subject] = []).Add(fact);
            }

            var categories = subjects.ToDictionary(s => s.Id, s => s.Category);
            var page = new List<(Item, string?, List<EventFact>)>();
            foreach (var table in new[] { "records", "documents" })
            {
                await foreach (var item in ItemsAsync(connection, table, first, lastId, cancellationToken))
                {
                    if (categories.TryGetValue(item.Subject, out var category))
                    {
                        page.Add((item, category, events.GetValueOrDefault(item.Subject) ?? []));
                    }
                }
            }

            yield return new Page(page, pseudonyms, new SubjectRange(first, lastId));
            after = lastId;
        }
    }

    private static async IAsyncEnumerable<Item> ItemsAsync(DbConnection connection, string table, Guid first, Guid last, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(connection, $"SELECT id, subject_id, purpose, category, collected_at, archived_at FROM {table} WHERE subject_id >= @first AND subject_id <= @last");
        command.Add("@first", first);
        command.Add("@last", last);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new Item(reader.GetGuid(0), table == "documents", reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                new DateTimeOffset(Sql.Utc(reader.GetDateTime(4))), !reader.IsDBNull(5));
        }
    }

    private static async IAsyncEnumerable<(Guid Subject, EventFact Fact)> EventsAsync(DbConnection connection, Guid first, Guid last, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(connection, "SELECT subject_id, event, purpose, occurred_at FROM subject_events WHERE subject_id >= @first AND subject_id <= @last");
        command.Add("@first", first);
        command.Add("@last", last);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return (reader.GetGuid(0), new EventFact(reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), new DateTimeOffset(Sql.Utc(reader.GetDateTime(3)))));
        }
    }
}
