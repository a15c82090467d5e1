using Charte.Applications;
using Charte.Charters;
using Charte.Journal;
using Charte.Keys;
using Charte.Ledger;
using Charte.Retention;
using Charte.Storage;
using Charte.Vault;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Scalar.AspNetCore;

namespace Charte.Hosting;

/// <summary>Everything a server needs, resolved from the command line and configuration before the host is built.</summary>
public sealed record ServerSettings
{
    public required Charter Charter { get; init; }
    public required StoreLocation Store { get; init; }
    public required MasterKeys Keys { get; init; }
    public required SigningKeys Signing { get; init; }

    /// <summary>The ledger's origin and rhythm; by default named after the charter's organisation.</summary>
    public LedgerOptions? Ledger { get; init; }

    /// <summary>SHA-256 of the charter file: a new value is journaled as a new charter version when the server starts.</summary>
    public string? CharterSha256 { get; init; }

    /// <summary>An external RFC 3161 timestamp authority; by default the built-in one.</summary>
    public Uri? TimestampUrl { get; init; }
    public IReadOnlyList<string> Urls { get; init; } = ["http://127.0.0.1:5080"];
    public TimeProvider Clock { get; init; } = TimeProvider.System;
    public TimeSpan KeyCache { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan ApiKeyCache { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>API requests admitted at once; by default from configuration and the store (see <see cref="ApiConcurrency"/>).</summary>
    public ApiConcurrency? Concurrency { get; init; }
    public bool JsonLogs { get; init; } = true;
    public string EnvironmentName { get; init; } = "Production";
}

/// <summary>Builds the Charte web server: the vault API, health, OpenAPI and its reference page.</summary>
public static class CharteServer
{
    public static WebApplication Build(ServerSettings settings, Action<WebApplicationBuilder>? customise = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            EnvironmentName = settings.EnvironmentName,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseUrls([.. settings.Urls]);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 64L * 1024 * 1024;
            RequestLimits.Widen(k.Limits);
        });

        builder.Logging.ClearProviders();
        if (settings.JsonLogs)
        {
            builder.Logging.AddJsonConsole(o => o.UseUtcTimestamp = true);
        }
        else
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        }

        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);

        var services = builder.Services;
        services.AddSingleton(settings.Clock);
        services.AddSingleton(settings.Charter);
        services.AddSingleton(settings.Store);
        services.AddSingleton(settings.Keys);
        services.AddPooledDbContextFactory<CharteDb>(o => CharteDb.Configure(o, settings.Store));
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<CharteDb>>().CreateDbContext());
        services.AddPooledDbContextFactory<KeyStoreDb>(o => KeyStoreDb.Configure(o, settings.Store));
        services.AddSingleton(sp => new SubjectKeys(sp.GetRequiredService<IDbContextFactory<KeyStoreDb>>(), settings.Keys, settings.Clock, settings.KeyCache));
        services.AddSingleton(sp => new ApiKeys(sp.GetRequiredService<IDbContextFactory<CharteDb>>(), settings.Clock, settings.ApiKeyCache));
        services.AddSingleton<JournalWriter>();
        services.AddSingleton<PurposeView.Statements>();
        services.AddSingleton(settings.Signing);
        services.AddSingleton(settings.Ledger ?? new LedgerOptions { Origin = LedgerOptions.DefaultOrigin(settings.Charter.Organisation.Name) });
        services.AddSingleton(TimestampAuthorities.Of(settings.TimestampUrl, settings.Signing, settings.Clock));
        services.AddSingleton<Sequencer>();
        services.AddSingleton(sp => new RetentionEngine(settings.Store, settings.Charter, sp.GetRequiredService<SubjectKeys>(), settings.Clock));
        services.AddHostedService(sp => new RetentionSweeper(sp.GetRequiredService<RetentionEngine>(), settings.Clock,
            sp.GetRequiredService<IConfiguration>().GetValue("Charte:Retention:SweepEvery", TimeSpan.FromHours(1)), sp.GetRequiredService<ILogger<RetentionSweeper>>()));
        services.AddHostedService(sp => new CharterVersions(sp.GetRequiredService<IDbContextFactory<CharteDb>>(), settings.Charter, settings.CharterSha256, settings.Clock));
        services.AddHostedService(sp => sp.GetRequiredService<Sequencer>());
        services.AddHostedService(sp => sp.GetRequiredService<JournalWriter>());
        services.Configure<VaultOptions>(builder.Configuration.GetSection("Charte:Vault"));
        services.AddProblemDetails();

        // A query or route value that does not parse reaches AnswerUnhandled in every environment (by default only in
        // Development; elsewhere it was a bare 400 that named nothing), which says which parameter and what it expects.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        var concurrency = settings.Concurrency ?? ApiConcurrency.From(builder.Configuration);
        concurrency.AddTo(services);
        services.AddOpenApi(ApiDescription.AddTo);
        services.AddRouting();
        customise?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = AnswerUnhandled,
            StatusCodeSelector = _ => 500,

            // The client's mistakes and departures are answered, not logged as server errors with a stack trace.
            SuppressDiagnosticsCallback = c => c.Exception is BadHttpRequestException or OperationCanceledException,
        });
        app.UseStatusCodePages(AnswerStatus);
        app.Use(SecureHeaders);
        app.Use(RequestLimits.CheckAsync);
        concurrency.UseIn(app);
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api/v1", StringComparison.Ordinal), api => api.UseMiddleware<ApiKeyMiddleware>());

        app.MapGet("/healthz", () => TypedResults.Text("ok")).ExcludeFromDescription();
        app.MapGet("/readyz", ReadyAsync).ExcludeFromDescription();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/api", o => o.WithTitle("Charte API"));
        app.MapGet("/", () => TypedResults.Redirect("/api")).ExcludeFromDescription();
        app.MapVault();
        app.MapLedger();
        app.MapSeals();
        return app;
    }

    /// <summary>Applies the migrations of both stores; safe to run on many nodes at once (EF takes a lock).</summary>
    public static async Task MigrateAsync(StoreLocation store, CancellationToken cancellationToken)
    {
        if (store.SqlitePath is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        }

        await using (var keys = await KeyStoreDb.Factory(store).CreateDbContextAsync(cancellationToken))
        {
            await keys.Database.MigrateAsync(cancellationToken);
        }

        await using var data = await CharteDb.Factory(store).CreateDbContextAsync(cancellationToken);
        await data.Database.MigrateAsync(cancellationToken);
    }

    private static async Task<IResult> ReadyAsync(CharteDb db, IDbContextFactory<KeyStoreDb> keys, CancellationToken cancellationToken)
    {
        try
        {
            await using var keyStore = await keys.CreateDbContextAsync(cancellationToken);
            var ready = await db.Database.CanConnectAsync(cancellationToken) && await keyStore.Database.CanConnectAsync(cancellationToken)
                && !(await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any();
            return ready ? TypedResults.Text("ready") : Problems.Of(ProblemTypes.NotReady, "the store is unreachable or not migrated");
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
        {
            return Problems.Of(ProblemTypes.NotReady, "the store is unreachable");
        }
    }

    /// <summary>
    /// Every answer says its content type is not to be guessed; an API answer, which may hold personal data, is not to
    /// be kept by any cache (browser or proxy) on its way.
    /// </summary>
    private static Task SecureHeaders(HttpContext context, RequestDelegate next)
    {
        // Set as the answer starts, so that they survive the exception handler's clearing of the response.
        context.Response.OnStarting(static state =>
        {
            var http = (HttpContext)state;
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            if (http.Request.Path.StartsWithSegments("/api/v1", StringComparison.Ordinal) && !headers.ContainsKey("Cache-Control"))
            {
                headers.CacheControl = "no-store";
            }

            return Task.CompletedTask;
        }, context);
        return next(context);
    }

    /// <summary>No stack trace, no exception message (it may hold data): a problem with the trace id to find the log line.</summary>
    private static async Task AnswerUnhandled(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var (type, detail) = error switch
        {
            BadHttpRequestException bad when bad.StatusCode == 413 => (ProblemTypes.BodyTooLarge, "the request body exceeds the server's limit"),
            BadHttpRequestException bad when RequestParameters.Describe(bad.Message) is { } parameter => (ProblemTypes.InvalidParameter, parameter),
            BadHttpRequestException bad when bad.StatusCode == 408 => (ProblemTypes.RequestTimeout, "the request's body arrived too slowly"),
            BadHttpRequestException => (ProblemTypes.InvalidRequest, "the request could not be read"),
            KeyFileException => (ProblemTypes.KeysUnavailable, "a master key needed for this data is missing from the key file"),
            OperationCanceledException => (ProblemTypes.RequestAborted, "the client went away"),
            _ => (ProblemTypes.InternalError, "the server failed; nothing was half-written (every write is one transaction). Quote the trace id to the operator."),
        };
        context.Response.StatusCode = type.Status;
        await Problems.Of(type, detail, new Dictionary<string, object?> { ["traceId"] = context.TraceIdentifier }).ExecuteAsync(context);
    }

    /// <summary>
    /// An answer without a body (no route, a route without this method, a body the framework would not read): the
    /// problem of its status, or for a status no catalogued type has, one of type <c>http-STATUS</c>.
    /// </summary>
    private static async Task AnswerStatus(StatusCodeContext context)
    {
        var http = context.HttpContext;
        if (http.Response.StatusCode == 404 && MalformedId(http.Request.Path) is { } malformed)
        {
            await Problems.Of(malformed.Type, malformed.Detail).ExecuteAsync(http);
            return;
        }

        const string Detail = "see /openapi/v1.json for the routes of the API";
        var type = http.Response.StatusCode switch
        {
            404 => ProblemTypes.NotFound,
            405 => ProblemTypes.MethodNotAllowed,
            415 => ProblemTypes.UnsupportedMediaType,
            _ => null,
        };
        await (type is null
            ? TypedResults.Problem(Detail, statusCode: http.Response.StatusCode, title: "HTTP " + http.Response.StatusCode, type: Problems.Prefix + "http-" + http.Response.StatusCode)
            : Problems.Of(type, Detail)).ExecuteAsync(http);
    }

    /// <summary>
    /// A path of the API that no route takes because an id in it has the wrong form (a subject or document id that is
    /// not a UUID, a journal entry that is not a whole number): what is wrong, rather than "no such route". The id is
    /// not repeated in the answer: a client that puts an e-mail address where the id goes must not see it echoed.
    /// </summary>
    internal static (ProblemType Type, string Detail)? MalformedId(PathString path)
    {
        if (!path.StartsWithSegments("/api/v1", StringComparison.Ordinal, out var rest) || rest.Value is not { Length: > 1 } tail)
        {
            return null;
        }

        var segments = tail[1..].Split('/');
        if (segments is ["subjects", var subject, ..] && subject != "search" && !Guid.TryParse(subject, out _))
        {
            return (ProblemTypes.SubjectNotFound, "the subject id in the path is not a UUID: use the id that POST /api/v1/subjects returned (identifiers such as an e-mail address never go in a URL: POST /api/v1/subjects/search finds a subject by one)");
        }

        if (segments is ["subjects", _, "documents", var document, ..] && !Guid.TryParse(document, out _))
        {
            return (ProblemTypes.DocumentNotFound, "the document id in the path is not a UUID: use the id that storing the document returned");
        }

        return segments is ["ledger", "entries", var entry, ..] && !long.TryParse(entry, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)
            ? (ProblemTypes.EntryNotFound, "the entry id in the path is not a whole number: use the 'journal' number that a write or a read returned")
            : null;
    }
}
