using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Charte.Storage;

namespace Charte.Ledger;

/// <summary>One thing the verifier found wrong, at the leaf where it starts.</summary>
public sealed record LedgerProblem(long Leaf, string Message);

public sealed record LedgerReport(long Leaves, long Entries, int Checkpoints, StoredCheckpoint? Latest, IReadOnlyList<LedgerProblem> Problems)
{
    public bool Valid => Problems.Count == 0;

    /// <summary>The first problem in tree order: the first entry that does not match.</summary>
    public LedgerProblem? First => Problems.OrderBy(p => p.Leaf).FirstOrDefault();
}

/// <summary>
/// Recomputes the whole tree from the stored journal entries (never trusting the stored hashes), and checks every
/// checkpoint against it: its root, its Ed25519 signature by the organisation's log key, its RFC 3161 timestamp, and
/// the consistency proof from the checkpoint before it, built from the stored subtree hashes. Memory stays O(log n):
/// the entries are streamed.
/// </summary>
public static class LedgerVerifier
{
    public static async Task<LedgerReport> VerifyAsync(Storage.StoreLocation store, byte[] logPublicKey, X509Certificate2 trust, CancellationToken cancellationToken)
    {
        await using var connection = await Sql.OpenAsync(store, cancellationToken);
        var checkpoints = await LedgerStore.CheckpointsAsync(connection, cancellationToken);
        var bySize = checkpoints.ToDictionary(c => c.Size);
        var problems = new List<LedgerProblem>();
        var entryAt = new Dictionary<long, long>();
        var boundaries = checkpoints.Select(c => c.Size).Append(0).ToHashSet();
        var range = new CompactRange();
        var roots = new Dictionary<long, byte[]>();
        var scratch = new System.Buffers.ArrayBufferWriter<byte>(512);
        await using (var leaves = await Sql.OpenAsync(store, cancellationToken))
        {
            await foreach (var leaf in LedgerStore.LeavesAsync(leaves, cancellationToken))
            {
                if (leaf.Index != range.Size)
                {
                    problems.Add(new LedgerProblem(range.Size, $"leaf {range.Size} is missing: the leaves jump from {range.Size - 1} to {leaf.Index}"));
                    break;
                }

                if (boundaries.Contains(leaf.Index))
                {
                    entryAt[leaf.Index] = leaf.EntryId;
                }

                byte[] hash;
                if (leaf.Entry is null)
                {
                    problems.Add(new LedgerProblem(leaf.Index, $"entry {leaf.EntryId} (leaf {leaf.Index}) is missing from the journal: it was deleted"));
                    hash = leaf.Hash;
                }
                else
                {
                    hash = LedgerEntry.LeafHash(leaf.Entry, scratch);
                    if (!hash.AsSpan().SequenceEqual(leaf.Hash))
                    {
                        problems.Add(new LedgerProblem(leaf.Index, $"entry {leaf.EntryId} (leaf {leaf.Index}) does not match its leaf hash: it was changed after it was sequenced"));
                    }
                }

                range.Append(hash);
                if (bySize.ContainsKey(range.Size))
                {
                    roots[range.Size] = range.Root();
                }
            }
        }

        StoredCheckpoint? previous = null;
        foreach (var checkpoint in checkpoints)
        {
            var first = previous?.Size ?? 0;
            var from = entryAt.TryGetValue(first, out var id) ? $"entry {id} (leaf {first})" : $"leaf {first}";
            var (signed, problem) = Checkpoints.Verify(checkpoint.Note, OriginOf(checkpoint.Note), logPublicKey);
            if (signed is null)
            {
                problems.Add(new LedgerProblem(first, $"checkpoint of size {checkpoint.Size}: {problem}; entries from {from} on are covered by no valid checkpoint"));
            }
            else if (signed.Size != checkpoint.Size || !signed.Root.AsSpan().SequenceEqual(checkpoint.Root))
            {
                problems.Add(new LedgerProblem(first, $"checkpoint of size {checkpoint.Size}: its stored root or size differs from its signed note"));
            }
            else
            {
                var (_, stampProblem) = TimestampTokens.Verify(checkpoint.Token, SHA256.HashData(Encoding.UTF8.GetBytes(signed.Body)), trust);
                if (stampProblem is not null)
                {
                    problems.Add(new LedgerProblem(first, $"checkpoint of size {checkpoint.Size}: {stampProblem}"));
                }
            }

            if (!roots.TryGetValue(checkpoint.Size, out var recomputed))
            {
                problems.Add(new LedgerProblem(Math.Min(range.Size, checkpoint.Size), $"checkpoint of size {checkpoint.Size} covers leaves the ledger no longer has (it has {range.Size})"));
            }
            else if (!recomputed.AsSpan().SequenceEqual(checkpoint.Root))
            {
                // Placed at the checkpoint's last leaf, so that a named entry found above comes first.
                problems.Add(new LedgerProblem(checkpoint.Size - 1, $"checkpoint of size {checkpoint.Size}: the entries recomputed from the journal give another root; something from {from} on was changed"));
            }

            if (previous is not null && range.Size >= checkpoint.Size)
            {
                await ConsistencyAsync(connection, previous, checkpoint, problems, cancellationToken);
            }

            previous = checkpoint;
        }

        var entries = await LedgerStore.JournalCountAsync(connection, cancellationToken);
        return new LedgerReport(range.Size, entries, checkpoints.Count, checkpoints.LastOrDefault(), problems);
    }

    private static async Task ConsistencyAsync(System.Data.Common.DbConnection connection, StoredCheckpoint previous, StoredCheckpoint checkpoint, List<LedgerProblem> problems, CancellationToken cancellationToken)
    {
        try
        {
            var proof = await LedgerStore.WithNodesAsync(connection, node => Merkle.ConsistencyProof(previous.Size, checkpoint.Size, node), cancellationToken);
            if (!Merkle.VerifyConsistency(previous.Size, checkpoint.Size, previous.Root, checkpoint.Root, proof))
            {
                problems.Add(new LedgerProblem(previous.Size, $"checkpoints {previous.Size} → {checkpoint.Size}: the stored tree gives no valid consistency proof between them"));
            }
        }
        catch (InvalidOperationException e)
        {
            problems.Add(new LedgerProblem(previous.Size, $"checkpoints {previous.Size} → {checkpoint.Size}: {e.Message}"));
        }
    }

    private static string OriginOf(string note) => note.Split('\n', 2)[0];

    public static string Describe(LedgerReport report)
    {
        if (report.Valid)
        {
            var latest = report.Latest is { } l
                ? string.Create(CultureInfo.InvariantCulture, $"latest checkpoint: size {l.Size}, {l.CreatedAt:yyyy-MM-dd HH:mm:ss} UTC")
                : "no checkpoint yet";
            var pending = report.Entries - report.Leaves;
            return string.Create(CultureInfo.InvariantCulture,
                $"ledger verified: {report.Leaves} entries, {report.Checkpoints} checkpoints, every signature, timestamp and consistency proof holds; {latest}{(pending > 0 ? $"; {pending} newer entries not yet sequenced" : "")}");
        }

        var lines = new StringBuilder();
        lines.Append(CultureInfo.InvariantCulture, $"ledger verification FAILED: {report.First!.Message}");
        foreach (var problem in report.Problems.OrderBy(p => p.Leaf).Skip(1).Take(20))
        {
            lines.Append(CultureInfo.InvariantCulture, $"\n  also: {problem.Message}");
        }

        return lines.ToString();
    }
}
