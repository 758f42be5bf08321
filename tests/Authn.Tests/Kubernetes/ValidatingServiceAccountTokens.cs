using System.Text.Json;
using Secrets.Authn.Jwt;
using Secrets.Authn.Keys;
using Secrets.Authn.Kubernetes;
using Secrets.Authn.Tests.Infrastructure;

namespace Secrets.Authn.Tests.Kubernetes;

/// <summary>
/// The Kubernetes rows of the test matrix (workload-identity.md 6.5) that the library decides in <c>jwks</c> mode:
/// legacy and default API-audience tokens refused, a projected token with our audience accepted with RS256 and
/// ES256 cluster keys, <c>sub</c> agreeing with the <c>kubernetes.io</c> claims, lifetime and <c>warnafter</c>.
/// </summary>
public sealed class ValidatingServiceAccountTokens : KubernetesFixture
{
    [Theory]
    [InlineData("RS256")]
    [InlineData("ES256")]
    public async Task A_projected_token_with_our_audience_is_accepted(string alg)
    {
        var result = await ValidateAsync(Token(alg));

        Assert.True(result.Succeeded, $"{result.Failure} {result.JwtFailure}");
        var identity = result.Identity!;
        Assert.Equal("system:serviceaccount:app-ns:app-sa", identity.Subject);
        Assert.Equal("app-ns", identity.Namespace);
        Assert.Equal("app-sa", identity.ServiceAccountName);
        Assert.Equal(SaUid, identity.ServiceAccountUid);
        Assert.Equal("my-pod", identity.PodName);
        Assert.Equal(PodUid, identity.PodUid);
        Assert.Equal(ClusterIssuer, identity.Issuer);
        Assert.Equal(Now.AddHours(1), identity.ExpiresAt);
        Assert.Equal("app-ns/app-sa", identity.HostIdSuffix);
        Assert.Equal(Key(alg).KubernetesKid, result.Kid);
    }

    [Fact]
    public async Task A_legacy_secret_based_token_is_refused()
    {
        var legacyClaims = new Dictionary<string, object?>
        {
            ["iss"] = ServiceAccountTokenValidator.LegacyIssuer,
            ["kubernetes.io/serviceaccount/namespace"] = "app-ns",
            ["kubernetes.io/serviceaccount/secret.name"] = "app-sa-token-x",
            ["kubernetes.io/serviceaccount/service-account.name"] = "app-sa",
            ["kubernetes.io/serviceaccount/service-account.uid"] = SaUid,
            ["sub"] = "system:serviceaccount:app-ns:app-sa",
        };
        var legacy = Key("RS256").Sign(JsonSerializer.Serialize(new { alg = "RS256", kid = Key("RS256").KubernetesKid }), JsonSerializer.Serialize(legacyClaims));
        Assert.Equal(ServiceAccountFailure.LegacyToken, (await ValidateAsync(legacy)).Failure);

        // Flat claims with a projected issuer and times, or no kubernetes.io object at all: still not a bound token.
        Assert.Equal(ServiceAccountFailure.LegacyToken, (await ValidateAsync(Token(change: c => c["kubernetes.io/serviceaccount/namespace"] = "app-ns"))).Failure);
        Assert.Equal(ServiceAccountFailure.LegacyToken, (await ValidateAsync(Token(change: c => c.Remove("kubernetes.io")))).Failure);
        Assert.Equal(ServiceAccountFailure.LegacyToken, (await ValidateAsync(Token(change: c => c["kubernetes.io"] = "app-ns"))).Failure);
        Assert.True((await ValidateAsync(Token())).Succeeded);
    }

    [Fact]
    public async Task The_default_one_year_api_audience_token_is_refused()
    {
        void DefaultToken(Dictionary<string, object?> c)
        {
            var iat = (long)c["iat"]!;
            c["aud"] = new[] { ApiServerAudience };
            c["exp"] = iat + (365 * 24 * 3600);
            KubernetesClaim(c)["warnafter"] = iat + 3607;
        }

        var result = await ValidateAsync(Token(change: DefaultToken));
        Assert.Equal(ServiceAccountFailure.Jwt, result.Failure);
        Assert.Equal(JwtFailure.AudienceMismatch, result.JwtFailure);

        // Even with our audience added, the year-long lifetime fails.
        var withOurs = await ValidateAsync(Token(change: c =>
        {
            DefaultToken(c);
            c["aud"] = new[] { ApiServerAudience, Audience };
        }));
        Assert.Equal(JwtFailure.LifetimeTooLong, withOurs.JwtFailure);
    }

