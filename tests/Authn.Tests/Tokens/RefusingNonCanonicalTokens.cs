using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Secrets.Authn.Tokens;

namespace Secrets.Authn.Tests.Tokens;

/// <summary>
/// A token has exactly one encoding (issue 8): the low-s ECDSA signature and the padded base64url fields that
/// <see cref="AccessTokens.Issue"/> writes. The other spellings of the same signed content are refused.
/// </summary>
public sealed class RefusingNonCanonicalTokens : IDisposable
{
    private static readonly DateTimeOffset IssuedAt = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private readonly TokenSigningKey _key = TokenSigningKey.Create();
    private readonly ECDsa _raw = ECDsa.Create();
    private readonly TokenKeyResolver _resolve;

    public RefusingNonCanonicalTokens()
    {
        var trusted = new TrustedTokenKey("acct", _key.VerificationKey);
        _resolve = kid => kid == _key.Kid ? trusted : null;
        _raw.ImportPkcs8PrivateKey(_key.ExportPkcs8(), out _);
    }

    public void Dispose()
    {
        _key.Dispose();
        _raw.Dispose();
    }

    [Fact]
    public void Issued_tokens_always_carry_the_low_s_signature()
    {
        // The platform returns a high s about half of the time; 64 tokens without one normalisation would be 2^-64.
        for (var i = 0; i < 64; i++)
        {
            var signature = FromUrlSafe(Fields(Issue($"user{i}"))["signature"]);
            Assert.True(LowS.IsLow(signature), $"token {i} has a high s");
        }
    }

    [Fact]
    public void The_twin_signature_n_minus_s_verifies_as_ecdsa_but_the_token_is_refused()
    {
        var fields = Fields(Issue("alice"));
        var twin = LowS.Flip(FromUrlSafe(fields["signature"]));
        var signingInput = Encoding.ASCII.GetBytes(fields["protected"] + "." + fields["payload"]);

        // The twin is a genuine signature of the same bytes: only the low-s rule tells the two apart.
        Assert.True(_raw.VerifyData(signingInput, twin, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        Assert.False(LowS.IsLow(twin));
        fields["signature"] = ToUrlSafePadded(twin);

        var result = Verify(JsonSerializer.Serialize(fields));

        AssertInvalid(result);
        Assert.Contains("low-s", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_high_s_signature_made_by_the_account_key_itself_is_refused()
    {
        var protectedPart = ToUrlSafePadded(Encoding.UTF8.GetBytes($"{{\"alg\":\"ES256\",\"kid\":\"{_key.Kid}\"}}"));
        var payloadPart = ToUrlSafePadded(Encoding.UTF8.GetBytes("{\"iat\":1700000000,\"sub\":\"alice\",\"exp\":1700000480}"));
        var signature = _raw.SignData(Encoding.ASCII.GetBytes(protectedPart + "." + payloadPart), HashAlgorithmName.SHA256);
        var high = LowS.IsLow(signature) ? LowS.Flip(signature) : signature;
        var low = LowS.Flip(high);

        Assert.True(Verify(Envelope(protectedPart, payloadPart, ToUrlSafePadded(low))).Succeeded);
        AssertInvalid(Verify(Envelope(protectedPart, payloadPart, ToUrlSafePadded(high))));
    }

    [Theory]
    [InlineData("signature")]
    [InlineData("protected")]
    [InlineData("payload")]
    public void A_field_without_its_padding_is_malformed(string field)
    {
        // Subjects of these lengths make every field need padding (the header and signature always do).
        var fields = Fields(Issue("ab"));
        Assert.EndsWith("=", fields[field], StringComparison.Ordinal);
        fields[field] = fields[field].TrimEnd('=');

        // Re-sign when the signing input changed, so that only the encoding is wrong.
        if (field != "signature")
        {
            fields["signature"] = ToUrlSafePadded(LowS.Normalize(_raw.SignData(
                Encoding.ASCII.GetBytes(fields["protected"] + "." + fields["payload"]), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)));
        }

        AssertMalformed(Verify(JsonSerializer.Serialize(fields)));
    }

    [Fact]
    public void A_signature_field_with_non_zero_unused_bits_is_malformed()
    {
        var fields = Fields(Issue("alice"));
        var signature = fields["signature"];
        Assert.EndsWith("==", signature, StringComparison.Ordinal);

        // 64 bytes end in one byte spread over two characters: the second carries 4 unused bits. Setting one
        // decodes to the same 64 bytes, a second spelling of the same signature.
        var last = signature[^3];
        var alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var other = alphabet[alphabet.IndexOf(last, StringComparison.Ordinal) ^ 1];
        var respelled = string.Concat(signature.AsSpan(0, signature.Length - 3), other.ToString(), "==");
        Assert.Equal(FromUrlSafe(signature), FromUrlSafe(respelled));
        fields["signature"] = respelled;

        AssertMalformed(Verify(JsonSerializer.Serialize(fields)));
    }

    [Fact]
    public void Too_much_padding_is_malformed()
    {
        var fields = Fields(Issue("a"));
        Assert.DoesNotContain('=', fields["payload"]);
        fields["payload"] += "====";

        AssertMalformed(Verify(JsonSerializer.Serialize(fields)));
    }

    [Fact]
    public void The_canonical_token_as_issued_verifies()
    {
        foreach (var subject in new[] { "a", "ab", "abc", "abcd" })
        {
            Assert.True(Verify(Issue(subject)).Succeeded);
        }
    }

    private string Issue(string subject) => AccessTokens.Issue(_key, subject, IssuedAt, TimeSpan.FromSeconds(480));

    private AccessTokenResult Verify(string tokenJson) =>
        AccessTokens.Verify(AccessTokens.FormatAuthorizationHeader(tokenJson), _resolve, IssuedAt);

    private static string Envelope(string protectedPart, string payloadPart, string signature) =>
        JsonSerializer.Serialize(new Dictionary<string, string> { ["protected"] = protectedPart, ["payload"] = payloadPart, ["signature"] = signature });

    private static Dictionary<string, string> Fields(string json) => JsonSerializer.Deserialize<Dictionary<string, string>>(json)!;

    private static string ToUrlSafePadded(byte[] bytes) => Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');

    private static byte[] FromUrlSafe(string text)
    {
        var standard = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(standard.PadRight(standard.Length + ((4 - (standard.Length % 4)) % 4), '='));
    }

    private static void AssertInvalid(AccessTokenResult result)
    {
        Assert.False(result.Succeeded);
        Assert.Equal(AccessTokenError.Invalid, result.Error);
    }

    private static void AssertMalformed(AccessTokenResult result)
    {
        Assert.False(result.Succeeded);
        Assert.Equal(AccessTokenError.Malformed, result.Error);
    }
}
