using System.Text.Json;
using Secrets.Authn.Jwt;

namespace Secrets.Authn.Keys;

/// <summary>Reads a JWK Set (RFC 7517 §5) into verification keys, strictly.</summary>
public static class JwksDocument
{
    private static readonly JsonDocumentOptions Strict = new() { MaxDepth = 16, AllowDuplicateProperties = false };

    /// <summary>
    /// Parses a JWKS. The document must be a JSON object without duplicate members with a <c>keys</c> array.
    /// Entries that are not usable signing keys (<c>oct</c>, <c>OKP</c>, <c>use:"enc"</c>, RSA under 2048 bits,
    /// …; see <see cref="JwtKey.FromJwk"/>) are skipped. Two usable keys with the same <c>kid</c> make the whole set
    /// invalid: which one a token meant would be ambiguous.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8Json, out IReadOnlyList<JwtKey> keys)
    {
        keys = [];
        try
        {
            using var document = JsonDocument.Parse(utf8Json.ToArray(), Strict);
            return TryRead(document.RootElement, out keys);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>As <see cref="TryParse(ReadOnlySpan{byte}, out IReadOnlyList{JwtKey})"/>, for an element already parsed.</summary>
    public static bool TryRead(JsonElement jwks, out IReadOnlyList<JwtKey> keys)
    {
        keys = [];
        if (jwks.ValueKind != JsonValueKind.Object || !jwks.TryGetProperty("keys", out var array)
            || array.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        var result = new List<JwtKey>();
        var kids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in array.EnumerateArray())
        {
            var key = JwtKey.FromJwk(entry);
            if (key is null)
            {
                continue;
            }

            if (key.Kid is not null && !kids.Add(key.Kid))
            {
                return false;
            }

            result.Add(key);
        }

        keys = result;
        return true;
    }
}
