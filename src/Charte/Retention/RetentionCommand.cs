using System.CommandLine;
using System.Globalization;
using Charte.Charters;
using Charte.Cli;
using Charte.Journal;
using Charte.Keys;
using Microsoft.EntityFrameworkCore;

namespace Charte.Retention;

/// <summary><c>charte retention plan|run</c> and <c>charte holds add|list|release</c>.</summary>
internal static class RetentionCommand
{
    public static Command Create(TimeProvider clock)
    {
        var store = new StoreOptions();
        var asOf = new Option<string?>("--as-of") { Description = "The date to plan or run for (YYYY-MM-DD, Paris); default: now" };
        var compare = new Option<string?>("--compare-with") { Description = "Another version of the charter: show how its periods would change what is due, before it is applied" };
        var plan = new Command("plan", "What retention will do, when, to how many records, under which rule (and what legal holds keep).") { asOf, compare };
        store.AddTo(plan);
        plan.SetAction(async (result, cancellationToken) =>
        {
            var (engine, instant, exit) = await ResolveAsync(store, result, asOf, clock, cancellationToken);
            if (engine is null)
            {
                return exit;
            }

            // The other version is read first: a charter that does not load stops the command before any plan is shown.
            Charter? next = null;
            var other = result.GetValue(compare);
            if (other is not null && (next = CharterFile.Load(other, clock, result.InvocationConfiguration.Error, out var unloaded)) is null)
            {
                return unloaded;
            }

            var forecast = await engine.PlanAsync(instant, cancellationToken);
            var output = result.InvocationConfiguration.Output;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Retention plan as of {LegalTime.Date(instant):yyyy-MM-dd} (Paris): {forecast.Scanned:N0} records and documents"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  due now: {forecast.DueNow:N0}; kept by legal holds: {forecast.Held:N0}; waiting for an event: {forecast.Waiting:N0}; without a rule: {forecast.WithoutRule:N0}"));
            output.WriteLine();
            output.WriteLine("when     purpose                    step                  records  rule");
            foreach (var row in forecast.Rows)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{row.When,-8} {row.Purpose,-26} {YamlNames.Of(row.Step),-21} {row.Records,7:N0}  {row.Rule}"));
            }

