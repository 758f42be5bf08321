using System.Text;

namespace Secrets.Policy.Language;

/// <summary>
/// libyaml (Conjur) ends a tag at a flow indicator, so <c>{ role: !layer, member: !host a }</c> and
/// <c>[!layer]</c> are valid policy text (the spec 4.8 example uses both). YamlDotNet reads ',', '[' and ']' as
/// part of the tag and then fails ("Unexpected comma at end of tag"). Before parsing, we insert a space between
/// such a tag and the indicator, in flow context only, and remember where so positions can be mapped back.
/// The scan is a small lexer: it skips comments, quoted scalars and block scalars, and tracks the flow level.
/// </summary>
internal sealed class FlowTagFix
{
    private const string TagPunctuation = ";/?:@&=+$.!~*'()[]%,";

    private readonly Dictionary<int, List<int>> _insertedColumns = [];

    private FlowTagFix(string text) => Text = text;

    /// <summary>The text to hand to YamlDotNet.</summary>
    public string Text { get; }

    /// <summary>Fixes <paramref name="text"/>; returns it unchanged (and no mapping) when there is nothing to fix.</summary>
    public static FlowTagFix Apply(string text)
    {
        if (!text.Contains('!', StringComparison.Ordinal))
        {
            return new FlowTagFix(text);
        }

        var insertions = FindInsertions(text);
        if (insertions.Count == 0)
        {
            return new FlowTagFix(text);
        }

        var builder = new StringBuilder(text.Length + insertions.Count);
        var last = 0;
        foreach (var (index, _, _) in insertions)
        {
            builder.Append(text, last, index - last).Append(' ');
            last = index;
        }

        builder.Append(text, last, text.Length - last);
        var fix = new FlowTagFix(builder.ToString());
        var shiftOnLine = 0;
        var previousLine = -1;
        foreach (var (_, line, column) in insertions)
        {
            shiftOnLine = line == previousLine ? shiftOnLine + 1 : 0;
            previousLine = line;
            if (!fix._insertedColumns.TryGetValue(line, out var columns))
            {
                fix._insertedColumns[line] = columns = [];
            }

            // Column of the inserted space in the fixed text.
            columns.Add(column + shiftOnLine);
        }

        return fix;
    }

    /// <summary>Maps a 1-based column of the fixed text back to the original text.</summary>
    public int OriginalColumn(int line, int column)
    {
        if (!_insertedColumns.TryGetValue(line, out var columns))
        {
            return column;
        }

        var shift = 0;
        foreach (var inserted in columns)
        {
            if (inserted < column)
            {
                shift++;
            }
        }

        return column - shift;
    }

    /// <summary>Index in the original text, and 1-based line/column, of each space to insert.</summary>
    private static List<(int Index, int Line, int Column)> FindInsertions(string text)
    {
        var result = new List<(int, int, int)>();
        var flow = 0;
        var line = 1;
        var lineStart = 0;
        var blockThreshold = -1; // >= 0 while inside a block scalar: content lines are indented deeper than this
        var i = 0;
        while (i < text.Length)
        {
            if (i == lineStart && blockThreshold >= 0)
            {
                var indent = Indentation(text, i);
                var end = EndOfLine(text, i);
                if (indent > blockThreshold || string.IsNullOrWhiteSpace(text[i..end]))
                {
                    i = NextLine(text, end, ref line, ref lineStart);
                    continue;
                }

                blockThreshold = -1;
            }

            var c = text[i];
            switch (c)
            {
                case '\n':
                    i = NextLine(text, i, ref line, ref lineStart);
                    continue;
                case '#' when i == lineStart || text[i - 1] is ' ' or '\t':
                    i = EndOfLine(text, i);
                    continue;
                case '\'' or '"' when StartsNode(text, i, lineStart, flow):
                    i = SkipQuoted(text, i, ref line, ref lineStart);
                    continue;
                case '[' or '{' when flow > 0 || StartsNode(text, i, lineStart, flow):
                    flow++;
                    break;
                case ']' or '}' when flow > 0:
                    flow--;
                    break;
                case '|' or '>' when flow == 0 && StartsNode(text, i, lineStart, flow) && IsBlockHeader(text, i):
                    blockThreshold = BlockThreshold(text, lineStart, i);
                    i = EndOfLine(text, i);
                    continue;
                case '!' when flow > 0 && i + 1 < text.Length && text[i + 1] != '<' && StartsNode(text, i, lineStart, flow):
                    var j = i + 1;
                    while (j < text.Length && (char.IsAsciiLetterOrDigit(text[j]) || text[j] is '-' or '_'
                        || TagPunctuation.Contains(text[j], StringComparison.Ordinal)))
                    {
                        if (text[j] is ',' or '[' or ']')
                        {
                            result.Add((j, line, j - lineStart + 1));
                            break;
                        }

                        j++;
                    }

                    i = j;
                    continue;
            }

            i++;
        }

        return result;
    }

