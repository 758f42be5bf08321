using System.Security.Cryptography;
using System.Text;
using Secrets.Server.Crypto;

namespace Secrets.Server.Tests.Crypto;

/// <summary>DataKeyCipher (spec 6.3): AES-256-GCM under the data key, a fresh nonce per value, the row id as AAD.</summary>
public sealed class EncryptingAtRest : IDisposable
{
    private const int HeaderSize = 1 + 4 + 12 + 16;
    private static readonly byte[] Plain = "s3cr3t value"u8.ToArray();

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly DataKeyCipher _cipher;

    public EncryptingAtRest() => _cipher = new DataKeyCipher(_key);

    public void Dispose() => _cipher.Dispose();

    [Fact]
    public void A_value_round_trips_under_its_own_row_id()
    {
        var sealedValue = _cipher.Encrypt(Plain, "acct:variable:db/pw");

        Assert.True(_cipher.TryDecrypt(sealedValue, "acct:variable:db/pw", out var plain));
        Assert.Equal(Plain, plain);
        Assert.Equal(Plain, _cipher.Decrypt(sealedValue, "acct:variable:db/pw"));
        Assert.Equal("ünïcode", _cipher.DecryptString(_cipher.EncryptString("ünïcode", "x"), "x"));
    }

    [Fact]
    public void The_envelope_is_version_key_id_nonce_tag_ciphertext()
    {
        var sealedValue = _cipher.Encrypt(Plain, "aad");

        Assert.Equal(HeaderSize + Plain.Length, sealedValue.Length);
        Assert.Equal(DataKeyCipher.CurrentFormat, sealedValue[0]);
        Assert.Equal(DataKeyCipher.ComputeKeyId(_key), System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(sealedValue.AsSpan(1, 4)));
        Assert.True(sealedValue.AsSpan(HeaderSize).IndexOf(Plain) < 0);
        Assert.Equal(HeaderSize, _cipher.Encrypt([], "aad").Length);
        Assert.True(_cipher.TryDecrypt(_cipher.Encrypt([], "aad"), "aad", out var empty));
        Assert.Empty(empty);
    }

    [Theory]
    [InlineData("acct:variable:db/PW")]
    [InlineData("acct:variable:db/pw ")]
    [InlineData("")]
    [InlineData("other:variable:db/pw")]
    public void A_ciphertext_moved_to_another_row_does_not_decrypt(string otherAad)
    {
        var sealedValue = _cipher.Encrypt(Plain, "acct:variable:db/pw");

        Assert.False(_cipher.TryDecrypt(sealedValue, otherAad, out var plain));
        Assert.Empty(plain);
        Assert.Throws<DataKeyMismatchException>(() => _cipher.Decrypt(sealedValue, otherAad));
    }

    [Fact]
    public void Another_data_key_does_not_decrypt_even_with_the_key_id_forged()
    {
        var sealedValue = _cipher.Encrypt(Plain, "aad");
        using var other = new DataKeyCipher(RandomNumberGenerator.GetBytes(32));

        Assert.False(other.TryDecrypt(sealedValue, "aad", out _));
        Assert.Throws<DataKeyMismatchException>(() => other.Decrypt(sealedValue, "aad"));

        // Even when the key id field is rewritten to the other key's id, the GCM tag refuses.
        var forged = (byte[])sealedValue.Clone();
        var otherId = other.Encrypt([], "")[1..5];
        otherId.CopyTo(forged, 1);
        Assert.False(other.TryDecrypt(forged, "aad", out _));
    }

    [Fact]
    public void Every_encryption_draws_a_fresh_nonce()
    {
        var nonces = new HashSet<string>();
        var ciphertexts = new HashSet<string>();
        for (var i = 0; i < 2000; i++)
        {
            var sealedValue = _cipher.Encrypt(Plain, "same row");
            nonces.Add(Convert.ToHexString(sealedValue.AsSpan(5, 12)));
            ciphertexts.Add(Convert.ToHexString(sealedValue.AsSpan(HeaderSize)));
        }

        Assert.Equal(2000, nonces.Count);
        Assert.Equal(2000, ciphertexts.Count);
    }

    [Fact]
    public void Flipping_any_byte_of_the_envelope_is_detected()
    {
        var sealedValue = _cipher.Encrypt(Plain, "aad");

        for (var i = 0; i < sealedValue.Length; i++)
        {
            var tampered = (byte[])sealedValue.Clone();
            tampered[i] ^= 0x80;
            Assert.False(_cipher.TryDecrypt(tampered, "aad", out _), $"byte {i}");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(HeaderSize - 1)]
    public void A_truncated_envelope_is_refused(int length)
    {
        var sealedValue = _cipher.Encrypt(Plain, "aad");

        Assert.False(_cipher.TryDecrypt(sealedValue.AsSpan(0, length), "aad", out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(33)]
    public void A_data_key_must_be_32_bytes(int length)
    {
        Assert.Throws<ArgumentException>(() => new DataKeyCipher(new byte[length]));
    }

    [Fact]
    public void The_api_key_keys_are_derived_apart_from_the_data_key_and_from_each_other()
    {
        using var same = new DataKeyCipher(_key);

        Assert.Equal(32, _cipher.ApiKeyHashKey.Length);
        Assert.NotEqual(_key, _cipher.ApiKeyHashKey);
        Assert.NotEqual(_key, _cipher.ApiKeyDerivationKey);
        Assert.NotEqual(_cipher.ApiKeyHashKey, _cipher.ApiKeyDerivationKey);
        Assert.Equal(_cipher.ApiKeyHashKey, same.ApiKeyHashKey);
        Assert.Equal(_cipher.ApiKeyDerivationKey, same.ApiKeyDerivationKey);
        Assert.NotEqual(DataKeyCipher.ComputeKeyId(_key), DataKeyCipher.ComputeKeyId(RandomNumberGenerator.GetBytes(32)));
        Assert.Equal(Encoding.UTF8.GetBytes("x"), same.Decrypt(_cipher.Encrypt("x"u8, "aad"), "aad"));
    }
}