    [Fact]
    public async Task A_token_that_also_names_the_api_server_is_refused()
    {
        Assert.Equal(ServiceAccountFailure.ApiServerAudience, (await ValidateAsync(Token(change: c => c["aud"] = new[] { Audience, ApiServerAudience }))).Failure);
        Assert.Equal(ServiceAccountFailure.ApiServerAudience, (await ValidateAsync(Token(change: c => c["aud"] = new[] { Audience, ClusterIssuer }))).Failure);

        var custom = new ServiceAccountTokenValidator(
            new KubernetesTokenOptions { Issuer = ClusterIssuer, Audiences = [Audience], ApiServerAudiences = ["https://api.cluster.example.test"] }, Time);
        var token = Token(change: c => c["aud"] = new[] { Audience, "https://api.cluster.example.test" });
        Assert.Equal(ServiceAccountFailure.ApiServerAudience, (await custom.ValidateAsync(token, Keys, CancellationToken.None)).Failure);
        Assert.True((await ValidateAsync(token)).Succeeded);
    }

    [Fact]
    public void The_api_server_audience_cannot_be_configured_as_ours()
    {
        Assert.Throws<ArgumentException>(() => new KubernetesTokenOptions { Issuer = ClusterIssuer, Audiences = [ApiServerAudience] });
        Assert.Throws<ArgumentException>(() => new KubernetesTokenOptions { Issuer = ClusterIssuer, Audiences = [] });
        Assert.Throws<ArgumentException>(() => new ServiceAccountTokenValidator(new KubernetesTokenOptions { Issuer = ClusterIssuer, Audiences = [ClusterIssuer] }, Time));
    }

    [Fact]
    public async Task A_lifetime_over_the_maximum_is_refused()
    {
        Assert.Equal(JwtFailure.LifetimeTooLong, (await ValidateAsync(Token(change: c => c["exp"] = (long)c["iat"]! + (25 * 3600)))).JwtFailure);
        Assert.True((await ValidateAsync(Token(change: c => c["exp"] = (long)c["iat"]! + (23 * 3600)))).Succeeded);

        var strict = new ServiceAccountTokenValidator(
            new KubernetesTokenOptions { Issuer = ClusterIssuer, Audiences = [Audience], MaxLifetime = TimeSpan.FromMinutes(10) }, Time);
        Assert.Equal(JwtFailure.LifetimeTooLong, (await strict.ValidateAsync(Token(), Keys, CancellationToken.None)).JwtFailure);

        // Projected tokens always carry iat; without it the lifetime cannot be bounded.
        Assert.Equal(JwtFailure.TimeClaimInvalid, (await ValidateAsync(Token(change: c => c.Remove("iat")))).JwtFailure);
    }

    [Fact]
    public async Task A_token_past_its_warnafter_is_refused()
    {
        var iat = Now.ToUnixTimeSeconds();
        Assert.True((await ValidateAsync(Token(change: c => KubernetesClaim(c)["warnafter"] = iat + 600))).Succeeded);

        var token = Token(change: c => KubernetesClaim(c)["warnafter"] = iat + 600);
        Time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(ServiceAccountFailure.StaleToken, (await ValidateAsync(token)).Failure);
        Assert.Equal(ServiceAccountFailure.ClaimsMismatch, (await ValidateAsync(Token(change: c => KubernetesClaim(c)["warnafter"] = "soon"))).Failure);
    }

    [Theory]
    [InlineData("system:serviceaccount:app-ns")]
    [InlineData("system:serviceaccount:app-ns:app-sa:extra")]
    [InlineData("system:node:app-ns:app-sa")]
    [InlineData("System:serviceaccount:app-ns:app-sa")]
    [InlineData("system:serviceaccount::app-sa")]
    [InlineData("system:serviceaccount:App-NS:app-sa")]
    [InlineData("system:serviceaccount:app-ns:app-sa\n")]
    [InlineData("app-sa")]
    public async Task A_sub_that_is_not_exactly_a_service_account_is_refused(string sub)
    {
        Assert.Equal(ServiceAccountFailure.SubjectInvalid, (await ValidateAsync(Token(change: c => c["sub"] = sub))).Failure);
    }

    [Fact]
    public async Task A_missing_sub_is_refused()
    {
        Assert.Equal(ServiceAccountFailure.SubjectInvalid, (await ValidateAsync(Token(change: c => c.Remove("sub")))).Failure);
    }

