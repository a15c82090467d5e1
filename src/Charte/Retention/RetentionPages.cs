using System.Data.Common;
using System.Globalization;
using System.Text;
using Charte.Charters;
using Charte.Storage;
using Npgsql;

namespace Charte.Retention;

/// <summary>One record or document as the sweep sees it: no value, only what the clock needs.</summary>
internal sealed record Item(Guid Id, bool Document, Guid Subject, string Purpose, string Category, DateTimeOffset CollectedAt, bool Archived);

/// <summary>What the sweep decided for one item.</summary>
internal sealed record Action(Item Item, RetentionStep Step, RetentionRule Rule);

/// <summary>
/// The items of one subject in one table, for one purpose, archived or not, whose categories the same rules of the
/// purpose cover: the clock tells them apart by their collection dates alone. It gives them the same rule, and a phase
/// that can only stay or go back as the date moves later (a period counted from a later day ends later; an event's
/// date does not depend on the item). So when the earliest and the latest are at the same step, every one between
/// them is too, and the group is decided without reading its items. <c>Category</c> is the first of the group's categories
/// (they all choose the same rule), <c>Categories</c> all of them, comma-separated, for the ledger entry.
/// </summary>
internal sealed record Group(Guid Subject, bool Document, string Purpose, string Category, bool Archived, int Count, DateTimeOffset Earliest, DateTimeOffset Latest, string Categories)
{
    public Item At(DateTimeOffset collected) => new(Guid.Empty, Document, Subject, Purpose, Category, collected, Archived);
}

/// <summary>
/// A page of subjects: the items read one by one with what the clock needs, their pseudonyms (for the ledger entries),
/// and the range of subject ids the page covers, which bounds every statement that acts on it. A run also decides
/// subjects from their groups: <see cref="Wholly"/> are the groups of the subjects all of whose items are due for the
/// same step, deletion or archiving, with that step; <see cref="HeldInGroups"/> and <see cref="InGroups"/> count the
/// items of subjects decided that way that a hold keeps, and all of them.
/// </summary>
internal sealed record Page(List<(Item Item, string? SubjectCategory, List<EventFact> Events)> Items, Dictionary<Guid, string> Pseudonyms, SubjectRange Range)
{
    public List<(Group Group, RetentionStep Step, RetentionRule Rule)> Wholly { get; init; } = [];
    public int HeldInGroups { get; init; }
    public int InGroups { get; init; }
    public int Scanned => Items.Count + InGroups;
}

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

/// <summary>A subject of a page: its id, category (for rules that name subject categories) and pseudonym (for the ledger).</summary>
internal readonly record struct PageSubject(Guid Id, string? Category, string Pseudonym);

/// <summary>
/// Which of its purpose's retention rules cover a row's category, as the database computes it: a bit mask, one bit per
/// rule of the purpose that names categories (a rule naming none covers every row alike). Rows of one purpose with
/// the same mask are covered by the same rules, so the sweep can count them as one group. The charter's ids are
/// parameters, compared exactly (a category covers its children: <c>contact</c> covers <c>contact.email</c>).
/// </summary>
internal sealed class RuleCoverage
{
    private readonly string _expression;
    private readonly List<string> _values = [];

    public RuleCoverage(Charter charter)
    {
        // A mask has 62 usable bits; a purpose with more rules naming categories (none in practice) groups by category.
        if (charter.Purposes.Any(p => p.Retention.Count(r => r.Categories.Count > 0) > 62))
        {
            _expression = "category";
            return;
        }

        var sql = new StringBuilder("CASE purpose");
        foreach (var purpose in charter.Purposes)
        {
            var bits = new List<string>();
            var bit = 0;
            foreach (var rule in purpose.Retention.Where(r => r.Categories.Count > 0))
            {
                var covers = rule.Categories.Select(c => string.Create(CultureInfo.InvariantCulture, $"category = {Value(c.Id)} OR substr(category, 1, {c.Id.Length + 1}) = {Value(c.Id + ".")}"));
                bits.Add(string.Create(CultureInfo.InvariantCulture, $"CASE WHEN {string.Join(" OR ", covers)} THEN {1L << bit++} ELSE 0 END"));
            }

            if (bits.Count > 0)
            {
                sql.Append(CultureInfo.InvariantCulture, $" WHEN {Value(purpose.Id)} THEN {string.Join(" + ", bits)}");
            }
        }

        _expression = sql.Append(" ELSE 0 END").ToString();
    }

    private string Value(string value)
    {
        _values.Add(value);
        return string.Create(CultureInfo.InvariantCulture, $"@cover{_values.Count - 1}");
    }

