using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Secrets.Authn.Jwt;

namespace Secrets.Authn.Keys;

/// <summary>
/// A fixed key set: a pasted JWKS, Conjur's <c>public-keys</c> variable, or PEM public keys. Never fetches anything.
/// </summary>
public sealed class StaticKeySource : IJwtKeySource
{
    private static readonly JsonDocumentOptions Strict = new() { MaxDepth = 16, AllowDuplicateProperties = false };

    private readonly IReadOnlyList<JwtKey> _keys;

    /// <summary>Wraps keys already read.</summary>
    /// <exception cref="ArgumentException">Two keys share a <c>kid</c>.</exception>
    public StaticKeySource(IEnumerable<JwtKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = [.. keys];
        var kids = _keys.Where(k => k.Kid is not null).Select(k => k.Kid!).ToList();
        if (kids.Distinct(StringComparer.Ordinal).Count() != kids.Count)
        {
            throw new ArgumentException("Duplicate kid in the key set.", nameof(keys));
        }
    }

    /// <summary>The keys of the set.</summary>
    public IReadOnlyList<JwtKey> Keys => _keys;

    /// <summary>Reads a JWKS document (<c>{"keys":[…]}</c>); null when it is not one (see <see cref="JwksDocument"/>).</summary>
    public static StaticKeySource? FromJwks(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return JwksDocument.TryParse(Encoding.UTF8.GetBytes(json), out var keys) ? new StaticKeySource(keys) : null;
    }

    /// <summary>
    /// Reads Conjur's <c>public-keys</c> value (spec 7.3): <c>{"type":"jwks","value":{"keys":[…]}}</c>, where
    /// <c>type</c> must be exactly <c>jwks</c> and <c>keys</c> must not be empty. Null when the value is invalid, or
    /// when it yields no usable key.
    /// </summary>
    public static StaticKeySource? FromConjurPublicKeys(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        try
        {
            using var document = JsonDocument.Parse(value, Strict);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                || type.GetString() != "jwks"
                || !root.TryGetProperty("value", out var jwks)
                || !jwks.TryGetProperty("keys", out var array) || array.ValueKind != JsonValueKind.Array
                || array.GetArrayLength() == 0
                || !JwksDocument.TryRead(jwks, out var keys) || keys.Count == 0)
            {
                return null;
            }

            return new StaticKeySource(keys);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads one or more PEM public keys (or certificates). Each key gets the <c>kid</c> Kubernetes derives for its
    /// signing key, base64url(SHA-256(DER SubjectPublicKeyInfo)) (<c>keyIDFromPublicKey</c>), so a cluster's
    /// <c>sa.pub</c> pasted here matches its tokens; a token without <c>kid</c> is accepted only when there is
    /// exactly one key. Null when a block is not a usable public key.
    /// </summary>
    public static StaticKeySource? FromPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var keys = new List<JwtKey>();
        var rest = pem.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var block = rest[fields.Location].ToString();
            rest = rest[fields.Location.End..];
            var key = JwtKey.FromPem(block);
            if (key is null)
            {
                return null;
            }

            keys.Add(JwtKey.FromPem(block, KubernetesKid(block)) ?? key);
        }

        return keys.Count == 0 ? null : new StaticKeySource(keys);
    }

    /// <inheritdoc />
    public ValueTask<JwtKeyLookup> GetKeysAsync(string? kid, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new JwtKeyLookup(
            kid is null ? _keys : [.. _keys.Where(k => string.Equals(k.Kid, kid, StringComparison.Ordinal))],
            Available: true));

    private static string? KubernetesKid(string pem)
    {
        try
        {
            byte[] spki;
            if (pem.Contains("BEGIN CERTIFICATE", StringComparison.Ordinal))
            {
                using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(pem);
                spki = certificate.PublicKey.ExportSubjectPublicKeyInfo();
            }
            else
            {
                try
                {
                    using var rsa = RSA.Create();
                    rsa.ImportFromPem(pem);
                    spki = rsa.ExportSubjectPublicKeyInfo();
                }
                catch (CryptographicException)
                {
                    using var ec = ECDsa.Create();
                    ec.ImportFromPem(pem);
                    spki = ec.ExportSubjectPublicKeyInfo();
                }
            }

            return System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(spki));
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
