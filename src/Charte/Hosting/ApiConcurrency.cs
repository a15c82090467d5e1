using System.Globalization;
using System.Threading.RateLimiting;

namespace Charte.Hosting;

/// <summary>
/// How many API requests run at once; the others wait their turn in arrival order, and a request that finds the queue
/// full is answered 503 (problem <c>overloaded</c>, <c>Retry-After</c>) rather than left to time out. Configuration:
/// <c>Charte:Api:MaxConcurrentRequests</c> (0: no limit) and <c>Charte:Api:QueueLimit</c>.
/// <para>
/// By default there is no limit, on either store (measured, docs/VAULT.md): reads are batched
/// (<c>PurposeView.ReadBatches</c>), and the more arrive together, the fewer statements they take. On PostgreSQL with
/// 64 wrk connections on 2 cores, admitting eight at a time kept batches of about four: 2,700 req/s, against 6,300 to
/// 9,300 req/s without a limit (three runs; p99 43 ms against 24 to 62 ms). The limit remains for an operator who wants
/// to bound the work in flight.
/// </para>
/// </summary>
public sealed record ApiConcurrency(int MaxConcurrentRequests, int QueueLimit)
{
    public const int DefaultQueueLimit = 1_000;

    public bool Limited => MaxConcurrentRequests > 0;

    public static ApiConcurrency From(IConfiguration configuration)
    {
        return new ApiConcurrency(
            Read(configuration, "Charte:Api:MaxConcurrentRequests") ?? 0,
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
