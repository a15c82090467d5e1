using System.Data.Common;
using System.Globalization;
using Charte.Charters;
using Charte.Journal;
using Charte.Keys;
using Charte.Storage;
using Charte.Vault;
using Npgsql;

namespace Charte.Retention;

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
/// done, and a rerun finds nothing left to do for the pages done. A page locks its subjects before it reads them
/// (PostgreSQL: <c>FOR UPDATE SKIP LOCKED</c>; SQLite: the write lock), so it acts on exactly what is there and two
/// sweeps never act twice on a record. Legal holds suspend the end actions (not archiving) of what they cover.
/// </summary>
public sealed class RetentionEngine(StoreLocation store, Charter charter, SubjectKeys keys, TimeProvider clock)
{
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
        await foreach (var page in PagesAsync(grouped: null, cancellationToken))
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
    /// How many pages a run applies at once: on PostgreSQL three, so that one page's statements run while the others wait
    /// for their round trips and commits (pages are disjoint ranges of subjects, each locked by its own transaction; on
    /// 1M due records, three took 0.3 s less than two, and four no less than three); on SQLite one, as the store has one
    /// writer.
    /// </summary>
    private int ApplyingAtOnce => store.Provider == StoreProvider.PostgreSql ? 3 : 1;

    public async Task<RetentionSummary> RunAsync(DateTimeOffset asOf, bool dryRun, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var holds = await HoldsAsync(asOf, cancellationToken);
        return dryRun ? await ForecastRunAsync(asOf, holds, progress, cancellationToken) : await ApplyRunAsync(asOf, holds, progress, cancellationToken);
    }

    /// <summary><c>--dry-run</c>: what a run would do now, read without locking anything.</summary>
    private async Task<RetentionSummary> ForecastRunAsync(DateTimeOffset asOf, List<LegalHold> holds, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var done = Done.Nothing;
        await foreach (var page in PagesAsync((asOf, holds), cancellationToken))
        {
            var (actions, held) = Decide(page, asOf, holds);
            done += Done.Of(actions, page, 0, held);
            progress?.Report(done.Scanned);
        }

        return done.Summary(dryRun: true);
    }