    [Fact]
    public async Task A_sub_that_disagrees_with_the_kubernetes_claims_is_refused()
    {
        Assert.Equal(ServiceAccountFailure.ClaimsMismatch, (await ValidateAsync(Token(change: c => c["sub"] = "system:serviceaccount:other-ns:app-sa"))).Failure);
        Assert.Equal(ServiceAccountFailure.ClaimsMismatch, (await ValidateAsync(Token(change: c => c["sub"] = "system:serviceaccount:app-ns:admin"))).Failure);
        Assert.Equal(ServiceAccountFailure.ClaimsMismatch, (await ValidateAsync(Token(change: c => KubernetesClaim(c).Remove("serviceaccount")))).Failure);
        Assert.Equal(ServiceAccountFailure.ClaimsMismatch, (await ValidateAsync(Token(change: c => KubernetesClaim(c)["pod"] = new Dictionary<string, string> { ["name"] = "my-pod" }))).Failure);
    }

    [Fact]
    public async Task A_token_without_a_service_account_uid_is_refused()
    {
        Assert.Equal(ServiceAccountFailure.ServiceAccountUidMissing, (await ValidateAsync(Token(change: c =>
            KubernetesClaim(c)["serviceaccount"] = new Dictionary<string, string> { ["name"] = "app-sa" }))).Failure);
    }

    [Fact]
    public async Task A_token_not_bound_to_a_pod_has_no_pod()
    {
        var result = await ValidateAsync(Token(change: c => KubernetesClaim(c).Remove("pod")));

        Assert.True(result.Succeeded);
        Assert.Null(result.Identity!.PodName);
    }

    [Fact]
    public async Task Another_clusters_token_is_refused()
    {
        using var otherCluster = TestKey.CreateRsa("other");
        var claims = ProjectedClaims();
        var forged = otherCluster.Sign(JsonSerializer.Serialize(new { alg = "RS256", kid = Key("RS256").KubernetesKid }), JsonSerializer.Serialize(claims));

        Assert.Equal(JwtFailure.SignatureInvalid, (await ValidateAsync(forged)).JwtFailure);
        Assert.Equal(JwtFailure.IssuerMismatch, (await ValidateAsync(Token(change: c => c["iss"] = "https://other.cluster.example.test"))).JwtFailure);
    }

    [Fact]
    public async Task Cluster_keys_rotate_through_the_jwks_endpoint()
    {
        await using var cluster = await FakeHttpServer.StartAsync();
        var jwks = TestKey.Jwks(Key("RS256").Jwk(kidOverride: Key("RS256").KubernetesKid));
        cluster.OnJson("/openid/v1/jwks", () => jwks);
        using var http = new HttpClient(TrustedHttp.CreateHandler(null));
        using var source = RemoteKeySource.ForJwksUri(cluster.Url("/openid/v1/jwks"), http, new RemoteKeySourceOptions { AllowHttp = true }, Time);

        Assert.True((await Validator.ValidateAsync(Token("RS256"), source, CancellationToken.None)).Succeeded);

        jwks = TestKey.Jwks(Key("ES256").Jwk(kidOverride: Key("ES256").KubernetesKid));
        Time.Advance(TimeSpan.FromMinutes(1));
        Assert.True((await Validator.ValidateAsync(Token("ES256"), source, CancellationToken.None)).Succeeded);
        Assert.Equal(2, cluster.Count("/openid/v1/jwks"));
    }

    [Fact]
    public async Task Discovery_blocked_with_401_and_the_static_jwks_fallback()
    {
        await using var cluster = await FakeHttpServer.StartAsync();
        cluster.OnJson("/.well-known/openid-configuration", () => "{\"kind\":\"Status\",\"status\":\"Failure\",\"code\":401}", 401);
        var issuer = cluster.BaseUri.AbsoluteUri.TrimEnd('/');
        using var http = new HttpClient(TrustedHttp.CreateHandler(null));
        using var discovery = RemoteKeySource.ForDiscovery(issuer, http, new RemoteKeySourceOptions { AllowHttp = true }, Time);
        var validator = new ServiceAccountTokenValidator(new KubernetesTokenOptions { Issuer = issuer, Audiences = [Audience] }, Time);
        var token = Token(change: c => c["iss"] = issuer);

        var blocked = await validator.ValidateAsync(token, discovery, CancellationToken.None);
        Assert.Equal(JwtFailure.KeySourceUnavailable, blocked.JwtFailure);
        Assert.Equal(KeyFetchError.HttpStatus, discovery.LastError);

        // What `kubectl get --raw /openid/v1/jwks` prints, pasted into public-keys.
        var publicKeys = StaticKeySource.FromConjurPublicKeys("{\"type\":\"jwks\",\"value\":" + TestKey.Jwks(
            Key("RS256").Jwk(kidOverride: Key("RS256").KubernetesKid), Key("ES256").Jwk(kidOverride: Key("ES256").KubernetesKid)) + "}")!;
        Assert.True((await validator.ValidateAsync(token, publicKeys, CancellationToken.None)).Succeeded);
    }
}
