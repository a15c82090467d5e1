using System.Text;
using Charte.Applications;
using Charte.Hosting;
using Charte.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Charte.Ledger;

public sealed record CheckpointOutput(long Size, string Root, string Note, string Timestamp, DateTimeOffset CreatedAt, string VerifierKey);

public sealed record InclusionOutput(long Entry, string EntryJson, long LeafIndex, string LeafHash, long TreeSize, IReadOnlyList<string> Proof, string Checkpoint);

public sealed record ConsistencyOutput(long From, long To, IReadOnlyList<string> Proof);

/// <summary>The ledger over the API: the latest checkpoint, inclusion proofs for entries, consistency proofs between sizes.</summary>
public static class LedgerApi
{
    public static RouteGroupBuilder MapLedger(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/ledger").WithTags("Ledger");
        api.MapGet("/checkpoint", LatestAsync).WithSummary("The latest signed checkpoint (C2SP signed note) and its RFC 3161 timestamp token")
            .Answers(ProblemTypes.NoCheckpoint);
        api.MapGet("/entries/{id:long}/proof", InclusionAsync)
            .WithSummary("The inclusion proof of one of the application's own journal entries (the 'journal' index its request returned) in the tree of a checkpoint (default: the latest)")
            .Answers(ProblemTypes.EntryNotFound, ProblemTypes.CheckpointNotFound, ProblemTypes.NoCheckpoint, ProblemTypes.NotYetInLedger);
        api.MapGet("/consistency", ConsistencyAsync).WithSummary("The consistency proof between two checkpointed tree sizes")
            .Answers(ProblemTypes.InvalidRange, ProblemTypes.CheckpointNotFound, ProblemTypes.NoCheckpoint);
        return api;
    }

    internal static async Task<Results<Ok<CheckpointOutput>, ProblemHttpResult>> LatestAsync(StoreLocation store, SigningKeys keys, LedgerOptions options, CancellationToken cancellationToken)
    {
        await using var connection = await Sql.OpenAsync(store, cancellationToken);
        var latest = await LedgerStore.CheckpointAsync(connection, null, cancellationToken);
        return latest is null ? NoCheckpoint() : TypedResults.Ok(Output(latest, keys, options));
    }

    /// <summary>
    /// The proof of one of the caller's own entries. An application gets no other's: an entry names an application, a
    /// subject's pseudonym and a purpose, and what another application did with a person (read their data for disputes,
    /// say) is not the caller's to know. An entry of another application is answered as one the journal never had, so
    /// that ids cannot be probed. The auditor verifies the whole ledger with the CLI (charte ledger verify, export).
    /// </summary>
    internal static async Task<Results<Ok<InclusionOutput>, ProblemHttpResult>> InclusionAsync(long id, long? size, Caller caller, StoreLocation store, CancellationToken cancellationToken)
    {
        await using var connection = await Sql.OpenAsync(store, cancellationToken);
        var checkpoint = await LedgerStore.CheckpointAsync(connection, size, cancellationToken);
        if (checkpoint is null)
        {
            return size is null ? NoCheckpoint() : Problems.Of(ProblemTypes.CheckpointNotFound, $"no checkpoint has tree size {size}; ask /api/v1/ledger/checkpoint for the latest");
        }

        var entry = await LedgerStore.EntryAsync(connection, id, cancellationToken);
        if (entry is null || entry.Actor != caller.Actor)
        {
            return Problems.Of(ProblemTypes.EntryNotFound, $"the journal has no entry {id} of this application: ids are the 'journal' numbers that its requests returned");
        }

        var leaf = await LedgerStore.LeafOfAsync(connection, id, cancellationToken);
        if (leaf is null || leaf.Value.Index >= checkpoint.Size)
        {
            return Problems.Of(ProblemTypes.NotYetInLedger, $"entry {id} is not yet in a signed checkpoint (checkpoints are made every few seconds); ask again shortly", new Dictionary<string, object?> { ["retryAfterSeconds"] = 10 });
        }

        var (index, hash) = leaf.Value;
        var proof = await LedgerStore.WithNodesAsync(connection, node => Merkle.InclusionProof(index, checkpoint.Size, node), cancellationToken);
        return TypedResults.Ok(new InclusionOutput(id, Encoding.UTF8.GetString(LedgerEntry.Canonical(entry)), index, Convert.ToBase64String(hash), checkpoint.Size, [.. proof.Select(Convert.ToBase64String)], checkpoint.Note));
    }

    internal static async Task<Results<Ok<ConsistencyOutput>, ProblemHttpResult>> ConsistencyAsync(long? from, long? to, StoreLocation store, CancellationToken cancellationToken)
    {
        if (from is not { } first || to is not { } second || first < 1 || first > second)
        {
            return Problems.Of(ProblemTypes.InvalidRange, "give ?from=A&to=B with 1 ≤ A ≤ B, two checkpointed tree sizes");
        }

        await using var connection = await Sql.OpenAsync(store, cancellationToken);
        if (await LedgerStore.CheckpointAsync(connection, first, cancellationToken) is null || await LedgerStore.CheckpointAsync(connection, second, cancellationToken) is null)
        {
            var latest = await LedgerStore.LatestCheckpointSizesAsync(connection, 5, cancellationToken);
            return Problems.Of(ProblemTypes.CheckpointNotFound, $"both sizes must be checkpointed; the latest checkpointed sizes are {string.Join(", ", latest.Order())}");
        }

        var proof = await LedgerStore.WithNodesAsync(connection, node => Merkle.ConsistencyProof(first, second, node), cancellationToken);
        return TypedResults.Ok(new ConsistencyOutput(first, second, [.. proof.Select(Convert.ToBase64String)]));
    }

    internal static CheckpointOutput Output(StoredCheckpoint checkpoint, SigningKeys keys, LedgerOptions options) =>
        new(checkpoint.Size, Convert.ToBase64String(checkpoint.Root), checkpoint.Note, Convert.ToBase64String(checkpoint.Token),
            new DateTimeOffset(checkpoint.CreatedAt, TimeSpan.Zero), keys.VerifierKey(options.Origin));

    private static ProblemHttpResult NoCheckpoint() =>
        Problems.Of(ProblemTypes.NoCheckpoint, "the ledger has signed no checkpoint yet; one is made every few seconds once entries exist");
}
