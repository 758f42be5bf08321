using System.Runtime.InteropServices;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Secrets.Policy.Language;

/// <summary>A YAML node with its 1-based source position. Aliases resolve to the anchored node instance.</summary>
internal abstract class YNode(int line, int column, string? tag)
{
    public int Line { get; } = line;

    public int Column { get; } = column;

    /// <summary>The tag as written (<c>!user</c>), or null when untagged or tagged with a YAML core tag.</summary>
    public string? Tag { get; } = tag;

    /// <summary>True for anchored nodes and their descendants: the only nodes an alias can reach twice.</summary>
    public bool Shared { get; set; }
}

internal sealed class YScalar(int line, int column, string? tag, string value, bool plain) : YNode(line, column, tag)
{
    public string Value { get; } = value;

    /// <summary>Unquoted and untagged, so YAML type guessing applies (<c>true</c> is a boolean, <c>12</c> an integer).</summary>
    public bool Plain { get; } = plain;
}

internal sealed class YSequence(int line, int column, string? tag, YNode[] items) : YNode(line, column, tag)
{
    public YNode[] Items { get; } = items;
}

internal sealed class YMapping(int line, int column, string? tag, KeyValuePair<YNode, YNode>[] entries) : YNode(line, column, tag)
{
    public KeyValuePair<YNode, YNode>[] Entries { get; } = entries;
}

/// <summary>
/// Builds a <see cref="YNode"/> tree from the YamlDotNet event stream. We read events rather than use
/// YamlStream so that we keep line/column marks, reject duplicate anchors the way Conjur does, and detect a
/// second document before reading it (spec 4.1).
/// </summary>
internal static class YamlTree
{
    private const string CoreTagPrefix = "tag:yaml.org,2002:";
    private const int MaxDepth = 200;

    /// <summary>Parses the single document of <paramref name="text"/>; null when the text holds no document.</summary>
    /// <exception cref="PolicyErrorException">On a YAML syntax error or a structure error.</exception>
    public static YNode? Parse(string text)
    {
        var builder = new Builder(text);
        return builder.Build();
    }

    private sealed class Builder
    {
        private readonly string _text;
        private readonly FlowTagFix _fix;
        private readonly Parser _parser;
        private readonly Dictionary<string, YNode> _anchors = new(StringComparer.Ordinal);

        // Children of the collections being read, innermost last: each collection copies its own into an array of
        // the exact size, so the tree holds no list objects or spare capacity (it lives until the statements are read).
        private readonly List<YNode> _children = [];

        // One instance of each tag and mapping key text (`!host`, `role`, ...): the parser allocates a string per
        // occurrence, and the tree keeps them until the statements are read.
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);

        // Lines whose leading whitespace is content (inside block or multi-line quoted scalars, or flow collections):
        // a tab there is not indentation.
        private readonly List<(long From, long To)> _contentLines = [];

        public Builder(string text)
        {
            _text = text;
            _fix = FlowTagFix.Apply(text);
            _parser = new Parser(new StringReader(_fix.Text));
        }

