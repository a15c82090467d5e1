using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Charte.Journal;
using Charte.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;
using SQLitePCL;

namespace Charte.Ledger;

/// <summary>
/// Recomputes the tree from the journal in parts that are hashed apart and joined: each part is a perfect subtree of
/// <see cref="PartLeaves"/> leaves (the last one shorter), read on a connection of its own, so that the machine's cores
/// share the work. Within a part every entry's canonical bytes are rebuilt from its row and hashed; the part keeps the
/// right edge of its subtree, and a copy of it at each checkpoint size that falls inside it. Joined in order, the parts'
/// edges give the root at every checkpoint.
/// <para>
/// A whole part is first read the short way: the journal alone, from the entry of its first leaf on, in id order (the
/// order the sequencer takes entries in), and its recomputed subtree hash compared with the stored one. Only a part that
/// does not match (an entry changed, deleted or taken out of id order) is read again the long way, leaf by leaf against
/// the stored leaf hashes, which names the entry. A stored subtree hash changed along with the entries it covers passes
/// the short way but not the signed roots; <see cref="LedgerVerifier"/> then scans every part the long way.
/// </para>
/// </summary>
internal static class LedgerScan
{
    public const int PartLeaves = 1 << PartLevel;

    /// <summary>The level of a part's subtree in the stored tree (<c>ledger_nodes.level</c>).</summary>
    private const int PartLevel = 14;

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

    /// <summary>
    /// The right edge of the whole tree at each checkpoint size, and the problems found, in tree order; with
    /// <paramref name="shortWay"/>, whole parts may be read the short way (see the class summary).
    /// </summary>
    public static async Task<(long Size, Dictionary<long, byte[]> Roots, Dictionary<long, long> EntryAt, List<LedgerProblem> Problems)> ScanAsync(
        StoreLocation store, long size, IReadOnlySet<long> checkpointSizes, bool shortWay, CancellationToken cancellationToken)
    {
        var count = (int)((size + PartLeaves - 1) / PartLeaves);
        var parts = new Part[count];
        var anchors = await AnchorsAsync(store, size / PartLeaves, cancellationToken);
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken }, async (i, token) =>
        {
            var first = (long)i * PartLeaves;
            var anchor = anchors.TryGetValue(i, out var stored) ? stored : default((long, byte[])?);
            parts[i] = await PartAsync(store, first, Math.Min(size, first + PartLeaves), anchor, shortWay, checkpointSizes, token);
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

    /// <summary>
    /// The entry of the first leaf of each whole part and the stored hash of the part's subtree, by part number (a part
    /// whose rows are missing or damaged has none, and is read the long way).
    /// </summary>
    private static async Task<Dictionary<long, (long Entry, byte[] Root)>> AnchorsAsync(StoreLocation store, long wholeParts, CancellationToken cancellationToken)
    {
        var anchors = new Dictionary<long, (long, byte[])>();
        if (wholeParts == 0)
        {
            return anchors;
        }

        await using var connection = await Sql.OpenAsync(store, cancellationToken);
        await using var command = Sql.Command(connection, $"""
            SELECT n.idx, l.entry_id, n.hash FROM ledger_nodes n JOIN ledger_leaves l ON l.idx = n.idx * {PartLeaves}
            WHERE n.level = {PartLevel} AND n.idx < @parts
            """);
        command.Add("@parts", wholeParts);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var hash = (byte[])reader.GetValue(2);
            if (hash.Length == Merkle.HashSize)
            {
                anchors[reader.GetInt64(0)] = (reader.GetInt64(1), hash);
            }
        }

        return anchors;
    }

