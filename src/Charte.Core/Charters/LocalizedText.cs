namespace Charte.Charters;

/// <summary>A text given in each of the charter's languages.</summary>
public sealed record LocalizedText(IReadOnlyDictionary<string, string> Values)
{
    public static readonly LocalizedText Empty = new(new Dictionary<string, string>());

    public static LocalizedText Same(string text, IEnumerable<string> languages) =>
        new(languages.ToDictionary(l => l, _ => text, StringComparer.Ordinal));

    /// <summary>The text in <paramref name="language"/>, or in any language it was given in.</summary>
    public string In(string language) =>
        Values.TryGetValue(language, out var text) ? text : Values.Values.FirstOrDefault() ?? "";

    public bool Has(string language) => Values.ContainsKey(language);

    public bool Equals(LocalizedText? other) =>
        other is not null && Values.Count == other.Values.Count &&
        Values.All(kv => other.Values.TryGetValue(kv.Key, out var v) && v == kv.Value);

    public override int GetHashCode() => Values.Count;
}