        public YNode? Build()
        {
            YNode? root = null;
            var documents = 0;
            try
            {
                while (_parser.MoveNext())
                {
                    switch (_parser.Current)
                    {
                        case DocumentStart start:
                            documents++;
                            if (documents > 1)
                            {
                                throw Structural(PolicyMessages.MultipleDocuments, start.Start);
                            }

                            break;
                        case NodeEvent:
                            root = ReadNode(0, false);
                            break;
                    }
                }
            }
            catch (YamlException ex)
            {
                // YamlDotNet's position for a tab error is often the enclosing node; find the tab itself.
                if (ex.Message.Contains("tab", StringComparison.OrdinalIgnoreCase))
                {
                    CheckTabIndentation();
                }

                // Conjur returns libyaml's problem text without a location prefix (spec 4.9); we keep the
                // position for the dry-run report.
                throw new PolicyErrorException(PolicyError.Invalid(ex.Message, Line(ex.Start), Column(ex.Start)));
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
            {
                // YamlDotNet fails this way on some malformed input (seen with random edits of valid text):
                // it is still a syntax error of the body, not a server error.
                var at = _parser.Current?.End ?? Mark.Empty;
                throw new PolicyErrorException(PolicyError.Invalid(PolicyMessages.UnreadableYaml, Line(at), Column(at)));
            }

            CheckTabIndentation();
            return root;
        }

        /// <summary>Reads the node at the parser's current event, leaving the parser on the node's last event.</summary>
        private YNode ReadNode(int depth, bool isKey)
        {
            if (depth > MaxDepth)
            {
                throw Structural(PolicyMessages.TooDeep, _parser.Current!.Start);
            }

            var current = _parser.Current!;
            YNode node;
            string? anchor = null;
            switch (current)
            {
                case AnchorAlias alias:
                    return _anchors.TryGetValue(alias.Value.Value, out var target)
                        ? target
                        : throw Structural(PolicyMessages.UndefinedAlias(alias.Value.Value), alias.Start);
                case Scalar scalar:
                    {
                        var (tag, core) = TagOf(scalar.Tag);
                        // !!str (or any core tag) makes the scalar a plain string, never a guessed type.
                        var plain = scalar.Style == ScalarStyle.Plain && tag is null && !core;
                        var value = isKey ? Pooled(scalar.Value) : scalar.Value;
                        node = new YScalar(Line(scalar.Start), Column(scalar.Start), tag, value, plain);
                        anchor = scalar.Anchor.IsEmpty ? null : scalar.Anchor.Value;
                        if (scalar.End.Line > scalar.Start.Line && scalar.Style != ScalarStyle.Plain)
                        {
                            _contentLines.Add((scalar.Start.Line + 1, scalar.End.Column == 1 ? scalar.End.Line - 1 : scalar.End.Line));
                        }

                        break;
                    }

                case SequenceStart start:
                    {
                        var (line, column, tag) = (Line(start.Start), Column(start.Start), TagOf(start.Tag).Tag);
                        anchor = start.Anchor.IsEmpty ? null : start.Anchor.Value;
                        var first = _children.Count;
                        while (_parser.MoveNext() && _parser.Current is not SequenceEnd)
                        {
                            _children.Add(ReadNode(depth + 1, false));
                        }

                        if (start.Style == SequenceStyle.Flow && _parser.Current!.End.Line > start.Start.Line)
                        {
                            _contentLines.Add((start.Start.Line + 1, _parser.Current!.End.Line));
                        }

                        node = new YSequence(line, column, tag, TakeChildren(first).ToArray());
                        _children.RemoveRange(first, _children.Count - first);
                        break;
                    }

                case MappingStart start:
                    {
                        var (line, column, tag) = (Line(start.Start), Column(start.Start), TagOf(start.Tag).Tag);
                        anchor = start.Anchor.IsEmpty ? null : start.Anchor.Value;
                        var first = _children.Count;
                        while (_parser.MoveNext() && _parser.Current is not MappingEnd)
                        {
                            _children.Add(ReadNode(depth + 1, true));
                            _parser.MoveNext();
                            _children.Add(ReadNode(depth + 1, false));
                        }

                        if (start.Style == MappingStyle.Flow && _parser.Current!.End.Line > start.Start.Line)
                        {
                            _contentLines.Add((start.Start.Line + 1, _parser.Current!.End.Line));
                        }

                        var children = TakeChildren(first);
                        var entries = new KeyValuePair<YNode, YNode>[children.Length / 2];
                        for (var i = 0; i < entries.Length; i++)
                        {
                            entries[i] = new(children[2 * i], children[(2 * i) + 1]);
                        }

                        node = new YMapping(line, column, tag, entries);
                        _children.RemoveRange(first, _children.Count - first);
                        break;
                    }

                default:
                    throw Structural(PolicyMessages.UnexpectedScalar, current.Start);
            }

            // The anchor is registered once its node is complete, so a node cannot alias itself.
            if (anchor is not null)
            {
                if (!_anchors.TryAdd(anchor, node))
                {
                    throw Structural(PolicyMessages.DuplicateAnchor(anchor), current.Start);
                }

                MarkShared(node);
            }

            return node;
        }

        private ReadOnlySpan<YNode> TakeChildren(int first) => CollectionsMarshal.AsSpan(_children)[first..];

        private static void MarkShared(YNode node)
        {
            var pending = new Stack<YNode>();
            pending.Push(node);
            while (pending.TryPop(out var current))
            {
                if (current.Shared)
                {
                    continue; // an anchored node inside this one was marked already
                }

                current.Shared = true;
                switch (current)
                {
                    case YSequence sequence:
                        foreach (var item in sequence.Items)
                        {
                            pending.Push(item);
                        }

                        break;
                    case YMapping mapping:
                        foreach (var (key, value) in mapping.Entries)
                        {
                            pending.Push(key);
                            pending.Push(value);
                        }

                        break;
                }
            }
        }

        /// <summary>
        /// libyaml (Conjur) rejects a tab in block indentation; YamlDotNet accepts some of those (" \tid: a"),
        /// so look for them after a successful parse (spec 4.1: tabs in indentation are YAML errors).
        /// </summary>
        private void CheckTabIndentation()
        {
            if (!_text.Contains('\t', StringComparison.Ordinal))
            {
                return;
            }

            var lineCount = 1;
            foreach (var c in _text)
            {
                lineCount += c == '\n' ? 1 : 0;
            }

            var isContent = new bool[lineCount + 2];
            foreach (var (from, to) in _contentLines)
            {
                for (var l = from; l <= to && l < isContent.Length; l++)
                {
                    isContent[l] = true;
                }
            }

            var lineNumber = 0;
            foreach (var line in _text.AsSpan().EnumerateLines())
            {
                lineNumber++;
                if (lineNumber < isContent.Length && isContent[lineNumber])
                {
                    continue;
                }

                for (var column = 0; column < line.Length && (line[column] == ' ' || line[column] == '\t'); column++)
                {
                    if (line[column] == '\t')
                    {
                        throw new PolicyErrorException(PolicyError.Invalid(PolicyMessages.TabIndentation, lineNumber, column + 1));
                    }
                }
            }
        }

        private (string? Tag, bool Core) TagOf(TagName tag)
        {
            if (tag.IsEmpty || tag.IsNonSpecific)
            {
                return (null, false);
            }

            return tag.Value.StartsWith(CoreTagPrefix, StringComparison.Ordinal) ? (null, true) : (Pooled(tag.Value), false);
        }

        private string Pooled(string name)
        {
            if (_names.TryGetValue(name, out var pooled))
            {
                return pooled;
            }

            _names.Add(name);
            return name;
        }

        private PolicyErrorException Structural(string message, Mark mark) =>
            new(PolicyError.Structural(message, Line(mark), Column(mark)));

        private static int Line(Mark mark) => (int)mark.Line;

        private int Column(Mark mark) => _fix.OriginalColumn((int)mark.Line, (int)mark.Column);
    }
}
