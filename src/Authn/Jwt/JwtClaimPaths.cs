using System.Text.Json;
using System.Text.RegularExpressions;

namespace Secrets.Authn.Jwt;

/// <summary>
/// Claim paths of <c>authn-jwt</c> (conjur-api.md 7.3): <c>a/b/c</c> names <c>{"a":{"b":{"c":…}}}</c>, used by
/// <c>token-app-property</c>, <c>enforced-claims</c>, <c>claim-aliases</c> and the host annotations
/// <c>authn-jwt/&lt;service-id&gt;/&lt;claim-path&gt;</c>.
/// </summary>
public static partial class JwtClaimPaths
{
    /// <summary>Claims that restrictions may not name: the registered claims the validator already checks.</summary>
    public static readonly IReadOnlySet<string> ReservedClaims = new HashSet<string>(StringComparer.Ordinal)
    {
        "iss", "exp", "nbf", "iat", "jti", "aud",
    };

    /// <summary>
    /// True for a claim path Conjur accepts:
    /// <c>^[A-Za-z$_][A-Za-z0-9$_.\-]*(/[A-Za-z$_][A-Za-z0-9$_.\-]*)*$</c>.
    /// </summary>
    public static bool IsValid(string? path) => path is { Length: > 0 and <= 512 } && PathPattern().IsMatch(path);

    /// <summary>
    /// Finds the value at <paramref name="path"/>: a top-level member whose name is the whole path (it may contain
    /// <c>/</c>) is tried first, then the <c>/</c>-separated path through nested objects. Member names are exact and
    /// ordinal, so <c>SUB</c> never stands in for <c>sub</c> (pitfall row 21).
    /// </summary>
    public static bool TryResolve(JsonElement claims, string path, out JsonElement value)
    {
        ArgumentNullException.ThrowIfNull(path);
        value = default;
        if (claims.ValueKind != JsonValueKind.Object || path.Length == 0)
        {
            return false;
        }

        if (claims.TryGetProperty(path, out value))
        {
            return true;
        }

        var current = claims;
        foreach (var segment in path.Split('/'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(segment, out current))
            {
                value = default;
                return false;
            }
        }

        value = current;
        return true;
    }

    /// <summary>The string at <paramref name="path"/>, or null when absent or not a string.</summary>
    public static string? ResolveString(JsonElement claims, string path) =>
        TryResolve(claims, path, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    [GeneratedRegex(@"^[A-Za-z$_][A-Za-z0-9$_.\-]*(/[A-Za-z$_][A-Za-z0-9$_.\-]*)*\z", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex PathPattern();
}