    /// <summary>
    /// True when the character at <paramref name="i"/> begins a YAML node (so a quote, bracket, '!' or '|' there
    /// is syntax, not part of a plain scalar): first on its line, after an indicator (<c>- </c>, <c>? </c>,
    /// <c>: </c>, or in flow context '[', '{', ',' and ':'), or after a tag or an anchor.
    /// </summary>
    private static bool StartsNode(string text, int i, int lineStart, int flow)
    {
        var k = i - 1;
        while (k >= lineStart && text[k] is ' ' or '\t')
        {
            k--;
        }

        if (k < lineStart)
        {
            return true;
        }

        var spaced = k + 1 < i;
        switch (text[k])
        {
            case '-' or '?' when spaced && (k == lineStart || text[k - 1] is ' ' or '\t'):
            case ':' when spaced || flow > 0:
            case '[' or '{' or ',' when flow > 0:
                return true;
        }

        if (!spaced)
        {
            return false;
        }

        // The previous token is a tag (!user) or an anchor (&name)?
        var start = k;
        while (start > lineStart && text[start - 1] is not (' ' or '\t'))
        {
            start--;
        }

        return text[start] is '!' or '&';
    }

    private static int Indentation(string text, int start)
    {
        var i = start;
        while (i < text.Length && text[i] == ' ')
        {
            i++;
        }

        return i - start;
    }

    private static int EndOfLine(string text, int i)
    {
        var end = text.IndexOf('\n', i);
        return end < 0 ? text.Length : end;
    }

    private static int NextLine(string text, int newline, ref int line, ref int lineStart)
    {
        if (newline >= text.Length)
        {
            return text.Length;
        }

        line++;
        lineStart = newline + 1;
        return lineStart;
    }

    private static int SkipQuoted(string text, int i, ref int line, ref int lineStart)
    {
        var quote = text[i];
        i++;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\n')
            {
                line++;
                lineStart = i + 1;
            }
            else if (quote == '"' && c == '\\')
            {
                i++;
            }
            else if (c == quote)
            {
                if (quote == '\'' && i + 1 < text.Length && text[i + 1] == '\'')
                {
                    i++;
                }
                else
                {
                    return i + 1;
                }
            }

            i++;
        }

        return i;
    }

    /// <summary><c>|</c> or <c>&gt;</c> with optional indicators, then only a comment or the end of the line.</summary>
    private static bool IsBlockHeader(string text, int i)
    {
        var j = i + 1;
        while (j < text.Length && text[j] is '+' or '-' or (>= '0' and <= '9'))
        {
            j++;
        }

        while (j < text.Length && text[j] is ' ' or '\t')
        {
            j++;
        }

        return j >= text.Length || text[j] is '\n' or '\r' or '#';
    }

    /// <summary>
    /// Content of a block scalar is indented deeper than its parent node: the key on the header's line, or the
    /// sequence dash when the scalar is a sequence entry.
    /// </summary>
    private static int BlockThreshold(string text, int lineStart, int header)
    {
        var i = lineStart;
        var dash = -1;
        while (true)
        {
            while (i < header && text[i] == ' ')
            {
                i++;
            }

            if (i < header && text[i] == '-' && i + 1 < text.Length && text[i + 1] is ' ' or '\t')
            {
                dash = i - lineStart;
                i++;
                continue;
            }

            break;
        }

        return i == header && dash >= 0 ? dash : i - lineStart;
    }
}
