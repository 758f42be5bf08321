using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Secrets.Authn.Credentials;

/// <summary>Generates API keys and host-factory tokens in Conjur's format (spec 6.3).</summary>
public static class ApiKeys
{
    /// <summary>Crockford's Base32 alphabet, lowercase (no i, l, o, u).</summary>
    public const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    /// <summary>The longest key: eight 7-digit groups.</summary>
    public const int MaxLength = 56;

    /// <summary>
    /// A new random API key: 32 random bytes read as eight big-endian uint32, each written in Crockford Base32
    /// with the fewest digits, concatenated (spec 6.3). 256 bits of entropy. The length varies: 56 at most,
    /// 50–56 for all but about 0.14 % of keys (a group below 2^30 is one digit shorter), which is what Conjur's
    /// keys look like too.
    /// </summary>
    public static string Generate()
    {
        Span<byte> random = stackalloc byte[32];
        RandomNumberGenerator.Fill(random);
        try
        {
            return Encode(random);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(random);
        }
    }

    /// <summary>
    /// Encodes 32 bytes in the API key format (<see cref="Generate"/> is this applied to 32 random bytes). Public
    /// for callers that derive keys from their own 32-byte secret, e.g. an HMAC output; the bytes must be
    /// uniformly random for the key to carry 256 bits.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not 32 bytes long.</exception>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 32)
        {
            throw new ArgumentException("An API key is made of 32 bytes.", nameof(bytes));
        }

        Span<char> output = stackalloc char[MaxLength];
        var length = 0;
        Span<char> group = stackalloc char[7];
        for (var offset = 0; offset < 32; offset += 4)
        {
            var value = BinaryPrimitives.ReadUInt32BigEndian(bytes[offset..]);
            var digits = 0;
            do
            {
                group[digits++] = Alphabet[(int)(value % 32)];
                value /= 32;
            }
            while (value != 0);

            for (var i = digits - 1; i >= 0; i--)
            {
                output[length++] = group[i];
            }
        }

        return new string(output[..length]);
    }
}

/// <summary>Host-factory tokens (spec 2.8): opaque random strings in the same format as API keys.</summary>
public static class HostFactoryTokens
{
    /// <summary>A new random token (256 bits; see <see cref="ApiKeys.Generate"/>).</summary>
    public static string Generate() => ApiKeys.Generate();
}
