using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Secrets.Authn.Tests.Infrastructure;
using Secrets.Server.Audit;
using Secrets.Server.Authorization;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Authenticators;

/// <summary>
/// The authenticate pipeline end to end (issue 11, spec 7.1/7.3): the policy is loaded through the API and configures
/// an <c>authn-jwt</c> or <c>authn-k8s</c> instance whose keys a real Kestrel serves over https on 127.0.0.1 (with a
/// CA made in the test, given as <c>ca-cert</c>); a workload exchanges its token for an access token and fetches the
/// secret it is permitted, and only that one.
/// </summary>
public abstract partial class AuthenticatingWorkloads(ServerFixture f) : IAsyncLifetime
{
    protected const string Account = ServerFixture.Account;
    private const string Audience = "https://secrets.example.test";
    private TestCertificates _certificates = null!;

    protected string IdpCaPem => _certificates.CaPem;

    protected FakeHttpServer Idp { get; private set; } = null!;

    protected TestKey Rsa { get; } = TestKey.CreateRsa("rsa-1");

    protected TestKey Ec { get; } = TestKey.CreateEc("ec-1");

    protected string Issuer => Idp.BaseUri.ToString().TrimEnd('/');

    public async Task InitializeAsync()
    {
        _certificates = TestCertificates.Create("idp");
        Idp = await FakeHttpServer.StartAsync(_certificates.Server);
        Idp.OnJson("/jwks", () => TestKey.Jwks(Rsa.Jwk(), Ec.Jwk()));
    }

    public async Task DisposeAsync()
    {
        await Idp.DisposeAsync();
        _certificates.Dispose();
        Rsa.Dispose();
        Ec.Dispose();
    }

