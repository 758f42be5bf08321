using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Secrets.Authn.Jwt;

namespace Secrets.Authn.Spiffe;

/// <summary>Why a bundle document was refused.</summary>
public enum SpiffeBundleError
{
    /// <summary>A valid bundle.</summary>
    None = 0,

    /// <summary>Larger than <see cref="SpiffeBundle.MaxBundleBytes"/>.</summary>
    TooLarge,

    /// <summary>Neither a JSON object (with duplicate members refused) nor PEM certificates.</summary>
    Malformed,

    /// <summary>No <c>keys</c> array (SPIFFE_Trust_Domain_and_Bundle.md §4.1.3: it MUST be present).</summary>
    KeysMissing,

    /// <summary><c>spiffe_sequence</c> or <c>spiffe_refresh_hint</c> is not a non-negative integer.</summary>
    InvalidMetadata,

    /// <summary>An <c>x509-svid</c> entry whose <c>x5c</c> is not exactly one DER certificate, or a PEM block that is not
    /// a certificate.</summary>
    InvalidX509Authority,

    /// <summary>A <c>jwt-svid</c> entry without <c>kid</c>, or two JWT authorities with the same <c>kid</c>.</summary>
    InvalidJwtAuthority,

    /// <summary>A bundle map that names one trust domain twice, or a name that is not a trust domain.</summary>
    InvalidTrustDomain,
}

/// <summary>
/// The trust bundle of one trust domain: its X.509 authorities (roots for X.509-SVIDs) and JWT authorities (keys for
/// JWT-SVIDs, by <c>kid</c>), with the SPIFFE bundle metadata. Immutable: a refresh replaces the whole object, so a
/// validation always sees one consistent bundle.
/// </summary>
/// <remarks>
/// Parsing follows SPIFFE_Trust_Domain_and_Bundle.md §4 and workload-identity.md 3.3:
/// <list type="bullet">
/// <item>entries with a missing or unknown <c>use</c>, or an unknown <c>kty</c>, are ignored, not fatal;</item>
/// <item><c>x509-svid</c> entries need exactly one <c>x5c</c> certificate (go-spiffe's rule; an empty <c>x5c</c> is
/// skipped) and their <c>kid</c> is ignored;</item>
/// <item><c>jwt-svid</c> entries need a <c>kid</c>; a key the strict JWT validator cannot use (an <c>oct</c> key, RSA
/// under 2048 bits, an unknown curve) is ignored;</item>
/// <item>an empty <c>keys</c> array, or one with no usable key, is a valid bundle that trusts nothing.</item>
/// </list>
/// </remarks>
public sealed class SpiffeBundle
{
    /// <summary>The largest bundle document read: 1 MiB.</summary>
    public const int MaxBundleBytes = 1024 * 1024;

    private static readonly JsonDocumentOptions Strict = new() { MaxDepth = 16, AllowDuplicateProperties = false };

    private readonly Dictionary<string, JwtKey> _jwtByKid;

    /// <summary>Creates a bundle from authorities already read.</summary>
    /// <exception cref="ArgumentException">An invalid trust domain, or a JWT authority without a <c>kid</c> or with a
    /// repeated one.</exception>
    public SpiffeBundle(
        string trustDomain,
        IEnumerable<X509Certificate2> x509Authorities,
        IEnumerable<JwtKey> jwtAuthorities,
        long? sequence = null,
        TimeSpan? refreshHint = null)
    {
        ArgumentNullException.ThrowIfNull(x509Authorities);
        ArgumentNullException.ThrowIfNull(jwtAuthorities);
        if (!SpiffeId.IsValidTrustDomain(trustDomain))
        {
            throw new ArgumentException("Invalid trust domain.", nameof(trustDomain));
        }

        TrustDomain = trustDomain;
        X509Authorities = [.. x509Authorities];
        JwtAuthorities = [.. jwtAuthorities];
        _jwtByKid = new Dictionary<string, JwtKey>(StringComparer.Ordinal);
        foreach (var key in JwtAuthorities)
        {
            if (key.Kid is null || !_jwtByKid.TryAdd(key.Kid, key))
            {
                throw new ArgumentException("Every JWT authority needs a distinct kid.", nameof(jwtAuthorities));
            }
        }

        Sequence = sequence;
        RefreshHint = refreshHint;
    }