    private static async Task<Part> PartAsync(
        StoreLocation store, long first, long end, (long Entry, byte[] Root)? anchor, bool shortWay, IReadOnlySet<long> checkpointSizes, CancellationToken cancellationToken)
    {
        await using var connection = await Sql.OpenForScanAsync(store, cancellationToken);
        if (anchor is { } whole && shortWay)
        {
            var recomputed = new Part(first);
            using (var leaf = new Leaf(recomputed, checkpointSizes))
            {
                if (connection is SqliteConnection shortSqlite)
                {
                    RunSqlite(shortSqlite, whole.Entry, leaf);
                }
                else
                {
                    RunPostgreSql((NpgsqlConnection)connection, whole.Entry, leaf);
                }
            }

            if (recomputed.Range.Size == PartLeaves && recomputed.Range.Root().AsSpan().SequenceEqual(whole.Root))
            {
                return recomputed;
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        var part = new Part(first);
        using (var leaf = new Leaf(part, checkpointSizes))
        {
            if (connection is SqliteConnection sqlite)
            {
                ScanSqlite(sqlite, first, end, leaf);
            }
            else
            {
                ScanPostgreSql((NpgsqlConnection)connection, first, end, leaf);
            }

            leaf.End(end);
        }

        if (anchor is { } stored && part.Problems.Count == 0 && !part.Range.Root().AsSpan().SequenceEqual(stored.Root))
        {
            part.Problems.Add(new LedgerProblem(first,
                $"the stored hash of the subtree of leaves {first} to {end - 1} differs from the one its entries give: the stored tree is damaged there, and proofs through it will not verify"));
        }

        return part;
    }

    /// <summary>A journal row as every reader of this class takes it: the columns of the canonical form, in order.</summary>
    private const string JournalRows = "SELECT id, at, actor, action, subject, purpose, outcome, detail FROM journal";

    /// <summary>
    /// PostgreSQL, the short way: a whole part's worth of journal rows in id order from the entry of its first leaf, as a
    /// binary COPY read raw (<see cref="BinaryCopyReader"/>): the rows arrive as the same binary values a query gives,
    /// without the data reader's work on every column. Read synchronously, as the long way: a part keeps a core busy
    /// hashing, and a blocking read of the socket costs less than an asynchronous one that goes back to the thread pool
    /// whenever the server has not sent the next rows yet. A row that cannot be put in canonical form (a time out of
    /// .NET's range) ends the part there: it does not match, and the long way names the entry.
    /// </summary>
    private static void RunPostgreSql(NpgsqlConnection connection, long firstEntry, Leaf leaf)
    {
        var statement = string.Create(CultureInfo.InvariantCulture, $"COPY ({JournalRows} WHERE id >= {firstEntry} ORDER BY id LIMIT {PartLeaves}) TO STDOUT (FORMAT binary)");
        using var copy = connection.BeginRawBinaryCopy(statement);
        var rows = new BinaryCopyReader(copy, 2 + PostgreSqlRow.Fields);
        var row = new PostgreSqlRow();
        while (rows.Read())
        {
            if (!row.LeafInput(rows, out var id, out var input))
            {
                // The rest of the part is read and left, so that the connection goes back to the pool ready.
                while (rows.Read())
                {
                }

                return;
            }

            leaf.Recompute(id, input);
        }
    }

    private const string PostgreSqlLeaves = "SELECT idx, entry_id, hash FROM ledger_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx";

    // The text columns are read as their UTF-8 bytes (GetBytes), into one buffer per part rather than a string each.
    private const string PostgreSqlEntries = JournalRows + " WHERE id >= $1 AND id <= $2 ORDER BY id";

    /// <summary>
    /// PostgreSQL: the part's leaves, then the journal over the range of their entry ids in id order (two range scans,
    /// where a join would scan the journal for every part). Each journal row is hashed into the slot of its leaf; the
    /// leaves are then checked and appended in tree order. Nothing is allocated per row: the leaves' hashes go into one
    /// array, the rows' bytes into one buffer.
    /// </summary>
    private static void ScanPostgreSql(NpgsqlConnection connection, long first, long end, Leaf leaf)
    {
        var capacity = (int)(end - first);
        var indexes = new long[capacity];
        var entryIds = new long[capacity];
        var stored = new byte[capacity * Merkle.HashSize];
        var storedLengths = new int[capacity];
        var count = 0;
        using (var command = new NpgsqlCommand(PostgreSqlLeaves, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = first });
            command.Parameters.Add(new NpgsqlParameter { Value = end });
            using var reader = command.ExecuteReader();
            while (count < capacity && reader.Read())
            {
                indexes[count] = reader.GetInt64(0);
                entryIds[count] = reader.GetInt64(1);

                // A stored hash of another length (tampered) is kept empty: it matches nothing.
                var length = reader.GetBytes(2, 0, null, 0, 0);
                storedLengths[count] = length == Merkle.HashSize ? (int)reader.GetBytes(2, 0, stored, count * Merkle.HashSize, Merkle.HashSize) : 0;
                count++;
            }
        }

        if (count == 0)
        {
            return;
        }

        var byEntry = new int[count];
        for (var i = 0; i < count; i++)
        {
            byEntry[i] = i;
        }

        Array.Sort(entryIds.AsSpan(0, count).ToArray(), byEntry);
        var hashes = new byte[count * Merkle.HashSize];
        var found = new bool[count];
        using (var command = new NpgsqlCommand(PostgreSqlEntries, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = entryIds[byEntry[0]] });
            command.Parameters.Add(new NpgsqlParameter { Value = entryIds[byEntry[^1]] });
            using var reader = command.ExecuteReader();
            var next = 0;
            var row = new PostgreSqlRow();
            while (next < count && reader.Read())
            {
                var id = reader.GetInt64(0);
                while (next < count && entryIds[byEntry[next]] < id)
                {
                    next++;
                }

                if (next < count && entryIds[byEntry[next]] == id)
                {
                    var slot = byEntry[next++];
                    leaf.Hash(row.LeafInput(reader, out _), hashes.AsSpan(slot * Merkle.HashSize, Merkle.HashSize));
                    found[slot] = true;
                }
            }
        }

        for (var i = 0; i < count; i++)
        {
            var hash = stored.AsSpan(i * Merkle.HashSize, storedLengths[i]);
            if (!leaf.Place(indexes[i], entryIds[i], hash, found[i], hashes.AsSpan(i * Merkle.HashSize, Merkle.HashSize)))
            {
                return;
            }
        }
    }

