using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Secrets.Authn.Jwt;

/// <summary>The two key types a JWT signature may be verified with.</summary>
public enum JwtKeyType
{
    /// <summary>An RSA public key (RS*, PS*), at least 2048 bits.</summary>
    Rsa,

    /// <summary>An EC public key on P-256, P-384 or P-521 (ES256/384/512).</summary>
    EC,
}

/// <summary>
/// One public verification key of a key set: an RSA or EC public key, its <c>kid</c> and, when the JWK declared one,
/// its <c>alg</c>. Symmetric (<c>oct</c>) and other key types cannot be represented, so an HMAC token can never find a
/// key to verify with (pitfall rows 2 and 3).
/// </summary>
public sealed class JwtKey
{
    /// <summary>The smallest RSA modulus accepted (RFC 7518 §3.3 requires 2048 bits).</summary>
    public const int MinimumRsaBits = 2048;

    private readonly RSAParameters _rsa;
    private readonly ECParameters _ec;

    private JwtKey(string? kid, string? alg, JwtKeyType type, string? curve, RSAParameters rsa, ECParameters ec)
    {
        Kid = kid;
        Algorithm = alg;
        Type = type;
        Curve = curve;
        _rsa = rsa;
        _ec = ec;
    }

    /// <summary>The key id (<c>kid</c>), or null for a key without one (a PEM key, a JWK without <c>kid</c>).</summary>
    public string? Kid { get; }

    /// <summary>The <c>alg</c> the JWK declared, or null. When set, only tokens with this <c>alg</c> use the key.</summary>
    public string? Algorithm { get; }

    /// <summary>RSA or EC.</summary>
    public JwtKeyType Type { get; }

    /// <summary>For EC keys, <c>P-256</c>, <c>P-384</c> or <c>P-521</c>.</summary>
    public string? Curve { get; }

    /// <summary>Creates a key from an RSA public key.</summary>
    /// <exception cref="ArgumentException">The modulus is shorter than <see cref="MinimumRsaBits"/>.</exception>
    public static JwtKey FromRsa(RSA rsa, string? kid = null, string? alg = null)
    {
        ArgumentNullException.ThrowIfNull(rsa);
        var parameters = rsa.ExportParameters(false);
        return CreateRsa(parameters, kid, alg) ?? throw new ArgumentException("RSA key shorter than 2048 bits.", nameof(rsa));
    }

    /// <summary>Creates a key from an EC public key on P-256, P-384 or P-521.</summary>
    /// <exception cref="ArgumentException">Another curve.</exception>
    public static JwtKey FromECDsa(ECDsa ecdsa, string? kid = null, string? alg = null)
    {
        ArgumentNullException.ThrowIfNull(ecdsa);
        var parameters = ecdsa.ExportParameters(false);
        var curve = CurveName(parameters.Curve) ?? throw new ArgumentException("Unsupported EC curve.", nameof(ecdsa));
        return new JwtKey(kid, alg, JwtKeyType.EC, curve, default, parameters);
    }

