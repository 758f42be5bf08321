using System.Buffers;

namespace Secrets.Authn.Jwt;

/// <summary>The <c>kid</c> and <c>typ</c> rules of the strict validator (documented in docs/authenticators.md).</summary>
public static class JwtHeaderRules
{
    /// <summary>The longest <c>kid</c> accepted.</summary>
    public const int MaxKidLength = 256;

    /// <summary>
    /// The <c>typ</c> values accepted by default, compared case-insensitively (RFC 7515 §4.1.9: media types are
    /// case-insensitive): <c>JWT</c> (RFC 7519 §5.1) and <c>JOSE</c> (JWT-SVID). A missing <c>typ</c> is also
    /// accepted, because Kubernetes service-account tokens have none. Explicitly typed tokens of another kind
    /// (<c>at+jwt</c>, <c>secevent+jwt</c>, …) are refused (RFC 8725 §3.11).
    /// </summary>
    public static readonly IReadOnlySet<string> DefaultTypes = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "JWT", "JOSE" };

    // Base64 (both alphabets), hex, UUIDs and dotted or colon-separated names: what real issuers use for kids.
    // Quotes, spaces, control characters, backslashes, '%' and non-ASCII are refused, so a kid cannot carry an
    // injection payload into a log line or a lookup.
    private static readonly SearchValues<char> KidCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~+/=:");

    /// <summary>True for a <c>kid</c> of 1 to 256 characters from <c>A–Z a–z 0–9 - _ . ~ + / = :</c>.</summary>
    public static bool IsValidKid(string? kid) =>
        kid is { Length: > 0 and <= MaxKidLength } && !kid.AsSpan().ContainsAnyExcept(KidCharacters);
}
