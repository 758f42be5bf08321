namespace Secrets.Policy.Language;

/// <summary>
/// How many rows a parsed text declares, counted without expanding it, and the cap that bounds it. YAML anchors let a
/// few kilobytes declare a cross product (a <c>!permit</c> of 500 groups × 500 variables × 4 privileges is a million
/// permission rows in 14 KB), so the cap is relative to the text: a load may declare at most
/// <see cref="PolicyPlanOptions.MaxRowsPerLine"/> rows per line (never less than <see cref="MinimumCap"/>), and
/// never more than <see cref="PolicyPlanOptions.MaxRows"/>. An honest text declares about one to three rows per
/// line (a record is a role and a resource, a grant or permit one row), so it stays far inside the cap.
/// </summary>
/// <param name="DeclaredRows">Rows the text declares (before shadowing and de-duplication, which only reduce it).</param>
/// <param name="Lines">Lines of the text that hold something other than blanks or a comment.</param>
/// <param name="Cap">The most rows a text of this many lines may declare.</param>
public sealed record PolicySize(long DeclaredRows, int Lines, long Cap)
{
    /// <summary>The cap of a short text: a small policy may always declare this many rows.</summary>
    public const long MinimumCap = 10_000;

    /// <summary>True when the text declares more rows than its cap.</summary>
    public bool IsOverCap => DeclaredRows > Cap;

    /// <summary>Counts the rows <paramref name="parsed"/> declares and computes the cap of <paramref name="text"/>.</summary>
    /// <param name="parsed">The parsed text.</param>
    /// <param name="text">The text itself (for its lines).</param>
    /// <param name="options">The caps; Conjur-compatible defaults when null.</param>
    /// <returns>The counts. Linear in the number of statements and list entries, whatever the products are.</returns>
    public static PolicySize Measure(ParsedPolicy parsed, string text, PolicyPlanOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        ArgumentNullException.ThrowIfNull(text);
        options ??= new PolicyPlanOptions();
        var lines = CountLines(text);
        var relative = Math.Max(MinimumCap, (long)options.MaxRowsPerLine * lines);
        var cap = Math.Min(relative, options.MaxRows);
        return new PolicySize(new Counter().Count(parsed.Statements, 0), lines, cap);
    }

    private static int CountLines(string text)
    {
        var lines = 0;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            var content = line.TrimStart();
            if (!content.IsEmpty && content[0] != '#')
            {
                lines++;
            }
        }

        return lines;
    }

    /// <summary>
    /// Counts statements; a list reached again through an alias is counted again (each mention declares its rows)
    /// but walked once, so that nested aliases (the "billion laughs") cost their size, not their expansion.
    /// </summary>
    private sealed class Counter
    {
        private readonly Dictionary<List<SyntaxNode>, long> _bodies = new(ReferenceEqualityComparer.Instance);

        public long Count(List<SyntaxNode> statements, int depth)
        {
            if (_bodies.TryGetValue(statements, out var known))
            {
                return known;
            }

            long rows = 0;
            foreach (var statement in statements)
            {
                rows = Add(rows, statement switch
                {
                    RecordNode record => Record(record, depth),
                    GrantNode grant => Times(grant.Roles.Count, grant.Members.Sum(m => (long)m.Roles.Count)),
                    PermitNode { IsDeny: false } permit => Times(Times(permit.Roles.Count, permit.Privileges.Count), permit.Resources.Count),
                    _ => 0,
                });
            }

            _bodies[statements] = rows;
            return rows;
        }

        /// <summary>A role and a resource, its annotations, its credentials and restriction, its keys, its layers, its body.</summary>
        private long Record(RecordNode record, int depth)
        {
            long rows = 2 + (record.Annotations?.Count ?? 0) + (record.RestrictedTo is null ? 0 : 1)
                + (record.Type is RecordType.User or RecordType.Host ? 1 : 0)
                + (2L * (record.PublicKeys?.Count ?? 0)) + (record.Layers?.Count ?? 0);

            // The parser bounds nesting; the guard only keeps a pathological tree from recursing without end.
            return record.Body is { } body && depth < 1024 ? Add(rows, Count(body, depth + 1)) : rows;
        }
    }

    private static long Times(long a, long b) => a == 0 || b == 0 ? 0 : a > long.MaxValue / b ? long.MaxValue : a * b;

    private static long Add(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;
}
