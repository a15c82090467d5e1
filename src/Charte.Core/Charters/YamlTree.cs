using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Charte.Charters;

/// <summary>A YAML node that remembers where it was written.</summary>
internal abstract class YNode(SourcePosition at)
{
    public SourcePosition At { get; } = at;

    /// <summary>Number of nodes this one stands for once aliases are expanded.</summary>
    public abstract long ExpandedSize { get; }

    public abstract string Kind { get; }
}

internal sealed class YScalar(string value, SourcePosition at, bool plain) : YNode(at)
{
    public string Value { get; } = value;

    /// <summary>Written without quotes, so <c>null</c>, <c>~</c> and an empty value mean "nothing".</summary>
    public bool Plain { get; } = plain;

    public bool IsNull => Plain && (Value.Length == 0 || Value is "~" or "null" or "Null" or "NULL");

    public override long ExpandedSize => 1;

    public override string Kind => "a scalar";
}

internal sealed class YSequence(IReadOnlyList<YNode> items, SourcePosition at, long size) : YNode(at)
{
    public IReadOnlyList<YNode> Items { get; } = items;

    public override long ExpandedSize => size;

    public override string Kind => "a list";
}

internal sealed class YMapping(IReadOnlyList<KeyValuePair<YScalar, YNode>> entries, SourcePosition at, long size) : YNode(at)
{
    public IReadOnlyList<KeyValuePair<YScalar, YNode>> Entries { get; } = entries;

    public override long ExpandedSize => size;

    public override string Kind => "a mapping";
}

/// <summary>
/// Reads YAML text into a positioned tree, refusing what a charter never needs and an attacker would send:
/// several documents, complex keys, duplicate keys, deep nesting and alias expansion bombs.
/// Aliases share the anchored node (no copy), and their expanded size is bounded.
/// </summary>
internal static class YamlTree
{
    public const int MaxDepth = 64;
    public const long MaxExpandedNodes = 200_000;

    public static YNode? Read(string text, DiagnosticBag diagnostics)
    {
        var parser = new Parser(new StringReader(text));
        var anchors = new Dictionary<string, YNode>(StringComparer.Ordinal);
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
            {
                diagnostics.Error("yaml-empty", SourcePosition.Start, "the charter is empty");
                return null;
            }

            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, anchors, depth: 0, diagnostics);
            parser.Consume<DocumentEnd>();
            if (parser.Accept<DocumentStart>(out var second))
            {
                diagnostics.Error("yaml-multiple-documents", At(second.Start),
                    "a charter is a single YAML document; remove the second '---' document");
                return null;
            }

