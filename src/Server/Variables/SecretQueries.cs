using Microsoft.EntityFrameworkCore;
using Secrets.Server.Data;

namespace Secrets.Server.Variables;

/// <summary>The latest version of one secret (still encrypted).</summary>
internal sealed record LatestSecret(string ResourceId, int Version, byte[] Value);

/// <summary>
/// The named reads of secret values. Each is one round trip whatever the number of ids: the single fetch is on the
/// hot path (spec 2.4), and the batch and public-key reads must not turn into one query per variable.
/// </summary>
internal static class SecretQueries
{
    /// <summary>The annotation whose value becomes the Content-Type of a fetched secret (spec 2.4, 6.1).</summary>
    public const string MimeTypeAnnotation = "conjur/mime_type";

    /// <summary>
    /// Version <paramref name="version"/> of <paramref name="resourceId"/>, with the mime-type annotation read by a
    /// correlated subquery in the same statement; null when there is no such version. The latest version is read by
    /// <see cref="HotReads"/> instead (spec 2.4 hot path).
    /// </summary>
    public static Task<StoredSecret?> FindValueAsync(this SecretsDbContext db, string resourceId, int version, CancellationToken ct) =>
        db.Secrets.AsNoTracking()
            .Where(s => s.ResourceId == resourceId && s.Version == version)
            .Select(s => new StoredSecret(
                s.Version,
                s.Value,
                db.Annotations.Where(a => a.ResourceId == resourceId && a.Name == MimeTypeAnnotation).Select(a => a.Value).FirstOrDefault()))
            .FirstOrDefaultAsync(ct);

    /// <summary>The latest version of each of <paramref name="resourceIds"/> that has one, in one statement.</summary>
    public static Task<List<LatestSecret>> LatestValuesAsync(this SecretsDbContext db, IReadOnlyCollection<string> resourceIds, CancellationToken ct) =>
        db.Secrets.AsNoTracking()
            .Where(s => resourceIds.Contains(s.ResourceId)
                && s.Version == db.Secrets.Where(t => t.ResourceId == s.ResourceId).Max(t => t.Version))
            .Select(s => new LatestSecret(s.ResourceId, s.Version, s.Value))
            .ToListAsync(ct);

    /// <summary>
    /// The latest version of every secret of <paramref name="account"/> whose resource id starts with
    /// <paramref name="idPrefix"/> (matched literally: '%' and '_' in a login are not wildcards), sorted ordinally by id.
    /// </summary>
    public static async Task<List<LatestSecret>> LatestValuesByPrefixAsync(this SecretsDbContext db, string account, string idPrefix, CancellationToken ct)
    {
        var rows = await db.Secrets.AsNoTracking()
            .Where(s => s.Account == account
                && s.ResourceId.StartsWith(idPrefix)
                && s.Version == db.Secrets.Where(t => t.ResourceId == s.ResourceId).Max(t => t.Version))
            .Select(s => new LatestSecret(s.ResourceId, s.Version, s.Value))
            .ToListAsync(ct);

        // SQLite's LIKE ignores ASCII case (user "Alice" must not list the keys of "alice"): the prefix is checked
        // again ordinally. Sorted here, not by ORDER BY: PostgreSQL would sort by the database collation.
        rows.RemoveAll(r => !r.ResourceId.StartsWith(idPrefix, StringComparison.Ordinal));
        rows.Sort((a, b) => string.CompareOrdinal(a.ResourceId, b.ResourceId));
        return rows;
    }
}
