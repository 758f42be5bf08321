using System.Security.Cryptography;

namespace Secrets.Authn.Jwt;

/// <summary>
/// The JWS algorithms this server can verify (RFC 7518 §3.3–3.5): RSASSA-PKCS1-v1_5, RSASSA-PSS and ECDSA, each with
/// SHA-256/384/512. <c>none</c> and the HMAC family are not in the table, so no configuration can enable them.
/// </summary>
public static class JwtAlgorithms
{
    /// <summary>All nine asymmetric algorithms: the default allow-list.</summary>
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
    };

    /// <summary>True when <paramref name="alg"/> is one of <see cref="All"/> (ordinal, case-sensitive).</summary>
    public static bool IsSupported(string? alg) => alg is not null && All.Contains(alg);

    internal static HashAlgorithmName Hash(string alg) => alg[2..] switch
    {
        "256" => HashAlgorithmName.SHA256,
        "384" => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA512,
    };

    /// <summary>The key type an algorithm needs: RSA for RS*/PS*, EC for ES*.</summary>
    internal static JwtKeyType KeyType(string alg) => alg[0] == 'E' ? JwtKeyType.EC : JwtKeyType.Rsa;

    /// <summary>The curve ES256/384/512 need (RFC 7518 §3.4: the curve is fixed by the algorithm).</summary>
    internal static string? Curve(string alg) => alg switch
    {
        "ES256" => "P-256",
        "ES384" => "P-384",
        "ES512" => "P-521",
        _ => null,
    };
}
