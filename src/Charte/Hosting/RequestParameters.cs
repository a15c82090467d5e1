using System.Text.RegularExpressions;

namespace Charte.Hosting;

/// <summary>
/// Says which query or route parameter of a request did not parse and what it expects, from ASP.NET's binding failure
/// ("Failed to bind parameter "Nullable&lt;long&gt; size" from "abc"."). The value itself is not repeated: a caller who
/// mistyped a parameter knows what they sent, and an answer that echoes input is one more place for data to travel.
/// </summary>
internal static partial class RequestParameters
{
    public static string? Describe(string message)
    {
        var match = Failure().Match(message);
        if (!match.Success)
        {
            return null;
        }

        var (type, name) = (match.Groups["type"].Value, match.Groups["name"].Value);
        var expected = Unwrap(type) switch
        {
            "long" or "int" or "short" or "Int64" or "Int32" => "a whole number",
            "Guid" => "a UUID",
            "DateTime" or "DateTimeOffset" or "DateOnly" => "an ISO 8601 date",
            "bool" or "Boolean" => "true or false",
            _ => "a value of another form",
        };
        return match.Groups["missing"].Success
            ? $"the parameter '{name}' is required"
            : $"the parameter '{name}' must be {expected}";
    }

    private static string Unwrap(string type) => type.StartsWith("Nullable<", StringComparison.Ordinal) ? type[9..^1] : type;

    [GeneratedRegex("""^(?:Failed to bind parameter|(?<missing>Required parameter)) "(?<type>[^" ]+) (?<name>[A-Za-z_][A-Za-z0-9_]*)" """, RegexOptions.CultureInvariant)]
    private static partial Regex Failure();
}
