using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Charte.Hosting;

/// <summary>
/// What a request's line and headers must be before anything else reads them, answered as problem+json: a query
/// parameter given once (ASP.NET would join two values with a comma and the caller would read "no purpose 'a,b'"),
/// and the size limits. Kestrel refuses a request over its own
/// limits before any middleware runs, with an empty 414 or 431 that tells a client nothing; so Kestrel's limits are set
/// wider (<see cref="Widen"/>) and these, the usual ones, are checked here, first. Only a request past Kestrel's wider
/// limits still gets Kestrel's bare answer.
/// </summary>
internal static class RequestLimits
{
    /// <summary>The longest request target (path and query) answered: 8 KiB, Kestrel's default.</summary>
    public const int MaxTarget = 8 * 1024;

    /// <summary>The most header bytes (names and values) answered: 32 KiB, Kestrel's default.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    /// <summary>The most header fields answered: 100, Kestrel's default.</summary>
    public const int MaxHeaderCount = 100;

    /// <summary>Kestrel's own limits, past which it answers alone: eight times these.</summary>
    public static void Widen(KestrelServerLimits limits)
    {
        limits.MaxRequestLineSize = 8 * MaxTarget;
        limits.MaxRequestHeadersTotalSize = 8 * MaxHeaderBytes;
        limits.MaxRequestHeaderCount = 8 * MaxHeaderCount;
    }

    public static Task CheckAsync(HttpContext context, RequestDelegate next)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
        if (target.Length > MaxTarget)
        {
            return Problems.Of(ProblemTypes.UriTooLong, $"the path and query may be at most {MaxTarget / 1024} KiB; data goes in the body (identifiers never go in URLs: POST /api/v1/subjects/search)").ExecuteAsync(context);
        }

        if (context.Request.Query.FirstOrDefault(p => p.Value.Count > 1) is { Key: { } repeated } parameter)
        {
            return Problems.Of(ProblemTypes.InvalidParameter, $"the parameter '{repeated}' is given {parameter.Value.Count} times; give it once").ExecuteAsync(context);
        }

        var headers = context.Request.Headers;
        if (headers.Count > MaxHeaderCount)
        {
            return TooManyHeaders(context, $"a request may carry at most {MaxHeaderCount} header fields");
        }

        var bytes = 0L;
        foreach (var (name, values) in headers)
        {
            bytes += name.Length;
            foreach (var value in values)
            {
                bytes += value?.Length ?? 0;
            }
        }

        return bytes > MaxHeaderBytes
            ? TooManyHeaders(context, $"a request's header fields may hold at most {MaxHeaderBytes / 1024} KiB")
            : next(context);
    }

    private static Task TooManyHeaders(HttpContext context, string detail) =>
        Problems.Of(ProblemTypes.HeadersTooLarge, detail).ExecuteAsync(context);
}
