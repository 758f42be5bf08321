using System.Security.Cryptography;

namespace Secrets.Authn.Tokens;

/// <summary>
/// The public half of an account's token-signing key: verifies access tokens and names itself by its
/// <see cref="Kid"/>. Immutable and safe to share between threads; cache one per account.
/// </summary>
/// <remarks>
/// Not <see cref="IDisposable"/> on purpose: it is cached for the life of the process, and the native key handles
/// it pools are released by their own finalizers once the key is no longer referenced.
/// </remarks>
public sealed class TokenVerificationKey
{
    private readonly byte[] _subjectPublicKeyInfo;
    private readonly EcdsaPool _pool;

    private TokenVerificationKey(ECParameters publicParameters, byte[] subjectPublicKeyInfo)
    {
        _subjectPublicKeyInfo = subjectPublicKeyInfo;
        _pool = new EcdsaPool(publicParameters);
        Kid = ComputeKid(subjectPublicKeyInfo);
    }

    /// <summary>
    /// The key id written into the token header: lowercase hex SHA-256 of the DER SubjectPublicKeyInfo
    /// (spec 3.1), 64 characters.
    /// </summary>
    public string Kid { get; }

    /// <summary>Imports a DER SubjectPublicKeyInfo holding a P-256 public key.</summary>
    /// <exception cref="CryptographicException">The bytes are not a P-256 public key.</exception>
    public static TokenVerificationKey ImportSubjectPublicKeyInfo(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out var read);
        if (read != subjectPublicKeyInfo.Length)
        {
            throw new CryptographicException("Trailing bytes after the SubjectPublicKeyInfo.");
        }

        return FromEcdsa(ecdsa);
    }

    /// <summary>The DER SubjectPublicKeyInfo of this key (what <see cref="Kid"/> is computed from).</summary>
    public byte[] ExportSubjectPublicKeyInfo() => (byte[])_subjectPublicKeyInfo.Clone();

    /// <summary>The key as PEM (<c>-----BEGIN PUBLIC KEY-----</c>), e.g. for <c>account create</c> output.</summary>
    public string ExportPem() => PemEncoding.WriteString("PUBLIC KEY", _subjectPublicKeyInfo);

    internal static TokenVerificationKey FromEcdsa(ECDsa ecdsa)
    {
        var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
        TokenSigningKey.EnsureP256(parameters.Curve);
        return new TokenVerificationKey(parameters, ecdsa.ExportSubjectPublicKeyInfo());
    }

    internal static string ComputeKid(ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo));

    internal bool Verify(ReadOnlySpan<byte> signingInput, ReadOnlySpan<byte> signature) =>
        _pool.VerifyData(signingInput, signature);
}
