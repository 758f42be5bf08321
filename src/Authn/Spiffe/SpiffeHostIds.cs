using System.Diagnostics.CodeAnalysis;

namespace Secrets.Authn.Spiffe;

/// <summary>
/// The <c>identity-path</c> form of mapping an SVID to a host: the host id is the identity path followed by the
/// SPIFFE ID's path segments, so with identity path <c>istio</c> the Istio ID
/// <c>spiffe://cluster.local/ns/prod/sa/web</c> becomes host <c>istio/ns/prod/sa/web</c>.
/// </summary>
/// <remarks>
/// When several trust domains are configured (federation), two of them may use the same path. A service with more
/// than one trust domain must therefore map with <c>includeTrustDomain</c> (host
/// <c>istio/cluster.local/ns/prod/sa/web</c>), or map by annotation, so a workload of one trust domain can never log in
/// as the host of another.
/// </remarks>
public static class SpiffeHostIds
{
    /// <summary>
    /// Whether <paramref name="identityPath"/> is usable: empty (hosts at the root), or <c>/</c>-separated non-empty
    /// segments without <c>.</c>/<c>..</c> (leading and trailing <c>/</c> are ignored).
    /// </summary>
    public static bool IsValidIdentityPath(string? identityPath) =>
        identityPath is not null && Normalize(identityPath) is not null;

    /// <summary>
    /// The host id (without the <c>host/</c> kind) for <paramref name="id"/>; false for an ID without a path, which
    /// names no workload, or an invalid identity path.
    /// </summary>
    public static bool TryMap(string identityPath, SpiffeId id, bool includeTrustDomain, [NotNullWhen(true)] out string? hostId)
    {
        ArgumentNullException.ThrowIfNull(identityPath);
        ArgumentNullException.ThrowIfNull(id);
        hostId = null;
        var prefix = Normalize(identityPath);
        if (prefix is null || !id.HasPath)
        {
            return false;
        }

        // The SPIFFE path charset (A-Z a-z 0-9 . - _) has nothing a Conjur id treats specially, and the parser has
        // refused '.' and '..' segments, so the segments are copied as they are.
        var rest = includeTrustDomain ? id.TrustDomain + id.Path : id.Path[1..];
        hostId = prefix.Length == 0 ? rest : prefix + "/" + rest;
        return true;
    }

    private static string? Normalize(string identityPath)
    {
        var trimmed = identityPath.Trim('/');
        if (trimmed.Length == 0)
        {
            return string.Empty;
        }

        foreach (var segment in trimmed.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or ".." || segment.Any(char.IsControl))
            {
                return null;
            }
        }

        return trimmed;
    }
}
