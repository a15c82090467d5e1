using System.Globalization;
using System.Threading.RateLimiting;
using Charte.Storage;

namespace Charte.Hosting;

/// <summary>
/// How many API requests run at once; the others wait their turn in arrival order, and a request that finds the queue
/// full is answered 503 (problem <c>overloaded</c>, <c>Retry-After</c>) rather than left to time out. Configuration:
/// <c>Charte:Api:MaxConcurrentRequests</c> (0: no limit) and <c>Charte:Api:QueueLimit</c>.
/// <para>
/// The default is measured (docs/VAULT.md). On PostgreSQL, 64 concurrent readers on 2 cores without a limit left one
/// read in a hundred waiting about a second: each read awaits the database twice, and under saturation the thread
/// pool's queues favour the newest work, so an unlucky continuation waits behind many newer ones. Admitted four per
/// core in arrival order, the p99 fell about fivefold and the throughput rose by half. On SQLite a read awaits no
/// network and the journal's group commit gains from many reads in flight: no limit by default.
/// </para>
/// </summary>
public sealed record ApiConcurrency(int MaxConcurrentRequests, int QueueLimit)
{
    public const int DefaultQueueLimit = 1_000;

    public bool Limited => MaxConcurrentRequests > 0;

    public static ApiConcurrency From(StoreProvider provider, IConfiguration configuration)
    {
        var automatic = provider == StoreProvider.PostgreSql ? 4 * Environment.ProcessorCount : 0;
        return new ApiConcurrency(
            Read(configuration, "Charte:Api:MaxConcurrentRequests") ?? automatic,
            Read(configuration, "Charte:Api:QueueLimit") ?? DefaultQueueLimit);
    }

    private static int? Read(IConfiguration configuration, string key) =>
        configuration[key] is not { } text ? null
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value
        : throw new InvalidOperationException($"{key}: '{text}' is not a whole number ≥ 0");

    /// <summary>The limiter, on <c>/api/v1</c> only (health, pages and the reference stay outside it).</summary>
    public void AddTo(IServiceCollection services)
    {
        if (!Limited)
        {
            return;
        }

        services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                context.Request.Path.StartsWithSegments("/api/v1", StringComparison.Ordinal)
                    ? RateLimitPartition.GetConcurrencyLimiter("api", _ => new ConcurrencyLimiterOptions
                    {
                        PermitLimit = MaxConcurrentRequests,
                        QueueLimit = QueueLimit,
                        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                    })
                    : RateLimitPartition.GetNoLimiter("outside"));
            options.OnRejected = async (rejected, cancellationToken) =>
            {
                rejected.HttpContext.Response.Headers.RetryAfter = "1";
                await Problems.Of(ProblemTypes.Overloaded, string.Create(CultureInfo.InvariantCulture, $"the server is answering {MaxConcurrentRequests} requests and {QueueLimit} more are waiting; retry in a second"))
                    .ExecuteAsync(rejected.HttpContext);
            };
        });
    }

    public void UseIn(WebApplication app)
    {
        if (Limited)
        {
            app.UseRateLimiter();
        }
    }
}
