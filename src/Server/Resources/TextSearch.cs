using Microsoft.EntityFrameworkCore;
using Secrets.Policy.Store;
using Secrets.Server.Data;

namespace Secrets.Server.Resources;

/// <summary>
/// The <c>search</c> parameter of resource and member listings (spec 2.6, 2.7).
/// </summary>
/// <remarks>
/// Conjur runs PostgreSQL full-text search (<c>plainto_tsquery('english', …)</c> after turning <c>. / -</c> into spaces)
/// over a resource's identifier, annotation values and kind. We keep the same shape without a full-text engine, so
/// that SQLite and PostgreSQL answer alike:
/// <list type="bullet">
/// <item>Words are maximal runs of letters and digits, lower-cased: every other character (<c>.</c>, <c>/</c>,
/// <c>-</c>, <c>_</c>, <c>@</c>, space, …) separates words, as the PostgreSQL parser does.</item>
/// <item>A resource's words are those of its identifier (the id after <c>account:kind:</c>) and of its annotation
/// values, as the spec says (not the kind, not annotation names).</item>
/// <item>Every word of the query must match (plainto_tsquery ANDs its lexemes); a query word matches a resource
/// word it is a prefix of. There is no stemming and no stop-word list: <c>secret</c> finds <c>secrets</c>, but
/// <c>secrets</c> does not find <c>secret</c>.</item>
/// <item>A query without any word filters nothing. Results keep the listing's id order (no ranking).</item>
/// </list>
/// Case folding in the annotation query is the database's <c>lower()</c>, which in SQLite covers ASCII only: a
/// non-ASCII upper-case letter in an annotation value is matched only by the same letter in the query.
/// </remarks>
internal static class TextSearch
{
    /// <summary>Each query word costs one annotation query; more words than this are refused (422).</summary>
    public const int MaxWords = 16;

    /// <summary>The distinct lower-cased words of <paramref name="text"/>, in order of appearance.</summary>
    public static IReadOnlyList<string> Words(string text)
    {
        var words = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var isWordChar = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (isWordChar && start < 0)
            {
                start = i;
            }
            else if (!isWordChar && start >= 0)
            {
                var word = text[start..i].ToLowerInvariant();
                if (!words.Contains(word, StringComparer.Ordinal))
                {
                    words.Add(word);
                }

                start = -1;
            }
        }

        return words;
    }

    /// <summary>
    /// The ids among <paramref name="orderedIds"/> (full ids of one account, resources or the roles with the same
    /// id) that match every word of <paramref name="query"/>, in the given order. One annotation query per word,
    /// whatever the number of candidates.
    /// </summary>
    public static async Task<IReadOnlyList<string>> FilterAsync(
        SecretsDbContext db, string account, IReadOnlyList<string> orderedIds, IReadOnlyList<string> query, CancellationToken ct)
    {
        if (query.Count == 0 || orderedIds.Count == 0)
        {
            return orderedIds;
        }

        // An annotation can only contribute a matching word if its lower-cased value contains that query word, so
        // fetching the values that contain any query word is enough to decide every candidate exactly.
        var annotationWords = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var word in query)
        {
            // ToLower().Contains translates to lower(value) and instr/strpos in both providers; the StringComparison
            // overload CA1862 suggests does not translate.
#pragma warning disable CA1862
            var rows = await db.Annotations.AsNoTracking()
                .Where(a => a.Account == account && a.Value.ToLower().Contains(word))
                .Select(a => new { a.ResourceId, a.Value })
                .ToListAsync(ct);
#pragma warning restore CA1862
            foreach (var row in rows)
            {
                if (!annotationWords.TryGetValue(row.ResourceId, out var list))
                {
                    annotationWords[row.ResourceId] = list = [];
                }

                list.AddRange(Words(row.Value));
            }
        }

        var matched = new List<string>();
        foreach (var id in orderedIds)
        {
            var words = Words(FullId.IdentifierOf(id));
            annotationWords.TryGetValue(id, out var extra);
            if (query.All(q => HasPrefix(words, q) || (extra is not null && HasPrefix(extra, q))))
            {
                matched.Add(id);
            }
        }

        return matched;
    }

    private static bool HasPrefix(IReadOnlyList<string> words, string prefix)
    {
        foreach (var w in words)
        {
            if (w.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
