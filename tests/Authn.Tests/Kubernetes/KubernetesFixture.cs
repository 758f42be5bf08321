using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Secrets.Authn.Keys;
using Secrets.Authn.Kubernetes;
using Secrets.Authn.Tests.Infrastructure;

namespace Secrets.Authn.Tests.Kubernetes;

/// <summary>A fake cluster: its signing keys (RS256 and ES256, Kubernetes-style kids), a clock and token shapes.</summary>
public abstract class KubernetesFixture
{
    public const string ClusterIssuer = "https://oidc.cluster.example.test";
    public const string Audience = "https://secrets.example.test";
    public const string ApiServerAudience = "https://kubernetes.default.svc.cluster.local";
    public const string SaUid = "14ee3fa4-a7e2-420f-9f9a-dbc4507c3798";
    public const string PodUid = "5e0bd49b-f040-43b0-99b7-22765a53f7f3";

    protected static readonly DateTimeOffset Now = new(2026, 12, 3, 6, 0, 0, TimeSpan.Zero);

    private static readonly TestKey RsaKey = TestKey.CreateRsa("unused", "RS256");
    private static readonly TestKey EcKey = TestKey.CreateEc("unused", "ES256");

    protected KubernetesFixture()
    {
        Time = new FakeTimeProvider(Now);
        Keys = StaticKeySource.FromJwks(TestKey.Jwks(
            RsaKey.Jwk(kidOverride: RsaKey.KubernetesKid),
            EcKey.Jwk(kidOverride: EcKey.KubernetesKid)))!;
        Validator = new ServiceAccountTokenValidator(new KubernetesTokenOptions { Issuer = ClusterIssuer, Audiences = [Audience] }, Time);
    }

    protected FakeTimeProvider Time { get; }

    protected StaticKeySource Keys { get; }

    protected ServiceAccountTokenValidator Validator { get; }

    protected static TestKey Key(string alg) => alg == "ES256" ? EcKey : RsaKey;

    /// <summary>The claims of a projected token for pod my-pod of service account app-sa in app-ns, valid 1 h.</summary>
    protected Dictionary<string, object?> ProjectedClaims()
    {
        var iat = Time.GetUtcNow().ToUnixTimeSeconds();
        return new Dictionary<string, object?>
        {
            ["aud"] = new[] { Audience },
            ["exp"] = iat + 3600,
            ["iat"] = iat,
            ["nbf"] = iat,
            ["iss"] = ClusterIssuer,
            ["jti"] = "aed34954-b33a-4142-b1ec-389d6bbb4936",
            ["kubernetes.io"] = new Dictionary<string, object?>
            {
                ["namespace"] = "app-ns",
                ["node"] = new Dictionary<string, string> { ["name"] = "node-1", ["uid"] = "646e7c5e-32d6-4d42-9dbd-e504e6cbe6b1" },
                ["pod"] = new Dictionary<string, string> { ["name"] = "my-pod", ["uid"] = PodUid },
                ["serviceaccount"] = new Dictionary<string, string> { ["name"] = "app-sa", ["uid"] = SaUid },
            },
            ["sub"] = "system:serviceaccount:app-ns:app-sa",
        };
    }

    protected static Dictionary<string, object?> KubernetesClaim(Dictionary<string, object?> claims) =>
        (Dictionary<string, object?>)claims["kubernetes.io"]!;

    protected string Token(string alg = "RS256", Action<Dictionary<string, object?>>? change = null)
    {
        var claims = ProjectedClaims();
        change?.Invoke(claims);
        var key = Key(alg);
        return key.Sign(JsonSerializer.Serialize(new { alg, kid = key.KubernetesKid }), JsonSerializer.Serialize(claims), alg);
    }

    protected ValueTask<ServiceAccountResult> ValidateAsync(string token) => Validator.ValidateAsync(token, Keys, CancellationToken.None);
}