    /// <summary>A journal row of PostgreSQL as a leaf input, its text columns read as UTF-8 bytes, without a JSON writer.</summary>
    private sealed class PostgreSqlRow
    {
        public const int Fields = 6;

        /// <summary><c>timestamptz</c>'s binary form counts microseconds from 2000-01-01 UTC.</summary>
        private static readonly long PostgreSqlEpoch = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

        private readonly int[] _starts = new int[Fields];
        private readonly int[] _lengths = new int[Fields];
        private byte[] _text = new byte[2048];
        private byte[] _output = new byte[2048];

        // The canonical time of the previous row, and its minute: the next row's usually differs in its seconds alone.
        private readonly byte[] _time = new byte[LedgerEntry.TimeLength];
        private long _minute = -1;

        /// <summary>
        /// 0x00 ‖ the canonical bytes of the row (columns id, at, actor, action, subject, purpose, outcome, detail), its
        /// columns read in order (the reader then never seeks back in the row), each text copied once.
        /// </summary>
        public ReadOnlySpan<byte> LeafInput(NpgsqlDataReader reader, out long id)
        {
            id = reader.GetInt64(0);
            var when = reader.GetDateTime(1);
            var at = 0;
            for (var i = 0; i < Fields; i++)
            {
                var column = 2 + i;
                if (reader.IsDBNull(column))
                {
                    (_starts[i], _lengths[i]) = (at, -1);
                    continue;
                }

                var length = (int)reader.GetBytes(column, 0, _text, at, _text.Length - at);
                if (at + length == _text.Length)
                {
                    // The buffer may have cut the text short: grow it and read the whole text again.
                    var whole = (int)reader.GetBytes(column, 0, null, 0, 0);
                    if (at + whole >= _text.Length)
                    {
                        Array.Resize(ref _text, (at + whole) * 2);
                    }

                    length = (int)reader.GetBytes(column, 0, _text, at, whole);
                }

                (_starts[i], _lengths[i]) = (at, length);
                at += length;
            }

            return Canonical(id, when, at);
        }

        /// <summary>The same from a row of a binary COPY of those columns; false when its time is out of .NET's range.</summary>
        public bool LeafInput(BinaryCopyReader row, out long id, out ReadOnlySpan<byte> input)
        {
            id = row.Int64(0);
            input = default;
            var micros = BinaryPrimitives.ReadInt64BigEndian(row.Field(1));
            if (micros < (DateTime.MinValue.Ticks - PostgreSqlEpoch) / 10 || micros > (DateTime.MaxValue.Ticks - PostgreSqlEpoch) / 10)
            {
                return false;
            }

            var at = 0;
            for (var i = 0; i < Fields; i++)
            {
                var text = row.Field(2 + i);
                if (row.IsNull(2 + i))
                {
                    (_starts[i], _lengths[i]) = (at, -1);
                    continue;
                }

                if (at + text.Length > _text.Length)
                {
                    Array.Resize(ref _text, (at + text.Length) * 2);
                }

                text.CopyTo(_text.AsSpan(at));
                (_starts[i], _lengths[i]) = (at, text.Length);
                at += text.Length;
            }

            input = Canonical(id, new DateTime(PostgreSqlEpoch + micros * 10, DateTimeKind.Utc), at);
            return true;
        }

