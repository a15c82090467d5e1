using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Charte.Storage;
using Microsoft.EntityFrameworkCore;

namespace Charte.Applications;

/// <summary>The application behind a request, and the purposes it holds.</summary>
public sealed record Caller(Guid ApplicationId, string Name, IReadOnlySet<string> Purposes, IReadOnlySet<string>? Roles = null)
{
    public const string Archivist = "archivist";

    public bool Has(string role) => Roles?.Contains(role) == true;

    public string Actor => "app:" + Name;

    /// <summary>Minimal APIs bind a handler's <see cref="Caller"/> from what <see cref="ApiKeyMiddleware"/> verified.</summary>
    public static ValueTask<Caller?> BindAsync(HttpContext context) => ValueTask.FromResult(context.Items[typeof(Caller)] as Caller);
}

/// <summary>Every <c>/api/v1</c> request carries a valid API key, or is answered 401 before any handler runs.</summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, ApiKeys keys)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var (caller, problem) = await keys.AuthenticateAsync(context.Request.Headers.Authorization, context.RequestAborted);
        if (caller is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Hosting.Problems.Unauthorized(problem).ExecuteAsync(context);
            return;
        }

        context.Items[typeof(Caller)] = caller;
        await next(context);
    }
}

/// <summary>Why a request's API key was not accepted.</summary>
public enum KeyProblem
{
    Missing,
    Malformed,
    Unknown,
    Revoked,
}

/// <summary>
/// API keys: <c>charte_ID_SECRET</c>. The database keeps the id and the SHA-256 of the secret (the secret has 200 bits
/// of entropy, so a fast hash is enough); the secret itself is printed once. Verified keys are cached for
/// <c>Charte:Api:KeyCacheSeconds</c>, which bounds how long a revocation takes to reach every node.
/// </summary>
public sealed class ApiKeys(IDbContextFactory<CharteDb> databases, TimeProvider clock, TimeSpan cacheFor)
{
    public const string Prefix = "charte_";
    private readonly ConcurrentDictionary<string, (Caller? Caller, KeyProblem Problem, byte[] Hash, long Until)> _cache = new(StringComparer.Ordinal);

    public async Task<(Caller? Caller, KeyProblem Problem)> AuthenticateAsync(string? authorization, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(authorization))
        {
            return (null, KeyProblem.Missing);
        }

        const string bearer = "Bearer ";
        if (!authorization.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) || !TryParse(authorization[bearer.Length..].Trim(), out var id, out var secret))
        {
            return (null, KeyProblem.Malformed);
        }

        var hash = SHA256.HashData(Encoding.ASCII.GetBytes(secret));
        if (_cache.TryGetValue(id, out var cached) && clock.GetTimestamp() < cached.Until && CryptographicOperations.FixedTimeEquals(cached.Hash, hash))
        {
            return (cached.Caller, cached.Problem);
        }

        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var found = await db.ApiKeys.AsNoTracking()
            .Where(k => k.Id == id)
            .Join(db.Applications, k => k.ApplicationId, a => a.Id, (k, a) => new { Key = k, Application = a })
            .FirstOrDefaultAsync(cancellationToken);
        if (found is null || !CryptographicOperations.FixedTimeEquals(found.Key.SecretHash, hash))
        {
            return (null, KeyProblem.Unknown);
        }

        var result = found.Key.RevokedAt is not null
            ? (null, KeyProblem.Revoked)
            : (new Caller(found.Application.Id, found.Application.Name, found.Application.PurposeList.ToHashSet(StringComparer.Ordinal), found.Application.RoleList.ToHashSet(StringComparer.Ordinal)), KeyProblem.Missing);
        if (cacheFor > TimeSpan.Zero)
        {
            _cache[id] = (result.Item1, result.Item2, hash, clock.GetTimestamp() + (long)(cacheFor.TotalSeconds * clock.TimestampFrequency));
        }

        return result;
    }

    /// <summary>Makes a key for an application; returns the whole key, which is never stored.</summary>
    public static (ApiKey Row, string Key) Issue(Guid application, TimeProvider clock)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Base32(RandomNumberGenerator.GetBytes(25));
        var row = new ApiKey
        {
            Id = id,
            ApplicationId = application,
            SecretHash = SHA256.HashData(Encoding.ASCII.GetBytes(secret)),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        return (row, $"{Prefix}{id}_{secret}");
    }

    public void Forget(string id) => _cache.TryRemove(id, out _);

    private static bool TryParse(string key, out string id, out string secret)
    {
        id = secret = "";
        if (!key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = key[Prefix.Length..].Split('_');
        if (parts.Length != 2 || parts[0].Length != 12 || parts[1].Length != 40 || !parts[0].All(char.IsAsciiHexDigitLower) || !parts[1].All(char.IsAsciiLetterOrDigit))
        {
            return false;
        }

        (id, secret) = (parts[0], parts[1]);
        return true;
    }

    private static string Base32(byte[] bytes)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var output = new StringBuilder(bytes.Length * 8 / 5);
        int buffer = 0, bits = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                output.Append(alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        return output.ToString();
    }
}
