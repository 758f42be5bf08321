using System.Text.Json;
using Secrets.Authn.Jwt;
using Secrets.Authn.Keys;
using Secrets.Authn.Tests.Infrastructure;

namespace Secrets.Authn.Tests.Jwt;

/// <summary>Static key material: Conjur's <c>public-keys</c> variable, a pasted JWKS, PEM keys, and the JWK rules.</summary>
public sealed class ReadingStaticKeys : JwtFixture
{
    [Fact]
    public async Task Conjurs_public_keys_value_is_read()
    {
        var value = "{\"type\":\"jwks\",\"value\":" + TestKey.Jwks(Rsa.Jwk(), Ec.Jwk()) + "}";
        var source = StaticKeySource.FromConjurPublicKeys(value)!;

        Assert.Equal(["rsa-1", "ec-1"], source.Keys.Select(k => k.Kid));
        Assert.True((await Validator.ValidateAsync(Token(Ec), source, CancellationToken.None)).Succeeded);
    }

    [Theory]
    [InlineData("{\"type\":\"pem\",\"value\":{\"keys\":[KEY]}}")]
    [InlineData("{\"type\":\"JWKS\",\"value\":{\"keys\":[KEY]}}")]
    [InlineData("{\"type\":\"jwks\",\"value\":{\"keys\":[]}}")]
    [InlineData("{\"type\":\"jwks\",\"value\":{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"}]}}")]
    [InlineData("{\"type\":\"jwks\",\"value\":[KEY]}")]
    [InlineData("{\"type\":\"jwks\"}")]
    [InlineData("{\"type\":\"jwks\",\"type\":\"jwks\",\"value\":{\"keys\":[KEY]}}")]
    [InlineData("[KEY]")]
    [InlineData("not json")]
    public void An_invalid_public_keys_value_is_refused(string template)
    {
        Assert.Null(StaticKeySource.FromConjurPublicKeys(template.Replace("KEY", Rsa.Jwk(), StringComparison.Ordinal)));
        Assert.NotNull(StaticKeySource.FromConjurPublicKeys("{\"type\":\"jwks\",\"value\":{\"keys\":[" + Rsa.Jwk() + "]}}"));
    }

    [Fact]
    public async Task Pem_keys_get_the_kubernetes_kid()
    {
        var source = StaticKeySource.FromPem(Rsa.PublicPem + "\n" + Ec.PublicPem)!;

        Assert.Equal([Rsa.KubernetesKid, Ec.KubernetesKid], source.Keys.Select(k => k.Kid));
        var token = Rsa.Sign(Header("RS256", Rsa.KubernetesKid), Json(GoodClaims()));
        Assert.True((await Validator.ValidateAsync(token, source, CancellationToken.None)).Succeeded);
        Assert.Equal(JwtFailure.KidRequired, (await Validator.ValidateAsync(Rsa.Sign(Header("RS256", null), Json(GoodClaims())), source, CancellationToken.None)).Failure);
    }

    [Fact]
    public void A_private_key_or_junk_pem_is_refused()
    {
        Assert.Null(StaticKeySource.FromPem(Rsa.Rsa!.ExportPkcs8PrivateKeyPem()));
        Assert.Null(StaticKeySource.FromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"));
        Assert.Null(StaticKeySource.FromPem("no pem here"));
    }

    [Fact]
    public void Duplicate_kids_make_a_key_set_invalid()
    {
        Assert.Null(StaticKeySource.FromJwks(TestKey.Jwks(Rsa.Jwk(), Ec.Jwk(kidOverride: Rsa.Kid))));
        Assert.NotNull(StaticKeySource.FromJwks(TestKey.Jwks(Rsa.Jwk(), Ec.Jwk())));
    }

    [Fact]
    public void Unusable_jwks_entries_are_skipped()
    {
        using var small = TestKey.CreateRsa("small", bits: 1024);
        var skipped = new[]
        {
            small.Jwk(),
            Ec.Jwk(use: "enc", kidOverride: "enc"),
            Ec.Jwk(withAlg: false, kidOverride: "wrong-alg").TrimEnd('}') + ",\"alg\":\"ES384\"}",
            Rsa.Jwk(withAlg: false, kidOverride: "hs").TrimEnd('}') + ",\"alg\":\"HS256\"}",
            Rsa.Jwk(kidOverride: "ops").TrimEnd('}') + ",\"key_ops\":[\"encrypt\"]}",
            "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\",\"kid\":\"ed\"}",
            "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\",\"kid\":\"short\"}",
        };

        var source = StaticKeySource.FromJwks(TestKey.Jwks([.. skipped, Rsa.Jwk()]))!;

        Assert.Equal("rsa-1", Assert.Single(source.Keys).Kid);
    }

    [Fact]
    public void An_ec_point_off_the_curve_is_refused()
    {
        var jwk = JsonSerializer.Deserialize<Dictionary<string, string>>(Ec.Jwk())!;
        var y = System.Buffers.Text.Base64Url.DecodeFromChars(jwk["y"]);
        y[^1] ^= 1;
        jwk["y"] = System.Buffers.Text.Base64Url.EncodeToString(y);

        Assert.Null(JwtKey.FromJwk(JsonDocument.Parse(JsonSerializer.Serialize(jwk)).RootElement));
        Assert.NotNull(JwtKey.FromJwk(JsonDocument.Parse(Ec.Jwk()).RootElement));
    }
}
