using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Charte.Journal;
using Charte.Storage;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Charte.Ledger;

/// <summary>
/// Recomputes the tree from the journal in parts that are hashed apart and joined: each part is a perfect subtree of
/// <see cref="PartLeaves"/> leaves (the last one shorter), read on a connection of its own, so that the machine's cores
/// share the work. Within a part every entry's canonical bytes are rebuilt from its row and hashed; the part keeps the
/// right edge of its subtree, and a copy of it at each checkpoint size that falls inside it. Joined in order, the parts'
/// edges give the root at every checkpoint.
/// </summary>
internal static class LedgerScan
{
    public const int PartLeaves = 1 << 14;

    private const string Query = """
        SELECT l.idx, l.entry_id, l.hash, j.id, j.at, j.actor, j.action, j.subject, j.purpose, j.outcome, j.detail
        FROM ledger_leaves l LEFT JOIN journal j ON j.id = l.entry_id
        WHERE l.idx >= @first AND l.idx < @end ORDER BY l.idx
        """;

    /// <summary>One part of the tree: its leaves' right edge, the edges at the checkpoint sizes inside it, what was wrong.</summary>
    public sealed class Part(long first)
    {
        public long First => first;
        public CompactRange Range { get; } = new();
        public Dictionary<long, CompactRange> AtCheckpoints { get; } = [];
        public Dictionary<long, long> EntryAt { get; } = [];
        public List<LedgerProblem> Problems { get; } = [];

        /// <summary>The leaves stopped before the end of the part (an index is missing): what follows cannot be placed.</summary>
        public bool Broken { get; set; }
    }

    /// <summary>The right edge of the whole tree at each checkpoint size, and the problems found, in tree order.</summary>
    public static async Task<(long Size, Dictionary<long, byte[]> Roots, Dictionary<long, long> EntryAt, List<LedgerProblem> Problems)> ScanAsync(
        StoreLocation store, long size, IReadOnlySet<long> checkpointSizes, CancellationToken cancellationToken)
    {
        var count = (int)((size + PartLeaves - 1) / PartLeaves);
        var parts = new Part[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken }, async (i, token) =>
        {
            var first = (long)i * PartLeaves;
            parts[i] = await PartAsync(store, first, Math.Min(size, first + PartLeaves), checkpointSizes, token);
        });

        var whole = new CompactRange();
        var roots = new Dictionary<long, byte[]>();
        var entryAt = new Dictionary<long, long>();
        var problems = new List<LedgerProblem>();
        var tree = 0L;
        foreach (var part in parts)
        {
            var before = whole.Scaled(part.First);
            foreach (var (at, range) in part.AtCheckpoints)
            {
                // A checkpoint at the end of a whole part: the part is one more perfect subtree of the whole.
                var joined = range.Size == PartLeaves ? whole.Clone() : CompactRange.Concat(before, range);
                if (range.Size == PartLeaves)
                {
                    joined.Append(range.Root());
                }

                roots[at] = joined.Root();
            }

            foreach (var (leaf, entry) in part.EntryAt)
            {
                entryAt[leaf] = entry;
            }

            problems.AddRange(part.Problems);
            tree = part.First + part.Range.Size;
            if (part.Broken)
            {
                break;
            }

            if (part.Range.Size == PartLeaves)
            {
                whole.Append(part.Range.Root());
            }
        }

