using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Secrets.Authn.Tokens;

namespace Secrets.Authn.Tests.Tokens;

public sealed class IssuingAndVerifyingAccessTokens : IDisposable
{
    private static readonly DateTimeOffset IssuedAt = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private readonly TokenSigningKey _key = TokenSigningKey.Create();
    private readonly TokenKeyResolver _resolve;

    public IssuingAndVerifyingAccessTokens()
    {
        var trusted = new TrustedTokenKey("acct", _key.VerificationKey);
        _resolve = kid => kid == _key.Kid ? trusted : null;
    }

    public void Dispose() => _key.Dispose();

    [Fact]
    public void A_fresh_token_round_trips_with_its_claims()
    {
        var json = AccessTokens.Issue(_key, "host/app/01", IssuedAt, TimeSpan.FromMinutes(8));

        var result = Verify(json, IssuedAt.AddSeconds(10));

        Assert.True(result.Succeeded, result.Detail);
        Assert.Null(result.Error);
        Assert.Null(result.ErrorMessage);
        Assert.Equal(
            new VerifiedAccessToken("acct", "host/app/01", "acct:host:app/01", IssuedAt, IssuedAt.AddSeconds(480), [], _key.Kid),
            result.Token with { Cidrs = [] });
        Assert.Empty(result.Token.Cidrs);
    }

    [Fact]
    public void The_token_is_compact_json_with_three_padded_url_safe_fields()
    {
        var json = AccessTokens.Issue(_key, "alice", IssuedAt, TimeSpan.FromSeconds(480));

        Assert.Matches(
            new Regex("^\\{\"protected\":\"[A-Za-z0-9_=-]+\",\"payload\":\"[A-Za-z0-9_=-]+\",\"signature\":\"[A-Za-z0-9_=-]+\"\\}$"),
            json);
        var fields = Fields(json);
        foreach (var field in fields.Values)
        {
            // Ruby's urlsafe_encode64 pads; the Go SDK needs the padding on payload.
            Assert.Equal(0, field.Length % 4);
            Assert.DoesNotContain('+', field);
            Assert.DoesNotContain('/', field);
        }

        Assert.Equal($"{{\"alg\":\"ES256\",\"kid\":\"{_key.Kid}\"}}", DecodeField(fields["protected"]));
        Assert.Equal("{\"iat\":1700000000,\"sub\":\"alice\",\"exp\":1700000480}", DecodeField(fields["payload"]));
        Assert.Equal(64, Convert.FromBase64String(fields["signature"].Replace('-', '+').Replace('_', '/')).Length);
    }

    [Fact]
    public void Padding_is_kept_in_every_field_that_needs_it()
    {
        // The header is always 88 bytes and the signature 64 bytes (both % 3 == 1, so "=="); subjects of
        // different lengths make the payload need zero, one and two padding characters.
        var paddings = new HashSet<int>();
        foreach (var subject in new[] { "a", "ab", "abc", "abcd" })
        {
            var fields = Fields(AccessTokens.Issue(_key, subject, IssuedAt, TimeSpan.FromSeconds(480)));
            Assert.EndsWith("==", fields["protected"], StringComparison.Ordinal);
            Assert.EndsWith("==", fields["signature"], StringComparison.Ordinal);
            var payload = fields["payload"];
            paddings.Add(payload.Length - payload.TrimEnd('=').Length);
            Assert.True(Verify(Issue(subject), IssuedAt).Succeeded);
        }

        Assert.Equal([0, 1, 2], paddings.Order());
    }

