using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Secrets.Authn.Jwt;
using Secrets.Authn.Spiffe;
using Secrets.Authn.Tests.Infrastructure;

namespace Secrets.Authn.Tests.Spiffe;

/// <summary>
/// The JWT-SVID conformance cases JV-1…25 and JB-4…8 (spiffe-conformance-test-suite TEST_CATALOGUE §6), each with
/// its positive control. Trust domain <c>a.test</c> has an ES256 key, an RSA key and the three other curves; trust
/// domain <c>b.test</c> has its own key.
/// </summary>
public sealed class ValidatingJwtSvids
{
    private const string Audience = "secrets-test";
    private const string Sub = "spiffe://a.test/ns/prod/sa/web";

    private static readonly TestKey A = TestKey.CreateEc("a-1");
    private static readonly TestKey ARsa = TestKey.CreateRsa("a-rsa");
    private static readonly TestKey A384 = TestKey.CreateEc("a-384", "ES384");
    private static readonly TestKey A521 = TestKey.CreateEc("a-521", "ES512");
    private static readonly TestKey B = TestKey.CreateEc("b-1");

    private readonly FakeTimeProvider _time = new(SvidFactory.Now);
    private readonly JwtSvidValidator _validator;
    private readonly SpiffeTrustDomains _trust;

    public ValidatingJwtSvids()
    {
        _validator = new JwtSvidValidator(new JwtSvidValidationOptions { Audiences = [Audience] }, _time);
        _trust = new SpiffeTrustDomains([
            Static("a.test", A.Jwk(use: "jwt-svid"), ARsa.Jwk(withAlg: false, use: "jwt-svid"), A384.Jwk(use: "jwt-svid"), A521.Jwk(use: "jwt-svid")),
            Static("b.test", B.Jwk(use: "jwt-svid")),
        ]);
    }

    [Fact]
    public async Task JV1_a_valid_token_gives_its_sub_as_the_spiffe_id()
    {
        var result = await ValidateAsync(Token(A));
        Assert.True(result.Succeeded, result.Failure + "/" + result.JwtFailure);
        Assert.Equal(Sub, result.SpiffeId!.ToString());
        Assert.Equal(SvidFactory.Now.AddMinutes(5), result.Jwt!.ExpiresAt);
    }

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
    public async Task JV2_every_supported_algorithm_is_accepted(string alg)
    {
        var key = alg switch { "ES256" => A, "ES384" => A384, "ES512" => A521, _ => ARsa };
        var token = key.Sign(Header(alg, key.Kid), Json(Claims()), alg);
        Assert.True((await ValidateAsync(token)).Succeeded);
    }

    [Fact]
    public async Task JV3_alg_none_is_refused()
    {
        Assert.True((await ValidateAsync(Token(A))).Succeeded);
        var token = TestKey.Segment("{\"alg\":\"none\",\"kid\":\"a-1\"}") + "." + TestKey.Segment(Json(Claims())) + ".";
        await AssertJwtFailureAsync(token, JwtFailure.AlgorithmNotAllowed);
    }

