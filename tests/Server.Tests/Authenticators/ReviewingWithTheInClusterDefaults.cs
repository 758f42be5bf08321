using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Secrets.Authn.Tests.Infrastructure;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Authenticators;

/// <summary>
/// A server running in a pod: an <c>authn-k8s</c> instance without <c>kubernetes/api-url</c> reviews tokens with the
/// API server of KUBERNETES_SERVICE_HOST/PORT, trusting the mounted CA and presenting the mounted token, which it
/// re-reads because it rotates. The mounts are temp files here (SECRETS_KUBERNETES_TOKEN_FILE/CA_FILE).
/// </summary>
public sealed class InClusterServer : ServerFixture, IDisposable
{
    private readonly TestCertificates _certificates = TestCertificates.Create("cluster");
    private readonly string _mounts = Directory.CreateTempSubdirectory("secrets-sa-").FullName;
    private FakeHttpServer? _api;

    public InClusterServer()
        : base(Store.Sqlite)
    {
        File.WriteAllText(TokenFile, "reviewer-token-1");
        File.WriteAllText(Path.Combine(_mounts, "ca.crt"), _certificates.CaPem);
    }

    public string TokenFile => Path.Combine(_mounts, "token");

    /// <summary>The fake API server (started when the settings are read, so its port can be given to the server).</summary>
    public FakeHttpServer Api => _api ??= FakeHttpServer.StartAsync(_certificates.Server).GetAwaiter().GetResult();

    protected override IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["KUBERNETES_SERVICE_HOST"] = "127.0.0.1",
        ["KUBERNETES_SERVICE_PORT"] = Api.BaseUri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["SECRETS_KUBERNETES_TOKEN_FILE"] = TokenFile,
        ["SECRETS_KUBERNETES_CA_FILE"] = Path.Combine(_mounts, "ca.crt"),
    };

    public void Dispose()
    {
        _api?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _certificates.Dispose();
        Directory.Delete(_mounts, recursive: true);
    }
}

public sealed class ReviewingWithTheInClusterDefaults(InClusterServer f) : IClassFixture<InClusterServer>
{
    private const string Account = ServerFixture.Account;
    private const string Audience = "https://secrets.example.test";
    private const string Issuer = "https://kubernetes.default.svc";
    private const string ReviewPath = "/apis/authentication.k8s.io/v1/tokenreviews";
    private const string SaUid = "0b0c5bbf-5c52-4d7e-8a43-05f2d7d5f5b6";

    [Fact]
    public async Task The_review_uses_the_mounted_token_and_ca_and_follows_the_token_file_as_it_rotates()
    {
        using var key = TestKey.CreateEc("cluster", "ES256");
        var expected = "reviewer-token-1";
        f.Api.On(ReviewPath, async context =>
        {
            if (context.Request.Headers.Authorization.ToString() != "Bearer " + expected)
            {
                context.Response.StatusCode = 401;
                return;
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new
            {
                kind = "TokenReview",
                apiVersion = "authentication.k8s.io/v1",
                status = new { authenticated = true, audiences = new[] { Audience }, user = new { username = "system:serviceaccount:web:web-sa", uid = SaUid } },
            }));
        });
        using var admin = await f.AdminClientAsync();
        await World.LoadAsync(admin, HttpMethod.Post, "root", """
            - !policy
              id: conjur/authn-k8s/incluster
              body:
              - !webservice
              - !variable issuer
              - !variable audience
              - !variable public-keys
              - !group apps
              - !permit { role: !group apps, privilege: [authenticate], resource: !webservice }
            - !host
              id: web/web-sa
              annotations:
                authn-k8s/namespace: web
            - !grant { role: !group conjur/authn-k8s/incluster/apps, member: !host web/web-sa }
            """);
        await World.SetSecretAsync(admin, $"{Account}:variable:conjur/authn-k8s/incluster/issuer", Issuer);
        await World.SetSecretAsync(admin, $"{Account}:variable:conjur/authn-k8s/incluster/audience", Audience);
        await World.SetSecretAsync(admin, $"{Account}:variable:conjur/authn-k8s/incluster/public-keys", $$"""{"type":"jwks","value":{{TestKey.Jwks(key.Jwk(kidOverride: key.KubernetesKid))}}}""");
        using var enable = await admin.PatchAsync($"/authn-k8s/incluster/{Account}", new StringContent("enabled=true", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.NoContent, enable.StatusCode);

        Assert.Equal(HttpStatusCode.OK, await AuthenticateAsync(key));
        Assert.Equal(1, f.Api.Count(ReviewPath));

        // The kubelet rotates the mounted token; the next read (at most a minute later) presents the new one.
        expected = "reviewer-token-2";
        await File.WriteAllTextAsync(f.TokenFile, expected);
        f.Time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(HttpStatusCode.OK, await AuthenticateAsync(key));
        Assert.Equal(2, f.Api.Count(ReviewPath));
    }

    private async Task<HttpStatusCode> AuthenticateAsync(TestKey key)
    {
        var iat = f.Time.GetUtcNow().ToUnixTimeSeconds();
        var claims = new Dictionary<string, object?>
        {
            ["aud"] = new[] { Audience },
            ["exp"] = iat + 600,
            ["iat"] = iat,
            ["iss"] = Issuer,
            ["kubernetes.io"] = new Dictionary<string, object?>
            {
                ["namespace"] = "web",
                ["serviceaccount"] = new Dictionary<string, string> { ["name"] = "web-sa", ["uid"] = SaUid },
            },
            ["sub"] = "system:serviceaccount:web:web-sa",
        };
        var token = key.Sign(JsonSerializer.Serialize(new { alg = "ES256", kid = key.KubernetesKid }), JsonSerializer.Serialize(claims));
        using var response = await f.Client.PostAsync($"/authn-k8s/incluster/{Account}/{Uri.EscapeDataString("host/web/web-sa")}/authenticate",
            new StringContent("jwt=" + token, Encoding.UTF8, "text/plain"));
        return response.StatusCode;
    }
}
