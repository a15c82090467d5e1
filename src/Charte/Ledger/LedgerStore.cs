using System.Data.Common;
using System.Runtime.CompilerServices;
using Charte.Journal;
using Charte.Storage;
using Npgsql;

namespace Charte.Ledger;

/// <summary>A stored checkpoint: the signed note and its RFC 3161 token over SHA-256 of the note's text.</summary>
public sealed record StoredCheckpoint(long Size, byte[] Root, string Note, byte[] Token, DateTime CreatedAt);

/// <summary>A journal entry with its place in the tree: leaf index, stored leaf hash, and the entry (null when its row is gone).</summary>
public sealed record StoredLeaf(long Index, long EntryId, byte[] Hash, JournalEntry? Entry);

/// <summary>The ledger's tables in plain SQL, for the sequencer, the proofs and the verifier.</summary>
public static class LedgerStore
{
    private const string EntryColumns = "j.id, j.at, j.actor, j.action, j.subject, j.purpose, j.outcome, j.detail";

    public static JournalEntry ReadEntry(DbDataReader reader, int offset) => new()
    {
        Id = reader.GetInt64(offset),
        At = Sql.Utc(reader.GetDateTime(offset + 1)),
        Actor = reader.GetString(offset + 2),
        Action = reader.GetString(offset + 3),
        Subject = reader.IsDBNull(offset + 4) ? null : reader.GetString(offset + 4),
        Purpose = reader.IsDBNull(offset + 5) ? null : reader.GetString(offset + 5),
        Outcome = reader.GetString(offset + 6),
        Detail = reader.IsDBNull(offset + 7) ? null : reader.GetString(offset + 7),
    };

