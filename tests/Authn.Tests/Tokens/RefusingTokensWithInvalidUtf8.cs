using System.Text;
using Secrets.Authn.Tokens;

namespace Secrets.Authn.Tests.Tokens;

/// <summary>
/// JsonDocument accepts a string whose bytes are not UTF-8 (it checks structure only) and throws when the string is
/// read. A token whose envelope or protected header carries such a string is malformed, never an exception.
/// </summary>
public sealed class RefusingTokensWithInvalidUtf8 : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private readonly TokenSigningKey _key = TokenSigningKey.Create();

    public void Dispose() => _key.Dispose();

    [Theory]
    [InlineData("protected")]
    [InlineData("payload")]
    [InlineData("signature")]
    public void An_envelope_field_with_invalid_utf8_is_malformed(string field)
    {
        var envelope = Concat(
            "{\"protected\":\""u8.ToArray(), field == "protected" ? [0xFF] : "a"u8.ToArray(),
            "\",\"payload\":\""u8.ToArray(), field == "payload" ? [0xC3, 0x28] : "a"u8.ToArray(),
            "\",\"signature\":\""u8.ToArray(), field == "signature" ? [0xED, 0xA0, 0x80] : "b"u8.ToArray(),
            "\"}"u8.ToArray());

        AssertMalformed(envelope);
    }

    [Theory]
    [InlineData("alg")]
    [InlineData("kid")]
    public void A_protected_header_member_with_invalid_utf8_is_malformed(string member)
    {
        var header = Concat(
            "{\"alg\":\""u8.ToArray(), member == "alg" ? [0xFF, 0xFE] : "ES256"u8.ToArray(),
            "\",\"kid\":\""u8.ToArray(), member == "kid" ? [0x80] : Encoding.ASCII.GetBytes(_key.Kid),
            "\"}"u8.ToArray());
        var signed = AccessTokens.Sign(_key, header, "{\"iat\":1700000000,\"sub\":\"alice\"}"u8);

        AssertMalformed(Encoding.UTF8.GetBytes(signed));
    }

    private void AssertMalformed(byte[] envelope)
    {
        var trusted = new TrustedTokenKey("acct", _key.VerificationKey);
        var header = $"Token token=\"{Convert.ToBase64String(envelope)}\"";

        var result = AccessTokens.Verify(header, kid => kid == _key.Kid ? trusted : null, Now);

        Assert.False(result.Succeeded);
        Assert.Equal(AccessTokenError.Malformed, result.Error);
        Assert.Equal(AccessTokens.MessageFor(AccessTokenError.Malformed), result.ErrorMessage);
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
