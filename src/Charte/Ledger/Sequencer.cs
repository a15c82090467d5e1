using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Charte.Journal;
using Charte.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Charte.Ledger;

public sealed record LedgerOptions
{
    /// <summary>The log's name in its checkpoints (C2SP origin), and the name of its key.</summary>
    public required string Origin { get; init; }

    /// <summary>How often a new checkpoint is signed and stamped when the tree has grown.</summary>
    public TimeSpan CheckpointEvery { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the sequencer rests after a pass. Short, so that each pass's write is short: on SQLite it holds the one
    /// writer lock that every read's journal entry also needs (a pass every 100 ms under 6,000 reads/s put the p99 of
    /// reads at 7–8 ms; every 25 ms, 4–5 ms).
    /// </summary>
    public TimeSpan Idle { get; init; } = TimeSpan.FromMilliseconds(25);

    /// <summary>How long the sequencer rests after a pass that found nothing: an idle server does not poll 40 times a second.</summary>
    public TimeSpan Rest { get; init; } = TimeSpan.FromMilliseconds(500);

    public int BatchSize { get; init; } = 4096;

    /// <summary>
    /// On PostgreSQL, entry ids come from a sequence and concurrent transactions may commit out of order: the sequencer
    /// looks this many ids back for entries that committed late.
    /// </summary>
    public long LateCommitWindow { get; init; } = 10_000;

    /// <summary>
    /// The ledger's settings as <c>charte serve</c> and <c>charte ledger checkpoint</c> both read them:
    /// <c>Charte:Ledger:Origin</c> (default: from the organisation's name) and <c>Charte:Ledger:CheckpointEvery</c>
    /// (default 10 s; a busy ledger signs one checkpoint per period, and verifying each costs about a millisecond).
    /// </summary>
    /// <exception cref="InvalidOperationException">A setting is not valid; the message says which and why.</exception>
    public static LedgerOptions From(Microsoft.Extensions.Configuration.IConfiguration configuration, Charters.Charter charter)
    {
        var origin = configuration["Charte:Ledger:Origin"] is { Length: > 0 } configured ? configured : DefaultOrigin(charter.Organisation.Name);
        if (origin.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)) || origin.Length > 200)
        {
            throw new InvalidOperationException($"Charte:Ledger:Origin must be one word of at most 200 characters, without spaces or control characters (a checkpoint's first line), such as {DefaultOrigin(charter.Organisation.Name)}");
        }

        var every = TimeSpan.FromSeconds(10);
        if (configuration["Charte:Ledger:CheckpointEvery"] is { Length: > 0 } text
            && (!TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out every) || every < TimeSpan.FromSeconds(1) || every > TimeSpan.FromDays(1)))
        {
            throw new InvalidOperationException($"Charte:Ledger:CheckpointEvery '{text}' is not a period from 00:00:01 to 1.00:00:00 (hh:mm:ss)");
        }

        return new LedgerOptions { Origin = origin, CheckpointEvery = every };
    }

    public static string DefaultOrigin(string organisation)
    {
        var slug = new StringBuilder();
        foreach (var c in organisation.Normalize(NormalizationForm.FormD))
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                slug.Append(char.ToLowerInvariant(c));
            }
            else if (slug.Length > 0 && slug[^1] != '-' && (c == ' ' || c == '-' || c == '.'))
            {
                slug.Append('-');
            }
        }

        return $"{slug.ToString().Trim('-')}.charte/ledger";
    }
}