        /// <summary>The leaf input of the row whose texts (<paramref name="length"/> bytes in all) are in <see cref="_text"/>.</summary>
        private ReadOnlySpan<byte> Canonical(long id, DateTime when, int length)
        {
            if (_output.Length < length * 2 + 512)
            {
                _output = new byte[length * 2 + 512];
            }

            var minute = when.Ticks / TimeSpan.TicksPerMinute;
            if (minute == _minute)
            {
                LedgerEntry.WriteSeconds(when, _time);
            }
            else
            {
                LedgerEntry.WriteTime(when, _time);
                _minute = minute;
            }

            var canonical = LedgerEntry.TryWriteAt(_output.AsSpan(1), id, _time, Field(0), Field(1), Field(2), Field(3), Field(4), Field(5));
            if (canonical > 0)
            {
                _output[0] = 0x00;
                return _output.AsSpan(0, canonical + 1);
            }

            // A character JSON escapes: the general path.
            return LedgerLeafInput.General(id, when, i => _lengths[i] < 0 ? null : Encoding.UTF8.GetString(_text, _starts[i], _lengths[i]), ref _output);
        }

        private Utf8Field Field(int i) => _lengths[i] < 0 ? Utf8Field.Null : new Utf8Field(_text.AsSpan(_starts[i], _lengths[i]));
    }

    private const string SqliteRun = JournalRows + " WHERE id >= ?1 ORDER BY id LIMIT ?2";
    private const string SqliteLeaves = "SELECT idx, entry_id, hash FROM ledger_leaves WHERE idx >= ?1 AND idx < ?2 ORDER BY idx";
    private const string SqliteEntries = JournalRows + " WHERE id >= ?1 ORDER BY id";
    private const string SqliteEntry = JournalRows + " WHERE id = ?1";