    /// <summary>
    /// The run itself, page after page: each page is one transaction that locks its subjects (PostgreSQL: those no
    /// other transaction holds), reads their events and items under that lock, asks the clock, and applies what is due.
    /// Read under the lock, the page is exactly what the actions change: an event posted or a record written a moment
    /// before is seen, none can arrive meanwhile (every write of a subject's data takes a share lock on its row), and
    /// another sweep never holds the same subjects.
    /// </summary>
    private async Task<RetentionSummary> ApplyRunAsync(DateTimeOffset asOf, List<LegalHold> holds, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var done = Done.Nothing;
        var applying = new Queue<Task<Done>>();
        async Task CompleteOldestAsync()
        {
            done += await applying.Dequeue();
            progress?.Report(done.Scanned);
        }

        try
        {
            Guid? after = null;
            while (true)
            {
                if (applying.Count == ApplyingAtOnce)
                {
                    await CompleteOldestAsync();
                }

                var connection = await Sql.OpenAsync(store, cancellationToken);
                DbTransaction? transaction = null;
                try
                {
                    transaction = await connection.BeginTransactionAsync(cancellationToken);
                    await CustomPlansAsync(connection, transaction, cancellationToken);
                    var subjects = await RetentionPages.SubjectsAsync(connection, transaction, after, locking: true, cancellationToken);
                    if (subjects.Count == 0)
                    {
                        await transaction.DisposeAsync();
                        await connection.DisposeAsync();
                        break;
                    }

                    after = subjects[^1].Id;
                    applying.Enqueue(ApplyAsync(connection, transaction, subjects, asOf, holds, cancellationToken));
                }
                catch
                {
                    if (transaction is not null)
                    {
                        await transaction.DisposeAsync();
                    }

                    await connection.DisposeAsync();
                    throw;
                }
            }

            while (applying.Count > 0)
            {
                await CompleteOldestAsync();
            }
        }
        finally
        {
            // A failure leaves no page being applied behind it: each finishes (commits or rolls back) before the run ends.
            await Task.WhenAll(applying).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        return done.Summary(dryRun: false);
    }

    /// <summary>
    /// A page's items read one by one with the step the clock gives each now; held ones counted apart, with those of the
    /// subjects decided from their groups.
    /// </summary>
    private (List<Action> Actions, int Held) Decide(Page page, DateTimeOffset asOf, List<LegalHold> holds)
    {
        var actions = new List<Action>();
        var held = 0;
        foreach (var (item, subjectCategory, events) in page.Items)
        {
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

        return (actions, held + page.HeldInGroups);
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

    private sealed record Done(int Archived, int Deleted, int Anonymised, int Counted, int Shredded, int Held, int Scanned)
    {
        public static readonly Done Nothing = new(0, 0, 0, 0, 0, 0, 0);

        /// <summary>A page's actions counted by step (with its subjects decided whole), with what else the page did and saw.</summary>
        public static Done Of(List<Action> actions, Page page, int shredded, int held)
        {
            int Count(RetentionStep step) => actions.Count(a => a.Step == step) + page.Wholly.Where(w => w.Step == step).Sum(w => w.Group.Count);
            return new(Count(RetentionStep.Archive), Count(RetentionStep.Delete), Count(RetentionStep.Anonymise), Count(RetentionStep.KeepAnonymousStats), shredded, held, page.Scanned);
        }

        public static Done operator +(Done a, Done b) =>
            new(a.Archived + b.Archived, a.Deleted + b.Deleted, a.Anonymised + b.Anonymised, a.Counted + b.Counted, a.Shredded + b.Shredded, a.Held + b.Held, a.Scanned + b.Scanned);

        public RetentionSummary Summary(bool dryRun) => new(Archived, Deleted, Anonymised, Counted, Shredded, Held, Scanned, dryRun);
    }

    /// <summary>
    /// Applies one page in its transaction (the connection and transaction are the page's, and are closed here): reads
    /// the locked subjects' events and items, asks the clock, archives, deletes, anonymises or counts what is due, writes
    /// a ledger entry per subject, purpose, step and rule, and shreds the subjects left with nothing.
    /// </summary>
    private async Task<Done> ApplyAsync(DbConnection connection, DbTransaction transaction, List<PageSubject> subjects, DateTimeOffset asOf, List<LegalHold> holds, CancellationToken cancellationToken)
    {
        await using var owned = connection;
        await using var ownedTransaction = transaction;
        var page = await ReadGroupedAsync(connection, transaction, subjects, asOf, holds, cancellationToken);
        var (actions, held) = Decide(page, asOf, holds);
        if (actions.Count == 0 && page.Wholly.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return Done.Of(actions, page, 0, held);
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var range = page.Range;
        var anonymous = new BulkRows("anonymous_records", "id", "purpose", "category", "value", "collected_year", "created_at");
        var items = new Dictionary<(Guid Subject, bool Document), int>();
        foreach (var (item, _, _) in page.Items)
        {
            Count(items, (item.Subject, item.Document));
        }

        var removed = new Dictionary<Guid, int>();
        var steps = actions.Select(a => a.Step).Concat(page.Wholly.Select(w => w.Step)).Distinct().ToList();

        foreach (var step in steps)
        {
            var acting = actions.Where(a => a.Step == step).ToList();
            var kept = step == RetentionStep.Anonymise ? await AnonymiseAsync(connection, transaction, range, [.. acting.Where(a => !a.Item.Document).Select(a => a.Item.Id)], now, cancellationToken) : [];
            foreach (var document in new[] { false, true })
            {
                var these = acting.Where(a => a.Item.Document == document).ToList();
                var wholly = page.Wholly.Where(w => w.Step == step && w.Group.Document == document).Select(w => w.Group).ToList();
                var due = these.Count + wholly.Sum(g => g.Count);
                var changed = await ChangeAsync(connection, transaction, document ? "documents" : "records", step, range, these, items, [.. wholly.Select(g => g.Subject)], now, cancellationToken);
                if (changed != due)
                {
                    // The page's subjects are locked (on SQLite the store is): what was read is what is there.
                    throw new InvalidOperationException($"retention: {changed} {(document ? "documents" : "records")} changed where {due} were due on a locked page; nothing of the page was applied");
                }
            }

            if (step == RetentionStep.Anonymise)
            {
                Keep(anonymous, acting.Select(a => kept.GetValueOrDefault(a.Item.Id) ?? Anonymous(a.Item, null, now)));
            }
            else if (step == RetentionStep.KeepAnonymousStats)
            {
                Keep(anonymous, acting.Select(a => Anonymous(a.Item, null, now)));
            }

            if (step != RetentionStep.Archive)
            {
                foreach (var action in acting)
                {
                    Count(removed, action.Item.Subject);
                }
            }
        }

        // One ledger entry per subject, purpose, step and rule.
        var entries = new List<JournalEntry>();
        void Enter(Guid subject, string purpose, RetentionStep step, RetentionRule rule, int count, IEnumerable<string> categories) => entries.Add(new JournalEntry
        {
            At = now,
            Actor = Actor,
            Action = "retention." + YamlNames.Of(step),
            Subject = page.Pseudonyms.GetValueOrDefault(subject),
            Purpose = purpose,
            Outcome = "ok",
            Detail = Truncate($"{count} items: {string.Join(", ", categories.Distinct().Order(StringComparer.Ordinal))}; rule: {Describe(rule)}"),
        });
        foreach (var group in actions.GroupBy(a => (a.Item.Subject, a.Item.Purpose, a.Step, a.Rule)))
        {
            Enter(group.Key.Subject, group.Key.Purpose, group.Key.Step, group.Key.Rule, group.Count(), group.Select(a => a.Item.Category));
        }

        foreach (var group in page.Wholly.GroupBy(w => (w.Group.Subject, w.Group.Purpose, w.Step, w.Rule)))
        {
            Enter(group.Key.Subject, group.Key.Purpose, group.Key.Step, group.Key.Rule, group.Sum(w => w.Group.Count), group.SelectMany(w => w.Group.Categories.Split(',')));
        }

        // Subjects left with nothing (and under no hold) are shredded in this same transaction: their rows are locked,
        // so nothing can be added to them meanwhile. Their keys go first (a crash before the commit leaves their data
        // unreadable and due, and the next run finishes the job).
        var emptied = removed.Where(r => r.Value == items.GetValueOrDefault((r.Key, false)) + items.GetValueOrDefault((r.Key, true))).Select(r => r.Key)
            .Concat(page.Wholly.Where(w => w.Step == RetentionStep.Delete).Select(w => w.Group.Subject).Distinct());
        var empty = emptied.Where(s => !holds.Any(h => h.SubjectId == s))
            .ToDictionary(s => s, s => new JournalEntry
            {
                At = now,
                Actor = Actor,
                Action = "retention.shred",
                Subject = page.Pseudonyms.GetValueOrDefault(s),
                Outcome = "ok",
                Detail = "key destroyed; nothing of the subject remains",
            });
        await anonymous.WriteAsync(connection, transaction, cancellationToken);
        if (empty.Count > 0)
        {
            await keys.ShredManyAsync(store, [.. empty.Keys], cancellationToken);
            await SubjectsApi.TombstoneAsync(connection, transaction, entries, empty, clock, cancellationToken);
        }
        else
        {
            await JournalWriter.InsertAsync(connection, transaction, entries, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return Done.Of(actions, page, empty.Count, held);
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

    /// <summary>
    /// Archives or deletes the given items of one table in one statement and says how many rows it changed. A subject
    /// all of whose items in the table go is named once rather than by each of its items' ids, as are the subjects
    /// <paramref name="wholly"/> archived or deleted (decided from their groups).
    /// </summary>
    private static async Task<int> ChangeAsync(DbConnection connection, DbTransaction transaction, string table, RetentionStep step, SubjectRange range, List<Action> actions, Dictionary<(Guid Subject, bool Document), int> items, List<Guid> wholly, DateTime now, CancellationToken cancellationToken)
    {
        if (actions.Count == 0 && wholly.Count == 0)
        {
            return 0;
        }

        var document = table == "documents";
        var whole = step == RetentionStep.Archive ? [] : actions.GroupBy(a => a.Item.Subject).Where(g => g.Count() == items.GetValueOrDefault((g.Key, document))).Select(g => g.Key).ToHashSet();
        whole.UnionWith(wholly);
        var ids = actions.Where(a => !whole.Contains(a.Item.Subject)).Select(a => a.Item.Id).ToList();
        await using var command = Sql.Command(connection, "", transaction);
        var bounded = range.Bound(command, "subject_id");
        var which = (whole.Count, ids.Count) switch
        {
            (0, _) => Sql.IdIn(command, "id", "@ids", ids),
            (_, 0) => Sql.IdIn(command, "subject_id", "@subjects", whole),
            _ => $"({Sql.IdIn(command, "subject_id", "@subjects", whole)} OR {Sql.IdIn(command, "id", "@ids", ids)})",
        };
        command.CommandText = step == RetentionStep.Archive
            ? $"UPDATE {table} SET archived_at = @now WHERE {bounded} AND {which} AND archived_at IS NULL"
            : $"DELETE FROM {table} WHERE {bounded} AND {which}";
        if (step == RetentionStep.Archive)
        {
            command.Add("@now", now);
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
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
        Id = PublicRandom.Version7(new DateTimeOffset(now, TimeSpan.Zero)),
        Purpose = item.Purpose,
        Category = item.Category,
        Value = value,
        CollectedYear = LegalTime.Date(item.CollectedAt).Year,
        CreatedAt = now,
    };

    private static string Truncate(string text) => text.Length <= 1000 ? text : text[..997] + "…";

    /// <summary>
    /// PostgreSQL: the page's statements name thousands of ids in one array. A prepared statement's generic plan cannot
    /// see how many, guesses a few, and looks each up in the primary key (a descent of the index per id: 137 ms for a
    /// page of 10,000 records, against 9 ms for a scan of the page's subject range that checks each row against the
    /// array). Planned with their values, they take the range.
    /// </summary>
    private static async Task CustomPlansAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (connection is NpgsqlConnection)
        {
            await using var command = Sql.Command(connection, "SET LOCAL plan_cache_mode = force_custom_plan", transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>
    /// The store in pages of subjects, read without locking: one item at a time for a plan (<paramref name="grouped"/>
    /// null), or as a run reads them, in groups, for a dry run.
    /// </summary>
    private async IAsyncEnumerable<Page> PagesAsync((DateTimeOffset AsOf, List<LegalHold> Holds)? grouped, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Guid? after = null;
        while (true)
        {
            await using var connection = await Sql.OpenAsync(store, cancellationToken);
            var subjects = await RetentionPages.SubjectsAsync(connection, null, after, locking: false, cancellationToken);
            if (subjects.Count == 0)
            {
                yield break;
            }

            yield return grouped is var (asOf, holds)
                ? await ReadGroupedAsync(connection, null, subjects, asOf, holds, cancellationToken)
                : await ReadAsync(connection, null, subjects, null, cancellationToken);
            after = subjects[^1].Id;
        }
    }

    /// <summary>
    /// The events and items of a page's subjects, one item at a time (rows of other subjects in the page's id range are
    /// left out); only the items of <paramref name="only"/> when it is given, with the page's events already read.
    /// </summary>
    private static async Task<Page> ReadAsync(DbConnection connection, DbTransaction? transaction, List<PageSubject> subjects, (IReadOnlyCollection<Guid> Subjects, Dictionary<Guid, List<EventFact>> Events)? only, CancellationToken cancellationToken)
    {
        var range = new SubjectRange(subjects[0].Id, subjects[^1].Id);
        var categories = subjects.ToDictionary(s => s.Id, s => s.Category);
        var events = only?.Events ?? await RetentionPages.EventsAsync(connection, transaction, range, cancellationToken);
        var page = new List<(Item, string?, List<EventFact>)>();
        foreach (var table in Tables)
        {
            foreach (var item in only?.Subjects is { Count: 0 } ? [] : await RetentionPages.ItemsAsync(connection, transaction, table, range, only?.Subjects, cancellationToken))
            {
                if (categories.TryGetValue(item.Subject, out var category))
                {
                    page.Add((item, category, events.GetValueOrDefault(item.Subject) ?? []));
                }
            }
        }

        return new Page(page, subjects.ToDictionary(s => s.Id, s => s.Pseudonym), range);
    }

    private static readonly string[] Tables = ["records", "documents"];

    /// <summary>What the groups of one subject say, taken together.</summary>
    [Flags]
    private enum Outcome
    {
        Nothing = 1,
        Delete = 2,
        Archive = 4,
        /// <summary>The subject's items must be read one by one.</summary>
        Items = 8,
    }

    /// <summary>
    /// A page as a run reads it: its items counted in groups first (see <see cref="Group"/>), each group asked of the
    /// clock at its earliest and latest collection. A subject all of whose groups are due for deletion, or all for
    /// archiving, is deleted or archived whole (<see cref="Page.Wholly"/>) and one with nothing due is left, without
    /// reading their items; the items of the others — a group whose ends differ, or due for anonymisation, a hold on a
    /// category, a subject whose groups are at different steps (some data due and some not) — are then read one by one.
    /// </summary>
    private async Task<Page> ReadGroupedAsync(DbConnection connection, DbTransaction? transaction, List<PageSubject> subjects, DateTimeOffset asOf, List<LegalHold> holds, CancellationToken cancellationToken)
    {
        var range = new SubjectRange(subjects[0].Id, subjects[^1].Id);
        var categories = subjects.ToDictionary(s => s.Id, s => s.Category);
        var events = await RetentionPages.EventsAsync(connection, transaction, range, cancellationToken);
        var groups = new List<(Group Group, RetentionDecision Decision, RetentionStep? Step, bool Held)>();
        var outcomes = new Dictionary<Guid, Outcome>();
        foreach (var table in Tables)
        {
            foreach (var group in await RetentionPages.GroupsAsync(connection, transaction, table, range, Coverage, cancellationToken))
            {
                if (!categories.TryGetValue(group.Subject, out var category))
                {
                    continue;
                }

                var facts = events.GetValueOrDefault(group.Subject) ?? [];
                var earliest = Verdict(group.At(group.Earliest), category, facts, asOf, holds);
                var latest = group.Latest == group.Earliest ? earliest : Verdict(group.At(group.Latest), category, facts, asOf, holds);
                var alike = earliest.Step == latest.Step && earliest.Held == latest.Held && ReferenceEquals(earliest.Decision.Rule, latest.Decision.Rule)
                    && !holds.Any(h => h.Category is not null && (h.SubjectId is null || h.SubjectId == group.Subject) && (h.Purpose is null || h.Purpose == group.Purpose));
                var outcome = !alike ? Outcome.Items : earliest.Step switch
                {
                    null => Outcome.Nothing,
                    RetentionStep.Delete => Outcome.Delete,
                    RetentionStep.Archive => Outcome.Archive,
                    _ => Outcome.Items,
                };
                outcomes[group.Subject] = outcomes.GetValueOrDefault(group.Subject) | outcome;
                groups.Add((group, earliest.Decision, earliest.Step, earliest.Held));
            }
        }

        // One by one: a subject with a group to read so, or with groups at different steps (some data due and some not).
        static bool Whole(Outcome outcome) => outcome is Outcome.Nothing or Outcome.Delete or Outcome.Archive;
        var oneByOne = outcomes.Where(o => !Whole(o.Value)).Select(o => o.Key).ToList();
        var page = await ReadAsync(connection, transaction, subjects, (oneByOne, events), cancellationToken);
        var decided = groups.Where(g => Whole(outcomes[g.Group.Subject])).ToList();
        return page with
        {
            Wholly = [.. decided.Where(g => g.Step is { } step).Select(g => (g.Group, g.Step!.Value, g.Decision.Rule!))],
            HeldInGroups = decided.Where(g => g.Held).Sum(g => g.Group.Count),
            InGroups = decided.Sum(g => g.Group.Count),
        };
    }

    private RuleCoverage Coverage => _coverage ??= new RuleCoverage(charter);
    private RuleCoverage? _coverage;
}
