using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Secrets.Authn.Credentials;

namespace Secrets.Server.Crypto;

/// <summary>
/// Encryption at rest: AES-256-GCM, a fresh random 12-byte nonce per value, and the row identity as additional
/// authenticated data (spec 6.3), so a ciphertext moved to another row fails.
/// Stored envelope: format byte ‖ key id (4 bytes) ‖ nonce (12) ‖ tag (16) ‖ ciphertext.
/// <list type="bullet">
/// <item>Format 2 (written): the AES key is derived from the data key with HKDF-SHA256 (RFC 5869), one key per
/// <see cref="SealPurpose"/>, so a ciphertext of one kind of record never opens as another and the data key itself
/// never keys AES. Secret values bind account, resource id and version; host-factory tokens bind the token hash, the
/// factory, the expiry and the CIDRs (length-prefixed fields, <see cref="SealedRows"/>).</item>
/// <item>Format 1 (read only, before issue 8): the data key itself, the row id alone as AAD. Start-up re-seals such
/// rows to format 2 (<see cref="SealFormatMigration"/>); the serving cipher then refuses format 1.</item>
/// </list>
/// The key id (first 4 bytes of SHA-256 of "secrets data key id" ‖ data key) lets a later rotation find the key that
/// sealed a value; it reveals nothing useful about the key.
/// </summary>
internal sealed class DataKeyCipher : IDisposable
{
    public const byte LegacyFormat = 1;
    public const byte CurrentFormat = 2;
    private const int KeyIdSize = 4;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int HeaderSize = 1 + KeyIdSize + NonceSize + TagSize;

    // AesGcm instances are not safe for concurrent use and this cipher is a singleton shared by every request: each
    // operation borrows an instance from a small pool (one per key), so no two operations ever share one, and the key
    // schedule and OpenSSL context are not rebuilt per secret read (that was a visible share of a single fetch).
    private const int MaxPooled = 64;
    private readonly System.Collections.Concurrent.ConcurrentQueue<AesGcm>[] _pools;
    private readonly byte[][] _keys;
    private readonly uint _keyId;