    [Fact]
    public void The_signature_is_es256_over_the_padded_protected_and_payload_text()
    {
        var fields = Fields(AccessTokens.Issue(_key, "alice", IssuedAt, TimeSpan.FromSeconds(480)));
        using var verifier = ECDsa.Create();
        verifier.ImportSubjectPublicKeyInfo(_key.VerificationKey.ExportSubjectPublicKeyInfo(), out _);

        var valid = verifier.VerifyData(
            Encoding.ASCII.GetBytes(fields["protected"] + "." + fields["payload"]),
            Convert.FromBase64String(fields["signature"].Replace('-', '+').Replace('_', '/')),
            HashAlgorithmName.SHA256,
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

        Assert.True(valid);
    }

    [Fact]
    public void The_kid_is_the_lowercase_hex_sha256_of_the_public_key_info()
    {
        var spki = _key.VerificationKey.ExportSubjectPublicKeyInfo();

        Assert.Matches(new Regex("^[0-9a-f]{64}$"), _key.Kid);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(spki)), _key.Kid);
        Assert.Equal(_key.Kid, TokenVerificationKey.ImportSubjectPublicKeyInfo(spki).Kid);
    }

    [Fact]
    public void A_key_survives_export_and_import_and_still_verifies_old_tokens()
    {
        var json = Issue("alice");
        var pkcs8 = _key.ExportPkcs8();

        using var imported = TokenSigningKey.ImportPkcs8(pkcs8);

        Assert.Equal(_key.Kid, imported.Kid);
        var trusted = new TrustedTokenKey("acct", imported.VerificationKey);
        Assert.True(AccessTokens.Verify(AccessTokens.FormatAuthorizationHeader(json), _ => trusted, IssuedAt).Succeeded);
        var reissued = AccessTokens.Issue(imported, "alice", IssuedAt, TimeSpan.FromSeconds(480));
        Assert.True(Verify(reissued, IssuedAt).Succeeded);
    }

    [Fact]
    public void The_public_key_exports_as_pem()
    {
        var pem = _key.VerificationKey.ExportPem();

        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", pem, StringComparison.Ordinal);
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(pem);
        Assert.Equal(_key.VerificationKey.ExportSubjectPublicKeyInfo(), ecdsa.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void Keys_other_than_p256_are_refused()
    {
        using var rsa = RSA.Create(2048);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        Assert.ThrowsAny<CryptographicException>(() => TokenSigningKey.ImportPkcs8(rsa.ExportPkcs8PrivateKey()));
        Assert.ThrowsAny<CryptographicException>(() => TokenSigningKey.ImportPkcs8(p384.ExportPkcs8PrivateKey()));
        Assert.ThrowsAny<CryptographicException>(() => TokenVerificationKey.ImportSubjectPublicKeyInfo(p384.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public void A_token_without_exp_expires_480_seconds_after_iat()
    {
        var json = Forge("{\"alg\":\"ES256\",\"kid\":\"" + _key.Kid + "\"}", "{\"iat\":1700000000,\"sub\":\"alice\"}");

        var result = Verify(json, IssuedAt.AddSeconds(479));

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal(IssuedAt.AddSeconds(480), result.Token.ExpiresAt);
        AssertError(AccessTokenError.Invalid, Verify(json, IssuedAt.AddSeconds(480)));
    }

    [Fact]
    public void A_token_is_rejected_from_the_exp_second_on()
    {
        var json = AccessTokens.Issue(_key, "alice", IssuedAt, TimeSpan.FromSeconds(60));

        Assert.True(Verify(json, IssuedAt.AddSeconds(59.999)).Succeeded);
        AssertError(AccessTokenError.Invalid, Verify(json, IssuedAt.AddSeconds(60)));
        AssertError(AccessTokenError.Invalid, Verify(json, IssuedAt.AddHours(1)));
    }

    [Theory]
    [InlineData("protected")]
    [InlineData("payload")]
    [InlineData("signature")]
    public void A_token_with_any_field_altered_is_invalid(string field)
    {
        var fields = Fields(Issue("alice"));
        var original = fields[field];
        // Flip one character in the middle of the field, keeping it valid URL-safe Base64.
        var index = original.Length / 2;
        var replacement = original[index] == 'A' ? 'B' : 'A';
        fields[field] = string.Concat(original.AsSpan(0, index), replacement.ToString(), original.AsSpan(index + 1));

        var result = Verify(JsonSerializer.Serialize(fields), IssuedAt);

        Assert.False(result.Succeeded);
        Assert.NotEqual(AccessTokenError.Missing, result.Error);
        Assert.NotEqual(AccessTokenError.UnrecognizedClaims, result.Error);
    }

    [Fact]
    public void A_payload_swapped_for_another_signed_payload_is_invalid()
    {
        var alice = Fields(Issue("alice"));
        var admin = Fields(Issue("admin"));
        alice["payload"] = admin["payload"];

        AssertError(AccessTokenError.Invalid, Verify(JsonSerializer.Serialize(alice), IssuedAt));
    }

    [Fact]
    public void A_token_signed_by_an_unknown_key_is_invalid()
    {
        using var other = TokenSigningKey.Create();

        var result = Verify(AccessTokens.Issue(other, "alice", IssuedAt, TimeSpan.FromSeconds(480)), IssuedAt);

        AssertError(AccessTokenError.Invalid, result);
        Assert.Contains(other.Kid, result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_token_naming_a_known_kid_but_signed_by_another_key_is_invalid()
    {
        using var other = TokenSigningKey.Create();
        var json = AccessTokens.Sign(other, Utf8("{\"alg\":\"ES256\",\"kid\":\"" + _key.Kid + "\"}"), Utf8("{\"iat\":1700000000,\"sub\":\"alice\",\"exp\":1700000480}"));

        AssertError(AccessTokenError.Invalid, Verify(json, IssuedAt));
    }

    [Fact]
    public void A_kid_that_is_not_a_fingerprint_never_reaches_the_resolver()
    {
        var asked = new List<string>();
        var json = Forge("{\"alg\":\"ES256\",\"kid\":\"' OR 1=1 --\"}", "{\"iat\":1700000000,\"sub\":\"alice\"}");

        var result = AccessTokens.Verify(AccessTokens.FormatAuthorizationHeader(json), kid => { asked.Add(kid); return null; }, IssuedAt);

        AssertError(AccessTokenError.Invalid, result);
        Assert.Empty(asked);
    }

    [Theory]
    [InlineData("conjur.org/slosilo/v2")]
    [InlineData("none")]
    [InlineData("RS256")]
    [InlineData("es256")]
    [InlineData("HS256")]
    public void A_token_with_another_alg_is_invalid(string alg)
    {
        var json = Forge("{\"alg\":\"" + alg + "\",\"kid\":\"" + _key.Kid + "\"}", "{\"iat\":1700000000,\"sub\":\"alice\"}");

        AssertError(AccessTokenError.Invalid, Verify(json, IssuedAt));
    }

    [Fact]
    public void A_token_with_a_crit_header_is_invalid()
    {
        var json = Forge("{\"alg\":\"ES256\",\"kid\":\"" + _key.Kid + "\",\"crit\":[\"x\"],\"x\":1}", "{\"iat\":1700000000,\"sub\":\"alice\"}");

        AssertError(AccessTokenError.Invalid, Verify(json, IssuedAt));
    }

    [Fact]
    public void A_token_with_other_header_members_is_accepted()
    {
        // Slosilo itself adds "typ":"JWT".
        var json = Forge("{\"alg\":\"ES256\",\"kid\":\"" + _key.Kid + "\",\"typ\":\"JWT\"}", "{\"iat\":1700000000,\"sub\":\"alice\"}");

        Assert.True(Verify(json, IssuedAt).Succeeded);
    }

    [Theory]
    [InlineData("{\"iat\":1700000000,\"sub\":\"alice\",\"admin\":true}")]
    [InlineData("{\"iat\":1700000000,\"sub\":\"alice\",\"nbf\":1700000000}")]
    [InlineData("{\"iat\":1700000000,\"sub\":\"alice\",\"Exp\":1700000480}")]
    public void A_token_with_an_unrecognized_claim_is_refused_as_such(string payload)
    {
        var result = Verify(Forge(Header(), payload), IssuedAt);

        AssertError(AccessTokenError.UnrecognizedClaims, result);
        Assert.Equal("token contains unrecognized claims", result.ErrorMessage);
    }

    [Fact]
    public void The_optional_standard_claims_are_recognized()
    {
        var payload = "{\"iat\":1700000000,\"sub\":\"alice\",\"exp\":1700000480,\"iss\":\"x\",\"aud\":[\"y\"],\"jti\":\"z\",\"cidr\":[]}";

        Assert.True(Verify(Forge(Header(), payload), IssuedAt).Succeeded);
    }

    [Theory]
    [InlineData("{\"sub\":\"alice\",\"exp\":1700000480}")]
    [InlineData("{\"iat\":\"1700000000\",\"sub\":\"alice\"}")]
    [InlineData("{\"iat\":null,\"sub\":\"alice\"}")]
    [InlineData("{\"iat\":1700000000,\"sub\":\"alice\",\"exp\":\"never\"}")]
    [InlineData("{\"iat\":1700000000}")]
    [InlineData("{\"iat\":1700000000,\"sub\":\"\"}")]
    [InlineData("{\"iat\":1700000000,\"sub\":42}")]
    [InlineData("{\"iat\":1700000000,\"sub\":\"host/\"}")]
    [InlineData("{\"iat\":1700000000,\"sub\":\"alice\",\"cidr\":[\"not a cidr\"]}")]
    [InlineData("{\"iat\":1700000000,\"sub\":\"alice\",\"cidr\":[1]}")]
    [InlineData("{\"iat\":1700000000,\"sub\":\"alice\",\"cidr\":{}}")]
    public void A_signed_token_with_missing_or_ill_typed_claims_is_invalid(string payload)
    {
        var result = Verify(Forge(Header(), payload), IssuedAt);

        AssertError(AccessTokenError.Invalid, result);
        Assert.Equal("Unauthorized: Invalid token", result.ErrorMessage);
    }

    [Fact]
    public void A_missing_iat_is_reported_in_the_detail()
    {
        var result = Verify(Forge(Header(), "{\"sub\":\"alice\",\"exp\":1700000480}"), IssuedAt);

        AssertError(AccessTokenError.Invalid, result);
        Assert.Equal("iat claim missing", result.Detail);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("not json")]
    [InlineData("{\"iat\":1700000000,\"iat\":1700000001,\"sub\":\"alice\"}")]
    public void A_signed_payload_that_is_not_a_json_object_is_malformed(string payload)
    {
        AssertError(AccessTokenError.Malformed, Verify(Forge(Header(), payload), IssuedAt));
    }

    [Fact]
    public void Fractional_times_are_truncated_to_seconds()
    {
        var result = Verify(Forge(Header(), "{\"iat\":1700000000.9,\"sub\":\"alice\",\"exp\":1700000480.5}"), IssuedAt);

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal(IssuedAt, result.Token.IssuedAt);
        Assert.Equal(IssuedAt.AddSeconds(480), result.Token.ExpiresAt);
    }

    [Fact]
    public void The_cidr_claim_is_issued_and_returned()
    {
        var json = AccessTokens.Issue(_key, "alice", IssuedAt, TimeSpan.FromSeconds(480), ["10.0.0.0/8", "2001:db8::/32"]);

        var result = Verify(json, IssuedAt);

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal(["10.0.0.0/8", "2001:db8::/32"], result.Token.Cidrs);
        Assert.Contains("\"cidr\":[\"10.0.0.0/8\",\"2001:db8::/32\"]", DecodeField(Fields(json)["payload"]), StringComparison.Ordinal);
    }

    [Fact]
    public void A_single_string_cidr_claim_reads_as_a_one_element_list()
    {
        var result = Verify(Forge(Header(), "{\"iat\":1700000000,\"sub\":\"alice\",\"cidr\":\"10.0.0.5\"}"), IssuedAt);

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal(["10.0.0.5"], result.Token.Cidrs);
    }

    [Fact]
    public void A_compact_jwt_is_malformed()
    {
        var fields = Fields(Issue("alice"));
        var compact = string.Join('.', fields["protected"].TrimEnd('='), fields["payload"].TrimEnd('='), fields["signature"].TrimEnd('='));

        AssertError(AccessTokenError.Malformed, AccessTokens.Verify($"Token token=\"{ToBase64(compact)}\"", _resolve, IssuedAt));
        AssertError(AccessTokenError.Malformed, AccessTokens.Verify($"Token token=\"{compact}\"", _resolve, IssuedAt));
    }

    [Fact]
    public void Raw_token_json_inside_the_quotes_is_malformed()
    {
        // Clients must base64 the JSON (spec 1.2); the quotes inside the JSON would not survive anyway.
        AssertError(AccessTokenError.Malformed, AccessTokens.Verify($"Token token=\"{Issue("alice")}\"", _resolve, IssuedAt));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Basic YWxpY2U6cGFzc3dvcmQ=")]
    [InlineData("Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln")]
    [InlineData("Token")]
    [InlineData("Token token=abc")]
    public void A_request_without_a_token_header_reports_authorization_missing(string? header)
    {
        var result = AccessTokens.Verify(header, _resolve, IssuedAt);

        AssertError(AccessTokenError.Missing, result);
        Assert.Equal("Authorization missing", result.ErrorMessage);
    }

    [Theory]
    [InlineData("Token token=\"\"")]
    [InlineData("Token token=\"!!!!\"")]
    [InlineData("Token token=\"bm90IGpzb24=\"")]
    [InlineData("Token token=\"e30=\"")]
    [InlineData("Token token=\"W10=\"")]
    [InlineData("Token token=\"eyJwcm90ZWN0ZWQiOjEsInBheWxvYWQiOjIsInNpZ25hdHVyZSI6M30=\"")]
    public void A_token_header_that_does_not_carry_a_json_token_is_malformed(string header)
    {
        var result = AccessTokens.Verify(header, _resolve, IssuedAt);

        AssertError(AccessTokenError.Malformed, result);
        Assert.Equal("Malformed authorization token", result.ErrorMessage);
    }

    [Fact]
    public void An_oversized_header_is_malformed()
    {
        var header = "Token token=\"" + new string('A', 20_000) + "\"";

        AssertError(AccessTokenError.Malformed, AccessTokens.Verify(header, _resolve, IssuedAt));
    }

    [Fact]
    public void A_header_with_newlines_and_whitespace_in_the_base64_is_accepted()
    {
        var base64 = ToBase64(Issue("alice"));
        var wrapped = string.Join("\n", base64.Chunk(60).Select(chunk => new string(chunk)));

        Assert.True(AccessTokens.Verify($"Token token=\"{wrapped}\"", _resolve, IssuedAt).Succeeded);
        Assert.True(AccessTokens.Verify($"Token token=\"  {wrapped.Replace("\n", "\r\n ", StringComparison.Ordinal)}\n\"", _resolve, IssuedAt).Succeeded);
        Assert.True(AccessTokens.Verify($"  Token   token=\"{base64}\"  ", _resolve, IssuedAt).Succeeded);
    }

    [Fact]
    public void The_header_base64_may_be_unpadded_or_url_safe()
    {
        var base64 = ToBase64(Issue("alice") + "  ");
        Assert.EndsWith("=", base64, StringComparison.Ordinal);

        Assert.True(AccessTokens.Verify($"Token token=\"{base64.TrimEnd('=')}\"", _resolve, IssuedAt).Succeeded);
        Assert.True(AccessTokens.Verify($"Token token=\"{base64.Replace('+', '-').Replace('/', '_')}\"", _resolve, IssuedAt).Succeeded);
    }

    [Fact]
    public void The_authorization_header_helper_round_trips()
    {
        var json = Issue("alice");

        var header = AccessTokens.FormatAuthorizationHeader(json);

        Assert.Equal("Token token=\"" + Convert.ToBase64String(Encoding.UTF8.GetBytes(json)) + "\"", header);
        Assert.DoesNotContain('\n', header);
        Assert.True(AccessTokens.Verify(header, _resolve, IssuedAt).Succeeded);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(5 * 3600 + 1)]
    public void Issuing_with_a_lifetime_outside_one_second_to_five_hours_is_a_programming_error(int seconds)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AccessTokens.Issue(_key, "alice", IssuedAt, TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void Issuing_with_a_bad_cidr_is_a_programming_error()
    {
        Assert.Throws<ArgumentException>(() => AccessTokens.Issue(_key, "alice", IssuedAt, TimeSpan.FromSeconds(480), ["10.0.0.1/8"]));
    }

    [Fact]
    public void Every_error_has_conjurs_message()
    {
        Assert.Equal("Authorization missing", AccessTokens.MessageFor(AccessTokenError.Missing));
        Assert.Equal("Malformed authorization token", AccessTokens.MessageFor(AccessTokenError.Malformed));
        Assert.Equal("Unauthorized: Invalid token", AccessTokens.MessageFor(AccessTokenError.Invalid));
        Assert.Equal("token contains unrecognized claims", AccessTokens.MessageFor(AccessTokenError.UnrecognizedClaims));
    }

    [Fact]
    public void Verification_is_safe_from_many_threads_at_once()
    {
        var headers = Enumerable.Range(0, 64).Select(i => AccessTokens.FormatAuthorizationHeader(Issue($"user{i}"))).ToArray();

        var outcomes = headers.AsParallel().WithDegreeOfParallelism(8)
            .SelectMany(header => Enumerable.Range(0, 20).Select(_ => AccessTokens.Verify(header, _resolve, IssuedAt).Succeeded))
            .ToArray();

        Assert.All(outcomes, Assert.True);
    }

    [Fact]
    public void A_disposed_signing_key_refuses_to_sign()
    {
        var key = TokenSigningKey.Create();
        key.Dispose();

        Assert.Throws<ObjectDisposedException>(() => AccessTokens.Issue(key, "alice", IssuedAt, TimeSpan.FromSeconds(480)));
    }

    private string Issue(string subject) => AccessTokens.Issue(_key, subject, IssuedAt, TimeSpan.FromSeconds(480));

    private AccessTokenResult Verify(string tokenJson, DateTimeOffset now) =>
        AccessTokens.Verify(AccessTokens.FormatAuthorizationHeader(tokenJson), _resolve, now);

    private string Header() => "{\"alg\":\"ES256\",\"kid\":\"" + _key.Kid + "\"}";

    private string Forge(string headerJson, string payloadJson) => AccessTokens.Sign(_key, Utf8(headerJson), Utf8(payloadJson));

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string ToBase64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static Dictionary<string, string> Fields(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(json)!;

    private static string DecodeField(string field) =>
        Encoding.UTF8.GetString(Convert.FromBase64String(field.Replace('-', '+').Replace('_', '/')));

    private static void AssertError(AccessTokenError expected, AccessTokenResult result)
    {
        Assert.False(result.Succeeded);
        Assert.Equal(expected, result.Error);
        Assert.Equal(AccessTokens.MessageFor(expected), result.ErrorMessage);
        Assert.Null(result.Token);
    }
}
