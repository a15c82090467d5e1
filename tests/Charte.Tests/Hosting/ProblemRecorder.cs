using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Charte.Hosting;

/// <summary>
/// Watches every problem a test server answers under <c>/api/v1</c> and notes each that its route does not declare
/// (<see cref="ProblemTypesMetadata"/> and <see cref="ProblemTypes.AnyRequest"/>, which the OpenAPI description lists),
/// that is not in <see cref="ProblemTypes"/>, or whose status is not its type's. <see cref="TestHost"/> fails the test that
/// caused one: the API's description then says what the API does.
/// </summary>
public sealed class ProblemRecorder : IStartupFilter
{
    private const int Captured = 16 * 1024;

    /// <summary>
    /// What routing answers when no route takes the request (its endpoint, if any, is routing's own, not a route's):
    /// another method, a body of a media type no route reads, and an id of the wrong form in a path aimed at a route,
    /// which gets the not-found type that route declares (CharteServer.MalformedId).
    /// </summary>
    private static readonly ProblemType[] Unrouted =
        [ProblemTypes.MethodNotAllowed, ProblemTypes.UnsupportedMediaType, ProblemTypes.SubjectNotFound, ProblemTypes.DocumentNotFound, ProblemTypes.EntryNotFound];

    public ConcurrentQueue<string> Violations { get; } = new();

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(RecordAsync);
        next(app);
    };

    private async Task RecordAsync(HttpContext context, RequestDelegate next)
    {
        if (!context.Request.Path.StartsWithSegments("/api/v1", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        var body = context.Response.Body;
        await using var tee = new TeeStream(body);
        context.Response.Body = tee;
        Endpoint? endpoint = null;
        context.Response.OnStarting(() =>
        {
            endpoint ??= context.GetEndpoint();
            return Task.CompletedTask;
        });
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = body;
        }

        endpoint ??= context.GetEndpoint();
        if (context.Response.ContentType?.StartsWith("application/problem+json", StringComparison.Ordinal) != true)
        {
            return;
        }

        var where = $"{context.Request.Method} {(endpoint as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.Value + " (no route matched)"}";
        string? name;
        try
        {
            name = JsonDocument.Parse(tee.Head.ToArray()).RootElement.GetProperty("type").GetString();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            Violations.Enqueue($"{where} answered {context.Response.StatusCode} with a problem whose type cannot be read");
            return;
        }

        var type = ProblemTypes.OfUri(name);
        var declared = endpoint?.Metadata.GetOrderedMetadata<ProblemTypesMetadata>().SelectMany(m => m.Types) ?? [];
        if (type is null)
        {
            Violations.Enqueue($"{where} answered {context.Response.StatusCode} {name}, which ProblemTypes does not catalogue");
        }
        else if (type.Status != context.Response.StatusCode)
        {
            Violations.Enqueue($"{where} answered {type.Name} with status {context.Response.StatusCode}; the type's status is {type.Status}");
        }
        else if (!ProblemTypes.AnyRequest.Contains(type) && !declared.Contains(type) && !(endpoint is not RouteEndpoint && Unrouted.Contains(type)))
        {
            Violations.Enqueue($"{where} answered {type.Name}, which the route does not declare (.Answers(…)): its OpenAPI description does not list it");
        }
    }

    /// <summary>Writes through to the response and keeps the first bytes, enough for a problem's type.</summary>
    private sealed class TeeStream(Stream inner) : Stream
    {
        public MemoryStream Head { get; } = new();

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            Keep(buffer.AsSpan(offset, count));
            inner.Write(buffer, offset, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Keep(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private void Keep(ReadOnlySpan<byte> bytes)
        {
            var room = Captured - (int)Head.Length;
            if (room > 0)
            {
                Head.Write(bytes[..Math.Min(room, bytes.Length)]);
            }
        }
    }
}
