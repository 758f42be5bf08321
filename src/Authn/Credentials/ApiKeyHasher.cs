using System.Security.Cryptography;
using System.Text;

namespace Secrets.Authn.Credentials;

/// <summary>
/// Stores API keys (and host-factory tokens) as a keyed hash, HMAC-SHA256 under a 32-byte hashing key derived
/// from the data key, and checks presented keys against it in constant time. Thread-safe; register one.
/// </summary>
/// <remarks>
/// Conjur encrypts API keys with the data key (spec 6.3) because its <c>account create</c> / <c>role
/// retrieve-key</c> can print them again. We only ever compare, so we keep a one-way value: a database dump alone
/// (without the data key) yields nothing to log in with, and nothing to brute-force either, since the hash is
/// keyed. A slow password hash is unnecessary here: keys carry 256 random bits. The hash is deterministic, so it
/// can also serve as an indexed lookup column (e.g. for host-factory tokens, where Conjur stores a SHA-256).
/// </remarks>
public sealed class ApiKeyHasher
{
    /// <summary>Length of the hashing key and of every hash, in bytes.</summary>
    public const int KeyLength = 32;

    // HKDF "info" (RFC 5869 §3.2): binds the derived key to this one use, so the data key's other derived keys
    // and this one can never coincide. Bump the version to re-key.
    private static readonly byte[] DerivationInfo = "secrets api-key hash v1"u8.ToArray();

    private readonly byte[] _hashingKey;

    /// <summary>Uses <paramref name="hashingKey"/> (32 bytes, see <see cref="DeriveHashingKey"/>) as the HMAC key.</summary>
    public ApiKeyHasher(ReadOnlySpan<byte> hashingKey)
    {
        if (hashingKey.Length != KeyLength)
        {
            throw new ArgumentException($"The hashing key must be {KeyLength} bytes.", nameof(hashingKey));
        }

        _hashingKey = hashingKey.ToArray();
    }

    /// <summary>A hasher keyed with <see cref="DeriveHashingKey"/> of <paramref name="dataKey"/>.</summary>
    public static ApiKeyHasher FromDataKey(ReadOnlySpan<byte> dataKey)
    {
        var hashingKey = DeriveHashingKey(dataKey);
        try
        {
            return new ApiKeyHasher(hashingKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(hashingKey);
        }
    }

    /// <summary>
    /// Derives the 32-byte hashing key from the 32-byte data key (<c>CONJUR_DATA_KEY</c>, spec 6.3) with
    /// HKDF-SHA256 (RFC 5869), no salt (the data key is already uniformly random), info
    /// <c>"secrets api-key hash v1"</c>. Rotating the data key therefore invalidates every stored hash.
    /// </summary>
    public static byte[] DeriveHashingKey(ReadOnlySpan<byte> dataKey)
    {
        if (dataKey.Length != 32)
        {
            throw new ArgumentException("The data key must be 32 bytes.", nameof(dataKey));
        }

        var output = new byte[KeyLength];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, dataKey, output, salt: [], info: DerivationInfo);
        return output;
    }

    /// <summary>The value to store for <paramref name="apiKey"/> (HMAC-SHA256 of its UTF-8 bytes, 32 bytes).</summary>
    public byte[] Hash(string apiKey)
    {
        ArgumentNullException.ThrowIfNull(apiKey);
        return HMACSHA256.HashData(_hashingKey, Encoding.UTF8.GetBytes(apiKey));
    }

    /// <summary>
    /// Whether <paramref name="presented"/> is the key whose hash is <paramref name="storedHash"/>. The comparison
    /// takes the same time wherever the hashes differ (<see cref="CryptographicOperations.FixedTimeEquals"/>), so
    /// response timing reveals nothing about how close a guess was.
    /// </summary>
    public bool Verify(string presented, ReadOnlySpan<byte> storedHash)
    {
        ArgumentNullException.ThrowIfNull(presented);
        Span<byte> computed = stackalloc byte[KeyLength];
        HMACSHA256.HashData(_hashingKey, Encoding.UTF8.GetBytes(presented), computed);
        return CryptographicOperations.FixedTimeEquals(computed, storedHash);
    }
}