            return root;
        }
        catch (CharterLimitException limit)
        {
            diagnostics.Error(limit.Code, limit.At, limit.Message);
            return null;
        }
        catch (YamlException syntax)
        {
            var message = Describe(syntax);
            if (message.Contains(" tab ", StringComparison.Ordinal) && TabIndent(text, (int)syntax.Start.Line) is { } tab)
            {
                diagnostics.Error("yaml-syntax", tab, "YAML syntax: a tab indents this line; YAML indents with spaces only");
            }
            else
            {
                diagnostics.Error("yaml-syntax", At(syntax.Start), message);
            }

            return null;
        }
        catch (InvalidOperationException) when (parser.Current is { } last)
        {
            // YamlDotNet's scanner throws this, not a YamlException, on some broken flow collections (a '[' left open
            // before a 'key: value' line); the last event it read is where the text stops making sense.
            diagnostics.Error("yaml-syntax", At(last.End),
                "YAML syntax: the text cannot be read past this point; look for a '[' or '{' not closed, or a ': ' in an unquoted value inside one");
            return null;
        }
    }

    private static YNode ReadNode(IParser parser, Dictionary<string, YNode> anchors, int depth, DiagnosticBag diagnostics)
    {
        var current = parser.Current ?? throw new YamlException("unexpected end of the document");
        if (depth > MaxDepth)
        {
            throw new CharterLimitException("yaml-too-deep", At(current.Start),
                $"the charter nests deeper than {MaxDepth} levels; a charter never needs that");
        }

        switch (current)
        {
            case AnchorAlias alias:
                parser.MoveNext();
                if (!anchors.TryGetValue(alias.Value.Value, out var target))
                {
                    throw new CharterLimitException("yaml-unknown-alias", At(alias.Start),
                        $"alias '*{alias.Value.Value}' refers to no anchor defined before it");
                }

                return target;

            case Scalar scalar:
                parser.MoveNext();
                var node = new YScalar(scalar.Value, At(scalar.Start), scalar.Style == ScalarStyle.Plain);
                Remember(scalar.Anchor, node, anchors);
                return node;

            case SequenceStart start:
                {
                    parser.MoveNext();
                    var items = new List<YNode>();
                    long size = 1;
                    while (!parser.TryConsume<SequenceEnd>(out _))
                    {
                        var item = ReadNode(parser, anchors, depth + 1, diagnostics);
                        size = Grow(size, item, start);
                        items.Add(item);
                    }

                    var sequence = new YSequence(items, At(start.Start), size);
                    Remember(start.Anchor, sequence, anchors);
                    return sequence;
                }

            case MappingStart start:
                {
                    parser.MoveNext();
                    var entries = new List<KeyValuePair<YScalar, YNode>>();
                    var seen = new Dictionary<string, SourcePosition>(StringComparer.Ordinal);
                    long size = 1;
                    while (!parser.TryConsume<MappingEnd>(out _))
                    {
                        var keyNode = ReadNode(parser, anchors, depth + 1, diagnostics);
                        var value = ReadNode(parser, anchors, depth + 1, diagnostics);
                        if (keyNode is not YScalar key)
                        {
                            diagnostics.Error("yaml-complex-key", keyNode.At, "a key must be a plain word, not " + keyNode.Kind);
                            continue;
                        }

                        if (seen.TryGetValue(key.Value, out var first))
                        {
                            diagnostics.Error("yaml-duplicate-key", key.At,
                                $"key '{key.Value}' is already given at line {first.Line.ToString(CultureInfo.InvariantCulture)}");
                            continue;
                        }

                        seen[key.Value] = key.At;
                        size = Grow(size, value, start);
                        entries.Add(new(key, value));
                    }

                    var mapping = new YMapping(entries, At(start.Start), size);
                    Remember(start.Anchor, mapping, anchors);
                    return mapping;
                }

            default:
                throw new YamlException(current.Start, current.End, "unexpected " + current.GetType().Name);
        }
    }

    private static long Grow(long size, YNode child, ParsingEvent owner)
    {
        var total = size + child.ExpandedSize;
        if (total > MaxExpandedNodes)
        {
            throw new CharterLimitException("yaml-too-large", At(owner.Start),
                $"this value expands to more than {MaxExpandedNodes.ToString(CultureInfo.InvariantCulture)} nodes " +
                "(aliases that repeat aliases, as in a 'billion laughs' attack); a charter never needs that");
        }

        return total;
    }

    private static void Remember(AnchorName anchor, YNode node, Dictionary<string, YNode> anchors)
    {
        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = node;
        }
    }

    private static SourcePosition At(Mark mark) => new(Math.Max(1, (int)mark.Line), Math.Max(1, (int)mark.Column));

    /// <summary>
    /// The first line from <paramref name="fromLine"/> (1-based, where YamlDotNet stopped: often the line before) that a
    /// tab indents, at that tab: the commonest YAML mistake, which YamlDotNet words as "found invalid tab as indentation"
    /// at the start of the mapping rather than at the tab.
    /// </summary>
    private static SourcePosition? TabIndent(string text, int fromLine)
    {
        var line = 1;
        for (var start = 0; start < text.Length; line++)
        {
            var end = text.IndexOf('\n', start);
            end = end < 0 ? text.Length : end;
            if (line >= fromLine)
            {
                var indent = start;
                while (indent < end && text[indent] == ' ')
                {
                    indent++;
                }

                if (indent < end && text[indent] == '\t')
                {
                    return new SourcePosition(line, indent - start + 1);
                }
            }

            start = end + 1;
        }

        return null;
    }

    private static string Describe(YamlException syntax)
    {
        // YamlDotNet prefixes its messages with the position, which we print ourselves.
        var message = syntax.InnerException?.Message ?? syntax.Message;
        var close = message.IndexOf("): ", StringComparison.Ordinal);
        if (message.StartsWith("(Line:", StringComparison.Ordinal) && close > 0)
        {
            message = message[(close + 3)..];
        }

        // The likely cause, in the words of someone editing a charter, after YamlDotNet's grammar words.
        var hint = message switch
        {
            _ when message.Contains("invalid mapping", StringComparison.Ordinal) || message.Contains("mapping values are not allowed", StringComparison.Ordinal)
                => " (a value that contains ': ' must be in quotes)",
            _ when message.Contains("did not find expected key", StringComparison.Ordinal)
                => " (is this line indented as the other keys of its block are?)",
            _ => "",
        };
        return "YAML syntax: " + message.TrimEnd('.') + hint;
    }

    private sealed class CharterLimitException(string code, SourcePosition at, string message) : Exception(message)
    {
        public string Code { get; } = code;

        public SourcePosition At { get; } = at;
    }
}