    /// <summary>A GitHub-Actions-like instance: the host is named by <c>repository</c> under identity-path, restricted by <c>workflow</c>.</summary>
    protected async Task<Instance> GitHubWorldAsync(bool enable = true, bool discovery = false)
    {
        var keySource = discovery ? "provider-uri" : "jwks-uri";
        var w = new Instance(f, "gh-" + Guid.NewGuid().ToString("N")[..8], JwtType);
        await w.LoadAsync($$"""
            - !policy
              id: conjur/authn-jwt/{{w.Service}}
              body:
              - !webservice
              - !webservice status
              - !variable {{keySource}}
              - !variable ca-cert
              - !variable issuer
              - !variable audience
              - !variable token-app-property
              - !variable identity-path
              - !variable enforced-claims
              - !group apps
              - !permit { role: !group apps, privilege: [read, authenticate], resource: !webservice }
              - !permit { role: !group apps, privilege: [read], resource: !webservice status }
            - !policy
              id: {{w.Branch}}
              body:
              - !host
                id: myorg/myrepo
                annotations:
                  authn-jwt/{{w.Service}}/repository: myorg/myrepo
                  authn-jwt/{{w.Service}}/workflow: deploy
              - !host
                id: myorg/unpermitted
                annotations:
                  authn-jwt/{{w.Service}}/repository: myorg/unpermitted
                  authn-jwt/{{w.Service}}/workflow: deploy
              - !variable db-password
              - !variable other-secret
              - !permit { role: !host myorg/myrepo, privilege: [read, execute], resource: !variable db-password }
            - !grant { role: !group conjur/authn-jwt/{{w.Service}}/apps, member: !host {{w.Branch}}/myorg/myrepo }
            """);
        if (discovery)
        {
            Idp.OnJson("/.well-known/openid-configuration", () => JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["issuer"] = Issuer,
                ["jwks_uri"] = Idp.Url("/jwks").ToString(),
            }));
            await w.SetAsync($"conjur/authn-jwt/{w.Service}/provider-uri", Issuer);
        }
        else
        {
            await w.SetAsync($"conjur/authn-jwt/{w.Service}/jwks-uri", Idp.Url("/jwks").ToString());
        }

        await w.SetAsync($"conjur/authn-jwt/{w.Service}/ca-cert", _certificates.CaPem);
        await w.SetAsync($"conjur/authn-jwt/{w.Service}/issuer", Issuer);
        await w.SetAsync($"conjur/authn-jwt/{w.Service}/audience", Audience);
        await w.SetAsync($"conjur/authn-jwt/{w.Service}/token-app-property", "repository");
        await w.SetAsync($"conjur/authn-jwt/{w.Service}/identity-path", w.Branch);
        await w.SetAsync($"conjur/authn-jwt/{w.Service}/enforced-claims", "workflow");
        await w.SetAsync($"{w.Branch}/db-password", "s3cret-db");
        await w.SetAsync($"{w.Branch}/other-secret", "not-yours");
        if (enable)
        {
            await w.EnableAsync(true);
        }

        return w;
    }

    protected string GitHubToken(string repository = "myorg/myrepo", string workflow = "deploy", string? audience = Audience, TestKey? key = null, TimeSpan? lifetime = null)
    {
        key ??= Rsa;
        var now = f.Time.GetUtcNow().ToUnixTimeSeconds();
        var exp = now + (long)(lifetime ?? TimeSpan.FromMinutes(10)).TotalSeconds;
        var claims = new Dictionary<string, object?>
        {
            ["iss"] = Issuer,
            ["sub"] = $"repo:{repository}:ref:refs/heads/main",
            ["repository"] = repository,
            ["workflow"] = workflow,
            ["iat"] = now,
            ["nbf"] = now,
            ["exp"] = exp,
        };
        if (audience is not null)
        {
            claims["aud"] = audience;
        }

        return key.Sign($$"""{"alg":"{{key.Alg}}","kid":"{{key.Kid}}","typ":"JWT"}""", JsonSerializer.Serialize(claims));
    }

    protected const string JwtType = "authn-jwt";

    protected async Task<HttpResponseMessage> AuthenticateAsync(Instance w, string token, string? hostId = null, HttpClient? client = null, string contentType = "application/x-www-form-urlencoded")
    {
        var path = hostId is null
            ? $"/{w.Type}/{w.Service}/{Account}/authenticate"
            : $"/{w.Type}/{w.Service}/{Account}/{Uri.EscapeDataString(hostId)}/authenticate";
        var content = new StringContent("jwt=" + Uri.EscapeDataString(token), Encoding.UTF8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        return await (client ?? f.Client).PostAsync(path, content);
    }

    protected async Task<string> AccessTokenAsync(Instance w, string token, string? hostId = null)
    {
        using var response = await AuthenticateAsync(w, token, hostId);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body} {LastAuthnRecord()}");
        return body;
    }

    protected async Task<HttpStatusCode> FetchAsync(string accessToken, string variable)
    {
        using var client = f.NewClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", ServerFixture.TokenHeader(accessToken));
        using var response = await client.GetAsync($"/secrets/{Account}/variable/{Uri.EscapeDataString(variable)}");
        return response.StatusCode;
    }

    protected string LastAuthnRecord() => f.Audit.Lines.LastOrDefault(l => l.Contains("authenticate", StringComparison.Ordinal)) ?? "";

    [Fact]
    public async Task A_GitHub_shaped_token_gets_an_access_token_that_fetches_the_permitted_secret_and_not_another()
    {
        var w = await GitHubWorldAsync();
        var jwt = GitHubToken();

        var accessToken = await AccessTokenAsync(w, jwt);

        var payload = Payload(accessToken);
        Assert.Equal($"host/{w.Branch}/myorg/myrepo", payload.GetProperty("sub").GetString());
        Assert.Equal(HttpStatusCode.OK, await FetchAsync(accessToken, $"{w.Branch}/db-password"));
        // Not permitted and not visible to the host: the 404 of spec 5.2.
        Assert.Equal(HttpStatusCode.NotFound, await FetchAsync(accessToken, $"{w.Branch}/other-secret"));

        // The audit names the instance, the key and the issuer, and a hash of the token; never the token.
        var record = f.Audit.Lines.Last(l => l.Contains($"{Account}:host:{w.Branch}/myorg/myrepo successfully authenticated with authenticator authn-jwt", StringComparison.Ordinal));
        Assert.Contains("authenticator=\"authn-jwt\"", record, StringComparison.Ordinal);
        Assert.Contains($"kid=\"{Rsa.Kid}\"", record, StringComparison.Ordinal);
        Assert.Contains(Secrets.Authn.Jwt.JwtToken.Fingerprint(jwt), record, StringComparison.Ordinal);
        Assert.DoesNotContain(f.Audit.Lines, l => l.Contains(jwt.Split('.')[2], StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_jwt_field_is_form_decoded_whatever_the_content_type_and_a_missing_one_is_400()
    {
        var w = await GitHubWorldAsync();

        using var asText = await AuthenticateAsync(w, GitHubToken(), contentType: "text/plain");
        using var none = await f.Client.PostAsync($"/{w.Type}/{w.Service}/{Account}/authenticate", new StringContent("token=abc", Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.OK, asText.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
    }

    [Fact]
    public async Task Keys_found_by_OIDC_discovery_of_the_provider_uri_verify_the_token()
    {
        var w = await GitHubWorldAsync(discovery: true);

        var accessToken = await AccessTokenAsync(w, GitHubToken());

        Assert.Equal(HttpStatusCode.OK, await FetchAsync(accessToken, $"{w.Branch}/db-password"));
        Assert.True(Idp.Count("/.well-known/openid-configuration") >= 1);
    }

    [Fact]
    public async Task A_rotated_key_is_fetched_on_its_unknown_kid_and_an_outage_keeps_the_last_good_keys()
    {
        var w = await GitHubWorldAsync();
        await AccessTokenAsync(w, GitHubToken());
        using var rotated = TestKey.CreateRsa("rsa-2");

        // The issuer publishes a new key; the first token signed with it triggers one refresh (past the rate limit).
        Idp.OnJson("/jwks", () => TestKey.Jwks(Rsa.Jwk(), rotated.Jwk()));
        f.Time.Advance(TimeSpan.FromMinutes(1));
        await AccessTokenAsync(w, GitHubToken(key: rotated));

        // The JWKS endpoint fails: the keys already held still verify.
        Idp.OnJson("/jwks", () => "{}", status: 500);
        f.Time.Advance(TimeSpan.FromMinutes(1));
        using var unknown = await AuthenticateAsync(w, GitHubToken(key: TestKey.CreateRsa("rsa-unknown")));
        await AccessTokenAsync(w, GitHubToken(key: rotated));

        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
    }

    [Fact]
    public async Task Odd_requests_get_their_4xx_and_nothing_is_issued()
    {
        var w = await GitHubWorldAsync();
        var path = $"/{w.Type}/{w.Service}/{Account}/authenticate";

        using var tooLarge = await f.Client.PostAsync(path, new StringContent("jwt=" + new string('a', 70 * 1024), Encoding.UTF8, "application/x-www-form-urlencoded"));
        using var notUtf8 = await f.Client.PostAsync(path, new ByteArrayContent([(byte)'j', (byte)'w', (byte)'t', (byte)'=', 0xff, 0xfe]));
        using var slashInService = await f.Client.PostAsync($"/{w.Type}/{w.Service}%2Fx/{Account}/authenticate", new StringContent("jwt=" + GitHubToken()));
        using var unknownAccount = await f.Client.PostAsync($"/{w.Type}/{w.Service}/nope-{w.Service}/authenticate", new StringContent("jwt=" + GitHubToken()));
        using var wrongMethod = await f.Client.GetAsync(path);
        using var unicodeHost = await AuthenticateAsync(w, GitHubToken(repository: "myorg/ünïcode-" + new string('x', 300)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, notUtf8.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, slashInService.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownAccount.StatusCode);
        // As every route here (Conjur's Rails routes): another method is an unmatched path.
        Assert.Equal(HttpStatusCode.NotFound, wrongMethod.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unicodeHost.StatusCode);
        Assert.Contains("CONJ00007E", LastAuthnRecord(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_restricted_to_another_network_is_refused_with_a_valid_token()
    {
        var w = await GitHubWorldAsync();
        await w.LoadAsync($$"""
            - !host
              id: {{w.Branch}}/myorg/fenced
              restricted_to: 10.0.0.0/8
              annotations:
                authn-jwt/{{w.Service}}/repository: myorg/fenced
                authn-jwt/{{w.Service}}/workflow: deploy
            - !grant { role: !group conjur/authn-jwt/{{w.Service}}/apps, member: !host {{w.Branch}}/myorg/fenced }
            """);

        using var response = await AuthenticateAsync(w, GitHubToken(repository: "myorg/fenced"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("CONJ00010E", LastAuthnRecord(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ES256_token_of_the_same_issuer_is_accepted()
    {
        var w = await GitHubWorldAsync();

        var accessToken = await AccessTokenAsync(w, GitHubToken(key: Ec));

        Assert.Equal(HttpStatusCode.OK, await FetchAsync(accessToken, $"{w.Branch}/db-password"));
    }

    [Fact]
    public async Task An_instance_that_is_not_enabled_refuses_with_401_and_says_why_in_the_audit()
    {
        var w = await GitHubWorldAsync(enable: false);

        using var response = await AuthenticateAsync(w, GitHubToken());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        Assert.Contains($"CONJ00004E 'authn-jwt/{w.Service}' is not enabled", LastAuthnRecord(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disabling_with_PATCH_takes_effect_on_the_next_request()
    {
        var w = await GitHubWorldAsync();
        await AccessTokenAsync(w, GitHubToken());

        await w.EnableAsync(false);
        using var response = await AuthenticateAsync(w, GitHubToken());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_valid_token_for_a_host_without_authenticate_on_the_webservice_is_403()
    {
        var w = await GitHubWorldAsync();

        using var response = await AuthenticateAsync(w, GitHubToken(repository: "myorg/unpermitted"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("CONJ00006E", LastAuthnRecord(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_claim_that_does_not_match_the_hosts_annotation_is_refused()
    {
        var w = await GitHubWorldAsync();

        using var response = await AuthenticateAsync(w, GitHubToken(workflow: "build"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("ClaimMismatch", LastAuthnRecord(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_for_another_audience_or_without_one_is_refused_and_every_refusal_looks_the_same()
    {
        var w = await GitHubWorldAsync();

        using var other = await AuthenticateAsync(w, GitHubToken(audience: "https://elsewhere.example"));
        var otherBody = await other.Content.ReadAsStringAsync();
        var otherReason = LastAuthnRecord();
        using var none = await AuthenticateAsync(w, GitHubToken(audience: null));
        var noneReason = LastAuthnRecord();
        using var garbage = await AuthenticateAsync(w, "not.a.jwt");

        Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, garbage.StatusCode);
        Assert.Equal("", otherBody);
        Assert.Contains("AudienceMismatch", otherReason, StringComparison.Ordinal);
        Assert.Contains("AudienceMissing", noneReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Alg_none_and_an_HS256_token_keyed_with_the_public_key_are_refused()
    {
        var w = await GitHubWorldAsync();
        var valid = GitHubToken();
        var payload = valid.Split('.')[1];
        var none = TestKey.Segment("""{"alg":"none","typ":"JWT"}""") + "." + payload + ".";
        var hsInput = TestKey.Segment($$"""{"alg":"HS256","kid":"{{Rsa.Kid}}","typ":"JWT"}""") + "." + payload;
        var mac = System.Security.Cryptography.HMACSHA256.HashData(Encoding.ASCII.GetBytes(Rsa.PublicPem), Encoding.ASCII.GetBytes(hsInput));
        var hs = hsInput + "." + System.Buffers.Text.Base64Url.EncodeToString(mac);

        using var noneResponse = await AuthenticateAsync(w, none);
        using var hsResponse = await AuthenticateAsync(w, hs);

        Assert.Equal(HttpStatusCode.Unauthorized, noneResponse.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, hsResponse.StatusCode);
        Assert.Contains("AlgorithmNotAllowed", LastAuthnRecord(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_access_token_never_outlives_the_jwt_it_was_exchanged_for()
    {
        var w = await GitHubWorldAsync();
        var jwt = GitHubToken(lifetime: TimeSpan.FromSeconds(90));
        var jwtExp = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(jwt.Split('.')[1])).RootElement.GetProperty("exp").GetInt64();

        var accessToken = await AccessTokenAsync(w, jwt);

        Assert.True(Payload(accessToken).GetProperty("exp").GetInt64() <= jwtExp);
    }

    [Fact]
    public async Task The_url_may_not_name_the_host_when_token_app_property_does()
    {
        var w = await GitHubWorldAsync();

        using var response = await AuthenticateAsync(w, GitHubToken(), hostId: $"host/{w.Branch}/myorg/myrepo");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("IdentityInUrlNotAllowed", LastAuthnRecord(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_variable_takes_effect_on_the_next_request()
    {
        var w = await GitHubWorldAsync();
        await AccessTokenAsync(w, GitHubToken());

        await w.SetAsync($"conjur/authn-jwt/{w.Service}/audience", "https://renamed.example.test");
        using var response = await AuthenticateAsync(w, GitHubToken());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("AudienceMismatch", LastAuthnRecord(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_status_is_ok_for_a_working_instance_and_names_a_missing_value()
    {
        var w = await GitHubWorldAsync();
        using var admin = await f.AdminClientAsync();

        using var ok = await admin.GetAsync($"/authn-jwt/{w.Service}/{Account}/status");
        var okBody = await ok.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("""{"status":"ok"}""", okBody);

        var broken = await GitHubWorldAsync();
        await broken.LoadAsync($"- !variable conjur/authn-jwt/{broken.Service}/claim-aliases\n");
        using var error = await admin.GetAsync($"/authn-jwt/{broken.Service}/{Account}/status");
        var errorBody = JsonDocument.Parse(await error.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Equal("error", errorBody.GetProperty("status").GetString());
        Assert.Contains("CONJ00037E", errorBody.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("claim-aliases", errorBody.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_status_needs_read_on_the_status_webservice()
    {
        var w = await GitHubWorldAsync();
        var hostToken = await AccessTokenAsync(w, GitHubToken());
        using var unrelated = f.NewClient();
        var loaded = await w.LoadAsync($"- !user nobody-{w.Service}\n");
        var nobodyKey = loaded[$"{Account}:user:nobody-{w.Service}"];
        using var nobody = await f.ClientForAsync($"nobody-{w.Service}", nobodyKey);
        using var host = f.NewClient();
        host.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", ServerFixture.TokenHeader(hostToken));

        using var forbidden = await nobody.GetAsync($"/authn-jwt/{w.Service}/{Account}/status");
        using var permitted = await host.GetAsync($"/authn-jwt/{w.Service}/{Account}/status");
        using var anonymous = await unrelated.GetAsync($"/authn-jwt/{w.Service}/{Account}/status");

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.OK, permitted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task The_url_names_the_host_when_there_is_no_token_app_property()
    {
        var w = new Instance(f, "url-" + Guid.NewGuid().ToString("N")[..8], JwtType);
        await w.LoadAsync($$"""
            - !policy
              id: conjur/authn-jwt/{{w.Service}}
              body:
              - !webservice
              - !variable public-keys
              - !variable issuer
              - !variable audience
              - !group apps
              - !permit { role: !group apps, privilege: [authenticate], resource: !webservice }
            - !policy
              id: {{w.Branch}}
              body:
              - !host
                id: ci
                annotations:
                  authn-jwt/{{w.Service}}/repository: myorg/myrepo
              - !variable token
              - !permit { role: !host ci, privilege: [read, execute], resource: !variable token }
            - !grant { role: !group conjur/authn-jwt/{{w.Service}}/apps, member: !host {{w.Branch}}/ci }
            """);
        await w.SetAsync($"conjur/authn-jwt/{w.Service}/public-keys", $$"""{"type":"jwks","value":{{TestKey.Jwks(Rsa.Jwk())}}}""");
        await w.SetAsync($"conjur/authn-jwt/{w.Service}/issuer", Issuer);
        await w.SetAsync($"conjur/authn-jwt/{w.Service}/audience", Audience);
        await w.SetAsync($"{w.Branch}/token", "t0ken");
        await w.EnableAsync(true);

        var accessToken = await AccessTokenAsync(w, GitHubToken(), hostId: $"host/{w.Branch}/ci");
        using var withoutId = await AuthenticateAsync(w, GitHubToken());

        Assert.Equal(HttpStatusCode.OK, await FetchAsync(accessToken, $"{w.Branch}/token"));
        Assert.Equal(HttpStatusCode.Unauthorized, withoutId.StatusCode);
        Assert.Contains("IdentityMissing", LastAuthnRecord(), StringComparison.Ordinal);
    }

    protected static JsonElement Payload(string accessToken)
    {
        var token = JsonDocument.Parse(accessToken).RootElement;
        return JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(token.GetProperty("payload").GetString())).RootElement;
    }

    /// <summary>One test's instance (its own service id) and its application branch, set up as the account's admin.</summary>
    protected sealed class Instance(ServerFixture f, string service, string type)
    {
        public string Service { get; } = service;

        public string Type { get; } = type;

        public string Branch => "apps-" + Service;

        /// <summary>Loads a policy into root; the API keys of the roles it created.</summary>
        public async Task<IReadOnlyDictionary<string, string>> LoadAsync(string policy)
        {
            using var admin = await f.AdminClientAsync();
            return (await World.LoadAsync(admin, HttpMethod.Post, "root", policy)).ApiKeys;
        }

        public Task SetAsync(string variable, string value) => World.SetSecretAsync(f, $"{Account}:variable:{variable}", value);

        public async Task EnableAsync(bool enabled)
        {
            using var admin = await f.AdminClientAsync();
            using var response = await admin.PatchAsync($"/{Type}/{Service}/{Account}", new StringContent($"enabled={(enabled ? "true" : "false")}", Encoding.UTF8, "application/x-www-form-urlencoded"));
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
    }
}

public sealed class AuthenticatingWorkloadsOnSqlite(SqliteServer f) : AuthenticatingWorkloads(f), IClassFixture<SqliteServer>;

public sealed class AuthenticatingWorkloadsOnPostgres(PostgresServerFixture f) : AuthenticatingWorkloads(f), IClassFixture<PostgresServerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Two nodes on one PostgreSQL: disabling the instance, or changing one of its variables, through the first node
    /// reaches the second node's kept configuration through the change listener.
    /// </summary>
    [Fact]
    public async Task Disabling_or_reconfiguring_through_one_node_takes_effect_on_the_other()
    {
        await using var second = await ServerApp.BuildAsync(f.Settings with { Urls = "http://127.0.0.1:0" }, [], s => s.AddSingleton<IAuditSink>(new MemoryAuditSink()));
        await second.StartAsync();
        var address = second.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var secondClient = new HttpClient { BaseAddress = new Uri(address) };
        await EventuallyAsync(() => Task.FromResult(second.Services.GetRequiredService<AuthorizationVersions>().Live));
        var w = await GitHubWorldAsync();

        async Task SecondNodeAnswersAsync(HttpStatusCode expected) => await EventuallyAsync(async () =>
        {
            using var r = await AuthenticateAsync(w, GitHubToken(), client: secondClient);
            return r.StatusCode == expected;
        });

        // Warm: the second node keeps the configured instance.
        using (var warm = await AuthenticateAsync(w, GitHubToken(), client: secondClient))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        await w.SetAsync($"conjur/authn-jwt/{w.Service}/audience", "https://renamed.example.test");
        await SecondNodeAnswersAsync(HttpStatusCode.Unauthorized);

        await w.SetAsync($"conjur/authn-jwt/{w.Service}/audience", "https://secrets.example.test");
        await SecondNodeAnswersAsync(HttpStatusCode.OK);

        await w.EnableAsync(false);
        await SecondNodeAnswersAsync(HttpStatusCode.Unauthorized);
        await second.StopAsync();
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(started.Elapsed < Patience, "the condition did not hold in time");
            await Task.Delay(20);
        }
    }
}
