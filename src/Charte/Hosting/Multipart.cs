using Microsoft.AspNetCore.Http.HttpResults;

namespace Charte.Hosting;

/// <summary>Reads a multipart/form-data body within a size limit: 415 when it is not multipart, 413 over the limit, 400 when malformed.</summary>
internal static class Multipart
{
    private const long Overhead = 64 * 1024;

    public static async Task<(IFormCollection? Form, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, long limit, string expected, Func<ProblemHttpResult> tooLarge, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType || !request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problems.Of(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "multipart/form-data expected", expected));
        }

        if (request.ContentLength > limit + Overhead)
        {
            return (null, tooLarge());
        }

        try
        {
            return (await request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions { MultipartBodyLengthLimit = limit + Overhead, ValueCountLimit = 64 }, cancellationToken), null);
        }
        catch (InvalidDataException)
        {
            return (null, tooLarge());
        }
        catch (IOException)
        {
            return (null, Problems.BadRequest("the multipart body is malformed or ended early"));
        }
    }
}