    /// <param name="dataKey">The 32-byte data key.</param>
    /// <param name="acceptLegacy">
    /// Whether format-1 envelopes open. True for admin commands and start-up (which re-seals them); false for the
    /// serving cipher once start-up has re-sealed every row, so an old row put back by a database writer is refused.
    /// </param>
    public DataKeyCipher(ReadOnlySpan<byte> dataKey, bool acceptLegacy = true)
    {
        if (dataKey.Length != 32)
        {
            throw new ArgumentException("The data key must be 32 bytes.", nameof(dataKey));
        }

        AcceptsLegacy = acceptLegacy;
        _keyId = ComputeKeyId(dataKey);
        var purposes = Enum.GetValues<SealPurpose>();
        _keys = new byte[purposes.Length + 1][];
        _pools = new System.Collections.Concurrent.ConcurrentQueue<AesGcm>[purposes.Length + 1];

        // Slot 0: the data key itself, for format 1 only.
        _keys[0] = dataKey.ToArray();
        foreach (var purpose in purposes)
        {
            _keys[(int)purpose] = HKDF.DeriveKey(HashAlgorithmName.SHA256, _keys[0], 32, info: Encoding.ASCII.GetBytes("secrets seal v2 " + PurposeName(purpose)));
        }

        for (var i = 0; i < _pools.Length; i++)
        {
            _pools[i] = new();
        }

        ApiKeyHashKey = ApiKeyHasher.DeriveHashingKey(dataKey);
        ApiKeyHasher = new ApiKeyHasher(ApiKeyHashKey);
        ApiKeyDerivationKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, dataKey.ToArray(), 32, info: Encoding.ASCII.GetBytes("secrets api-key derive v1"));
    }

    /// <summary>Whether format-1 envelopes are opened (see the constructor).</summary>
    public bool AcceptsLegacy { get; }

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

    /// <summary>The format byte of a stored envelope (0 for one too short to be any).</summary>
    public static byte FormatOf(ReadOnlySpan<byte> envelope) => envelope.Length < HeaderSize ? (byte)0 : envelope[0];

    /// <summary>Seals a record of <see cref="SealPurpose.Record"/> whose AAD is its row id.</summary>
    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, string aad) => Seal(SealPurpose.Record, plaintext, aad);

    public byte[] EncryptString(string plaintext, string aad) => Encrypt(Encoding.UTF8.GetBytes(plaintext), aad);

    /// <summary>Opens a record of <see cref="SealPurpose.Record"/>: format 2 under its purpose key, or format 1 with the same AAD.</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> envelope, string aad, out byte[] plaintext)
    {
        var buffer = new AadBuffer(stackalloc byte[AadBuffer.StackSize]);
        buffer.Text(aad, lengthPrefixed: false);
        var result = TryOpen(SealPurpose.Record, envelope, buffer.Written, buffer.Written, out plaintext);
        buffer.Dispose();
        return result;
    }

    /// <summary>Decrypts a value the server itself wrote; a failure means the data key is wrong or the row was tampered with.</summary>
    public byte[] Decrypt(ReadOnlySpan<byte> envelope, string aad) =>
        TryDecrypt(envelope, aad, out var plain) ? plain : throw new DataKeyMismatchException();

    public string DecryptString(ReadOnlySpan<byte> envelope, string aad) => Encoding.UTF8.GetString(Decrypt(envelope, aad));

    /// <summary>Seals <paramref name="plaintext"/> in format 2 under the key of <paramref name="purpose"/>.</summary>
    public byte[] Seal(SealPurpose purpose, ReadOnlySpan<byte> plaintext, string aad)
    {
        var buffer = new AadBuffer(stackalloc byte[AadBuffer.StackSize]);
        buffer.Text(aad, lengthPrefixed: false);
        var result = Seal(purpose, plaintext, buffer.Written);
        buffer.Dispose();
        return result;
    }

    /// <summary>Seals <paramref name="plaintext"/> in format 2 under the key of <paramref name="purpose"/>.</summary>
    public byte[] Seal(SealPurpose purpose, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad)
    {
        var output = new byte[HeaderSize + plaintext.Length];
        output[0] = CurrentFormat;
        BinaryPrimitives.WriteUInt32BigEndian(output.AsSpan(1, KeyIdSize), _keyId);
        var nonce = output.AsSpan(1 + KeyIdSize, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        var tag = output.AsSpan(1 + KeyIdSize + NonceSize, TagSize);
        var slot = (int)purpose;
        var aes = Rent(slot);
        try
        {
            aes.Encrypt(nonce, plaintext, output.AsSpan(HeaderSize), tag, aad);
        }
        finally
        {
            Return(slot, aes);
        }

        return output;
    }

    /// <summary>
    /// Opens a format-2 envelope under <paramref name="purpose"/> with <paramref name="aad"/>, or (when legacy is
    /// accepted) a format-1 envelope under the data key with <paramref name="legacyAad"/>. False when the envelope is
    /// malformed, of another format, sealed by another key, or bound to another row.
    /// </summary>
    public bool TryOpen(SealPurpose purpose, ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> legacyAad, out byte[] plaintext)
    {
        plaintext = [];
        if (envelope.Length < HeaderSize || BinaryPrimitives.ReadUInt32BigEndian(envelope.Slice(1, KeyIdSize)) != _keyId)
        {
            return false;
        }

        int slot;
        switch (envelope[0])
        {
            case CurrentFormat:
                slot = (int)purpose;
                break;
            case LegacyFormat when AcceptsLegacy:
                slot = 0;
                aad = legacyAad;
                break;
            default:
                return false;
        }

        var result = new byte[envelope.Length - HeaderSize];
        var aes = Rent(slot);
        try
        {
            aes.Decrypt(
                envelope.Slice(1 + KeyIdSize, NonceSize),
                envelope[HeaderSize..],
                envelope.Slice(1 + KeyIdSize + NonceSize, TagSize),
                result,
                aad);
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
        finally
        {
            Return(slot, aes);
        }

        plaintext = result;
        return true;
    }

    public void Dispose()
    {
        foreach (var pool in _pools)
        {
            while (pool.TryDequeue(out var aes))
            {
                aes.Dispose();
            }
        }

        foreach (var key in _keys)
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static string PurposeName(SealPurpose purpose) => purpose switch
    {
        SealPurpose.Record => "record",
        SealPurpose.SecretValue => "secret-value",
        SealPurpose.HostFactoryToken => "host-factory-token",
        _ => throw new ArgumentOutOfRangeException(nameof(purpose)),
    };

    private AesGcm Rent(int slot) => _pools[slot].TryDequeue(out var aes) ? aes : new AesGcm(_keys[slot], TagSize);

    private void Return(int slot, AesGcm aes)
    {
        if (_pools[slot].Count < MaxPooled)
        {
            _pools[slot].Enqueue(aes);
        }
        else
        {
            aes.Dispose();
        }
    }
}

/// <summary>What a sealed value is; each purpose has its own key derived from the data key (values start at 1: slot 0 is format 1).</summary>
internal enum SealPurpose
{
    /// <summary>Signing keys, password hashes, the data-key canary: AAD = the row id.</summary>
    Record = 1,

    /// <summary>Secret versions: AAD = account, resource id, version.</summary>
    SecretValue = 2,

    /// <summary>Host-factory tokens: AAD = token hash, factory, expiry, CIDRs.</summary>
    HostFactoryToken = 3,
}

/// <summary>
/// Builds associated data on the stack (heap only for ids longer than <see cref="StackSize"/> bytes in all), so the hot
/// read paths allocate nothing for it. Fields are length-prefixed (4 bytes, big-endian), so no two field lists encode
/// alike.
/// </summary>
internal ref struct AadBuffer(Span<byte> initial)
{
    public const int StackSize = 512;
    private Span<byte> _span = initial;
    private byte[]? _rented;
    private int _length;

    public readonly ReadOnlySpan<byte> Written => _span[.._length];

    public void Text(string value, bool lengthPrefixed = true)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        Ensure((lengthPrefixed ? 4 : 0) + max);
        if (lengthPrefixed)
        {
            var n = Encoding.UTF8.GetBytes(value, _span[(_length + 4)..]);
            BinaryPrimitives.WriteInt32BigEndian(_span.Slice(_length, 4), n);
            _length += 4 + n;
        }
        else
        {
            _length += Encoding.UTF8.GetBytes(value, _span[_length..]);
        }
    }

    public void Number(long value)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt64BigEndian(_span.Slice(_length, 8), value);
        _length += 8;
    }

    public void Dispose()
    {
        if (_rented is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(_rented);
            _rented = null;
        }
    }

    private void Ensure(int more)
    {
        if (_length + more <= _span.Length)
        {
            return;
        }

        var bigger = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(_span.Length * 2, _length + more));
        _span[.._length].CopyTo(bigger);
        if (_rented is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(_rented);
        }

        _rented = bigger;
        _span = bigger;
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