    /// <summary>The trust domain this bundle belongs to. Bundles do not name it; whoever configured the source did.</summary>
    public string TrustDomain { get; }

    /// <summary>The X.509 authorities: the only roots an X.509-SVID of this trust domain may chain to.</summary>
    public IReadOnlyList<X509Certificate2> X509Authorities { get; }

    /// <summary>The JWT authorities: the only keys a JWT-SVID of this trust domain may be verified with.</summary>
    public IReadOnlyList<JwtKey> JwtAuthorities { get; }

    /// <summary><c>spiffe_sequence</c>, when the document had one.</summary>
    public long? Sequence { get; }

    /// <summary><c>spiffe_refresh_hint</c>, when the document had one.</summary>
    public TimeSpan? RefreshHint { get; }

    /// <summary>True when the bundle has no authority at all: every SVID of the trust domain is refused.</summary>
    public bool TrustsNothing => X509Authorities.Count == 0 && JwtAuthorities.Count == 0;

    /// <summary>The JWT authority with <paramref name="kid"/>, or null.</summary>
    public JwtKey? FindJwtAuthority(string kid) => _jwtByKid.GetValueOrDefault(kid);

    /// <summary>
    /// Reads a bundle variable or endpoint body: SPIFFE bundle JSON, or PEM certificates (X.509 roots only, as
    /// Conjur-style <c>ca-cert</c> values are written). Never throws for bad input.
    /// </summary>
    public static bool TryParse(string trustDomain, ReadOnlySpan<byte> utf8, out SpiffeBundle? bundle, out SpiffeBundleError error)
    {
        bundle = null;
        if (!SpiffeId.IsValidTrustDomain(trustDomain))
        {
            error = SpiffeBundleError.InvalidTrustDomain;
            return false;
        }

        if (utf8.Length > MaxBundleBytes)
        {
            error = SpiffeBundleError.TooLarge;
            return false;
        }

        var trimmed = utf8.TrimStart(" \t\r\n"u8);
        if (trimmed.StartsWith("-----BEGIN"u8))
        {
            return TryParsePem(trustDomain, Encoding.ASCII.GetString(trimmed), out bundle, out error);
        }

        try
        {
            using var document = JsonDocument.Parse(utf8.ToArray(), Strict);
            return TryRead(trustDomain, document.RootElement, out bundle, out error);
        }
        catch (JsonException)
        {
            error = SpiffeBundleError.Malformed;
            return false;
        }
    }

