using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Secrets.Authn.Jwt;
using Secrets.Authn.Keys;
using Secrets.Authn.Tests.Infrastructure;

namespace Secrets.Authn.Tests.Jwt;

/// <summary>
/// One test per row of the pitfall table (workload-identity.md section 4, rows 1–24; the key-source rows 25–28 are
/// in <see cref="FetchingKeysOverHttp"/>). Each negative case has a positive control next to it, so a test only
/// passes when the check it names does the refusing.
/// </summary>
public sealed class RefusingTheJwtPitfalls : JwtFixture
{
    [Theory]
    [InlineData("RS256")]
    [InlineData("RS384")]
    [InlineData("RS512")]
    [InlineData("PS256")]
    [InlineData("PS384")]
    [InlineData("PS512")]
    [InlineData("ES256")]
    [InlineData("ES384")]
    [InlineData("ES512")]
    public async Task Control_every_asymmetric_algorithm_is_accepted(string alg)
    {
        using var key = alg[0] == 'E' ? TestKey.CreateEc("k-" + alg, alg) : TestKey.CreateRsa("k-" + alg, alg);
        var keys = StaticKeySource.FromJwks(TestKey.Jwks(key.Jwk()))!;

        var result = await Validator.ValidateAsync(Token(key), keys, CancellationToken.None);

        Assert.True(result.Succeeded, result.Failure.ToString());
        Assert.Equal("workload", result.Jwt!.Subject);
        Assert.Equal(Now.AddMinutes(10), result.Jwt.ExpiresAt);
        Assert.Equal("k-" + alg, result.Kid);
    }

    [Fact]
    public async Task Row01_alg_none_is_refused()
    {
        var token = TestKey.Segment(Header("none", Rsa.Kid)) + "." + TestKey.Segment(Json(GoodClaims())) + ".";

        Assert.Equal(JwtFailure.AlgorithmNotAllowed, await FailureOfAsync(token));
        Assert.Equal(JwtFailure.AlgorithmNotAllowed, await FailureOfAsync(
            TestKey.Segment("{\"alg\":\"None\"}") + "." + TestKey.Segment(Json(GoodClaims())) + "."));
    }

    [Theory]
    [InlineData("HS256")]
    [InlineData("HS384")]
    [InlineData("HS512")]
    public async Task Row02_hmac_keyed_with_the_rsa_public_key_is_refused(string alg)
    {
        var input = TestKey.Segment(Header(alg, Rsa.Kid)) + "." + TestKey.Segment(Json(GoodClaims()));
        foreach (var secret in new[] { Rsa.SubjectPublicKeyInfo, Encoding.ASCII.GetBytes(Rsa.PublicPem) })
        {
            var mac = alg switch
            {
                "HS384" => HMACSHA384.HashData(secret, Encoding.ASCII.GetBytes(input)),
                "HS512" => HMACSHA512.HashData(secret, Encoding.ASCII.GetBytes(input)),
                _ => HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(input)),
            };

            Assert.Equal(JwtFailure.AlgorithmNotAllowed, await FailureOfAsync(input + "." + Base64Url.EncodeToString(mac)));
        }

