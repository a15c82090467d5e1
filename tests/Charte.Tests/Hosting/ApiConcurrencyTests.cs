using System.Net;
using Charte.Vault;
using Microsoft.Extensions.Configuration;

namespace Charte.Hosting;

public sealed class ApiConcurrencyTests
{
    private const string Customers = "customer_management";

    [Fact]
    public async Task RequestsBeyondTheLimit_WaitTheirTurn_AndAllSucceed()
    {
        await using var host = await TestHost.StartAsync(StoreKind.Sqlite, concurrency: new ApiConcurrency(1, 1_000));
        var app = await host.ClientAsync(Customers);
        var subject = await VaultApiTests.CreateSubjectAsync(app);
        var reads = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => app.GetAsync($"/api/v1/subjects/{subject}/data?purpose={Customers}")));
        Assert.All(reads, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }

    [Fact]
    public async Task ARequestThatFindsTheQueueFull_Gets503Overloaded_WithRetryAfter_AndTheNextOneIsServed()
    {
        await using var host = await TestHost.StartAsync(StoreKind.Sqlite, concurrency: new ApiConcurrency(1, 0));
        var app = await host.ClientAsync(Customers);
        var subject = await VaultApiTests.CreateSubjectAsync(app);

        // An import whose body has not arrived holds the one place while its handler reads. It may itself find the
        // place taken by a read of the loop below, and be refused: then it is sent again.
        var body = new TaskCompletionSource();
        Task<HttpResponseMessage> Hold() => app.PostAsync("/api/v1/import", new WaitingContent(body.Task));
        var holding = Hold();
        HttpResponseMessage? refused = null;
        for (var attempt = 0; attempt < 200 && refused is null; attempt++)
        {
            if (holding.IsCompleted)
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, (await holding).StatusCode);
                holding = Hold();
            }

            await Task.Delay(25);
            var response = await app.GetAsync($"/api/v1/subjects/{subject}/data?purpose={Customers}");
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                refused = response;
            }
        }

        Assert.NotNull(refused);
        Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
        await VaultApiTests.AssertProblemAsync(refused, HttpStatusCode.ServiceUnavailable, "overloaded");

        body.SetResult();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await holding).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync($"/api/v1/subjects/{subject}/data?purpose={Customers}")).StatusCode);
    }

    [Theory]
    [InlineData(null, null, false)]
    [InlineData("16", "50", true)]
    [InlineData("0", null, false)]
    public void ThereIsNoLimit_UnlessConfigured(string? max, string? queue, bool limited)
    {
        var settings = new Dictionary<string, string?> { ["Charte:Api:MaxConcurrentRequests"] = max, ["Charte:Api:QueueLimit"] = queue };
        var concurrency = ApiConcurrency.From(new ConfigurationBuilder().AddInMemoryCollection(settings.Where(s => s.Value is not null)).Build());
        Assert.Equal(limited, concurrency.Limited);
        Assert.Equal(max is not null ? int.Parse(max, System.Globalization.CultureInfo.InvariantCulture) : 0, concurrency.MaxConcurrentRequests);
        Assert.Equal(queue is not null ? int.Parse(queue, System.Globalization.CultureInfo.InvariantCulture) : ApiConcurrency.DefaultQueueLimit, concurrency.QueueLimit);
    }

    [Theory]
    [InlineData("many")]
    [InlineData("-1")]
    [InlineData("")]
    public void AValueThatIsNotAWholeNumber_IsRefusedWithTheKeyNamed(string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Charte:Api:MaxConcurrentRequests"] = value }).Build();
        var error = Assert.Throws<InvalidOperationException>(() => ApiConcurrency.From(configuration));
        Assert.Contains("Charte:Api:MaxConcurrentRequests", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A request body (NDJSON) that is sent only once a task completes, and then empty.</summary>
    private sealed class WaitingContent : HttpContent
    {
        private readonly Task _ready;

        public WaitingContent(Task ready)
        {
            _ready = ready;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-ndjson");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            // The headers leave now; the body waits.
            await stream.FlushAsync();
            await _ready;
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
