using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Charte.Hosting;

/// <summary>
/// Reads a JSON request body with a precise error for each way it can be wrong: not JSON, too large, malformed at a
/// given line and column, a field of the wrong type. Minimal APIs' own binding answers a bare 400; this says why.
/// </summary>
public static partial class JsonBody
{
    public const long MaxBytes = 1024 * 1024;

    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, Problems.Of(ProblemTypes.UnsupportedMediaType, "send the body as application/json"));
        }

        if (request.ContentLength > MaxBytes)
        {
            return (null, TooLarge());
        }

        byte[] body;
        try
        {
            body = await ReadAllAsync(request, MaxBytes, cancellationToken);
        }
        catch (LimitedStream.TooLargeException)
        {
            return (null, TooLarge());
        }

        if (Utf8Text.FirstInvalid(body) is { } invalid)
        {
            return (null, Malformed($"the body is not UTF-8 text: the byte at {Utf8Text.Position(body, invalid)} starts no UTF-8 character"));
        }

        try
        {
            var value = JsonSerializer.Deserialize(Utf8Text.WithoutByteOrderMark(body), type);
            return value is null
                ? (null, Problems.Of(ProblemTypes.InvalidRequest, "the body is JSON null; an object is expected"))
                : (value, null);
        }
        catch (JsonException e)
        {
            return (null, Malformed(Describe(e, type)));
        }
    }

    /// <summary>What is wrong with a JSON text, in JSON's words, where it is, and in which field.</summary>
    internal static string Describe(JsonException e, JsonTypeInfo body, bool lines = true)
    {
        var where = e.LineNumber is not { } line ? "" : lines ? $" at line {line + 1}, column {e.BytePositionInLine + 1}" : $" at column {e.BytePositionInLine + 1}";
        var path = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" (field {e.Path})";
        return $"{Explain(e, body)}{where}{path}";
    }

    /// <summary>The whole body, at most <paramref name="limit"/> bytes, whatever Content-Length claims (or if it is absent).</summary>
    private static async Task<byte[]> ReadAllAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream(request.ContentLength is { } length and > 0 && length <= limit ? (int)length : 0);
        await new LimitedStream(request.Body, limit).CopyToAsync(buffer, cancellationToken);
        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
    }

    private static ProblemHttpResult Malformed(string detail) =>
        Problems.Of(ProblemTypes.MalformedJson, detail);

    private static ProblemHttpResult TooLarge() =>
        Problems.Of(ProblemTypes.BodyTooLarge, $"a JSON body may be at most {MaxBytes / 1024} KiB; send large data as documents");

    private const string Surrogate = "a string holds half of a UTF-16 surrogate pair (an escaped \\uD800–\\uDFFF alone), which is not text";

    /// <summary>
    /// Where, in a JSON value kept as it came (a record's value), a string or a field name is not text: a lone UTF-16
    /// surrogate escaped as \uD800 is valid JSON syntax, but no string can hold it, so the value could neither be stored
    /// nor given back. Null when every string of the value is text.
    /// </summary>
    internal static string? NotText(JsonElement value, string path = "")
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return Readable(value.GetString) ? null : $"{path}: {Surrogate}";
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (NotText(item, $"{path}[{index++}]") is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    string name = "";
                    if (!Readable(() => name = property.Name))
                    {
                        return $"{path}: a field name: {Surrogate}";
                    }

                    if (NotText(property.Value, $"{path}.{name}") is { } found)
                    {
                        return found;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static bool Readable(Func<string?> read)
    {
        try
        {
            read();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>System.Text.Json's messages name .NET types; a client needs the JSON words.</summary>
    private static string Explain(JsonException e, JsonTypeInfo body)
    {
        var message = e.Message;
        const string including = "including: ";
        if (message.Contains("missing required properties", StringComparison.Ordinal) && message.IndexOf(including, StringComparison.Ordinal) is var at and >= 0)
        {
            var names = message[(at + including.Length)..];
            var end = names.IndexOf('.', StringComparison.Ordinal);
            return "missing required field " + (end > 0 ? names[..end] : names);
        }

        if (message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return "unknown field";
        }

        if (e.InnerException is InvalidOperationException { Message: var reason } && reason.Contains("surrogate", StringComparison.Ordinal))
        {
            return Surrogate;
        }

        // "Duplicate property 'x' encountered" for an object's field, "Duplicate properties not allowed" for a map's key.
        if (message.Contains("Duplicate", StringComparison.Ordinal) && message.Contains("propert", StringComparison.Ordinal))
        {
            return "a field appears twice in one object";
        }

        if (message.Contains("could not be converted", StringComparison.Ordinal))
        {
            if (e.Path is null or "$")
            {
                return "the body is not " + Expected(body.Type) + " (JSON)";
            }

            return FieldType(body, e.Path) is { } field ? "the value is not " + Expected(field) : "a field has the wrong type";
        }

        var inner = e.InnerException?.Message ?? "malformed JSON";
        var stop = inner.IndexOf(". ", StringComparison.Ordinal);
        return (stop > 0 ? inner[..stop] : inner).TrimEnd('.');
    }

    /// <summary>
    /// The .NET type of the field at a JSON path ($.records[0].collectedAt) of a body, found in the body's own
    /// serialisation metadata: System.Text.Json's message names the type it was building, which for a field set through
    /// a constructor or an init-only property is the object holding it, not the field. Null where the path leads nowhere.
    /// </summary>
    private static Type? FieldType(JsonTypeInfo body, string? path)
    {
        if (path is null || !path.StartsWith('$'))
        {
            return null;
        }

        var info = body;
        Type? type = null;
        foreach (Match step in PathStep().Matches(path[1..]))
        {
            type = step.Groups["index"].Success ? info.ElementType
                : info.Properties.FirstOrDefault(p => p.Name == (step.Groups["name"].Success ? step.Groups["name"].Value : step.Groups["quoted"].Value))?.PropertyType
                    ?? (info.Kind == JsonTypeInfoKind.Dictionary ? info.ElementType : null);
            if (type is null)
            {
                return null;
            }

            info = body.Options.GetTypeInfo(type);
        }

        return type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
    }

    [GeneratedRegex(@"\.(?<name>[^.\[]+)|\['(?<quoted>(?:[^']|'')*)'\]|\[(?<index>\d+)\]")]
    private static partial Regex PathStep();

    /// <summary>What a field of a .NET type expects, in the API's words.</summary>
    private static string Expected(Type type) => type switch
    {
        _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "a date and time (ISO 8601, such as 2026-11-23T09:30:00+01:00)",
        _ when type == typeof(DateOnly) => "a date (such as 2026-11-23)",
        _ when type == typeof(Guid) => "an id (a UUID such as 0190d2d6-0000-7000-8000-000000000000)",
        _ when type == typeof(string) => "a string",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte) => "a whole number",
        _ when type == typeof(double) || type == typeof(decimal) || type == typeof(float) => "a number",
        _ when type.IsEnum => "one of the allowed words",
        _ when typeof(System.Collections.IDictionary).IsAssignableFrom(type) || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>)) => "an object",
        _ when type != typeof(string) && typeof(System.Collections.IEnumerable).IsAssignableFrom(type) => "an array",
        _ => "an object",
    };

    /// <summary>Stops reading a chunked body that grows past the limit, which Content-Length cannot catch.</summary>
    internal sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public sealed class TooLargeException : Exception;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => Count(await inner.ReadAsync(buffer, cancellationToken));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read)
        {
            _read += read;
            return _read > limit ? throw new TooLargeException() : read;
        }
    }
}