        Assert.True((await ValidateAsync(Token(Rsa))).Succeeded);
    }

    [Fact]
    public async Task Row03_an_oct_key_in_the_jwks_is_dropped_and_hs256_refused()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var oct = Json(new Dictionary<string, string> { ["kty"] = "oct", ["kid"] = "oct-1", ["k"] = Base64Url.EncodeToString(secret) });
        var keys = StaticKeySource.FromJwks(TestKey.Jwks(oct, Rsa.Jwk()))!;
        var input = TestKey.Segment(Header("HS256", "oct-1")) + "." + TestKey.Segment(Json(GoodClaims()));
        var token = input + "." + Base64Url.EncodeToString(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(input)));

        Assert.Equal("rsa-1", Assert.Single(keys.Keys).Kid);
        Assert.Equal(JwtFailure.AlgorithmNotAllowed, (await Validator.ValidateAsync(token, keys, CancellationToken.None)).Failure);
        Assert.True((await Validator.ValidateAsync(Token(Rsa), keys, CancellationToken.None)).Succeeded);
    }

    [Fact]
    public async Task Row04_alg_key_mismatch_is_refused()
    {
        // RS256 header naming the EC key.
        Assert.Equal(JwtFailure.KeyAlgorithmMismatch, await FailureOfAsync(Rsa.Sign(Header("RS256", Ec.Kid), Json(GoodClaims()))));

        // ES384 header naming a P-256 key (signed with that key's P-256 curve and SHA-384).
        Assert.Equal(JwtFailure.KeyAlgorithmMismatch, await FailureOfAsync(Ec.Sign(Header("ES384", Ec.Kid), Json(GoodClaims()), "ES384")));

        // RS256 header with a PSS signature.
        Assert.Equal(JwtFailure.SignatureInvalid, await FailureOfAsync(Rsa.Sign(Header("RS256", Rsa.Kid), Json(GoodClaims()), "PS256")));

        // The JWK declares alg RS256: a correct PS256 signature by the same RSA key is refused.
        Assert.Equal(JwtFailure.KeyAlgorithmMismatch, await FailureOfAsync(Rsa.Sign(Header("PS256", Rsa.Kid), Json(GoodClaims()), "PS256")));

        // An ECDSA signature in DER instead of r‖s.
        var input = TestKey.Segment(Header("ES256", Ec.Kid)) + "." + TestKey.Segment(Json(GoodClaims()));
        var der = Ec.Ec!.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        Assert.Equal(JwtFailure.SignatureInvalid, await FailureOfAsync(input + "." + Base64Url.EncodeToString(der)));

        Assert.True((await ValidateAsync(Token(Ec))).Succeeded);
    }

    [Fact]
    public async Task Row05_a_missing_empty_wrong_or_differently_cased_audience_is_refused()
    {
        Assert.Equal(JwtFailure.AudienceMissing, await FailureOfAsync(Token(Rsa, c => c.Remove("aud"))));
        Assert.Equal(JwtFailure.AudienceMissing, await FailureOfAsync(Token(Rsa, c => c["aud"] = Array.Empty<string>())));
        Assert.Equal(JwtFailure.AudienceMissing, await FailureOfAsync(Token(Rsa, c => c["aud"] = "")));
        Assert.Equal(JwtFailure.AudienceMissing, await FailureOfAsync(Token(Rsa, c => c["aud"] = 42)));
        Assert.Equal(JwtFailure.AudienceMismatch, await FailureOfAsync(Token(Rsa, c => c["aud"] = "other")));
        Assert.Equal(JwtFailure.AudienceMismatch, await FailureOfAsync(Token(Rsa, c => c["aud"] = "SECRETS-TEST")));

        Assert.True((await ValidateAsync(Token(Rsa, c => c["aud"] = new[] { "other", Audience }))).Succeeded);
        Assert.True((await ValidateAsync(Token(Rsa, c => c["aud"] = Audience))).Succeeded);
        Assert.Throws<ArgumentException>(() => new JwtValidationOptions { Issuer = Issuer, Audiences = [] });
    }

    [Fact]
    public async Task Row06_a_multi_audience_token_is_accepted_only_with_ours_in_it()
    {
        Assert.Equal(JwtFailure.AudienceMismatch, await FailureOfAsync(Token(Rsa, c => c["aud"] = new[] { "a", "b" })));
        var ok = await ValidateAsync(Token(Rsa, c => c["aud"] = new[] { "a", Audience }));

        Assert.True(ok.Succeeded);
        Assert.Equal(["a", Audience], ok.Jwt!.Audiences);
    }

    [Fact]
    public async Task Row07_a_token_without_exp_is_refused()
    {
        Assert.Equal(JwtFailure.ExpiryMissing, await FailureOfAsync(Token(Rsa, c => c.Remove("exp"))));
    }

    [Fact]
    public async Task Row08_expired_and_not_yet_valid_tokens_are_refused_with_a_30_second_skew()
    {
        Assert.Equal(JwtFailure.Expired, await FailureOfAsync(Token(Rsa, c =>
        {
            c["iat"] = Seconds(Now.AddMinutes(-14));
            c["exp"] = Seconds(Now.AddMinutes(-4));
        })));
        Assert.Equal(JwtFailure.NotYetValid, await FailureOfAsync(Token(Rsa, c => c["nbf"] = Seconds(Now.AddMinutes(10)))));

        // Within the skew: accepted.
        Assert.True((await ValidateAsync(Token(Rsa, c => c["exp"] = Seconds(Now.AddSeconds(-20))))).Succeeded);
        Assert.True((await ValidateAsync(Token(Rsa, c => c["nbf"] = Seconds(Now.AddSeconds(20))))).Succeeded);

        // The clock is the injected one.
        var token = Token(Rsa);
        Time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(JwtFailure.Expired, await FailureOfAsync(token));
    }

    [Fact]
    public async Task Row09_an_iat_in_the_future_is_refused()
    {
        Assert.Equal(JwtFailure.IssuedInFuture, await FailureOfAsync(Token(Rsa, c => c["iat"] = Seconds(Now.AddDays(1)))));
        Assert.True((await ValidateAsync(Token(Rsa, c => c["iat"] = Seconds(Now.AddSeconds(20))))).Succeeded);
    }

    [Fact]
    public async Task Row10_an_over_long_lifetime_is_refused()
    {
        // The 1-year "extended" Kubernetes default token.
        Assert.Equal(JwtFailure.LifetimeTooLong, await FailureOfAsync(Token(Rsa, c => c["exp"] = Seconds(Now.AddDays(365)))));

        // Without iat the lifetime counts from now.
        Assert.Equal(JwtFailure.LifetimeTooLong, await FailureOfAsync(Token(Rsa, c =>
        {
            c.Remove("iat");
            c["exp"] = Seconds(Now.AddDays(2));
        })));

        Assert.True((await ValidateAsync(Token(Rsa, c => c["exp"] = Seconds(Now.AddHours(23))))).Succeeded);
        var shortLived = new StrictJwtValidator(
            new JwtValidationOptions { Issuer = Issuer, Audiences = [Audience], MaxLifetime = TimeSpan.FromMinutes(5) }, Time);
        Assert.Equal(JwtFailure.LifetimeTooLong, (await shortLived.ValidateAsync(Token(Rsa), Keys, CancellationToken.None)).Failure);
    }

    [Fact]
    public async Task Row11_time_claims_encoded_as_strings_are_refused()
    {
        Assert.Equal(JwtFailure.TimeClaimInvalid, await FailureOfAsync(Token(Rsa, c => c["exp"] = Seconds(Now.AddMinutes(5)).ToString(System.Globalization.CultureInfo.InvariantCulture))));
        Assert.Equal(JwtFailure.TimeClaimInvalid, await FailureOfAsync(Token(Rsa, c => c["iat"] = "1")));
        Assert.Equal(JwtFailure.TimeClaimInvalid, await FailureOfAsync(Token(Rsa, c => c["nbf"] = true)));
        Assert.Equal(JwtFailure.TimeClaimInvalid, await FailureOfAsync(Token(Rsa, c => c["exp"] = -1)));
    }

    [Fact]
    public async Task Row12_an_unknown_kid_and_a_missing_kid_with_several_keys_are_refused()
    {
        Assert.Equal(JwtFailure.UnknownKid, await FailureOfAsync(Rsa.Sign(Header("RS256", "bogus"), Json(GoodClaims()))));
        Assert.Equal(JwtFailure.KidRequired, await FailureOfAsync(Rsa.Sign(Header("RS256", null), Json(GoodClaims()))));

        // A single-key set: a token without kid uses that key.
        var single = StaticKeySource.FromJwks(TestKey.Jwks(Rsa.Jwk()))!;
        var result = await Validator.ValidateAsync(Rsa.Sign(Header("RS256", null), Json(GoodClaims())), single, CancellationToken.None);
        Assert.True(result.Succeeded);
    }

    [Fact]
    public async Task Row13_a_key_of_another_issuer_does_not_verify_our_tokens()
    {
        // Issuer B's key, published by B with the same kid as one of our issuer's keys, signs a token claiming to
        // come from our issuer. Our source holds only our issuer's keys, so the signature fails.
        using var other = TestKey.CreateRsa(Rsa.Kid);
        var forged = other.Sign(Header("RS256", Rsa.Kid), Json(GoodClaims()));
        Assert.Equal(JwtFailure.SignatureInvalid, await FailureOfAsync(forged));

        // B's genuine token, validated by B's own source, still fails our issuer check.
        var sourceOfB = StaticKeySource.FromJwks(TestKey.Jwks(other.Jwk()))!;
        var claimsOfB = GoodClaims();
        claimsOfB["iss"] = "https://b.example.test";
        var tokenOfB = other.Sign(Header("RS256", Rsa.Kid), Json(claimsOfB));
        Assert.Equal(JwtFailure.IssuerMismatch, (await Validator.ValidateAsync(tokenOfB, sourceOfB, CancellationToken.None)).Failure);
    }

    [Fact]
    public async Task Row14_a_crit_header_is_refused()
    {
        var token = Rsa.Sign("{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"crit\":[\"x\"],\"x\":1}", Json(GoodClaims()));
        Assert.Equal(JwtFailure.HeaderNotAllowed, await FailureOfAsync(token));
    }

    [Theory]
    [InlineData("jku", "\"https://attacker.example/jwks\"")]
    [InlineData("x5u", "\"https://attacker.example/cert.pem\"")]
    [InlineData("jwk", "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}")]
    [InlineData("x5c", "[\"MIIB\"]")]
    [InlineData("x5t", "\"abc\"")]
    [InlineData("b64", "false")]
    [InlineData("Kid", "\"rsa-1\"")]
    public async Task Row15_key_supplying_and_unknown_headers_are_refused(string member, string value)
    {
        var token = Rsa.Sign("{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"" + member + "\":" + value + "}", Json(GoodClaims()));
        Assert.Equal(JwtFailure.HeaderNotAllowed, await FailureOfAsync(token));
    }

    [Fact]
    public async Task Row16_kid_abuse_is_refused()
    {
        Assert.Equal(JwtFailure.KidInvalid, await FailureOfAsync(Rsa.Sign(Header("RS256", new string('a', 10 * 1024)), Json(GoodClaims()))));
        Assert.Equal(JwtFailure.KidInvalid, await FailureOfAsync(Rsa.Sign(Header("RS256", "x' OR '1'='1"), Json(GoodClaims()))));
        Assert.Equal(JwtFailure.KidInvalid, await FailureOfAsync(Rsa.Sign(Header("RS256", "a\nb"), Json(GoodClaims()))));
        Assert.Equal(JwtFailure.KidInvalid, await FailureOfAsync(Rsa.Sign(Header("RS256", ""), Json(GoodClaims()))));
        Assert.Equal(JwtFailure.KidInvalid, await FailureOfAsync(Rsa.Sign("{\"alg\":\"RS256\",\"kid\":7}", Json(GoodClaims()))));

        // A path-like kid is only ever a lookup key: unknown, never a file.
        Assert.Equal(JwtFailure.UnknownKid, await FailureOfAsync(Rsa.Sign(Header("RS256", "../../x"), Json(GoodClaims()))));
        Assert.True(JwtHeaderRules.IsValidKid(new string('a', JwtHeaderRules.MaxKidLength)));
        Assert.False(JwtHeaderRules.IsValidKid(new string('a', JwtHeaderRules.MaxKidLength + 1)));
    }

    [Theory]
    [InlineData("cty", "\"JWT\"")]
    [InlineData("zip", "\"DEF\"")]
    [InlineData("enc", "\"A256GCM\"")]
    public async Task Row17_nested_and_encryption_headers_are_refused(string member, string value)
    {
        var token = Rsa.Sign("{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"" + member + "\":" + value + "}", Json(GoodClaims()));
        Assert.Equal(JwtFailure.HeaderNotAllowed, await FailureOfAsync(token));
    }

    [Fact]
    public async Task Row17_a_five_segment_jwe_is_refused()
    {
        var jwe = TestKey.Segment("{\"alg\":\"RSA-OAEP\",\"enc\":\"A256GCM\"}") + ".AAAA.AAAA.AAAA.AAAA";
        Assert.Equal(JwtFailure.EncryptedTokenRefused, await FailureOfAsync(jwe));
        Assert.Equal(JwtFailure.Malformed, await FailureOfAsync(Token(Rsa) + ".AAAA"));
        Assert.Equal(JwtFailure.Malformed, await FailureOfAsync(Token(Rsa).Split('.')[0] + "." + Token(Rsa).Split('.')[1]));
    }

    [Fact]
    public async Task Row18_the_json_serialization_is_refused()
    {
        var parts = Token(Rsa).Split('.');
        var json = "{\"protected\":\"" + parts[0] + "\",\"payload\":\"" + parts[1] + "\",\"signature\":\"" + parts[2] + "\"}";
        Assert.Equal(JwtFailure.Malformed, await FailureOfAsync(json));
    }

    [Fact]
    public async Task Row19_an_oversized_token_is_refused_before_parsing()
    {
        var huge = Token(Rsa, c => c["pad"] = new string('x', 300 * 1024));
        Assert.Equal(JwtFailure.TooLarge, await FailureOfAsync(huge));

        // The cap is exact: one character over the limit fails; the same token under a larger cap passes.
        var padded = Token(Rsa, c => c["pad"] = new string('x', 8 * 1024));
        var capped = new StrictJwtValidator(new JwtValidationOptions { Issuer = Issuer, Audiences = [Audience], MaxTokenBytes = padded.Length - 1 }, Time);
        Assert.Equal(JwtFailure.TooLarge, (await capped.ValidateAsync(padded, Keys, CancellationToken.None)).Failure);
        Assert.True((await ValidateAsync(padded)).Succeeded);
    }

    [Fact]
    public async Task Row20_duplicate_json_members_are_refused()
    {
        var payload = Json(GoodClaims());
        var duplicateSub = payload.Replace("\"sub\":\"workload\"", "\"sub\":\"workload\",\"sub\":\"admin\"", StringComparison.Ordinal);
        Assert.Equal(JwtFailure.DuplicateMember, await FailureOfAsync(Rsa.Sign(Header("RS256", Rsa.Kid), duplicateSub)));

        var nested = payload.TrimEnd('}') + ",\"kubernetes.io\":{\"namespace\":\"a\",\"namespace\":\"b\"}}";
        Assert.Equal(JwtFailure.DuplicateMember, await FailureOfAsync(Rsa.Sign(Header("RS256", Rsa.Kid), nested)));

        Assert.Equal(JwtFailure.DuplicateMember, await FailureOfAsync(Rsa.Sign("{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"kid\":\"ec-1\"}", payload)));
        Assert.Equal(JwtFailure.DuplicateMember, await FailureOfAsync(Rsa.Sign("{\"alg\":\"none\",\"alg\":\"RS256\",\"kid\":\"rsa-1\"}", payload)));
    }

    [Fact]
    public async Task Row21_case_variant_claims_are_never_read_as_the_registered_claim()
    {
        var result = await ValidateAsync(Token(Rsa, c =>
        {
            c["SUB"] = "admin";
            c["\u017Fub"] = "admin";
            c["ISS"] = "https://attacker.example";
        }));

        Assert.True(result.Succeeded);
        Assert.Equal("workload", result.Jwt!.Subject);
        Assert.Equal(Issuer, result.Jwt.Issuer);
        Assert.Equal(JwtFailure.AudienceMissing, await FailureOfAsync(Token(Rsa, c =>
        {
            c.Remove("aud");
            c["AUD"] = Audience;
        })));
    }

    [Fact]
    public async Task Row22_typ_other_than_jwt_or_jose_is_refused()
    {
        Assert.True((await ValidateAsync(Rsa.Sign(Header("RS256", Rsa.Kid), Json(GoodClaims())))).Succeeded);
        Assert.True((await ValidateAsync(Rsa.Sign(Header("RS256", Rsa.Kid, "JWT"), Json(GoodClaims())))).Succeeded);
        Assert.True((await ValidateAsync(Rsa.Sign(Header("RS256", Rsa.Kid, "jose"), Json(GoodClaims())))).Succeeded);

        Assert.Equal(JwtFailure.TypeNotAllowed, await FailureOfAsync(Rsa.Sign(Header("RS256", Rsa.Kid, "at+jwt"), Json(GoodClaims()))));
        Assert.Equal(JwtFailure.TypeNotAllowed, await FailureOfAsync(Rsa.Sign("{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"typ\":1}", Json(GoodClaims()))));

        var typed = new StrictJwtValidator(new JwtValidationOptions { Issuer = Issuer, Audiences = [Audience], AllowMissingType = false }, Time);
        Assert.Equal(JwtFailure.TypeNotAllowed, (await typed.ValidateAsync(Token(Rsa), Keys, CancellationToken.None)).Failure);
    }

    [Fact]
    public async Task Row23_an_issuer_with_a_trailing_slash_other_case_or_missing_is_refused()
    {
        Assert.Equal(JwtFailure.IssuerMismatch, await FailureOfAsync(Token(Rsa, c => c["iss"] = Issuer + "/")));
        Assert.Equal(JwtFailure.IssuerMismatch, await FailureOfAsync(Token(Rsa, c => c["iss"] = Issuer.ToUpperInvariant())));
        Assert.Equal(JwtFailure.IssuerMismatch, await FailureOfAsync(Token(Rsa, c => c.Remove("iss"))));
        Assert.Equal(JwtFailure.IssuerMismatch, await FailureOfAsync(Token(Rsa, c => c["iss"] = new[] { Issuer })));
    }

    [Fact]
    public async Task Row24_a_flipped_signature_bit_or_an_edited_payload_is_refused()
    {
        var parts = Token(Rsa).Split('.');
        var signature = Base64Url.DecodeFromChars(parts[2]);
        signature[100] ^= 0x01;
        Assert.Equal(JwtFailure.SignatureInvalid, await FailureOfAsync(parts[0] + "." + parts[1] + "." + Base64Url.EncodeToString(signature)));

        var edited = GoodClaims();
        edited["sub"] = "admin";
        Assert.Equal(JwtFailure.SignatureInvalid, await FailureOfAsync(parts[0] + "." + TestKey.Segment(Json(edited)) + "." + parts[2]));
        Assert.Equal(JwtFailure.SignatureInvalid, await FailureOfAsync(parts[0] + "." + parts[1] + "."));
    }

    [Fact]
    public async Task Base64url_must_be_canonical_without_padding_or_whitespace()
    {
        var token = Token(Ec);
        var parts = token.Split('.');
        Assert.True((await ValidateAsync(token)).Succeeded);

        Assert.Equal(JwtFailure.Malformed, await FailureOfAsync(parts[0] + "=." + parts[1] + "." + parts[2]));
        Assert.Equal(JwtFailure.Malformed, await FailureOfAsync(parts[0] + "." + parts[1] + " ." + parts[2]));
        Assert.Equal(JwtFailure.Malformed, await FailureOfAsync(parts[0].Replace('-', '+') + "+." + parts[1] + "." + parts[2]));

        // ES256 signatures are 64 bytes: 86 characters whose last one carries 2 unused bits. Setting them gives a
        // different text for the same bytes, which is refused.
        var last = parts[2][^1];
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var sibling = alphabet[alphabet.IndexOf(last, StringComparison.Ordinal) | 1];
        if (sibling != last)
        {
            Assert.Equal(JwtFailure.Malformed, await FailureOfAsync(parts[0] + "." + parts[1] + "." + parts[2][..^1] + sibling));
        }
        else
        {
            Assert.Equal(JwtFailure.Malformed, await FailureOfAsync(parts[0] + "." + parts[1] + "." + parts[2][..^1] + alphabet[alphabet.IndexOf(last, StringComparison.Ordinal) - 1]));
        }
    }

    [Fact]
    public async Task A_header_or_payload_that_is_not_a_json_object_is_malformed()
    {
        Assert.Equal(JwtFailure.Malformed, await FailureOfAsync(Rsa.Sign("[\"RS256\"]", Json(GoodClaims()))));
        Assert.Equal(JwtFailure.Malformed, await FailureOfAsync(Rsa.Sign(Header("RS256", Rsa.Kid), "[1]")));
        Assert.Equal(JwtFailure.Malformed, await FailureOfAsync(Rsa.Sign(Header("RS256", Rsa.Kid), "{\"sub\":")));
        Assert.Equal(JwtFailure.Malformed, await FailureOfAsync(""));
        Assert.Equal(JwtFailure.Malformed, await FailureOfAsync(".."));
    }

    [Fact]
    public async Task A_non_string_sub_is_refused()
    {
        Assert.Equal(JwtFailure.SubjectInvalid, await FailureOfAsync(Token(Rsa, c => c["sub"] = 1)));
    }

    [Fact]
    public async Task The_failure_result_names_the_kid_and_issuer_for_the_audit()
    {
        var result = await ValidateAsync(Token(Rsa, c => c["aud"] = "other"));

        Assert.Equal(JwtFailure.AudienceMismatch, result.Failure);
        Assert.Equal("rsa-1", result.Kid);
        Assert.Equal(Issuer, result.UnverifiedIssuer);
        Assert.Null(result.Jwt);
        Assert.Equal(64, JwtToken.Fingerprint("abc").Length);
    }
}
