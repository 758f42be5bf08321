using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Secrets.Bench;

/// <summary>
/// An <c>authn-jwt</c> and an <c>authn-k8s</c> instance with static keys (<c>public-keys</c>), each with one host,
/// and tokens for them signed here: the authenticate rates with warm keys (issue 11).
/// </summary>
internal sealed class Workloads
{
    private const string Audience = "https://secrets.bench";
    private const string Issuer = "https://issuer.bench";
    private readonly string _account;
    private readonly string _rsToken;
    private readonly string _esToken;
    private readonly string _k8sToken;

    private Workloads(string account, string rsToken, string esToken, string k8sToken)
    {
        _account = account;
        _rsToken = rsToken;
        _esToken = esToken;
        _k8sToken = k8sToken;
    }

    public static async Task<Workloads> SetUpAsync(HttpClient http, string adminToken, string account)
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jwks = "{\"type\":\"jwks\",\"value\":{\"keys\":[" + RsaJwk(rsa, "rs") + "," + EcJwk(ec, "es") + "]}}";
        const string Policy = """
            - !policy
              id: conjur/authn-jwt/bench
              body:
              - !webservice
              - !variable public-keys
              - !variable issuer
              - !variable audience
              - !variable token-app-property
              - !variable identity-path
              - !permit { role: !host /workloads/ci, privilege: [authenticate], resource: !webservice }
            - !policy
              id: conjur/authn-k8s/bench
              body:
              - !webservice
              - !variable public-keys
              - !variable issuer
              - !variable audience
              - !variable identity-path
              - !permit { role: !host /workloads/app-ns/app-sa, privilege: [authenticate], resource: !webservice }
            - !policy
              id: workloads
              body:
              - !host
                id: ci
                annotations:
                  authn-jwt/bench/workflow: deploy
              - !host
                id: app-ns/app-sa
                annotations:
                  authn-k8s/namespace: app-ns
            """;
        await SendAsync(http, adminToken, HttpMethod.Post, $"/policies/{account}/policy/root", new StringContent(Policy, Encoding.UTF8, "application/x-yaml"));
        foreach (var type in new[] { "authn-jwt", "authn-k8s" })
        {
            await SendAsync(http, adminToken, HttpMethod.Post, Secret(account, $"conjur/{type}/bench/public-keys"), new StringContent(jwks));
            await SendAsync(http, adminToken, HttpMethod.Post, Secret(account, $"conjur/{type}/bench/issuer"), new StringContent(Issuer));
            await SendAsync(http, adminToken, HttpMethod.Post, Secret(account, $"conjur/{type}/bench/audience"), new StringContent(Audience));
            await SendAsync(http, adminToken, HttpMethod.Post, Secret(account, $"conjur/{type}/bench/identity-path"), new StringContent("workloads"));
            await SendAsync(http, adminToken, HttpMethod.Patch, $"/{type}/bench/{account}", new FormUrlEncodedContent([new("enabled", "true")]));
        }

        await SendAsync(http, adminToken, HttpMethod.Post, Secret(account, "conjur/authn-jwt/bench/token-app-property"), new StringContent("name"));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var ci = JsonSerializer.Serialize(new { iss = Issuer, aud = Audience, name = "ci", workflow = "deploy", iat = now, exp = now + 3600 });
        var pod = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["iss"] = Issuer,
            ["aud"] = new[] { Audience },
            ["sub"] = "system:serviceaccount:app-ns:app-sa",
            ["iat"] = now,
            ["exp"] = now + 3600,
            ["kubernetes.io"] = new Dictionary<string, object>
            {
                ["namespace"] = "app-ns",
                ["serviceaccount"] = new Dictionary<string, string> { ["name"] = "app-sa", ["uid"] = "2f0e7c4e-0c39-4a55-9d0b-3d1c6c5e2a11" },
            },
        });
        return new Workloads(account, Sign(rsa, null, "rs", ci), Sign(null, ec, "es", ci), Sign(rsa, null, "rs", pod));
    }

    public HttpRequestMessage JwtRequest(bool rsa) => Form($"/authn-jwt/bench/{_account}/authenticate", rsa ? _rsToken : _esToken);

    public HttpRequestMessage KubernetesRequest() => Form($"/authn-k8s/bench/{_account}/authenticate", _k8sToken);

    private static HttpRequestMessage Form(string path, string jwt) =>
        new(HttpMethod.Post, path) { Content = new StringContent("jwt=" + jwt, Encoding.UTF8, "application/x-www-form-urlencoded") };

    private static string Secret(string account, string id) => $"/secrets/{account}/variable/{Uri.EscapeDataString(id)}";

    private static async Task SendAsync(HttpClient http, string token, HttpMethod method, string path, HttpContent content)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.TryAddWithoutValidation("Authorization", $"Token token=\"{Convert.ToBase64String(Encoding.UTF8.GetBytes(token))}\"");
        using var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static string RsaJwk(RSA rsa, string kid)
    {
        var p = rsa.ExportParameters(false);
        return $$"""{"kty":"RSA","kid":"{{kid}}","alg":"RS256","use":"sig","n":"{{Base64Url.EncodeToString(p.Modulus)}}","e":"{{Base64Url.EncodeToString(p.Exponent)}}"}""";
    }

    private static string EcJwk(ECDsa ec, string kid)
    {
        var p = ec.ExportParameters(false);
        return $$"""{"kty":"EC","kid":"{{kid}}","alg":"ES256","use":"sig","crv":"P-256","x":"{{Base64Url.EncodeToString(p.Q.X)}}","y":"{{Base64Url.EncodeToString(p.Q.Y)}}"}""";
    }

    private static string Sign(RSA? rsa, ECDsa? ec, string kid, string payload)
    {
        var header = JsonSerializer.Serialize(new { alg = rsa is null ? "ES256" : "RS256", kid, typ = "JWT" });
        var input = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header)) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload));
        var bytes = Encoding.ASCII.GetBytes(input);
        var signature = rsa is not null
            ? rsa.SignData(bytes, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : ec!.SignData(bytes, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return input + "." + Base64Url.EncodeToString(signature);
    }
}