    /// <summary>The expression, its values added to <paramref name="command"/>.</summary>
    public string Expression(DbCommand command)
    {
        for (var i = 0; i < _values.Count; i++)
        {
            command.Add(string.Create(CultureInfo.InvariantCulture, $"@cover{i}"), _values[i]);
        }

        return _expression;
    }
}

/// <summary>How the sweep reads a page: its subjects, their events, their items one by one or in groups.</summary>
internal static class RetentionPages
{
    public const int PageSize = 500;

    /// <summary>
    /// The next page of subjects not shredded, after <paramref name="after"/> in id order. With <paramref name="locking"/>
    /// on PostgreSQL each is locked (<c>FOR UPDATE SKIP LOCKED</c>): a subject another transaction holds (another
    /// sweep's page, a write under way) is left for that sweep or for the next run.
    /// </summary>
    public static async Task<List<PageSubject>> SubjectsAsync(DbConnection connection, DbTransaction? transaction, Guid? after, bool locking, CancellationToken cancellationToken)
    {
        var subjects = new List<PageSubject>(PageSize);
        var lockRows = locking && connection is NpgsqlConnection ? " FOR UPDATE SKIP LOCKED" : "";
        await using var command = Sql.Command(connection,
            $"SELECT id, category, pseudonym FROM subjects WHERE shredded_at IS NULL{(after is null ? "" : " AND id > @after")} ORDER BY id LIMIT {PageSize}{lockRows}", transaction);
        if (after is { } last)
        {
            command.Add("@after", last);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            subjects.Add(new PageSubject(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2)));
        }

        return subjects;
    }

    /// <summary>The events of the subjects in a range, by subject.</summary>
    public static async Task<Dictionary<Guid, List<EventFact>>> EventsAsync(DbConnection connection, DbTransaction? transaction, SubjectRange range, CancellationToken cancellationToken)
    {
        var events = new Dictionary<Guid, List<EventFact>>();
        await using var command = Sql.Command(connection, "", transaction);
        command.CommandText = $"SELECT subject_id, event, purpose, occurred_at FROM subject_events WHERE {range.Bound(command, "subject_id")}";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var subject = reader.GetGuid(0);
            var fact = new EventFact(reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), new DateTimeOffset(Sql.Utc(reader.GetDateTime(3))));
            (events.TryGetValue(subject, out var list) ? list : events[subject] = []).Add(fact);
        }

        return events;
    }

    /// <summary>The items of a table in a range, one by one; only those of <paramref name="subjects"/> when it is given.</summary>
    public static async Task<List<Item>> ItemsAsync(DbConnection connection, DbTransaction? transaction, string table, SubjectRange range, IReadOnlyCollection<Guid>? subjects, CancellationToken cancellationToken)
    {
        var items = new List<Item>();
        await using var command = Sql.Command(connection, "", transaction);
        var only = subjects is null ? "" : " AND " + Sql.IdIn(command, "subject_id", "@subjects", subjects);
        command.CommandText = $"SELECT id, subject_id, purpose, category, collected_at, archived_at FROM {table} WHERE {range.Bound(command, "subject_id")}{only}";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new Item(reader.GetGuid(0), table == "documents", reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                new DateTimeOffset(Sql.Utc(reader.GetDateTime(4))), !reader.IsDBNull(5)));
        }

        return items;
    }

    /// <summary>The items of a table in a range, counted in groups (see <see cref="Group"/>).</summary>
    public static async Task<List<Group>> GroupsAsync(DbConnection connection, DbTransaction? transaction, string table, SubjectRange range, RuleCoverage coverage, CancellationToken cancellationToken)
    {
        var groups = new List<Group>();
        await using var command = Sql.Command(connection, "", transaction);
        var bounded = range.Bound(command, "subject_id");
        var rules = coverage.Expression(command);
        var categories = connection is NpgsqlConnection ? "string_agg(category, ',')" : "group_concat(category, ',')";
        const string Archived = "CASE WHEN archived_at IS NULL THEN 0 ELSE 1 END";
        command.CommandText = $"""
            SELECT subject_id, purpose, {Archived}, count(*), min(collected_at), max(collected_at), {categories}
            FROM {table} WHERE {bounded}
            GROUP BY subject_id, purpose, {Archived}, {rules}
            """;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var all = reader.GetString(6);
            var first = all.IndexOf(',', StringComparison.Ordinal);
            groups.Add(new Group(reader.GetGuid(0), table == "documents", reader.GetString(1), first < 0 ? all : all[..first], reader.GetInt32(2) == 1, (int)reader.GetInt64(3),
                new DateTimeOffset(Sql.Utc(reader.GetDateTime(4))), new DateTimeOffset(Sql.Utc(reader.GetDateTime(5))), all));
        }

        return groups;
    }
}