            if (next is not null)
            {
                var after = await engine.With(next).PlanAsync(instant, cancellationToken);
                output.WriteLine();
                output.WriteLine($"With {other}: due now {forecast.DueNow:N0} → {after.DueNow:N0}");
                output.WriteLine("purpose                    step                  due now (before → after)  next 12 months (before → after)");
                foreach (var change in RetentionEngine.Compare(forecast, after, instant))
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{change.Purpose,-26} {YamlNames.Of(change.Step),-21} {change.NowBefore,8:N0} → {change.NowAfter,-8:N0}       {change.YearBefore,8:N0} → {change.YearAfter:N0}"));
                }
            }

            return CharteCommand.Success;
        });

        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would be done, change nothing" };
        var run = new Command("run", "Apply what is due: archive, delete, anonymise, and destroy the key of a subject left with nothing. Every action is a ledger entry.") { asOf, dryRun };
        store.AddTo(run);
        run.SetAction(async (result, cancellationToken) =>
        {
            var (engine, instant, exit) = await ResolveAsync(store, result, asOf, clock, cancellationToken);
            if (engine is null)
            {
                return exit;
            }

            var error = result.InvocationConfiguration.Error;
            var progress = new RunProgress(error, terminal: ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected, clock);
            var summary = await engine.RunAsync(instant, result.GetValue(dryRun), progress, cancellationToken);
            progress.End();
            result.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(summary.DryRun ? "Would have" : "Retention run as of " + LegalTime.Date(instant).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + ":")} archived {summary.Archived:N0}, deleted {summary.Deleted:N0}, anonymised {summary.Anonymised:N0}, kept as anonymous counts {summary.Counted:N0}; {summary.Shredded:N0} subjects' keys destroyed; {summary.Held:N0} kept by legal holds; {summary.Scanned:N0} examined"));
            return CharteCommand.Success;
        });

        return new Command("retention", "Enforce the charter's retention periods: forecast, then apply.") { plan, run };
    }

    /// <summary>
    /// The run's progress on standard error, written as each page completes, on the caller's thread
    /// (<see cref="Progress{T}"/> would post each count to the thread pool, where two could be written out of order or
    /// after the summary). On a terminal, one line rewritten in place; anywhere else (a log file, cron's mail, the
    /// journal of a service) a line every <see cref="Every"/>, so that a long run shows it is alive without a line per
    /// page, nor one line of hundreds of carriage returns.
    /// </summary>
    internal sealed class RunProgress(TextWriter error, bool terminal, TimeProvider clock) : IProgress<int>
    {
        public static readonly TimeSpan Every = TimeSpan.FromSeconds(10);

        private long _since = clock.GetTimestamp();
        private bool _inPlace;

        public void Report(int value)
        {
            var line = string.Create(CultureInfo.InvariantCulture, $"  {value:N0} records and documents examined");
            if (terminal)
            {
                error.Write("\r" + line);
                _inPlace = true;
            }
            else if (clock.GetElapsedTime(_since) >= Every)
            {
                error.WriteLine(line);
                _since = clock.GetTimestamp();
            }
        }

        /// <summary>Ends the line rewritten in place, if there is one, before the summary.</summary>
        public void End()
        {
            if (_inPlace)
            {
                error.WriteLine();
            }
        }
    }

    public static Command Holds(TimeProvider clock)
    {
        var store = new StoreOptions();
        var subject = new Option<Guid?>("--subject") { Description = "A subject id", CustomParser = r => CommandLineValues.Id(r, "--subject", "a subject id") };
        var purpose = new Option<string?>("--purpose") { Description = "A purpose of the charter" };
        var category = new Option<string?>("--category") { Description = "A data category (its children too)" };
        var reason = new Option<string>("--reason") { Description = "Why (litigation, authority's request…)", Required = true };
        var until = new Option<string?>("--until") { Description = "The hold ends by itself on this date (YYYY-MM-DD, Paris)" };
        var add = new Command("add", "Suspend the end actions of retention for a subject, a purpose or a category (checked against the charter and the store).") { subject, purpose, category, reason, until };
        store.AddTo(add);
        add.SetAction(async (result, cancellationToken) =>
        {
            var error = result.InvocationConfiguration.Error;
            if (result.GetValue(subject) is null && result.GetValue(purpose) is null && result.GetValue(category) is null)
            {
                error.WriteLine("charte: a hold needs a scope: --subject, --purpose or --category");
                return CharteCommand.Usage;
            }

            // The reason is what the DPO will show an auditor: said, on one line, within reason.
            if (Reasons.Accept(result.GetValue(reason)) is not { } why)
            {
                error.WriteLine($"charte: --reason must say why: {Reasons.Rule}");
                return CharteCommand.Usage;
            }

            DateTime? end = null;
            if (result.GetValue(until) is { } text)
            {
                if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                {
                    error.WriteLine($"charte: --until '{CommandLineValues.Shown(text)}' is not a date (YYYY-MM-DD)");
                    return CharteCommand.Usage;
                }

                end = LegalTime.StartOfDay(date).UtcDateTime;
                if (end <= clock.GetUtcNow().UtcDateTime)
                {
                    error.WriteLine($"charte: --until {text} is not in the future: a hold that has ended keeps nothing");
                    return CharteCommand.Usage;
                }
            }

            // A mistyped purpose or category would hold nothing while the DPO believes it holds: both are checked.
            if (result.GetValue(purpose) is not null || result.GetValue(category) is not null)
            {
                if (store.ResolveCharter(result, StoreOptions.Configuration(), clock, error, out var unloaded) is not { } charter)
                {
                    return unloaded;
                }

                if (result.GetValue(purpose) is { } id && charter.FindPurpose(id) is null)
                {
                    error.WriteLine($"charte: the charter has no purpose '{id}'; it has {string.Join(", ", charter.Purposes.Select(p => p.Id))}");
                    return CharteCommand.Usage;
                }

                if (result.GetValue(category) is { } name && charter.Categories.Find(name) is null)
                {
                    error.WriteLine($"charte: the charter's taxonomy has no data category '{name}'");
                    return CharteCommand.Usage;
                }
            }

            await using var db = await store.OpenAsync(result, cancellationToken);
            if (db is null)
            {
                return CharteCommand.Usage;
            }

            string? pseudonym = null;
            if (result.GetValue(subject) is { } held
                && (pseudonym = await db.Subjects.Where(s => s.Id == held && s.ShreddedAt == null).Select(s => s.Pseudonym).FirstOrDefaultAsync(cancellationToken)) is null)
            {
                error.WriteLine($"charte: the store has no subject {held} (or only its tombstone): nothing to hold");
                return CharteCommand.Usage;
            }

            var hold = new LegalHold
            {
                Id = PublicRandom.Version7(clock.GetUtcNow()),
                SubjectId = result.GetValue(subject),
                Purpose = result.GetValue(purpose),
                Category = result.GetValue(category),
                Reason = why,
                Until = end,
                CreatedAt = clock.GetUtcNow().UtcDateTime,
            };
            db.Holds.Add(hold);
            db.Journal.Add(new JournalEntry { At = hold.CreatedAt, Actor = "cli", Action = "hold.add", Subject = pseudonym, Purpose = hold.Purpose, Outcome = "ok", Detail = $"hold {hold.Id}: {hold.LedgerScope}" });
            await db.SaveChangesAsync(cancellationToken);
            result.InvocationConfiguration.Output.WriteLine($"hold {hold.Id} on {hold.Scope}");
            return CharteCommand.Success;
        });

        var list = new Command("list", "The holds in force, and how many records and documents each keeps.");
        store.AddTo(list, charter: false);
        list.SetAction(async (result, cancellationToken) =>
        {
            await using var db = await store.OpenAsync(result, cancellationToken);
            if (db is null)
            {
                return CharteCommand.Usage;
            }

            var now = clock.GetUtcNow();
            var holds = (await db.Holds.AsNoTracking().Where(h => h.ReleasedAt == null).ToListAsync(cancellationToken)).Where(h => h.ActiveAt(now)).ToList();
            foreach (var hold in holds.OrderBy(h => h.CreatedAt))
            {
                var records = await Covered(db.Records.Select(r => new Scoped { SubjectId = r.SubjectId, Purpose = r.Purpose, Category = r.Category }), hold).CountAsync(cancellationToken);
                var documents = await Covered(db.Documents.Select(d => new Scoped { SubjectId = d.SubjectId, Purpose = d.Purpose, Category = d.Category }), hold).CountAsync(cancellationToken);
                result.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{hold.Id}  {hold.Scope}; keeps {records:N0} records, {documents:N0} documents; since {hold.CreatedAt:yyyy-MM-dd}{(hold.Until is { } u ? $", until {u:yyyy-MM-dd}" : "")}; {hold.Reason}"));
            }

            if (holds.Count == 0)
            {
                result.InvocationConfiguration.Output.WriteLine("no legal hold in force");
            }

            return CharteCommand.Success;
        });

        var id = new Argument<Guid>("ID") { Description = "The hold's id", CustomParser = r => CommandLineValues.Id(r, "ID", "a hold's id") ?? Guid.Empty };
        var release = new Command("release", "End a hold: its data follows its retention again.") { id };
        store.AddTo(release, charter: false);
        release.SetAction(async (result, cancellationToken) =>
        {
            await using var db = await store.OpenAsync(result, cancellationToken);
            if (db is null)
            {
                return CharteCommand.Usage;
            }

            var holdId = result.GetValue(id);
            var now = clock.GetUtcNow().UtcDateTime;
            // The release and its ledger entry are one transaction; of two releases at once, one releases.
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var released = await db.Holds.Where(h => h.Id == holdId && h.ReleasedAt == null).ExecuteUpdateAsync(h => h.SetProperty(x => x.ReleasedAt, now), cancellationToken);
            if (released == 0)
            {
                result.InvocationConfiguration.Error.WriteLine($"charte: no hold {holdId} in force");
                return CharteCommand.Findings;
            }

            var hold = await db.Holds.AsNoTracking().SingleAsync(h => h.Id == holdId, cancellationToken);
            var pseudonym = hold.SubjectId is { } held ? await db.Subjects.Where(s => s.Id == held).Select(s => s.Pseudonym).FirstOrDefaultAsync(cancellationToken) : null;
            db.Journal.Add(new JournalEntry { At = now, Actor = "cli", Action = "hold.release", Subject = pseudonym, Purpose = hold.Purpose, Outcome = "ok", Detail = $"hold {holdId}: {hold.LedgerScope}" });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            result.InvocationConfiguration.Output.WriteLine($"hold {holdId} released");
            return CharteCommand.Success;
        });

        return new Command("holds", "Legal holds: suspend the end of retention for what a dispute or an authority needs.") { add, list, release };
    }

    private sealed class Scoped
    {
        public Guid SubjectId { get; init; }
        public required string Purpose { get; init; }
        public required string Category { get; init; }
    }

    private static IQueryable<Scoped> Covered(IQueryable<Scoped> rows, LegalHold hold)
    {
        if (hold.SubjectId is { } subject)
        {
            rows = rows.Where(r => r.SubjectId == subject);
        }

        if (hold.Purpose is { } purpose)
        {
            rows = rows.Where(r => r.Purpose == purpose);
        }

        if (hold.Category is { } category)
        {
            var children = category + ".";
            rows = rows.Where(r => r.Category == category || r.Category.StartsWith(children));
        }

        return rows;
    }

    // Retention periods run to decades, not centuries: beyond these a date is a typo, and near year 10000 the
    // calendar arithmetic would leave the range of dates .NET represents.
    private static readonly DateOnly EarliestAsOf = LegalTime.EarliestDate;
    private static readonly DateOnly LatestAsOf = new(9899, 12, 31);

    private static async Task<(RetentionEngine? Engine, DateTimeOffset AsOf, int Exit)> ResolveAsync(StoreOptions store, ParseResult result, Option<string?> asOf, TimeProvider clock, CancellationToken cancellationToken)
    {
        var configuration = StoreOptions.Configuration();
        var error = result.InvocationConfiguration.Error;
        var instant = clock.GetUtcNow();
        if (result.GetValue(asOf) is { } text)
        {
            if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                error.WriteLine($"charte: --as-of '{CommandLineValues.Shown(text)}' is not a date (YYYY-MM-DD)");
                return (null, instant, CharteCommand.Usage);
            }

            if (date < EarliestAsOf || date > LatestAsOf)
            {
                error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"charte: --as-of {text} is out of range: give a date from {EarliestAsOf:yyyy-MM-dd} to {LatestAsOf:yyyy-MM-dd}"));
                return (null, instant, CharteCommand.Usage);
            }

            instant = LegalTime.StartOfDay(date);
        }

        // The charter is read while the store is checked (each takes a few hundred milliseconds of a batch process's
        // start, most of it compiling code); what reading it says is told after the store's and the keys' problems, as
        // one after the other would tell it.
        var reading = Task.Run(() =>
        {
            var said = new StringWriter(CultureInfo.InvariantCulture);
            return (Charter: store.ResolveCharter(result, configuration, clock, said, out var unloaded), Said: said.ToString(), Unloaded: unloaded);
        }, cancellationToken);
        var location = await store.ResolveReadyStoreAsync(result, configuration, error, cancellationToken);
        var masters = location is null ? null : store.ResolveKeys(result, configuration, error);
        var (charter, said, unloaded) = await reading;
        if (masters is null)
        {
            return (null, instant, CharteCommand.Usage);
        }

        error.Write(said);
        if (charter is null)
        {
            return (null, instant, unloaded);
        }

        var keys = new SubjectKeys(KeyStoreDb.Factory(location!), masters!, clock, TimeSpan.Zero);
        return (new RetentionEngine(location!, charter, keys, clock), instant, CharteCommand.Success);
    }
}