    /// <summary>As <see cref="TryParse(string, ReadOnlySpan{byte}, out SpiffeBundle?, out SpiffeBundleError)"/>, from text.</summary>
    public static bool TryParse(string trustDomain, string text, out SpiffeBundle? bundle, out SpiffeBundleError error)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxBundleBytes)
        {
            bundle = null;
            error = SpiffeBundleError.TooLarge;
            return false;
        }

        return TryParse(trustDomain, Encoding.UTF8.GetBytes(text), out bundle, out error);
    }

    /// <summary>
    /// Reads a bundle map, <c>{"trust_domains":{"&lt;td&gt;":&lt;bundle&gt;,…}}</c>. A trust domain named twice makes the
    /// whole map invalid (JSON parsers disagree on which copy wins); refresh hints inside a map are ignored.
    /// </summary>
    public static bool TryParseMap(ReadOnlySpan<byte> utf8, out IReadOnlyDictionary<string, SpiffeBundle>? bundles, out SpiffeBundleError error)
    {
        bundles = null;
        if (utf8.Length > MaxBundleBytes)
        {
            error = SpiffeBundleError.TooLarge;
            return false;
        }

        try
        {
            // Duplicate members anywhere, the trust-domain keys included, fail the strict parse.
            using var document = JsonDocument.Parse(utf8.ToArray(), Strict);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("trust_domains", out var map)
                || map.ValueKind != JsonValueKind.Object)
            {
                error = SpiffeBundleError.Malformed;
                return false;
            }

            var result = new Dictionary<string, SpiffeBundle>(StringComparer.Ordinal);
            foreach (var member in map.EnumerateObject())
            {
                if (!TryRead(member.Name, member.Value, out var bundle, out error))
                {
                    return false;
                }

                result[member.Name] = new SpiffeBundle(bundle!.TrustDomain, bundle.X509Authorities, bundle.JwtAuthorities, bundle.Sequence);
            }

            bundles = result;
            error = SpiffeBundleError.None;
            return true;
        }
        catch (JsonException)
        {
            try
            {
                using var lenient = JsonDocument.Parse(utf8.ToArray());
                error = SpiffeBundleError.InvalidTrustDomain;
            }
            catch (JsonException)
            {
                error = SpiffeBundleError.Malformed;
            }

            return false;
        }
    }

    /// <summary>
    /// A bundle from concatenated DER certificates (the Workload API's X.509 bundles) and an optional JWKS (its JWT
    /// bundles, whose keys need not carry <c>use</c>).
    /// </summary>
    public static bool TryFromWorkloadApi(string trustDomain, ReadOnlySpan<byte> x509Der, ReadOnlySpan<byte> jwks, out SpiffeBundle? bundle, out SpiffeBundleError error)
    {
        bundle = null;
        if (!SpiffeId.IsValidTrustDomain(trustDomain))
        {
            error = SpiffeBundleError.InvalidTrustDomain;
            return false;
        }

        if (x509Der.Length > MaxBundleBytes || jwks.Length > MaxBundleBytes)
        {
            error = SpiffeBundleError.TooLarge;
            return false;
        }

        var roots = new List<X509Certificate2>();
        var rest = x509Der;
        while (!rest.IsEmpty)
        {
            // Each certificate is one DER SEQUENCE; its encoded length tells where the next one starts.
            if (!System.Formats.Asn1.AsnDecoder.TryReadEncodedValue(rest, System.Formats.Asn1.AsnEncodingRules.DER, out _, out _, out _, out var consumed)
                || !TryLoad(rest[..consumed], out var certificate))
            {
                error = SpiffeBundleError.InvalidX509Authority;
                return false;
            }

            roots.Add(certificate!);
            rest = rest[consumed..];
        }

        var keys = new List<JwtKey>();
        if (!jwks.IsEmpty)
        {
            try
            {
                using var document = JsonDocument.Parse(jwks.ToArray(), Strict);
                if (document.RootElement.ValueKind != JsonValueKind.Object
                    || !document.RootElement.TryGetProperty("keys", out var array) || array.ValueKind != JsonValueKind.Array)
                {
                    error = SpiffeBundleError.KeysMissing;
                    return false;
                }

                foreach (var entry in array.EnumerateArray())
                {
                    var use = entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("use", out var u) ? u : default;
                    if (use.ValueKind != JsonValueKind.Undefined
                        && (use.ValueKind != JsonValueKind.String || use.GetString() != "jwt-svid"))
                    {
                        continue;
                    }

                    if (!AddJwtAuthority(entry, keys, out error))
                    {
                        return false;
                    }
                }
            }
            catch (JsonException)
            {
                error = SpiffeBundleError.Malformed;
                return false;
            }
        }

        bundle = new SpiffeBundle(trustDomain, roots, keys);
        error = SpiffeBundleError.None;
        return true;
    }

    private static bool TryRead(string trustDomain, JsonElement root, out SpiffeBundle? bundle, out SpiffeBundleError error)
    {
        bundle = null;
        if (!SpiffeId.IsValidTrustDomain(trustDomain))
        {
            error = SpiffeBundleError.InvalidTrustDomain;
            return false;
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            error = SpiffeBundleError.Malformed;
            return false;
        }

        if (!root.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
        {
            error = SpiffeBundleError.KeysMissing;
            return false;
        }

        if (!TryReadInteger(root, "spiffe_sequence", out var sequence) || !TryReadInteger(root, "spiffe_refresh_hint", out var hint))
        {
            error = SpiffeBundleError.InvalidMetadata;
            return false;
        }

        var roots = new List<X509Certificate2>();
        var jwt = new List<JwtKey>();
        foreach (var entry in keys.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("use", out var useElement)
                || useElement.ValueKind != JsonValueKind.String)
            {
                // A missing or non-string use: ignored (§4.2.2).
                continue;
            }

            switch (useElement.GetString())
            {
                case "x509-svid":
                    if (!entry.TryGetProperty("x5c", out var x5c) || x5c.ValueKind != JsonValueKind.Array || x5c.GetArrayLength() == 0)
                    {
                        // No or empty x5c: the entry is ignored (X509-SVID.md §6.1).
                        continue;
                    }

                    if (x5c.GetArrayLength() != 1 || x5c[0].ValueKind != JsonValueKind.String
                        || !TryDecodeBase64(x5c[0].GetString()!, out var der) || !TryLoad(der, out var root509))
                    {
                        error = SpiffeBundleError.InvalidX509Authority;
                        return false;
                    }

                    roots.Add(root509!);
                    break;

                case "jwt-svid":
                    if (!AddJwtAuthority(entry, jwt, out error))
                    {
                        return false;
                    }

                    break;

                default:
                    // "wit-svid" and anything newer: ignored.
                    continue;
            }
        }

        bundle = new SpiffeBundle(
            trustDomain,
            roots,
            jwt,
            sequence,
            hint is { } seconds ? TimeSpan.FromSeconds(Math.Min(seconds, (long)TimeSpan.MaxValue.TotalSeconds - 1)) : null);
        error = SpiffeBundleError.None;
        return true;
    }

    private static bool AddJwtAuthority(JsonElement entry, List<JwtKey> keys, out SpiffeBundleError error)
    {
        error = SpiffeBundleError.None;
        if (entry.ValueKind != JsonValueKind.Object)
        {
            return true;
        }

        if (!entry.TryGetProperty("kid", out var kid) || kid.ValueKind != JsonValueKind.String || kid.GetString() is not { Length: > 0 })
        {
            // JWT-SVID.md §6.2: kid MUST be set on a JWT authority (go-spiffe refuses the bundle too).
            error = SpiffeBundleError.InvalidJwtAuthority;
            return false;
        }

        // The shared JWK reader accepts only use "sig" or no use; the SPIFFE use has been checked, so it is dropped
        // and the rest of the entry (kty, alg, key_ops, the key members) goes through the strict reader unchanged.
        var copy = JsonNode.Parse(entry.GetRawText())!.AsObject();
        copy.Remove("use");
        using var document = JsonDocument.Parse(copy.ToJsonString());
        var key = JwtKey.FromJwk(document.RootElement);
        if (key is null)
        {
            // Unknown kty (oct, OKP), a small RSA key, a bad kid charset: not an authority, the rest still counts.
            return true;
        }

        if (keys.Any(k => string.Equals(k.Kid, key.Kid, StringComparison.Ordinal)))
        {
            error = SpiffeBundleError.InvalidJwtAuthority;
            return false;
        }

        keys.Add(key);
        return true;
    }

    private static bool TryParsePem(string trustDomain, string pem, out SpiffeBundle? bundle, out SpiffeBundleError error)
    {
        bundle = null;
        var roots = new List<X509Certificate2>();
        var rest = pem.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label];
            var base64 = rest[fields.Base64Data].ToString();
            rest = rest[fields.Location.End..];
            if (!label.SequenceEqual("CERTIFICATE") || !TryDecodeBase64(base64, out var der) || !TryLoad(der, out var certificate))
            {
                error = SpiffeBundleError.InvalidX509Authority;
                return false;
            }

            roots.Add(certificate!);
        }

        if (roots.Count == 0 || !rest.Trim().IsEmpty)
        {
            error = SpiffeBundleError.Malformed;
            return false;
        }

        bundle = new SpiffeBundle(trustDomain, roots, []);
        error = SpiffeBundleError.None;
        return true;
    }

    private static bool TryReadInteger(JsonElement root, string name, out long? value)
    {
        value = null;
        if (!root.TryGetProperty(name, out var element))
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var number) || number < 0)
        {
            return false;
        }

        value = number;
        return true;
    }

    private static bool TryDecodeBase64(string text, out byte[] bytes)
    {
        bytes = new byte[(text.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(text, bytes, out var written))
        {
            return false;
        }

        bytes = bytes[..written];
        return true;
    }

    private static bool TryLoad(ReadOnlySpan<byte> der, out X509Certificate2? certificate)
    {
        certificate = null;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(der);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
