using System.Text.RegularExpressions;
using Secrets.Authn.Credentials;

namespace Secrets.Authn.Tests.Credentials;

public sealed class GeneratingAndHashingApiKeys
{
    private static readonly Regex KeyShape = new("^[0-9a-hjkmnp-tv-z]{8,56}$");

    [Fact]
    public void Known_bytes_encode_as_eight_minimal_crockford_groups()
    {
        Assert.Equal("00000000", ApiKeys.Encode(new byte[32]));
        Assert.Equal(string.Concat(Enumerable.Repeat("3zzzzzz", 8)), ApiKeys.Encode(Enumerable.Repeat((byte)0xff, 32).ToArray()));
        // Reference values computed independently (Python: struct.unpack('>8I') then base 32).
        Assert.Equal(
            "20g320a1g740j2gb60t3gf8124gka1a5gqc1j6gve1t7gz",
            ApiKeys.Encode(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.Equal(
            "3ge3rq33jebsq73mektqb3pevvqf3rf3wqk3tfbxqq3wfkyqv3yfvzqz",
            ApiKeys.Encode(Enumerable.Range(0xe0, 32).Select(i => (byte)i).ToArray()));
    }

    [Fact]
    public void A_typical_key_is_50_to_56_characters_of_the_crockford_alphabet()
    {
        var key = ApiKeys.Encode(Enumerable.Range(0xe0, 32).Select(i => (byte)i).ToArray());

        Assert.InRange(key.Length, 50, 56);
        Assert.All(key, c => Assert.Contains(c, ApiKeys.Alphabet));
    }

    [Fact]
    public void Generated_keys_have_the_api_key_shape_and_do_not_repeat()
    {
        // A key is shorter than 50 characters with probability ~0.14 % (any group below 2^30 loses a digit), so
        // the random check asserts the hard bounds; the typical length is covered with fixed bytes above.
        var keys = Enumerable.Range(0, 500).Select(_ => ApiKeys.Generate()).ToArray();

        Assert.All(keys, key => Assert.Matches(KeyShape, key));
        Assert.Equal(keys.Length, keys.Distinct(StringComparer.Ordinal).Count());
        Assert.InRange(keys.Average(k => k.Length), 53.0, 56.0);
    }

    [Fact]
    public void Host_factory_tokens_have_the_same_shape()
    {
        Assert.Matches(KeyShape, HostFactoryTokens.Generate());
        Assert.NotEqual(HostFactoryTokens.Generate(), HostFactoryTokens.Generate());
    }

    [Fact]
    public void The_hashing_key_is_hkdf_sha256_of_the_data_key()
    {
        var dataKey = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

        // Reference value computed independently with Python's hmac (RFC 5869 extract-then-expand, empty salt).
        Assert.Equal(
            "e038ff5ebe2a1760f4801af75d277c784087d555cebde7e9e164f13d177790cb",
            Convert.ToHexStringLower(ApiKeyHasher.DeriveHashingKey(dataKey)));
    }

    [Fact]
    public void The_stored_value_is_hmac_sha256_under_the_hashing_key()
    {
        var hasher = ApiKeyHasher.FromDataKey(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

        Assert.Equal("f237b92db60a02f0983e5555079bd7e89705b9ec4d25fd4696b55720a611d63a", Convert.ToHexStringLower(hasher.Hash("1x2y3z")));
    }

    [Fact]
    public void The_right_key_verifies_and_any_other_does_not()
    {
        var hasher = new ApiKeyHasher(ApiKeyHasher.DeriveHashingKey(new byte[32]));
        var key = ApiKeys.Generate();
        var stored = hasher.Hash(key);

        Assert.Equal(32, stored.Length);
        Assert.True(hasher.Verify(key, stored));
        Assert.False(hasher.Verify(ApiKeys.Generate(), stored));
        Assert.False(hasher.Verify(key + " ", stored));
        Assert.False(hasher.Verify(key.ToUpperInvariant(), stored));
        Assert.False(hasher.Verify(string.Empty, stored));
        Assert.False(hasher.Verify(key, stored.AsSpan(0, 16)));
        Assert.False(hasher.Verify(key, []));
    }

    [Fact]
    public void A_hash_made_under_another_data_key_does_not_verify()
    {
        var key = ApiKeys.Generate();
        var stored = ApiKeyHasher.FromDataKey(new byte[32]).Hash(key);

        var other = ApiKeyHasher.FromDataKey(Enumerable.Repeat((byte)1, 32).ToArray());

        Assert.False(other.Verify(key, stored));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(33)]
    public void Keys_of_the_wrong_length_are_refused(int length)
    {
        Assert.Throws<ArgumentException>(() => ApiKeyHasher.DeriveHashingKey(new byte[length]));
        Assert.Throws<ArgumentException>(() => new ApiKeyHasher(new byte[length]));
    }
}
