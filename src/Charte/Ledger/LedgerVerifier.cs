using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Charte.Storage;

namespace Charte.Ledger;

/// <summary>One thing the verifier found wrong, at the leaf where it starts.</summary>
public sealed record LedgerProblem(long Leaf, string Message);

/// <summary>
/// What the verifier found; <paramref name="Unsequenced"/>: journal entries newer than the last one in the tree;
/// <paramref name="Checkpoints"/>: those whose signature, timestamp and consistency were checked, from the one of size
/// <paramref name="Since"/> on (0: all of them).
/// </summary>
public sealed record LedgerReport(long Leaves, long Unsequenced, int Checkpoints, StoredCheckpoint? Latest, IReadOnlyList<LedgerProblem> Problems, long Since = 0)
{
    public bool Valid => Problems.Count == 0;

    /// <summary>The first problem in tree order: the first entry that does not match.</summary>
    public LedgerProblem? First => Problems.OrderBy(p => p.Leaf).FirstOrDefault();
}

/// <summary>
/// Recomputes the whole tree from the stored journal entries (never trusting the stored hashes), and checks every
/// checkpoint against it: its root, its Ed25519 signature by the organisation's log key, its RFC 3161 timestamp, and
/// the consistency proof from the checkpoint before it, built from the stored subtree hashes. The entries are streamed,
/// in parts hashed in parallel (<see cref="LedgerScan"/>); memory holds a hash per part.
/// </summary>
public static class LedgerVerifier
{
    public static Task<LedgerReport> VerifyAsync(Storage.StoreLocation store, byte[] logPublicKey, X509Certificate2 trust, CancellationToken cancellationToken, long since = 0) =>
        VerifyAsync(store, logPublicKey, [trust], cancellationToken, since);

    /// <summary>
    /// The same, with the timestamp tokens checked against any of <paramref name="trust"/> (<see cref="SigningKeys.TimestampTrust"/>).
    /// With <paramref name="since"/>, the size of a checkpoint verified before (<c>charte ledger verify --since</c>), only
    /// that checkpoint and the later ones have their signature, timestamp and consistency checked, which is most of the
    /// time a long-lived ledger takes; every entry is still recomputed and every stored root compared with the tree, so a
    /// change to an old entry is found all the same. It must be the size of a checkpoint (see <see cref="NearestCheckpointsAsync"/>).
    /// </summary>
    public static async Task<LedgerReport> VerifyAsync(Storage.StoreLocation store, byte[] logPublicKey, X509Certificate2Collection trust, CancellationToken cancellationToken, long since = 0)
    {
        await using var connection = await Sql.OpenAsync(store, cancellationToken);
        var sizes = new HashSet<long>();
        await foreach (var (checkpointed, _) in LedgerStore.CheckpointRootsAsync(connection, cancellationToken))
        {
            sizes.Add(checkpointed);
        }

        var size = await LedgerStore.SizeAsync(connection, null, cancellationToken);
        var (tree, roots, entryAt, problems) = await LedgerScan.ScanAsync(store, size, sizes, shortWay: true, cancellationToken);
        if (await LedgerStore.CheckpointRootsAsync(connection, cancellationToken).AnyAsync(c => roots.TryGetValue(c.Size, out var root) && !root.AsSpan().SequenceEqual(c.Root), cancellationToken))
        {
            // The short way took a stored subtree hash on trust and a signed root disagrees: every leaf is checked, to
            // name the entry.
            (tree, roots, entryAt, problems) = await LedgerScan.ScanAsync(store, size, sizes, shortWay: false, cancellationToken);
        }

        // The checkpoints are read one by one on a connection of their own while the consistency proofs read nodes.
        await using var reading = await Sql.OpenAsync(store, cancellationToken);
        var before = since > 0 ? await LedgerStore.CheckpointRootsAsync(connection, cancellationToken).TakeWhile(c => c.Size < since).ToListAsync(cancellationToken) : [];
        foreach (var (checkpointed, root) in before)
        {
            // Before the starting checkpoint, verified before: its root against the recomputed tree only.
            if (roots.TryGetValue(checkpointed, out var recomputed) && !recomputed.AsSpan().SequenceEqual(root))
            {
                problems.Add(new LedgerProblem(checkpointed - 1, $"checkpoint of size {checkpointed}: the entries recomputed from the journal give another root; something before leaf {checkpointed} was changed"));
            }
        }

        StoredCheckpoint? previous = null;
        var count = 0;
        await foreach (var checkpoint in LedgerStore.CheckpointsAsync(reading, cancellationToken, from: since))
        {
            count++;
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
                problems.Add(new LedgerProblem(Math.Min(tree, checkpoint.Size), $"checkpoint of size {checkpoint.Size} covers leaves the ledger no longer has (it has {tree})"));
            }
            else if (!recomputed.AsSpan().SequenceEqual(checkpoint.Root))
            {
                // Placed at the checkpoint's last leaf, so that a named entry found above comes first.
                problems.Add(new LedgerProblem(checkpoint.Size - 1, $"checkpoint of size {checkpoint.Size}: the entries recomputed from the journal give another root; something from {from} on was changed"));
            }

            if (previous is not null && tree >= checkpoint.Size)
            {
                await ConsistencyAsync(connection, previous, checkpoint, problems, cancellationToken);
            }

            previous = checkpoint;
        }

        var unsequenced = await LedgerStore.UnsequencedCountAsync(connection, cancellationToken);
        return new LedgerReport(tree, unsequenced, count, previous, problems, since);
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

    /// <summary>Whether the store has a checkpoint of <paramref name="size"/>, and if not the sizes on either side of it.</summary>
    public static async Task<(bool Exists, long? Before, long? After)> NearestCheckpointsAsync(Storage.StoreLocation store, long size, CancellationToken cancellationToken)
    {
        await using var connection = await Sql.OpenAsync(store, cancellationToken);
        long? before = null, after = null;
        await foreach (var (checkpointed, _) in LedgerStore.CheckpointRootsAsync(connection, cancellationToken))
        {
            if (checkpointed == size)
            {
                return (true, null, null);
            }

            if (checkpointed < size)
            {
                before = checkpointed;
            }
            else
            {
                after = checkpointed;
                break;
            }
        }

        return (false, before, after);
    }

    private static string OriginOf(string note) => note.Split('\n', 2)[0];

    public static string Describe(LedgerReport report)
    {
        if (report.Valid)
        {
            var latest = report.Latest is { } l
                ? string.Create(CultureInfo.InvariantCulture, $"latest checkpoint: size {l.Size}, {l.CreatedAt:yyyy-MM-dd HH:mm:ss} UTC")
                : "no checkpoint yet";
            var pending = report.Unsequenced;
            var checkpoints = report.Since > 0 ? $"{report.Checkpoints} checkpoints from size {report.Since} on" : $"{report.Checkpoints} checkpoints";
            var next = report.Latest is { } last && last.Size > report.Since ? $"; to check only what comes after: charte ledger verify --since {last.Size}" : "";
            return string.Create(CultureInfo.InvariantCulture,
                $"ledger verified: {report.Leaves} entries, {checkpoints}, every signature, timestamp and consistency proof holds; {latest}{(pending > 0 ? $"; {pending} newer entries not yet sequenced" : "")}{next}");
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
