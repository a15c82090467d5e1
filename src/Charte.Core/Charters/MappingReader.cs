using System.Globalization;

namespace Charte.Charters;

/// <summary>
/// Reads one YAML mapping field by field, and reports what is wrong with it: a missing required key,
/// a value of the wrong shape, and at the end every key nobody asked for (with the closest known key).
/// </summary>
internal sealed class MappingReader
{
    private readonly YMapping _mapping;
    private readonly DiagnosticBag _diagnostics;
    private readonly string _what;
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    public MappingReader(YMapping mapping, DiagnosticBag diagnostics, string what)
    {
        _mapping = mapping;
        _diagnostics = diagnostics;
        _what = what;
    }

    public SourcePosition At => _mapping.At;

    public DiagnosticBag Diagnostics => _diagnostics;

    /// <summary>Turns a node into a reader if it is a mapping; otherwise reports it and returns null.</summary>
    public static MappingReader? Of(YNode? node, DiagnosticBag diagnostics, string what)
    {
        if (node is YMapping mapping)
        {
            return new MappingReader(mapping, diagnostics, what);
        }

        if (node is not null && !(node is YScalar { IsNull: true }))
        {
            diagnostics.Error("type-mismatch", node.At, $"{what} must be a mapping of keys and values, not {node.Kind}");
        }

        return null;
    }

    public YNode? Node(string key)
    {
        _known.Add(key);
        foreach (var entry in _mapping.Entries)
        {
            if (entry.Key.Value == key)
            {
                return entry.Value is YScalar { IsNull: true } ? null : entry.Value;
            }
        }

        return null;
    }

    public SourcePosition KeyAt(string key)
    {
        foreach (var entry in _mapping.Entries)
        {
            if (entry.Key.Value == key)
            {
                return entry.Value.At;
            }
        }

        return _mapping.At;
    }

    public bool Has(string key) => Node(key) is not null;

    public YNode? Required(string key)
    {
        var node = Node(key);
        if (node is null)
        {
            _diagnostics.Error("required", _mapping.At, $"{_what} needs '{key}'");
        }

        return node;
    }

    public string? OptionalString(string key) => Text(Node(key), key);

    public string RequiredString(string key) => Text(Required(key), key) ?? "";

    public string? Text(YNode? node, string key)
    {
        switch (node)
        {
            case null:
                return null;
            case YScalar scalar:
                var text = scalar.Value.Trim();
                if (text.Length == 0)
                {
                    _diagnostics.Error("required", scalar.At, $"'{key}' of {_what} is empty");
                }

                return text;
            default:
                _diagnostics.Error("type-mismatch", node.At, $"'{key}' of {_what} must be a text, not {node.Kind}");
                return null;
        }
    }

    public bool Boolean(string key, bool defaultValue)
    {
        var node = Node(key);
        if (node is null)
        {
            return defaultValue;
        }

        if (node is YScalar { Plain: true } scalar)
        {
            switch (scalar.Value)
            {
                case "true" or "True" or "TRUE" or "yes":
                    return true;
                case "false" or "False" or "FALSE" or "no":
                    return false;
            }
        }

        _diagnostics.Error("type-mismatch", node.At, $"'{key}' of {_what} must be true or false");
        return defaultValue;
    }

    public int? Integer(string key, int min, int max)
    {
        var node = Node(key);
        if (node is null)
        {
            return null;
        }

        if (node is YScalar scalar && int.TryParse(scalar.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            && value >= min && value <= max)
        {
            return value;
        }

        _diagnostics.Error("type-mismatch", node.At, $"'{key}' of {_what} must be a whole number from {min} to {max}");
        return null;
    }

    public decimal? Decimal(string key, decimal min, decimal max)
    {
        var node = Node(key);
        if (node is null)
        {
            return null;
        }

        var text = (node as YScalar)?.Value.TrimEnd('%', ' ');
        if (text is not null && decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            && value >= min && value <= max)
        {
            return value;
        }

        _diagnostics.Error("type-mismatch", node.At, $"'{key}' of {_what} must be a number from {min} to {max}");
        return null;
    }

    public T? Enum<T>(string key, string code) where T : struct, System.Enum => EnumOf<T>(Node(key), key, code);

    public T? EnumOf<T>(YNode? node, string key, string code) where T : struct, System.Enum
    {
        var text = Text(node, key);
        if (text is null || node is null)
        {
            return null;
        }

        if (YamlNames.TryParse<T>(text, out var value))
        {
            return value;
        }

        var known = YamlNames.All<T>();
        var hint = Closest(text, known) is { } near ? $" (did you mean '{near}'?)" : "";
        _diagnostics.Error(code, node.At, $"unknown {key.Replace('_', ' ')} '{text}'{hint}; expected one of: {string.Join(", ", known)}");
        return null;
    }

    /// <summary>A list, or a single value standing for a list of one.</summary>
    public IReadOnlyList<YNode> List(string key)
    {
        var node = Node(key);
        return node switch
        {
            null => [],
            YSequence sequence => sequence.Items,
            YScalar scalar => [scalar],
            _ => Mismatch(node, key),
        };
    }

    public IReadOnlyList<Ref> Refs(string key)
    {
        var refs = new List<Ref>();
        foreach (var item in List(key))
        {
            if (Text(item, key) is { Length: > 0 } id)
            {
                refs.Add(new Ref(id, item.At));
            }
        }

        return refs;
    }

    /// <summary>Reports every key of the mapping that no reader asked for.</summary>
    public void RejectUnknownKeys()
    {
        foreach (var entry in _mapping.Entries)
        {
            var key = entry.Key.Value;
            if (_known.Contains(key))
            {
                continue;
            }

            var hint = Closest(key, _known) is { } near ? $" (did you mean '{near}'?)" : "";
            _diagnostics.Error("unknown-key", entry.Key.At,
                $"unknown key '{key}' in {_what}{hint}; known keys: {string.Join(", ", _known.Order(StringComparer.Ordinal))}");
        }
    }

    private IReadOnlyList<YNode> Mismatch(YNode node, string key)
    {
        _diagnostics.Error("type-mismatch", node.At, $"'{key}' of {_what} must be a list, not {node.Kind}");
        return [];
    }

    /// <summary>The known word within two edits of <paramref name="word"/>, if any.</summary>
    internal static string? Closest(string word, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            var distance = Distance(word.ToLowerInvariant(), candidate);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        return bestDistance <= Math.Max(2, word.Length / 4) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        if (a.Length > 64 || b.Length > 64)
        {
            return int.MaxValue;
        }

        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