    /// <summary>
    /// SQLite, read through native statements: the leaves in order, merged with the journal read in id order beside them
    /// (on SQLite the sequencer takes entries in id order, so both advance together; an entry out of that order is
    /// looked up on its own). The columns' UTF-8 bytes go straight into the canonical form without becoming .NET strings.
    /// </summary>
    private static void ScanSqlite(SqliteConnection connection, long first, long end, Leaf leaf)
    {
        var db = Mapped(connection);
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
            var stored = SqliteColumns.Bytes(leafRow, 2);
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

    /// <summary>SQLite, the short way: a whole part's worth of journal rows in id order from the entry of its first leaf.</summary>
    private static void RunSqlite(SqliteConnection connection, long firstEntry, Leaf leaf)
    {
        var db = Mapped(connection);
        using var entries = Prepare(db, SqliteRun);
        raw.sqlite3_bind_int64(entries, 1, firstEntry);
        raw.sqlite3_bind_int64(entries, 2, PartLeaves);
        var row = entries.DangerousGetHandle();
        var buffer = new byte[4096];
        int step;
        while ((step = raw.sqlite3_step(entries)) == raw.SQLITE_ROW)
        {
            leaf.Recompute(SqliteColumns.Int64(row, 0), CanonicalSqlite(row, ref buffer));
        }

        if (step != raw.SQLITE_DONE)
        {
            Check(db, step);
        }
    }

    /// <summary>A read-only pass over the whole file: mapped, its pages are read without a system call each.</summary>
    private static sqlite3 Mapped(SqliteConnection connection)
    {
        var db = connection.Handle!;
        Check(db, raw.sqlite3_exec(db, "PRAGMA mmap_size=2147418112"));
        return db;
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
        var at = SqliteColumns.Bytes(statement, 1);
        Utf8Field Field(int column) => SqliteColumns.Field(statement, column);
        Utf8Field Required(int column) => new(SqliteColumns.Bytes(statement, column));
        bool Null(int column) => SqliteColumns.IsNull(statement, column);
        ReadOnlySpan<byte> Text(int column) => SqliteColumns.Field(statement, column).Value;
        while (true)
        {
            // Written after the leaf prefix, so that the leaf is hashed in one call.
            var written = LedgerEntry.TryWrite(buffer.AsSpan(1), id, at, Required(2), Required(3), Field(4), Field(5), Required(6), Field(7));
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
        return DateTime.TryParse(Encoding.UTF8.GetString(at), CultureInfo.InvariantCulture, out var when)
            ? LedgerLeafInput.General(id, when, i => Null(2 + i) ? null : Encoding.UTF8.GetString(Text(2 + i)), ref buffer)
            : LedgerLeafInput.Unreadable(at, ref buffer);
    }

    private static void Check(sqlite3 db, int code) => NativeStatement.Check(db, code);

    /// <summary>The per-leaf checks of a part, whichever store the rows come from.</summary>
    private sealed class Leaf(Part part, IReadOnlySet<long> checkpointSizes) : IDisposable
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        /// <summary>Checks and appends one leaf (its input: 0x00 ‖ canonical bytes); false when the leaves jump (the part stops there).</summary>
        public bool Add(long index, long entryId, ReadOnlySpan<byte> stored, bool present, ReadOnlySpan<byte> leafInput)
        {
            Span<byte> hash = stackalloc byte[Merkle.HashSize];
            if (present)
            {
                Hash(leafInput, hash);
            }

            return Place(index, entryId, stored, present, hash);
        }

        /// <summary>The leaf hash of a leaf input (0x00 ‖ canonical bytes).</summary>
        public void Hash(ReadOnlySpan<byte> leafInput, Span<byte> hash)
        {
            _hash.AppendData(leafInput);
            _hash.GetHashAndReset(hash);
        }

        /// <summary>Appends the next leaf from its entry alone, checked against nothing stored (the short way).</summary>
        public void Recompute(long entryId, ReadOnlySpan<byte> leafInput)
        {
            Span<byte> hash = stackalloc byte[Merkle.HashSize];
            Hash(leafInput, hash);
            Append(part.First + part.Range.Size, entryId, hash);
        }

        /// <summary>Checks and appends one leaf whose hash was computed from its entry; false when the leaves jump.</summary>
        public bool Place(long index, long entryId, ReadOnlySpan<byte> stored, bool present, Span<byte> hash)
        {
            var expected = part.First + part.Range.Size;
            if (index != expected)
            {
                part.Problems.Add(new LedgerProblem(expected, $"leaf {expected} is missing: the leaves jump from {expected - 1} to {index}"));
                part.Broken = true;
                return false;
            }

            if (!present)
            {
                part.Problems.Add(new LedgerProblem(index, $"entry {entryId} (leaf {index}) is missing from the journal: it was deleted"));
                hash = stored.Length == Merkle.HashSize ? stored.ToArray() : hash;
            }
            else
            {
                if (!hash.SequenceEqual(stored))
                {
                    part.Problems.Add(new LedgerProblem(index, $"entry {entryId} (leaf {index}) does not match its leaf hash: it was changed after it was sequenced"));
                }
            }

            Append(index, entryId, hash);
            return true;
        }

        private void Append(long index, long entryId, ReadOnlySpan<byte> hash)
        {
            if (index == 0 || checkpointSizes.Contains(index))
            {
                part.EntryAt[index] = entryId;
            }

            part.Range.Append(hash);
            if (checkpointSizes.Contains(index + 1))
            {
                part.AtCheckpoints[index + 1] = part.Range.Clone();
            }
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

/// <summary>The leaf input of a row of an unusual shape, through the journal entry and the general JSON writer.</summary>
internal static class LedgerLeafInput
{
    /// <summary>
    /// A row whose time is no time at all (someone wrote text there): it has no canonical form, and stands for itself as
    /// 0x00 ‖ '!' ‖ that text, which no entry's leaf input is (canonical bytes begin with '{'), so its leaf hash differs
    /// from the stored one and the verifier names the entry instead of failing on it.
    /// </summary>
    public static ReadOnlySpan<byte> Unreadable(ReadOnlySpan<byte> time, ref byte[] buffer)
    {
        if (time.Length + 2 > buffer.Length)
        {
            buffer = new byte[time.Length + 2];
        }

        buffer[0] = 0x00;
        buffer[1] = (byte)'!';
        time.CopyTo(buffer.AsSpan(2));
        return buffer.AsSpan(0, time.Length + 2);
    }

    /// <summary>0x00 ‖ the canonical bytes, in <paramref name="buffer"/> (grown if needed); <paramref name="text"/>: the six text fields from actor to detail.</summary>
    public static ReadOnlySpan<byte> General(long id, DateTime at, Func<int, string?> text, ref byte[] buffer)
    {
        var entry = new JournalEntry
        {
            Id = id,
            At = Sql.Utc(at),
            Actor = text(0)!,
            Action = text(1)!,
            Subject = text(2),
            Purpose = text(3),
            Outcome = text(4)!,
            Detail = text(5),
        };
        var bytes = LedgerEntry.Write(entry, new ArrayBufferWriter<byte>(512));
        if (bytes.Length + 1 > buffer.Length)
        {
            buffer = new byte[bytes.Length + 1];
        }

        buffer[0] = 0x00;
        bytes.CopyTo(buffer.AsSpan(1));
        return buffer.AsSpan(0, bytes.Length + 1);
    }
}
