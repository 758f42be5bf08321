using System.Security.Cryptography;

namespace Secrets.Authn.Tokens;

/// <summary>
/// An account's access-token signing key: an ECDSA P-256 key pair (see <see cref="AccessTokens"/> for why not
/// Conjur's RSA-2048). The Server creates one per account, stores <see cref="ExportPkcs8"/> encrypted with the data
/// key (spec 6.3) and re-imports it with <see cref="ImportPkcs8"/>. Safe to share between threads.
/// </summary>
public sealed class TokenSigningKey : IDisposable
{
    private const string P256Oid = "1.2.840.10045.3.1.7";

    private readonly EcdsaPool _pool;

    private TokenSigningKey(ECDsa ecdsa)
    {
        var parameters = ecdsa.ExportParameters(includePrivateParameters: true);
        EnsureP256(parameters.Curve);
        _pool = new EcdsaPool(parameters);
        VerificationKey = TokenVerificationKey.FromEcdsa(ecdsa);
    }

    /// <summary>The public half, for verifying tokens this key signed.</summary>
    public TokenVerificationKey VerificationKey { get; }

    /// <summary>The key id (lowercase hex SHA-256 of the DER SubjectPublicKeyInfo, spec 3.1).</summary>
    public string Kid => VerificationKey.Kid;

    /// <summary>Creates a fresh random P-256 key.</summary>
    public static TokenSigningKey Create()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new TokenSigningKey(ecdsa);
    }

    /// <summary>Imports an unencrypted PKCS#8 PrivateKeyInfo (DER) as written by <see cref="ExportPkcs8"/>.</summary>
    /// <exception cref="CryptographicException">The bytes are not a P-256 private key.</exception>
    public static TokenSigningKey ImportPkcs8(ReadOnlySpan<byte> pkcs8PrivateKey)
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(pkcs8PrivateKey, out var read);
        if (read != pkcs8PrivateKey.Length)
        {
            throw new CryptographicException("Trailing bytes after the PKCS#8 private key.");
        }

        return new TokenSigningKey(ecdsa);
    }

    /// <summary>
    /// Exports the private key as unencrypted PKCS#8 DER. The caller owns the secret bytes: encrypt them at rest
    /// and clear them (<see cref="CryptographicOperations.ZeroMemory"/>) when done.
    /// </summary>
    public byte[] ExportPkcs8() => _pool.ExportPkcs8PrivateKey();

    /// <summary>Clears the private key from memory.</summary>
    public void Dispose() => _pool.Clear();

    // Always the low-s form (see LowS): the verifier refuses the other one.
    internal byte[] Sign(ReadOnlySpan<byte> signingInput) => LowS.Normalize(_pool.SignData(signingInput));

    internal static void EnsureP256(ECCurve curve)
    {
        if (!curve.IsNamed || curve.Oid.Value != P256Oid)
        {
            throw new CryptographicException("Token keys must be ECDSA P-256 keys.");
        }
    }
}
