using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Secrets.Authn.Credentials;

namespace Secrets.Server.Crypto;

/// <summary>
/// Encryption at rest: AES-256-GCM under the data key, a fresh random 12-byte nonce per value, and the
/// row identity as additional authenticated data (spec 6.3), so a ciphertext moved to another row fails.
/// Stored envelope: version byte 0x01 ‖ key id (4 bytes) ‖ nonce (12) ‖ tag (16) ‖ ciphertext.
/// The key id (first 4 bytes of SHA-256 of "secrets data key id" ‖ key) lets a later rotation find the
/// key that sealed a value; it reveals nothing useful about the key.
/// </summary>
internal sealed class DataKeyCipher : IDisposable
{
    private const byte FormatVersion = 1;
    private const int KeyIdSize = 4;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int HeaderSize = 1 + KeyIdSize + NonceSize + TagSize;

    // AesGcm instances are not safe for concurrent use and this cipher is a singleton shared by every request: each
    // operation borrows an instance from a small pool, so no two operations ever share one, and the key schedule and
    // OpenSSL context are not rebuilt per secret read (that was a visible share of a single fetch).
    private const int MaxPooled = 64;
    private readonly System.Collections.Concurrent.ConcurrentQueue<AesGcm> _pool = new();
    private readonly byte[] _key;
    private readonly uint _keyId;

    public DataKeyCipher(ReadOnlySpan<byte> dataKey)
    {
        if (dataKey.Length != 32)
        {
            throw new ArgumentException("The data key must be 32 bytes.", nameof(dataKey));
        }

        _key = dataKey.ToArray();
        _keyId = ComputeKeyId(dataKey);
        ApiKeyHashKey = ApiKeyHasher.DeriveHashingKey(dataKey);
        ApiKeyHasher = new ApiKeyHasher(ApiKeyHashKey);
        ApiKeyDerivationKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, dataKey.ToArray(), 32, info: Encoding.ASCII.GetBytes("secrets api-key derive v1"));
    }

    /// <summary>A key derived from the data key from which API keys are derived (see Authn/CredentialStore.cs).</summary>
    public byte[] ApiKeyDerivationKey { get; }

    /// <summary>A key derived from the data key for the keyed hash of API keys (never the data key itself).</summary>
    public byte[] ApiKeyHashKey { get; }

    /// <summary>Hashes and verifies API keys under <see cref="ApiKeyHashKey"/> (the Authn library's keyed hash).</summary>
    public ApiKeyHasher ApiKeyHasher { get; }

    public static uint ComputeKeyId(ReadOnlySpan<byte> dataKey)
    {
        var input = new byte[19 + dataKey.Length];
        Encoding.ASCII.GetBytes("secrets data key id").CopyTo(input, 0);
        dataKey.CopyTo(input.AsSpan(19));
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input));
    }

    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, string aad)
    {
        var output = new byte[HeaderSize + plaintext.Length];
        output[0] = FormatVersion;
        BinaryPrimitives.WriteUInt32BigEndian(output.AsSpan(1, KeyIdSize), _keyId);
        var nonce = output.AsSpan(1 + KeyIdSize, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        var tag = output.AsSpan(1 + KeyIdSize + NonceSize, TagSize);
        var aes = Rent();
        try
        {
            aes.Encrypt(nonce, plaintext, output.AsSpan(HeaderSize), tag, Encoding.UTF8.GetBytes(aad));
        }
        finally
        {
            Return(aes);
        }

        return output;
    }

    public byte[] EncryptString(string plaintext, string aad) => Encrypt(Encoding.UTF8.GetBytes(plaintext), aad);

    /// <summary>Decrypts, or returns false when the envelope is malformed, sealed by another key, or bound to another row.</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> envelope, string aad, out byte[] plaintext)
    {
        plaintext = [];
        if (envelope.Length < HeaderSize || envelope[0] != FormatVersion
            || BinaryPrimitives.ReadUInt32BigEndian(envelope.Slice(1, KeyIdSize)) != _keyId)
        {
            return false;
        }

        var result = new byte[envelope.Length - HeaderSize];
        var aes = Rent();
        try
        {
            aes.Decrypt(
                envelope.Slice(1 + KeyIdSize, NonceSize),
                envelope[HeaderSize..],
                envelope.Slice(1 + KeyIdSize + NonceSize, TagSize),
                result,
                Encoding.UTF8.GetBytes(aad));
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
        finally
        {
            Return(aes);
        }

        plaintext = result;
        return true;
    }

    /// <summary>Decrypts a value the server itself wrote; a failure means the data key is wrong or the row was tampered with.</summary>
    public byte[] Decrypt(ReadOnlySpan<byte> envelope, string aad) =>
        TryDecrypt(envelope, aad, out var plain) ? plain : throw new DataKeyMismatchException();

    public string DecryptString(ReadOnlySpan<byte> envelope, string aad) => Encoding.UTF8.GetString(Decrypt(envelope, aad));

    public void Dispose()
    {
        while (_pool.TryDequeue(out var aes))
        {
            aes.Dispose();
        }

        CryptographicOperations.ZeroMemory(_key);
    }

    private AesGcm Rent() => _pool.TryDequeue(out var aes) ? aes : new AesGcm(_key, TagSize);

    private void Return(AesGcm aes)
    {
        if (_pool.Count < MaxPooled)
        {
            _pool.Enqueue(aes);
        }
        else
        {
            aes.Dispose();
        }
    }
}

/// <summary>Raised when stored data does not decrypt under the configured data key (mapped to 422 data_key_invalid).</summary>
internal sealed class DataKeyMismatchException : Exception
{
    public DataKeyMismatchException()
        : base("Conjur data key is invalid or does not match encrypted data. Please check your CONJUR_DATA_KEY.")
    {
    }
}