    public static async Task<long> SizeAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(connection, "SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_leaves", transaction);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task<long> LastEntryIdAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(connection, "SELECT COALESCE(MAX(entry_id), 0) FROM ledger_leaves", transaction);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Journal entries not yet in the tree, oldest first: those above <paramref name="above"/> (the last entry
    /// integrated) and, on PostgreSQL, those among <paramref name="gaps"/>, the ids below it that had not committed when
    /// their neighbours were integrated. Both are index lookups, whatever the size of the journal.
    /// </summary>
    public static async Task<List<JournalEntry>> PendingAsync(DbConnection connection, DbTransaction? transaction, long above, IReadOnlyCollection<long> gaps, int limit, CancellationToken cancellationToken)
    {
        // The id range is bounded as well as the count: with only "id > @above", a planner whose statistics lag behind a
        // fast-growing journal estimates thousands of rows and scans the table. Past a hole wider than the range (rolled
        // back ids), the next entry's id is looked up.
        var upper = above + limit;
        var entries = new List<JournalEntry>();
        if (await NextIdAsync(connection, transaction, above, cancellationToken) is not { } next)
        {
            if (gaps.Count == 0)
            {
                return entries;
            }

            upper = above;
        }
        else if (next > upper)
        {
            upper = next + limit;
        }

        var range = "j.id > @above AND j.id <= @upper";
        var sql = gaps.Count == 0
            ? $"SELECT {EntryColumns} FROM journal j WHERE {range} ORDER BY j.id LIMIT @limit"
            : $"""
                SELECT * FROM (
                    (SELECT {EntryColumns} FROM journal j WHERE j.id = ANY(@gaps))
                    UNION ALL
                    (SELECT {EntryColumns} FROM journal j WHERE {range} ORDER BY j.id LIMIT @limit)) p
                ORDER BY p.id LIMIT @limit
                """;
        await using var command = Sql.Command(connection, sql, transaction);
        command.Add("@above", above);
        command.Add("@upper", upper);
        command.Add("@limit", limit);
        if (gaps.Count > 0)
        {
            command.Add("@gaps", gaps.ToArray());
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(ReadEntry(reader, 0));
        }

        return entries;
    }

    private static async Task<long?> NextIdAsync(DbConnection connection, DbTransaction? transaction, long above, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(connection, "SELECT MIN(id) FROM journal WHERE id > @above", transaction);
        command.Add("@above", above);
        return await command.ExecuteScalarAsync(cancellationToken) is long id ? id : null;
    }

    /// <summary>The journal ids in (<paramref name="from"/>, <paramref name="to"/>] that are not leaves (PostgreSQL).</summary>
    public static async Task<List<long>> GapsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long from, long to, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT g FROM generate_series($1::bigint, $2::bigint) g WHERE NOT EXISTS (SELECT 1 FROM ledger_leaves l WHERE l.entry_id = g)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = from + 1 });
        command.Parameters.Add(new NpgsqlParameter { Value = to });
        var gaps = new List<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            gaps.Add(reader.GetInt64(0));
        }

        return gaps;
    }

    /// <summary>The hashes of the given perfect subtrees (level 0: leaves).</summary>
    public static async Task<Dictionary<(int Level, long Index), byte[]>> NodesAsync(DbConnection connection, DbTransaction? transaction, IEnumerable<(int Level, long Index)> wanted, CancellationToken cancellationToken)
    {
        var found = new Dictionary<(int, long), byte[]>();
        var list = wanted.Distinct().ToList();
        if (list.Count == 0)
        {
            return found;
        }

        await using var leaf = Sql.Command(connection, "SELECT hash FROM ledger_leaves WHERE idx = @idx", transaction);
        var leafIndex = leaf.Add("@idx", 0L);
        await using var node = Sql.Command(connection, "SELECT hash FROM ledger_nodes WHERE level = @level AND idx = @idx", transaction);
        var nodeLevel = node.Add("@level", 0);
        var nodeIndex = node.Add("@idx", 0L);
        foreach (var (level, index) in list)
        {
            DbCommand command;
            if (level == 0)
            {
                leafIndex.Value = index;
                command = leaf;
            }
            else
            {
                nodeLevel.Value = level;
                nodeIndex.Value = index;
                command = node;
            }

            if (await command.ExecuteScalarAsync(cancellationToken) is byte[] hash)
            {
                found[(level, index)] = hash;
            }
        }

        return found;
    }

    /// <summary>Runs a proof function over stored hashes: the perfect subtrees it needs are read first, in one pass.</summary>
    public static async Task<T> WithNodesAsync<T>(DbConnection connection, Func<Func<int, long, byte[]>, T> proof, CancellationToken cancellationToken)
    {
        var wanted = new List<(int, long)>();
        proof((level, index) =>
        {
            wanted.Add((level, index));
            return new byte[Merkle.HashSize];
        });
        var nodes = await NodesAsync(connection, null, wanted, cancellationToken);
        return proof((level, index) => nodes.TryGetValue((level, index), out var hash)
            ? hash
            : throw new InvalidOperationException($"the ledger has no stored hash for the subtree at level {level}, index {index}"));
    }

    public static async Task AppendAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<(long Index, long EntryId, byte[] Hash)> leaves,
        IReadOnlyList<(int Level, long Index, byte[] Hash)> nodes, CancellationToken cancellationToken)
    {
        if (connection is NpgsqlConnection)
        {
            await using var batch = new NpgsqlBatch((NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
            var leafCommand = new NpgsqlBatchCommand("INSERT INTO ledger_leaves (idx, entry_id, hash) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[])");
            leafCommand.Parameters.Add(new NpgsqlParameter { Value = leaves.Select(l => l.Index).ToArray() });
            leafCommand.Parameters.Add(new NpgsqlParameter { Value = leaves.Select(l => l.EntryId).ToArray() });
            leafCommand.Parameters.Add(new NpgsqlParameter { Value = leaves.Select(l => l.Hash).ToArray() });
            batch.BatchCommands.Add(leafCommand);
            if (nodes.Count > 0)
            {
                var nodeCommand = new NpgsqlBatchCommand("INSERT INTO ledger_nodes (level, idx, hash) SELECT * FROM unnest($1::int[], $2::bigint[], $3::bytea[])");
                nodeCommand.Parameters.Add(new NpgsqlParameter { Value = nodes.Select(n => n.Level).ToArray() });
                nodeCommand.Parameters.Add(new NpgsqlParameter { Value = nodes.Select(n => n.Index).ToArray() });
                nodeCommand.Parameters.Add(new NpgsqlParameter { Value = nodes.Select(n => n.Hash).ToArray() });
                batch.BatchCommands.Add(nodeCommand);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken);
            return;
        }

        await using (var command = Sql.Command(connection, "INSERT INTO ledger_leaves (idx, entry_id, hash) VALUES (@idx, @entry, @hash)", transaction))
        {
            var (idx, entry, hash) = (command.Add("@idx", 0L), command.Add("@entry", 0L), command.Add("@hash", Array.Empty<byte>()));
            command.Prepare();
            foreach (var leaf in leaves)
            {
                (idx.Value, entry.Value, hash.Value) = (leaf.Index, leaf.EntryId, leaf.Hash);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await using (var command = Sql.Command(connection, "INSERT INTO ledger_nodes (level, idx, hash) VALUES (@level, @idx, @hash)", transaction))
        {
            var (level, idx, hash) = (command.Add("@level", 0), command.Add("@idx", 0L), command.Add("@hash", Array.Empty<byte>()));
            command.Prepare();
            foreach (var node in nodes)
            {
                (level.Value, idx.Value, hash.Value) = (node.Level, node.Index, node.Hash);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }
    }

    private const string CheckpointColumns = "SELECT tree_size, root, note, timestamp_token, created_at FROM ledger_checkpoints";

    /// <summary>
    /// Every checkpoint, oldest first, read as the caller goes: a busy ledger signs one every few seconds, millions over
    /// the years, and the verifier and the export, which go through them all, keep none of them.
    /// </summary>
    public static async IAsyncEnumerable<StoredCheckpoint> CheckpointsAsync(DbConnection connection, [EnumeratorCancellation] CancellationToken cancellationToken, long from = 0)
    {
        await using var command = Sql.Command(connection, $"{CheckpointColumns} WHERE tree_size >= @from ORDER BY tree_size");
        command.Add("@from", from);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return Checkpoint(reader);
        }
    }

    /// <summary>The size and root of every checkpoint, oldest first, read as the caller goes.</summary>
    public static async IAsyncEnumerable<(long Size, byte[] Root)> CheckpointRootsAsync(DbConnection connection, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(connection, "SELECT tree_size, root FROM ledger_checkpoints ORDER BY tree_size");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return (reader.GetInt64(0), (byte[])reader.GetValue(1));
        }
    }

    /// <summary>The checkpoint of a tree size, or the latest when <paramref name="size"/> is null; null when there is none.</summary>
    public static async Task<StoredCheckpoint?> CheckpointAsync(DbConnection connection, long? size, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(connection, size is null ? $"{CheckpointColumns} ORDER BY tree_size DESC LIMIT 1" : $"{CheckpointColumns} WHERE tree_size = @size");
        if (size is { } wanted)
        {
            command.Add("@size", wanted);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Checkpoint(reader) : null;
    }

    /// <summary>The tree sizes of the latest checkpoints, newest first.</summary>
    public static async Task<List<long>> LatestCheckpointSizesAsync(DbConnection connection, int count, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(connection, $"SELECT tree_size FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT {count}");
        var sizes = new List<long>(count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            sizes.Add(reader.GetInt64(0));
        }

        return sizes;
    }

    private static StoredCheckpoint Checkpoint(DbDataReader reader) =>
        new(reader.GetInt64(0), (byte[])reader.GetValue(1), reader.GetString(2), (byte[])reader.GetValue(3), Sql.Utc(reader.GetDateTime(4)));

    public static async Task InsertCheckpointAsync(DbConnection connection, StoredCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(connection, "INSERT INTO ledger_checkpoints (tree_size, root, note, timestamp_token, created_at) VALUES (@size, @root, @note, @token, @at)");
        command.Add("@size", checkpoint.Size);
        command.Add("@root", checkpoint.Root);
        command.Add("@note", checkpoint.Note);
        command.Add("@token", checkpoint.Token);
        command.Add("@at", checkpoint.CreatedAt);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Every leaf in index order with its entry (a LEFT JOIN: a deleted entry shows as null), streamed.</summary>
    public static async IAsyncEnumerable<StoredLeaf> LeavesAsync(DbConnection connection, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(connection, $"SELECT l.idx, l.entry_id, l.hash, {EntryColumns} FROM ledger_leaves l LEFT JOIN journal j ON j.id = l.entry_id ORDER BY l.idx");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new StoredLeaf(reader.GetInt64(0), reader.GetInt64(1), (byte[])reader.GetValue(2), reader.IsDBNull(3) ? null : ReadEntry(reader, 3));
        }
    }

    /// <summary>One journal entry by its id, as <see cref="ReadEntry"/> reads it; null when the journal never had it.</summary>
    public static async Task<JournalEntry?> EntryAsync(DbConnection connection, long id, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(connection, "SELECT id, at, actor, action, subject, purpose, outcome, detail FROM journal WHERE id = @id");
        command.Add("@id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadEntry(reader, 0) : null;
    }

    /// <summary>The leaf index of a journal entry, once the sequencer has integrated it.</summary>
    public static async Task<(long Index, byte[] Hash)?> LeafOfAsync(DbConnection connection, long entryId, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(connection, "SELECT idx, hash FROM ledger_leaves WHERE entry_id = @entry");
        command.Add("@entry", entryId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), (byte[])reader.GetValue(1)) : null;
    }

    /// <summary>
    /// How many journal entries are newer than the newest one in the tree (an index range, not a table count). The bound
    /// is given as a value: as a subquery, PostgreSQL's planner guesses a third of the journal and starts parallel
    /// workers to count what is usually nothing (60 ms at 500,000 entries).
    /// </summary>
    public static async Task<long> UnsequencedCountAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var newest = await LastEntryIdAsync(connection, null, cancellationToken);
        await using var command = Sql.Command(connection, "SELECT COUNT(*) FROM journal WHERE id > @newest");
        command.Add("@newest", newest);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }
}