/// <summary>
/// The one writer of the tree: integrates new journal entries in order and in batches (leaves and the perfect subtrees
/// they complete, in one durable transaction), and signs and stamps checkpoints. On PostgreSQL several servers share
/// the work through an advisory lock: one sequences, the others only append entries. A checkpoint is published only
/// with its timestamp: when the authority fails, nothing is published and the next round tries again.
/// </summary>
public sealed partial class Sequencer(StoreLocation store, SigningKeys keys, ITimestampAuthority timestamps, LedgerOptions options, TimeProvider clock, ILogger<Sequencer> log)
    : BackgroundService
{
    /// <summary>The advisory lock key of the sequencer: "charte" + 1.</summary>
    public const long LockKey = 0x6368617274650001;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private CompactRange? _range;
    private long _lastEntryId;

    /// <summary>
    /// PostgreSQL: ids below <see cref="_lastEntryId"/>, within the late-commit window, that were not in the journal
    /// when the entries around them were integrated (a transaction still open, or rolled back).
    /// </summary>
    private readonly SortedSet<long> _gaps = [];
    private long _lastCheckpointTicks;

    public LedgerOptions Options => options;

    /// <summary>Integrates every pending entry; returns how many.</summary>
    public async Task<int> IntegrateAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var total = 0;
            while (true)
            {
                var added = await IntegrateBatchAsync(cancellationToken);
                total += added;
                if (added < options.BatchSize)
                {
                    return total;
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// One batch. On PostgreSQL, one transaction from reading to commit. On SQLite, whose single writer is shared with the
    /// journal (every read of personal data waits for its journal entry), the write lock is held as briefly as
    /// possible: the batch is read and hashed before the write transaction, which checks that the tree has not moved,
    /// stores the leaves and nodes, and commits without waiting for the disk. The tree is derived data: every leaf is
    /// recomputed identically from the journal (SQLite's entries are sequenced in id order), and a signed checkpoint is
    /// committed with a full sync, which puts every leaf before it on disk first. A power cut can lose the leaves of the
    /// last moments, never a checkpoint's; the next pass integrates them again. The journal's checkpointer writes them
    /// to disk within a second in the meantime.
    /// </summary>
    private async Task<int> IntegrateBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await Sql.OpenAsync(store, cancellationToken);
        var sqlite = connection is SqliteConnection;
        var transaction = sqlite ? null : await connection.BeginTransactionAsync(cancellationToken);
        var relaxed = false;
        try
        {
            var size = await LedgerStore.SizeAsync(connection, transaction, cancellationToken);
            if (_range is null || _range.Size != size)
            {
                // First round, or another sequencer moved the tree: resume from what is stored.
                _range = await LoadAsync(connection, transaction, size, cancellationToken);
                _lastEntryId = await LedgerStore.LastEntryIdAsync(connection, transaction, cancellationToken);
                _gaps.Clear();
                if (connection is NpgsqlConnection npgsql)
                {
                    _gaps.UnionWith(await LedgerStore.GapsAsync(npgsql, (NpgsqlTransaction)transaction!, Math.Max(0, _lastEntryId - options.LateCommitWindow), _lastEntryId, cancellationToken));
                }
            }

            var pending = await LedgerStore.PendingAsync(connection, transaction, _lastEntryId, _gaps, options.BatchSize, cancellationToken);
            if (pending.Count == 0)
            {
                return 0;
            }

            var working = _range.Clone();
            var leaves = new List<(long, long, byte[])>(pending.Count);
            var nodes = new List<(int, long, byte[])>(pending.Count);
            var scratch = new System.Buffers.ArrayBufferWriter<byte>(512);
            foreach (var entry in pending)
            {
                var hash = LedgerEntry.LeafHash(entry, scratch);
                leaves.Add((working.Size, entry.Id, hash));
                working.Append(hash, (level, index, node) => nodes.Add((level, index, node)));
            }

            try
            {
                if (sqlite)
                {
                    await using (var normal = Sql.Command(connection, "PRAGMA synchronous=NORMAL"))
                    {
                        await normal.ExecuteNonQueryAsync(cancellationToken);
                        relaxed = true;
                    }

                    transaction = await connection.BeginTransactionAsync(cancellationToken);
                    if (await LedgerStore.SizeAsync(connection, transaction, cancellationToken) != size)
                    {
                        _range = null;
                        return 0;
                    }
                }

                await LedgerStore.AppendAsync(connection, transaction!, leaves, nodes, cancellationToken);
                await transaction!.CommitAsync(cancellationToken);
            }
            catch (DbException e)
            {
                // Another sequencer won the race for these indexes: start again from what it stored.
                SequencingConflict(log, e);
                _range = null;
                return 0;
            }

            _range = working;
            NoteGaps(pending);
            return pending.Count;
        }
        finally
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }

            if (relaxed && connection.State == System.Data.ConnectionState.Open)
            {
                // The connection goes back to the pool as every other: durable commits.
                await using var durable = Sql.Command(connection, "PRAGMA synchronous=FULL");
                await durable.ExecuteNonQueryAsync(CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// After a batch: the ids skipped between the last entry and the newest integrated one are gaps to look at again
    /// (on PostgreSQL a sequence hands out ids before their transactions commit, in any order); the ones integrated now
    /// are not; gaps older than the window are given up (rolled back). SQLite commits one writer at a time, in order.
    /// </summary>
    private void NoteGaps(List<JournalEntry> integrated)
    {
        var newest = integrated[^1].Id;
        if (store.Provider == StoreProvider.PostgreSql)
        {
            var taken = integrated.Select(e => e.Id).ToHashSet();
            _gaps.ExceptWith(taken);
            for (var id = Math.Max(_lastEntryId, newest - options.LateCommitWindow) + 1; id < newest; id++)
            {
                if (!taken.Contains(id))
                {
                    _gaps.Add(id);
                }
            }

            _gaps.RemoveWhere(id => id <= newest - options.LateCommitWindow);
        }

        _lastEntryId = Math.Max(_lastEntryId, newest);
    }

    private static async Task<CompactRange> LoadAsync(DbConnection connection, DbTransaction? transaction, long size, CancellationToken cancellationToken)
    {
        var edge = CompactRange.Edge(size).ToList();
        var nodes = await LedgerStore.NodesAsync(connection, transaction, edge, cancellationToken);
        return new CompactRange(size, edge.Select(e => nodes.TryGetValue(e, out var hash)
            ? hash
            : throw new InvalidOperationException($"the ledger's stored tree is incomplete: no hash for the subtree at level {e.Level}, index {e.Index}")));
    }

    /// <summary>
    /// Signs and stamps a checkpoint of the integrated tree when it has grown since the last one, after checking that
    /// it is consistent with the last one. Returns null when there is nothing new; throws when the authority fails.
    /// </summary>
    public async Task<StoredCheckpoint?> CheckpointAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await Sql.OpenAsync(store, cancellationToken);
            var size = await LedgerStore.SizeAsync(connection, null, cancellationToken);
            var last = await LedgerStore.CheckpointAsync(connection, null, cancellationToken);
            if (size == 0 || (last is not null && last.Size >= size))
            {
                return null;
            }

            var root = await LedgerStore.WithNodesAsync(connection, node => Merkle.RangeHash(0, size, node), cancellationToken);
            if (last is not null)
            {
                var proof = await LedgerStore.WithNodesAsync(connection, node => Merkle.ConsistencyProof(last.Size, size, node), cancellationToken);
                if (!Merkle.VerifyConsistency(last.Size, size, last.Root, root, proof))
                {
                    throw new InvalidOperationException($"the stored tree of {size} leaves is not consistent with the last checkpoint ({last.Size} leaves): refusing to sign; run `charte ledger verify`");
                }
            }

            var checkpoint = new Checkpoint(options.Origin, size, root);
            var note = Checkpoints.Sign(checkpoint, keys.LogKey);
            var token = await timestamps.StampAsync(SHA256.HashData(Encoding.UTF8.GetBytes(checkpoint.Body)), cancellationToken);
            var stored = new StoredCheckpoint(size, root, note, token, clock.GetUtcNow().UtcDateTime);
            try
            {
                await LedgerStore.InsertCheckpointAsync(connection, stored, cancellationToken);
            }
            catch (DbException)
            {
                // Another process (a server's sequencer, `charte ledger checkpoint`) signed the same tree a moment before.
                var other = await LedgerStore.CheckpointAsync(connection, null, cancellationToken);
                if (other is null || other.Size != size || !other.Root.AsSpan().SequenceEqual(root))
                {
                    throw;
                }

                stored = other;
            }

            _lastCheckpointTicks = clock.GetTimestamp();
            return stored;
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var leadership = await LeadAsync(stoppingToken);
                if (leadership is null && store.Provider == StoreProvider.PostgreSql)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), clock, stoppingToken);
                    continue;
                }

                while (!stoppingToken.IsCancellationRequested)
                {
                    var integrated = await IntegrateAsync(stoppingToken);
                    if (clock.GetElapsedTime(_lastCheckpointTicks) >= options.CheckpointEvery)
                    {
                        await TryCheckpointAsync(stoppingToken);
                    }

                    // A pass drains every full batch; then rest, so that entries trickling in are taken together
                    // rather than scanned for one by one: briefly while entries come, longer when none did.
                    await Task.Delay(integrated > 0 ? options.Idle : options.Rest, clock, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Any failure: logged, and the sequencer starts again a second later. A background service that throws
                // stops the whole server, and the vault can go on journaling while the tree waits.
                SequencerFailed(log, e);
                _range = null;
                await Task.Delay(TimeSpan.FromSeconds(1), clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task TryCheckpointAsync(CancellationToken cancellationToken)
    {
        try
        {
            await CheckpointAsync(cancellationToken);
        }
        catch (TimestampUnavailableException e)
        {
            // Fail closed: no checkpoint without its timestamp. The next round tries again.
            TimestampFailed(log, e);
            _lastCheckpointTicks = clock.GetTimestamp();
        }
    }

    /// <summary>On PostgreSQL, a session holding the sequencer's advisory lock, or null when another server holds it.</summary>
    private async Task<NpgsqlConnection?> LeadAsync(CancellationToken cancellationToken)
    {
        if (store.Provider != StoreProvider.PostgreSql)
        {
            return null;
        }

        var connection = (NpgsqlConnection)await Sql.OpenAsync(store, cancellationToken);
        await using var command = new NpgsqlCommand($"SELECT pg_try_advisory_lock({LockKey})", connection);
        if (await command.ExecuteScalarAsync(cancellationToken) is true)
        {
            return connection;
        }

        await connection.DisposeAsync();
        return null;
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Another sequencer appended the same leaves; resuming from the stored tree")]
    private static partial void SequencingConflict(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error, Message = "The ledger sequencer failed; retrying")]
    private static partial void SequencerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "No timestamp for the checkpoint; nothing published, retrying at the next round")]
    private static partial void TimestampFailed(ILogger logger, Exception exception);
}