        return (tree, roots, entryAt, problems);
    }

    private static async Task<Part> PartAsync(StoreLocation store, long first, long end, IReadOnlySet<long> checkpointSizes, CancellationToken cancellationToken)
    {
        var part = new Part(first);
        using var leaf = new Leaf(part, checkpointSizes);
        await using var connection = await Sql.OpenAsync(store, cancellationToken);
        if (connection is SqliteConnection sqlite)
        {
            ScanSqlite(sqlite, first, end, leaf);
            leaf.End(end);
            return part;
        }

        await using var command = Sql.Command(connection, Query);
        command.Add("@first", first);
        command.Add("@end", end);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var scratch = new ArrayBufferWriter<byte>(512);
        while (await reader.ReadAsync(cancellationToken))
        {
            var entry = reader.IsDBNull(3) ? null : LedgerStore.ReadEntry(reader, 3);
            var canonical = entry is null ? default : LedgerEntry.WriteLeafInput(entry, scratch);
            if (!leaf.Add(reader.GetInt64(0), reader.GetInt64(1), (byte[])reader.GetValue(2), entry is not null, canonical))
            {
                break;
            }
        }

        leaf.End(end);
        return part;
    }

    private const string SqliteLeaves = "SELECT idx, entry_id, hash FROM ledger_leaves WHERE idx >= ?1 AND idx < ?2 ORDER BY idx";
    private const string SqliteEntries = "SELECT id, at, actor, action, subject, purpose, outcome, detail FROM journal WHERE id >= ?1 ORDER BY id";
    private const string SqliteEntry = "SELECT id, at, actor, action, subject, purpose, outcome, detail FROM journal WHERE id = ?1";

    /// <summary>
    /// SQLite, read through native statements: the leaves in order, merged with the journal read in id order beside them
    /// (on SQLite the sequencer takes entries in id order, so both advance together; an entry out of that order is
    /// looked up on its own). The columns' UTF-8 bytes go straight into the canonical form without becoming .NET strings.
    /// </summary>
    private static void ScanSqlite(SqliteConnection connection, long first, long end, Leaf leaf)
    {
        var db = connection.Handle!;
        // A read-only pass over the whole file: mapped, its pages are read without a system call each.
        Check(db, raw.sqlite3_exec(db, "PRAGMA mmap_size=2147418112"));

        using var leaves = Prepare(db, SqliteLeaves);
        using var entries = Prepare(db, SqliteEntries);
        using var single = Prepare(db, SqliteEntry);
        raw.sqlite3_bind_int64(leaves, 1, first);
        raw.sqlite3_bind_int64(leaves, 2, end);
        var (leafRow, entryRow, singleRow) = (leaves.DangerousGetHandle(), entries.DangerousGetHandle(), single.DangerousGetHandle());
        var buffer = new byte[4096];
        var started = false;
        var cursor = long.MinValue;
        int step;
        while ((step = raw.sqlite3_step(leaves)) == raw.SQLITE_ROW)
        {
            var index = SqliteColumns.Int64(leafRow, 0);
            var entryId = SqliteColumns.Int64(leafRow, 1);
            var stored = SqliteColumns.Field(leafRow, 2).Value;
            if (!started)
            {
                raw.sqlite3_bind_int64(entries, 1, entryId);
                cursor = Next(db, entries, entryRow);
                started = true;
            }

            bool present;
            IntPtr row;
            if (cursor != long.MaxValue && entryId >= cursor)
            {
                while (cursor < entryId)
                {
                    cursor = Next(db, entries, entryRow);
                }

                (present, row) = (cursor == entryId, entryRow);
            }
            else
            {
                raw.sqlite3_reset(single);
                raw.sqlite3_bind_int64(single, 1, entryId);
                (present, row) = (Next(db, single, singleRow) == entryId, singleRow);
            }

            var canonical = present ? CanonicalSqlite(row, ref buffer) : default;
            if (!leaf.Add(index, entryId, stored, present, canonical))
            {
                break;
            }
        }

        if (step is not (raw.SQLITE_DONE or raw.SQLITE_ROW))
        {
            Check(db, step);
        }
    }

    private static sqlite3_stmt Prepare(sqlite3 db, string sql)
    {
        Check(db, raw.sqlite3_prepare_v2(db, sql, out var statement));
        return statement;
    }

    /// <summary>Steps to the next journal row and returns its id; <see cref="long.MaxValue"/> past the end.</summary>
    private static long Next(sqlite3 db, sqlite3_stmt statement, IntPtr row)
    {
        var step = raw.sqlite3_step(statement);
        if (step == raw.SQLITE_ROW)
        {
            return SqliteColumns.Int64(row, 0);
        }

        if (step != raw.SQLITE_DONE)
        {
            Check(db, step);
        }

        return long.MaxValue;
    }

    /// <summary>The canonical bytes of the journal row (columns id, at, actor, action, subject, purpose, outcome, detail).</summary>
    private static ReadOnlySpan<byte> CanonicalSqlite(IntPtr statement, ref byte[] buffer)
    {
        var id = SqliteColumns.Int64(statement, 0);
        var at = SqliteColumns.Field(statement, 1).Value;
        Utf8Field Field(int column) => SqliteColumns.Field(statement, column);
        bool Null(int column) => SqliteColumns.IsNull(statement, column);
        ReadOnlySpan<byte> Text(int column) => SqliteColumns.Field(statement, column).Value;
        while (true)
        {
            // Written after the leaf prefix, so that the leaf is hashed in one call.
            var written = LedgerEntry.TryWrite(buffer.AsSpan(1), id, at, Field(2), Field(3), Field(4), Field(5), Field(6), Field(7));
            if (written > 0)
            {
                buffer[0] = 0x00;
                return buffer.AsSpan(0, written + 1);
            }

            if (written == 0)
            {
                break;
            }

            buffer = new byte[buffer.Length * 4];
        }

        // Not the usual shape (a character JSON escapes, an unusual date): the general path, from .NET values.
        string? String(int column) => Null(column) ? null : Encoding.UTF8.GetString(Text(column));
        var entry = new JournalEntry
        {
            Id = id,
            At = Sql.Utc(DateTime.Parse(Encoding.UTF8.GetString(at), CultureInfo.InvariantCulture)),
            Actor = String(2)!,
            Action = String(3)!,
            Subject = String(4),
            Purpose = String(5),
            Outcome = String(6)!,
            Detail = String(7),
        };
        var scratch = new ArrayBufferWriter<byte>(512);
        var bytes = LedgerEntry.Write(entry, scratch);
        if (bytes.Length + 1 > buffer.Length)
        {
            buffer = new byte[bytes.Length + 1];
        }

        buffer[0] = 0x00;
        bytes.CopyTo(buffer.AsSpan(1));
        return buffer.AsSpan(0, bytes.Length + 1);
    }

    private static void Check(sqlite3 db, int code)
    {
        if (code != raw.SQLITE_OK)
        {
            throw new SqliteException($"SQLite Error {code}: '{raw.sqlite3_errmsg(db).utf8_to_string()}'.", code);
        }
    }

    /// <summary>The per-leaf checks of a part, whichever store the rows come from.</summary>
    private sealed class Leaf(Part part, IReadOnlySet<long> checkpointSizes) : IDisposable
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        /// <summary>Checks and appends one leaf (its input: 0x00 ‖ canonical bytes); false when the leaves jump (the part stops there).</summary>
        public bool Add(long index, long entryId, ReadOnlySpan<byte> stored, bool present, ReadOnlySpan<byte> leafInput)
        {
            var expected = part.First + part.Range.Size;
            if (index != expected)
            {
                part.Problems.Add(new LedgerProblem(expected, $"leaf {expected} is missing: the leaves jump from {expected - 1} to {index}"));
                part.Broken = true;
                return false;
            }

            if (index == 0 || checkpointSizes.Contains(index))
            {
                part.EntryAt[index] = entryId;
            }

            Span<byte> hash = stackalloc byte[Merkle.HashSize];
            if (!present)
            {
                part.Problems.Add(new LedgerProblem(index, $"entry {entryId} (leaf {index}) is missing from the journal: it was deleted"));
                hash = stored.Length == Merkle.HashSize ? stored.ToArray() : hash;
            }
            else
            {
                _hash.AppendData(leafInput);
                _hash.GetHashAndReset(hash);
                if (!hash.SequenceEqual(stored))
                {
                    part.Problems.Add(new LedgerProblem(index, $"entry {entryId} (leaf {index}) does not match its leaf hash: it was changed after it was sequenced"));
                }
            }

            part.Range.Append(hash);
            if (checkpointSizes.Contains(index + 1))
            {
                part.AtCheckpoints[index + 1] = part.Range.Clone();
            }

            return true;
        }

        /// <summary>Notes leaves missing at the end of the part, where no jump shows them.</summary>
        public void End(long end)
        {
            var reached = part.First + part.Range.Size;
            if (!part.Broken && reached < end)
            {
                part.Problems.Add(new LedgerProblem(reached, $"leaf {reached} is missing: the leaves stop at {reached - 1}, before {end - 1}"));
                part.Broken = true;
            }
        }

        public void Dispose() => _hash.Dispose();
    }
}