    /// <summary>
    /// Reads one public key from PEM (<c>-----BEGIN PUBLIC KEY-----</c> SubjectPublicKeyInfo, <c>BEGIN RSA PUBLIC
    /// KEY</c>, or a <c>BEGIN CERTIFICATE</c> whose public key is used). Returns null for anything else.
    /// </summary>
    public static JwtKey? FromPem(string pem, string? kid = null)
    {
        ArgumentNullException.ThrowIfNull(pem);
        try
        {
            if (pem.Contains("BEGIN CERTIFICATE", StringComparison.Ordinal))
            {
                using var certificate = X509Certificate2.CreateFromPem(pem);
                using var certRsa = certificate.GetRSAPublicKey();
                if (certRsa is not null)
                {
                    return CreateRsa(certRsa.ExportParameters(false), kid, null);
                }

                using var certEc = certificate.GetECDsaPublicKey();
                return certEc is null ? null : FromECDsaOrNull(certEc, kid);
            }

            if (pem.Contains("PRIVATE KEY", StringComparison.Ordinal))
            {
                // A private key pasted by mistake is refused rather than silently reduced to its public half.
                return null;
            }

            try
            {
                using var rsa = RSA.Create();
                rsa.ImportFromPem(pem);
                return CreateRsa(rsa.ExportParameters(false), kid, null);
            }
            catch (CryptographicException)
            {
                using var ec = ECDsa.Create();
                ec.ImportFromPem(pem);
                return FromECDsaOrNull(ec, kid);
            }
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads one JWK (RFC 7517). Returns null, so that the entry is skipped, for a key that is not a usable signing
    /// key: <c>kty</c> other than <c>RSA</c>/<c>EC</c> (so <c>oct</c> is dropped), <c>use</c> other than <c>sig</c>,
    /// an <c>alg</c> outside <see cref="JwtAlgorithms.All"/>, an unknown curve, an RSA key under 2048 bits, or
    /// missing or non-canonical base64url members. <c>x5c</c>/<c>x5u</c> are ignored: only <c>n</c>/<c>e</c> or
    /// <c>crv</c>/<c>x</c>/<c>y</c> define the key.
    /// </summary>
    public static JwtKey? FromJwk(JsonElement jwk)
    {
        if (jwk.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var kty = StringMember(jwk, "kty");
        var use = StringMember(jwk, "use");
        var alg = StringMember(jwk, "alg");
        var kid = StringMember(jwk, "kid");
        if ((use is not null && use != "sig")
            || (alg is not null && !JwtAlgorithms.IsSupported(alg))
            || (jwk.TryGetProperty("kid", out var kidElement) && kidElement.ValueKind != JsonValueKind.String)
            || (kid is not null && !JwtHeaderRules.IsValidKid(kid)))
        {
            return null;
        }

        if (jwk.TryGetProperty("key_ops", out var ops))
        {
            // key_ops, when present, must allow "verify" (RFC 7517 §4.3).
            if (ops.ValueKind != JsonValueKind.Array
                || !ops.EnumerateArray().Any(op => op.ValueKind == JsonValueKind.String && op.GetString() == "verify"))
            {
                return null;
            }
        }

        switch (kty)
        {
            case "RSA":
                if (alg is not null && JwtAlgorithms.KeyType(alg) != JwtKeyType.Rsa)
                {
                    return null;
                }

                if (!Base64UrlStrict.TryDecode(StringMember(jwk, "n"), out var n)
                    || !Base64UrlStrict.TryDecode(StringMember(jwk, "e"), out var e)
                    || n.Length == 0 || e.Length == 0 || n[0] == 0 || e[0] == 0)
                {
                    return null;
                }

                return CreateRsa(new RSAParameters { Modulus = n, Exponent = e }, kid, alg);

            case "EC":
                var crv = StringMember(jwk, "crv");
                var size = crv switch
                {
                    "P-256" => 32,
                    "P-384" => 48,
                    "P-521" => 66,
                    _ => 0,
                };
                if (size == 0
                    || (alg is not null && JwtAlgorithms.Curve(alg) != crv)
                    || !Base64UrlStrict.TryDecode(StringMember(jwk, "x"), out var x)
                    || !Base64UrlStrict.TryDecode(StringMember(jwk, "y"), out var y)
                    || x.Length != size || y.Length != size)
                {
                    return null;
                }

                var parameters = new ECParameters
                {
                    Curve = crv switch
                    {
                        "P-256" => ECCurve.NamedCurves.nistP256,
                        "P-384" => ECCurve.NamedCurves.nistP384,
                        _ => ECCurve.NamedCurves.nistP521,
                    },
                    Q = new ECPoint { X = x, Y = y },
                };
                try
                {
                    // Importing validates that the point is on the curve.
                    using var ecdsa = ECDsa.Create(parameters);
                }
                catch (CryptographicException)
                {
                    return null;
                }

                return new JwtKey(kid, alg, JwtKeyType.EC, crv, default, parameters);

            default:
                return null;
        }
    }

    /// <summary>
    /// Whether this key may verify a token whose header says <paramref name="alg"/>: the key type (and, for EC, the
    /// curve) must be the one the algorithm needs, and a declared JWK <c>alg</c> must be equal (pitfall row 4).
    /// </summary>
    public bool Fits(string alg)
    {
        ArgumentNullException.ThrowIfNull(alg);
        return JwtAlgorithms.IsSupported(alg)
            && JwtAlgorithms.KeyType(alg) == Type
            && (Type != JwtKeyType.EC || JwtAlgorithms.Curve(alg) == Curve)
            && (Algorithm is null || Algorithm == alg);
    }

    /// <summary>Verifies a JWS signature over <paramref name="signingInput"/>; false for any mismatch.</summary>
    internal bool Verify(string alg, ReadOnlySpan<byte> signingInput, ReadOnlySpan<byte> signature)
    {
        if (!Fits(alg))
        {
            return false;
        }

        var hash = JwtAlgorithms.Hash(alg);
        try
        {
            if (Type == JwtKeyType.Rsa)
            {
                using var rsa = RSA.Create(_rsa);
                var padding = alg[0] == 'P' ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
                return signature.Length == _rsa.Modulus!.Length && rsa.VerifyData(signingInput, signature, hash, padding);
            }

            // JWS ECDSA signatures are the fixed-size r‖s (IEEE P1363), RFC 7518 §3.4; a DER signature is refused.
            using var ecdsa = ECDsa.Create(_ec);
            return signature.Length == 2 * _ec.Q.X!.Length
                && ecdsa.VerifyData(signingInput, signature, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static JwtKey? CreateRsa(RSAParameters parameters, string? kid, string? alg)
    {
        var modulus = parameters.Modulus;
        if (modulus is null || parameters.Exponent is null)
        {
            return null;
        }

        var leading = modulus.AsSpan().IndexOfAnyExcept((byte)0);
        if (leading < 0)
        {
            return null;
        }

        var trimmed = modulus[leading..];
        var bits = (trimmed.Length * 8) - System.Numerics.BitOperations.LeadingZeroCount((uint)trimmed[0]) + 24;
        if (bits < MinimumRsaBits)
        {
            return null;
        }

        return new JwtKey(kid, alg, JwtKeyType.Rsa, null, new RSAParameters { Modulus = trimmed, Exponent = parameters.Exponent }, default);
    }

    private static JwtKey? FromECDsaOrNull(ECDsa ecdsa, string? kid)
    {
        var parameters = ecdsa.ExportParameters(false);
        var curve = CurveName(parameters.Curve);
        return curve is null ? null : new JwtKey(kid, null, JwtKeyType.EC, curve, default, parameters);
    }

    private static string? CurveName(ECCurve curve) => curve.Oid?.Value switch
    {
        "1.2.840.10045.3.1.7" => "P-256",
        "1.3.132.0.34" => "P-384",
        "1.3.132.0.35" => "P-521",
        _ => null,
    };

    private static string? StringMember(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
