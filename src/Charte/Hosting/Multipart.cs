using Microsoft.AspNetCore.Http.HttpResults;

namespace Charte.Hosting;

/// <summary>Reads a multipart/form-data body within a size limit: 415 when it is not multipart, 413 over the limit, 400 when malformed.</summary>
internal static class Multipart
{
    private const long Overhead = 64 * 1024;

    // RFC 2046 §5.1.1: a boundary is 1 to 70 characters.
    private const int MaxBoundary = 70;

    public static async Task<(IFormCollection? Form, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, long limit, string expected, Func<ProblemHttpResult> tooLarge, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType || !request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problems.Of(ProblemTypes.UnsupportedMediaType, expected));
        }

        // Checked here, because the form reader reports a missing boundary as it reports a body over its limit.
        if (!Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(request.ContentType, out var media)
            || Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(media.Boundary) is not { Length: > 0 and <= MaxBoundary })
        {
            return (null, Problems.Of(ProblemTypes.InvalidRequest, $"the Content-Type names no multipart boundary (boundary=…, 1 to {MaxBoundary} characters)"));
        }

        if (request.ContentLength > limit + Overhead)
        {
            return (null, tooLarge());
        }

        try
        {
            return (await request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions { MultipartBodyLengthLimit = limit + Overhead, ValueCountLimit = 64 }, cancellationToken), null);
        }
        catch (InvalidDataException e) when (e.Message.Contains("body length limit", StringComparison.Ordinal))
        {
            return (null, tooLarge());
        }
        catch (InvalidDataException)
        {
            return (null, Problems.Of(ProblemTypes.InvalidRequest, "the multipart body is malformed or exceeds a limit of its format (at most 64 fields, part headers of at most 16 KiB)"));
        }
        catch (IOException)
        {
            return (null, Problems.Of(ProblemTypes.InvalidRequest, "the multipart body is malformed or ended early"));
        }
    }
}