    [Theory]
    [InlineData("HS256")]
    [InlineData("HS384")]
    [InlineData("HS512")]
    public async Task JV4_hmac_is_refused_even_keyed_with_the_bundle_keys_pem(string alg)
    {
        var input = TestKey.Segment(Header(alg, ARsa.Kid)) + "." + TestKey.Segment(Json(Claims()));
        var key = Encoding.ASCII.GetBytes(ARsa.PublicPem);
        var mac = alg switch
        {
            "HS384" => HMACSHA384.HashData(key, Encoding.ASCII.GetBytes(input)),
            "HS512" => HMACSHA512.HashData(key, Encoding.ASCII.GetBytes(input)),
            _ => HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(input)),
        };
        await AssertJwtFailureAsync(input + "." + Base64Url.EncodeToString(mac), JwtFailure.AlgorithmNotAllowed);
    }

    [Fact]
    public async Task JV5_eddsa_is_refused_even_with_an_ed25519_key_in_the_bundle()
    {
        var okp = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"ed\",\"use\":\"jwt-svid\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";
        var trust = new SpiffeTrustDomains([Static("a.test", A.Jwk(use: "jwt-svid"), okp)]);
        Assert.True((await _validator.ValidateAsync(Token(A), trust, default)).Succeeded);
        var token = TestKey.Segment(Header("EdDSA", "ed")) + "." + TestKey.Segment(Json(Claims())) + "." + Base64Url.EncodeToString(new byte[64]);
        var result = await _validator.ValidateAsync(token, trust, default);
        Assert.Equal(JwtFailure.AlgorithmNotAllowed, result.JwtFailure);
    }

    [Fact]
    public async Task JV6_an_alg_that_does_not_fit_the_key_is_refused()
    {
        Assert.True((await ValidateAsync(Token(A))).Succeeded);
        await AssertJwtFailureAsync(ARsa.Sign(Header("RS256", A.Kid), Json(Claims()), "RS256"), JwtFailure.KeyAlgorithmMismatch);
        await AssertJwtFailureAsync(A384.Sign(Header("ES384", A.Kid), Json(Claims()), "ES384"), JwtFailure.KeyAlgorithmMismatch);
    }

    [Fact]
    public async Task JV7_JV8_the_audience_is_required_and_must_be_ours()
    {
        Assert.True((await ValidateAsync(Token(A))).Succeeded);
        await AssertJwtFailureAsync(Token(A, c => c.Remove("aud")), JwtFailure.AudienceMissing);
        await AssertJwtFailureAsync(Token(A, c => c["aud"] = Array.Empty<string>()), JwtFailure.AudienceMissing);
        await AssertJwtFailureAsync(Token(A, c => c["aud"] = "other"), JwtFailure.AudienceMismatch);
        await AssertJwtFailureAsync(Token(A, c => c["aud"] = "SECRETS-TEST"), JwtFailure.AudienceMismatch);
        Assert.Throws<ArgumentException>(() => new JwtSvidValidator(new JwtSvidValidationOptions { Audiences = [] }, _time));
    }

    [Fact]
    public async Task JV9_JV10_an_audience_array_containing_ours_and_a_single_string_are_accepted()
    {
        Assert.True((await ValidateAsync(Token(A, c => c["aud"] = new[] { "other", Audience }))).Succeeded);
        Assert.True((await ValidateAsync(Token(A, c => c["aud"] = Audience))).Succeeded);
    }

    [Fact]
    public async Task JV11_JV12_JV13_exp_is_required_and_the_lifetime_is_checked()
    {
        Assert.True((await ValidateAsync(Token(A))).Succeeded);
        await AssertJwtFailureAsync(Token(A, c => c.Remove("exp")), JwtFailure.ExpiryMissing);
        await AssertJwtFailureAsync(Token(A, c => c["exp"] = Seconds(SvidFactory.Now.AddMinutes(-5))), JwtFailure.Expired);
        await AssertJwtFailureAsync(Token(A, c => c["nbf"] = Seconds(SvidFactory.Now.AddMinutes(5))), JwtFailure.NotYetValid);
    }

    [Fact]
    public async Task JV14_JV15_a_tampered_signature_or_payload_is_refused()
    {
        var token = Token(A);
        Assert.True((await ValidateAsync(token)).Succeeded);
        var parts = token.Split('.');
        var signature = Base64Url.DecodeFromChars(parts[2]);
        signature[10] ^= 1;
        await AssertJwtFailureAsync(parts[0] + "." + parts[1] + "." + Base64Url.EncodeToString(signature), JwtFailure.SignatureInvalid);

        var forged = Claims();
        forged["sub"] = "spiffe://a.test/ns/prod/sa/admin";
        await AssertJwtFailureAsync(parts[0] + "." + TestKey.Segment(Json(forged)) + "." + parts[2], JwtFailure.SignatureInvalid);
    }

    [Fact]
    public async Task JV16_a_key_that_is_not_in_the_bundle_is_refused()
    {
        using var stranger = TestKey.CreateEc("stranger");
        Assert.True((await ValidateAsync(Token(A))).Succeeded);
        await AssertJwtFailureAsync(Token(stranger), JwtFailure.UnknownKid);
        await AssertJwtFailureAsync(stranger.Sign(Header("ES256", A.Kid), Json(Claims())), JwtFailure.SignatureInvalid);
    }

    [Fact]
    public async Task JV17_a_sub_in_trust_domain_b_signed_by_a_key_of_trust_domain_a_never_verifies()
    {
        Assert.True((await ValidateAsync(Token(B, c => c["sub"] = "spiffe://b.test/x"))).Succeeded);
        await AssertJwtFailureAsync(Token(A, c => c["sub"] = "spiffe://b.test/x"), JwtFailure.UnknownKid);

        // Without a kid, only b.test's single key may verify: a's key does not.
        await AssertJwtFailureAsync(A.Sign(Header("ES256", null), Json(Claims("spiffe://b.test/x"))), JwtFailure.SignatureInvalid);
    }

    [Fact]
    public async Task JV18_a_sub_whose_trust_domain_is_not_configured_is_refused()
    {
        var result = await ValidateAsync(Token(A, c => c["sub"] = "spiffe://c.test/x"));
        Assert.Equal(SvidFailure.UnknownTrustDomain, result.Failure);
        Assert.Equal("spiffe://c.test/x", result.SpiffeId!.ToString());
    }

    [Theory]
    [InlineData("web")]
    [InlineData("https://a.test/x")]
    [InlineData("spiffe://A.test/x")]
    [InlineData("spiffe://a.test/x/../y")]
    [InlineData("spiffe://a.test:443/x")]
    [InlineData(null)]
    public async Task JV19_a_sub_that_is_not_a_spiffe_id_is_refused(string? sub)
    {
        Assert.True((await ValidateAsync(Token(A))).Succeeded);
        var result = await ValidateAsync(Token(A, c => c["sub"] = sub));
        Assert.Equal(SvidFailure.SubjectNotSpiffeId, result.Failure);
    }

    [Fact]
    public async Task A_sub_naming_only_the_trust_domain_is_not_a_workload()
    {
        var result = await ValidateAsync(Token(A, c => c["sub"] = "spiffe://a.test"));
        Assert.Equal(SvidFailure.SpiffeIdWithoutPath, result.Failure);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("JWT")]
    [InlineData("JOSE")]
    public async Task JV20_typ_absent_jwt_or_jose_is_accepted(string? typ) =>
        Assert.True((await ValidateAsync(A.Sign(Header("ES256", A.Kid, typ), Json(Claims())))).Succeeded);

    [Theory]
    [InlineData("at+jwt")]
    [InlineData("JWS")]
    [InlineData("secevent+jwt")]
    [InlineData("")]
    public async Task JV21_any_other_typ_is_refused(string typ) =>
        await AssertJwtFailureAsync(A.Sign(Header("ES256", A.Kid, typ), Json(Claims())), JwtFailure.TypeNotAllowed);

    [Fact]
    public async Task JV22_a_token_without_kid_is_accepted_against_a_single_key_bundle_only()
    {
        Assert.True((await ValidateAsync(B.Sign(Header("ES256", null), Json(Claims("spiffe://b.test/x"))))).Succeeded);

        // a.test has several keys: which one a kid-less token means is ambiguous, and trying all is refused.
        await AssertJwtFailureAsync(A.Sign(Header("ES256", null), Json(Claims())), JwtFailure.KidRequired);
    }

    [Fact]
    public async Task JV23_an_unknown_crit_header_is_refused()
    {
        Assert.True((await ValidateAsync(Token(A))).Succeeded);
        await AssertJwtFailureAsync(A.Sign("{\"alg\":\"ES256\",\"kid\":\"a-1\",\"crit\":[\"x\"],\"x\":1}", Json(Claims())), JwtFailure.HeaderNotAllowed);
        await AssertJwtFailureAsync(A.Sign("{\"alg\":\"ES256\",\"kid\":\"a-1\",\"jku\":\"https://evil/jwks\"}", Json(Claims())), JwtFailure.HeaderNotAllowed);
    }

    [Fact]
    public async Task JV24_json_serialization_is_refused()
    {
        var parts = Token(A).Split('.');
        var json = "{\"payload\":\"" + parts[1] + "\",\"protected\":\"" + parts[0] + "\",\"signature\":\"" + parts[2] + "\"}";
        await AssertJwtFailureAsync(json, JwtFailure.Malformed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a.b")]
    [InlineData("a.b.c.d")]
    [InlineData("!!!.e30.sig")]
    [InlineData("eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.AAAA")]
    public async Task JV25_malformed_compact_tokens_are_refused(string token)
    {
        var result = await ValidateAsync(token);
        Assert.Equal(SvidFailure.Jwt, result.Failure);
        Assert.Contains(result.JwtFailure, new[] { JwtFailure.Malformed, JwtFailure.AlgorithmNotAllowed });
    }

    [Fact]
    public async Task JB4_the_key_is_selected_by_kid_among_several()
    {
        Assert.True((await ValidateAsync(Token(A384))).Succeeded);
        Assert.True((await ValidateAsync(Token(A))).Succeeded);
        await AssertJwtFailureAsync(A.Sign(Header("ES256", A384.Kid), Json(Claims())), JwtFailure.KeyAlgorithmMismatch);
    }

    [Fact]
    public async Task JB5_keys_whose_use_is_not_jwt_svid_or_missing_are_ignored()
    {
        using var x509Use = TestKey.CreateEc("x509-use");
        using var noUse = TestKey.CreateEc("no-use");
        using var sigUse = TestKey.CreateEc("sig-use");
        var trust = new SpiffeTrustDomains([Static("a.test", A.Jwk(use: "jwt-svid"), x509Use.Jwk(use: "x509-svid"), noUse.Jwk(use: null), sigUse.Jwk(use: "sig"))]);
        Assert.True((await _validator.ValidateAsync(Token(A), trust, default)).Succeeded);
        foreach (var key in new[] { x509Use, noUse, sigUse })
        {
            Assert.Equal(JwtFailure.UnknownKid, (await _validator.ValidateAsync(Token(key), trust, default)).JwtFailure);
        }
    }

    [Fact]
    public async Task JB6_an_unknown_kty_is_ignored_without_discarding_the_rest()
    {
        var trust = new SpiffeTrustDomains([Static("a.test",
            "{\"kty\":\"oct\",\"kid\":\"hmac\",\"use\":\"jwt-svid\",\"k\":\"c2VjcmV0\"}",
            "{\"kty\":\"XYZ\",\"kid\":\"xyz\",\"use\":\"jwt-svid\"}",
            A.Jwk(use: "jwt-svid"))]);
        Assert.True((await _validator.ValidateAsync(Token(A), trust, default)).Succeeded);
        var mac = TestKey.Segment(Header("HS256", "hmac")) + "." + TestKey.Segment(Json(Claims()));
        var signature = HMACSHA256.HashData("secret"u8.ToArray(), Encoding.ASCII.GetBytes(mac));
        Assert.False((await _validator.ValidateAsync(mac + "." + Base64Url.EncodeToString(signature), trust, default)).Succeeded);
    }

    [Fact]
    public async Task JB7_an_empty_keys_array_trusts_nothing()
    {
        var trust = new SpiffeTrustDomains([Static("a.test"), Static("b.test", B.Jwk(use: "jwt-svid"))]);
        Assert.True((await _validator.ValidateAsync(Token(B, c => c["sub"] = "spiffe://b.test/x"), trust, default)).Succeeded);
        Assert.Equal(SvidFailure.TrustDomainTrustsNothing, (await _validator.ValidateAsync(Token(A), trust, default)).Failure);
        Assert.Equal(SvidFailure.TrustDomainTrustsNothing, (await _validator.ValidateAsync(A.Sign(Header("ES256", null), Json(Claims())), trust, default)).Failure);
    }

    [Fact]
    public async Task JB8_a_token_of_a_federated_trust_domain_is_verified_with_that_trust_domains_bundle()
    {
        var result = await ValidateAsync(Token(B, c => c["sub"] = "spiffe://b.test/ns/x"));
        Assert.True(result.Succeeded);
        Assert.Equal("b.test", result.SpiffeId!.TrustDomain);
    }

    [Fact]
    public async Task The_lifetime_and_iat_rules_of_the_strict_validator_apply()
    {
        await AssertJwtFailureAsync(Token(A, c => c["iat"] = Seconds(SvidFactory.Now.AddDays(1))), JwtFailure.IssuedInFuture);
        await AssertJwtFailureAsync(Token(A, c => c["exp"] = Seconds(SvidFactory.Now.AddDays(2))), JwtFailure.LifetimeTooLong);
        await AssertJwtFailureAsync(Token(A, c => c["exp"] = Seconds(SvidFactory.Now.AddMinutes(5)).ToString(System.Globalization.CultureInfo.InvariantCulture)), JwtFailure.TimeClaimInvalid);
        await AssertJwtFailureAsync(A.Sign(Header("ES256", A.Kid), "{\"sub\":\"" + Sub + "\",\"sub\":\"spiffe://a.test/admin\",\"aud\":\"" + Audience + "\",\"exp\":" + Seconds(SvidFactory.Now.AddMinutes(5)) + "}"), JwtFailure.DuplicateMember);
    }

    [Fact]
    public async Task Iss_is_neither_required_nor_checked()
    {
        Assert.True((await ValidateAsync(Token(A, c => c.Remove("iss")))).Succeeded);
        Assert.True((await ValidateAsync(Token(A, c => c["iss"] = "https://spire.example"))).Succeeded);
    }

    internal static StaticSpiffeBundleSource Static(string trustDomain, params string[] jwks)
    {
        Assert.True(SpiffeBundle.TryParse(trustDomain, TestKey.Jwks(jwks), out var bundle, out var error), error.ToString());
        return new StaticSpiffeBundleSource(bundle!);
    }

    private static long Seconds(DateTimeOffset time) => time.ToUnixTimeSeconds();

    private static string Json(object value) => JsonSerializer.Serialize(value);

    private static string Header(string alg, string? kid, string? typ = null)
    {
        var header = new Dictionary<string, object?> { ["alg"] = alg };
        if (kid is not null)
        {
            header["kid"] = kid;
        }

        if (typ is not null)
        {
            header["typ"] = typ;
        }

        return Json(header);
    }

    private static Dictionary<string, object?> Claims(string sub = Sub) => new()
    {
        ["sub"] = sub,
        ["aud"] = new[] { Audience },
        ["iat"] = Seconds(SvidFactory.Now),
        ["exp"] = Seconds(SvidFactory.Now.AddMinutes(5)),
    };

    private static string Token(TestKey key, Action<Dictionary<string, object?>>? change = null)
    {
        var claims = Claims();
        change?.Invoke(claims);
        return key.Sign(Header(key.Alg, key.Kid), Json(claims));
    }

    private ValueTask<JwtSvidResult> ValidateAsync(string token) => _validator.ValidateAsync(token, _trust, default);

    private async Task AssertJwtFailureAsync(string token, JwtFailure expected)
    {
        var result = await ValidateAsync(token);
        Assert.False(result.Succeeded);
        Assert.Equal(SvidFailure.Jwt, result.Failure);
        Assert.Equal(expected, result.JwtFailure);
    }
}
