using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Secrets.Authn.Tests.Infrastructure;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Authenticators;

/// <summary>
/// <c>authn-k8s</c> with projected service-account tokens (issue 11): the cluster's JWKS and its TokenReview API are
/// the same real Kestrel on 127.0.0.1 over https; the tests count the reviews.
/// </summary>
public abstract partial class AuthenticatingWorkloads
{
    private const string ClusterIssuer = "https://kubernetes.default.svc";
    private const string ReviewPath = "/apis/authentication.k8s.io/v1/tokenreviews";
    private const string SaUid = "14ee3fa4-a7e2-420f-9f9a-dbc4507c3798";
    private const string PodUid = "5e0bd49b-f040-43b0-99b7-22765a53f7f3";
    private const string ReviewerToken = "reviewer-token-of-the-server";

    private Func<JsonElement, object> _review = _ => new { };

    /// <summary>An instance whose hosts are named identity-path + namespace/service-account, in the given mode.</summary>
    private async Task<Instance> KubernetesWorldAsync(string? mode, bool review = false)
    {
        var w = new Instance(f, "k8s-" + Guid.NewGuid().ToString("N")[..8], "authn-k8s");
        var variables = new List<string> { "issuer", "audience", "jwks-uri", "kubernetes/ca-cert", "identity-path" };
        if (mode is not null)
        {
            variables.Add("mode");
        }

        if (review)
        {
            variables.Add("kubernetes/api-url");
            variables.Add("kubernetes/service-account-token");
        }

        await w.LoadAsync($$"""
            - !policy
              id: conjur/authn-k8s/{{w.Service}}
              body:
              - !webservice
            {{string.Concat(variables.Select(v => $"  - !variable {v}\n"))}}  - !group apps
              - !permit { role: !group apps, privilege: [authenticate], resource: !webservice }
            - !policy
              id: {{w.Branch}}
              body:
              - !host
                id: app-ns/app-sa
                annotations:
                  authn-k8s/namespace: app-ns
                  authn-k8s/{{w.Service}}/service-account: app-sa
                  authn-k8s/service-account-uid: {{SaUid}}
              - !variable db
              - !variable other
              - !permit { role: !host app-ns/app-sa, privilege: [read, execute], resource: !variable db }
            - !grant { role: !group conjur/authn-k8s/{{w.Service}}/apps, member: !host {{w.Branch}}/app-ns/app-sa }
            """);
        var k = $"conjur/authn-k8s/{w.Service}";
        await w.SetAsync($"{k}/issuer", ClusterIssuer);
        await w.SetAsync($"{k}/audience", Audience);
        await w.SetAsync($"{k}/jwks-uri", Idp.Url("/openid/v1/jwks").ToString());
        await w.SetAsync($"{k}/kubernetes/ca-cert", IdpCaPem);
        await w.SetAsync($"{k}/identity-path", w.Branch);
        if (mode is not null)
        {
            await w.SetAsync($"{k}/mode", mode);
        }

        if (review)
        {
            await w.SetAsync($"{k}/kubernetes/api-url", Idp.BaseUri.ToString());
            await w.SetAsync($"{k}/kubernetes/service-account-token", ReviewerToken);
        }

        await w.SetAsync($"{w.Branch}/db", "k8s-db-secret");
        await w.EnableAsync(true);
        Idp.OnJson("/openid/v1/jwks", () => TestKey.Jwks(Rsa.Jwk(kidOverride: Rsa.KubernetesKid), Ec.Jwk(kidOverride: Ec.KubernetesKid)));
        Idp.On(ReviewPath, async context =>
        {
            if (context.Request.Headers.Authorization.ToString() != "Bearer " + ReviewerToken)
            {
                context.Response.StatusCode = 401;
                return;
            }

            var request = await JsonDocument.ParseAsync(context.Request.Body);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new { kind = "TokenReview", apiVersion = "authentication.k8s.io/v1", status = _review(request.RootElement) }));
        });
        _review = _ => Review();
        return w;
    }

    private static Dictionary<string, object?> Review(bool authenticated = true, string uid = SaUid, string[]? audiences = null) => new Dictionary<string, object?>
    {
        ["authenticated"] = authenticated,
        ["user"] = new Dictionary<string, object?>
        {
            ["username"] = "system:serviceaccount:app-ns:app-sa",
            ["uid"] = uid,
            ["groups"] = new[] { "system:serviceaccounts", "system:authenticated" },
            ["extra"] = new Dictionary<string, string[]>
            {
                ["authentication.kubernetes.io/pod-name"] = ["my-pod"],
                ["authentication.kubernetes.io/pod-uid"] = [PodUid],
            },
        },
        ["audiences"] = audiences ?? [Audience],
    };

    /// <summary>A projected token of pod my-pod, service account app-sa in app-ns, valid one hour.</summary>
    private string ServiceAccountToken(TestKey? key = null, string ns = "app-ns", string[]? audiences = null, string? issuer = null, TimeSpan? lifetime = null)
    {
        key ??= Rsa;
        var iat = f.Time.GetUtcNow().ToUnixTimeSeconds();
        var claims = new Dictionary<string, object?>
        {
            ["aud"] = audiences ?? [Audience],
            ["exp"] = iat + (long)(lifetime ?? TimeSpan.FromHours(1)).TotalSeconds,
            ["iat"] = iat,
            ["nbf"] = iat,
            ["iss"] = issuer ?? ClusterIssuer,
            ["kubernetes.io"] = new Dictionary<string, object?>
            {
                ["namespace"] = ns,
                ["pod"] = new Dictionary<string, string> { ["name"] = "my-pod", ["uid"] = PodUid },
                ["serviceaccount"] = new Dictionary<string, string> { ["name"] = "app-sa", ["uid"] = SaUid },
            },
            ["sub"] = $"system:serviceaccount:{ns}:app-sa",
        };
        return key.Sign(JsonSerializer.Serialize(new { alg = key.Alg, kid = key.KubernetesKid }), JsonSerializer.Serialize(claims));
    }

    [Theory]
    [InlineData("RS256")]
    [InlineData("ES256")]
    public async Task A_pod_with_its_projected_token_fetches_its_secret_in_jwks_mode(string alg)
    {
        var w = await KubernetesWorldAsync("jwks");

        var accessToken = await AccessTokenAsync(w, ServiceAccountToken(alg == "ES256" ? Ec : Rsa));

        Assert.Equal($"host/{w.Branch}/app-ns/app-sa", Payload(accessToken).GetProperty("sub").GetString());
        Assert.Equal(HttpStatusCode.OK, await FetchAsync(accessToken, $"{w.Branch}/db"));
        Assert.Equal(HttpStatusCode.NotFound, await FetchAsync(accessToken, $"{w.Branch}/other"));
        Assert.Equal(0, Idp.Count(ReviewPath));
    }

    [Fact]
    public async Task The_token_may_come_as_a_bearer_header()
    {
        var w = await KubernetesWorldAsync("jwks");
        using var client = f.NewClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + ServiceAccountToken());

        using var response = await client.PostAsync($"/authn-k8s/{w.Service}/{Account}/authenticate", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task With_token_review_the_api_server_confirms_each_token_after_the_cheap_checks()
    {
        var w = await KubernetesWorldAsync("jwks+token-review", review: true);
        var before = Idp.Count(ReviewPath);

        await AccessTokenAsync(w, ServiceAccountToken());
        Assert.Equal(before + 1, Idp.Count(ReviewPath));

        // A token of another namespace fails the host's restrictions: no review call is spent on it.
        using var otherNamespace = await AuthenticateAsync(w, ServiceAccountToken(ns: "other-ns"), hostId: $"host/{w.Branch}/app-ns/app-sa");
        Assert.Equal(HttpStatusCode.Unauthorized, otherNamespace.StatusCode);
        Assert.Contains("RestrictionMismatch", LastAuthnRecord(), StringComparison.Ordinal);
        Assert.Equal(before + 1, Idp.Count(ReviewPath));

        // A token the API server no longer knows (its pod was deleted) is refused although its signature is good.
        _review = _ => Review(authenticated: false);
        using var revoked = await AuthenticateAsync(w, ServiceAccountToken());
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        Assert.Contains("ReviewNotAuthenticated", LastAuthnRecord(), StringComparison.Ordinal);

        // A service account recreated with the same name has another UID.
        _review = _ => Review(uid: "00000000-0000-0000-0000-000000000001");
        using var recreated = await AuthenticateAsync(w, ServiceAccountToken());
        Assert.Equal(HttpStatusCode.Unauthorized, recreated.StatusCode);
        Assert.Contains("ReviewUidMismatch", LastAuthnRecord(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_token_review_mode_the_review_decides_and_keys_are_not_needed()
    {
        var w = await KubernetesWorldAsync("token-review", review: true);
        var before = Idp.Count(ReviewPath);

        var accessToken = await AccessTokenAsync(w, ServiceAccountToken());

        Assert.Equal(before + 1, Idp.Count(ReviewPath));
        Assert.Equal(HttpStatusCode.OK, await FetchAsync(accessToken, $"{w.Branch}/db"));
    }

    [Fact]
    public async Task The_api_server_audience_a_legacy_token_and_an_over_long_lifetime_are_refused()
    {
        var w = await KubernetesWorldAsync("jwks");

        using var apiAudience = await AuthenticateAsync(w, ServiceAccountToken(audiences: [Audience, "https://kubernetes.default.svc.cluster.local"]));
        var apiAudienceReason = LastAuthnRecord();
        using var legacy = await AuthenticateAsync(w, ServiceAccountToken(issuer: "kubernetes/serviceaccount"));
        var legacyReason = LastAuthnRecord();
        using var yearLong = await AuthenticateAsync(w, ServiceAccountToken(lifetime: TimeSpan.FromDays(365)));
        var yearLongReason = LastAuthnRecord();

        Assert.Equal(HttpStatusCode.Unauthorized, apiAudience.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, legacy.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, yearLong.StatusCode);
        Assert.Contains("ApiServerAudience", apiAudienceReason, StringComparison.Ordinal);
        Assert.Contains("LegacyToken", legacyReason, StringComparison.Ordinal);
        Assert.Contains("LifetimeTooLong", yearLongReason, StringComparison.Ordinal);
    }
}
