using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Secrets.Authn.Jwt;
using Secrets.Authn.Keys;
using Secrets.Authn.Tests.Infrastructure;

namespace Secrets.Authn.Tests.Jwt;

/// <summary>
/// JWKS URLs and OIDC discovery against real Kestrel servers on 127.0.0.1: pitfall rows 25–28, key rotation, outages
/// (last known good), slow and oversized responses, single flight, TLS trust pinned to a private CA.
/// </summary>
public sealed class FetchingKeysOverHttp : JwtFixture, IAsyncLifetime
{
    private static readonly TimeSpan RateLimit = TimeSpan.FromSeconds(30);

    private FakeHttpServer _server = null!;
    private HttpClient _http = null!;
    private volatile string _jwks = TestKey.Jwks(Rsa.Jwk());

    public async Task InitializeAsync()
    {
        _server = await FakeHttpServer.StartAsync();
        _server.OnJson("/jwks", () => _jwks);
        _http = new HttpClient(TrustedHttp.CreateHandler(null));
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Row25_random_kids_cause_at_most_one_extra_fetch()
    {
        using var source = JwksSource();
        Assert.True((await Validate(Token(Rsa), source)).Succeeded);
        Time.Advance(RateLimit);

        for (var i = 0; i < 20; i++)
        {
            var random = Rsa.Sign(Header("RS256", Guid.NewGuid().ToString("N")), Json(GoodClaims()));
            Assert.Equal(JwtFailure.UnknownKid, (await Validate(random, source)).Failure);
        }

        Assert.Equal(2, _server.Count("/jwks"));
        Assert.Equal(2, source.FetchCount);
    }

    [Fact]
    public async Task Row26_a_rotated_key_is_accepted_on_its_first_request()
    {
        using var source = JwksSource();
        using var next = TestKey.CreateEc("ec-next");
        Assert.True((await Validate(Token(Rsa), source)).Succeeded);

        // Published while the rate limit still holds: refused until the interval has passed, then accepted by the
        // very request that triggers the (synchronous) refresh.
        _jwks = TestKey.Jwks(next.Jwk());
        Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(JwtFailure.UnknownKid, (await Validate(Token(next), source)).Failure);
        Time.Advance(RateLimit);
        Assert.True((await Validate(Token(next), source)).Succeeded);

        // The old key was removed by that fetch.
        Assert.Equal(JwtFailure.UnknownKid, (await Validate(Token(Rsa), source)).Failure);
        Assert.Equal(2, _server.Count("/jwks"));
    }

    [Fact]
    public async Task Row27_an_outage_at_start_up_recovers_and_a_later_outage_keeps_the_last_good_keys()
    {
        var down = true;
        _server.On("/jwks", async context =>
        {
            context.Response.StatusCode = down ? 500 : 200;
            await context.Response.WriteAsync(down ? "oops" : _jwks);
        });
        using var source = JwksSource();

        Assert.Equal(JwtFailure.KeySourceUnavailable, (await Validate(Token(Rsa), source)).Failure);
        Assert.Equal(KeyFetchError.HttpStatus, source.LastError);

        // The failure is not cached for long: the next attempt after the rate-limit interval succeeds.
        down = false;
        Assert.Equal(JwtFailure.KeySourceUnavailable, (await Validate(Token(Rsa), source)).Failure);
        Time.Advance(RateLimit);
        Assert.True((await Validate(Token(Rsa), source)).Succeeded);
        Assert.Equal(KeyFetchError.None, source.LastError);

        // A later outage, past the refresh interval: the fetch fails, the keys held are kept.
        down = true;
        Time.Advance(TimeSpan.FromHours(2));
        Assert.True((await Validate(Token(Rsa), source)).Succeeded);
        Assert.Equal(KeyFetchError.HttpStatus, source.LastError);
        Assert.Equal(3, _server.Count("/jwks"));
    }

    [Fact]
    public async Task Row28_plain_http_urls_are_refused_unless_allowed()
    {
        Assert.Throws<ArgumentException>(() => RemoteKeySource.ForJwksUri(_server.Url("/jwks"), _http, new RemoteKeySourceOptions(), Time));
        Assert.Throws<ArgumentException>(() => RemoteKeySource.ForDiscovery(_server.BaseUri.AbsoluteUri, _http, new RemoteKeySourceOptions(), Time));
        Assert.Throws<ArgumentException>(() => RemoteKeySource.ForDiscovery("https://issuer.example.test/?x=1", _http, new RemoteKeySourceOptions(), Time));
        Assert.Throws<ArgumentException>(() => RemoteKeySource.ForJwksUri(new Uri("https://user:pw@issuer.example.test/jwks"), _http, new RemoteKeySourceOptions(), Time));

        // Over https, a discovery document that points at an http JWKS is refused.
        using var certificates = TestCertificates.Create("row28");
        await using var tls = await FakeHttpServer.StartAsync(certificates.Server);
        var issuer = tls.BaseUri.AbsoluteUri.TrimEnd('/');
        tls.OnJson("/.well-known/openid-configuration", () => Json(new { issuer, jwks_uri = _server.Url("/jwks").AbsoluteUri }));
        using var pinned = new HttpClient(TrustedHttp.CreateHandler(certificates.CaPem));
        using var source = RemoteKeySource.ForDiscovery(issuer, pinned, new RemoteKeySourceOptions(), Time);

        Assert.Equal(KeyFetchError.InsecureJwksUri, await source.RefreshAsync(CancellationToken.None));
        Assert.Equal(0, _server.Count("/jwks"));
    }

    [Fact]
    public async Task Discovery_finds_the_jwks_and_requires_exactly_the_configured_issuer()
    {
        var issuer = _server.BaseUri.AbsoluteUri.TrimEnd('/');
        var announced = issuer;
        string? bearer = null;
        _server.On("/.well-known/openid-configuration", async context =>
        {
            bearer = context.Request.Headers.Authorization;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(Json(new { issuer = announced, jwks_uri = _server.Url("/jwks").AbsoluteUri, response_types_supported = new[] { "id_token" } }));
        });
        var options = new RemoteKeySourceOptions { AllowHttp = true, BearerToken = _ => ValueTask.FromResult<string?>("reviewer-token") };
        using var source = RemoteKeySource.ForDiscovery(issuer + "/", _http, options, Time);
        var validator = new StrictJwtValidator(new JwtValidationOptions { Issuer = issuer, Audiences = [Audience] }, Time);

        // The configured issuer has a trailing slash, the document's has none: not the same issuer.
        Assert.Equal(KeyFetchError.IssuerMismatch, await source.RefreshAsync(CancellationToken.None));
        Assert.Equal(0, _server.Count("/jwks"));

        using var exact = RemoteKeySource.ForDiscovery(issuer, _http, options, Time);
        var result = await validator.ValidateAsync(Token(Rsa, c => c["iss"] = issuer), exact, CancellationToken.None);

        Assert.True(result.Succeeded, result.Failure.ToString());
        Assert.Equal("Bearer reviewer-token", bearer);
        Assert.Equal(1, _server.Count("/jwks"));
    }

    [Fact]
    public async Task Discovery_blocked_with_401_leaves_the_source_unavailable()
    {
        _server.OnJson("/.well-known/openid-configuration", () => "{\"kind\":\"Status\",\"code\":401}", 401);
        var issuer = _server.BaseUri.AbsoluteUri.TrimEnd('/');
        using var source = RemoteKeySource.ForDiscovery(issuer, _http, new RemoteKeySourceOptions { AllowHttp = true }, Time);
        var validator = new StrictJwtValidator(new JwtValidationOptions { Issuer = issuer, Audiences = [Audience] }, Time);

        var result = await validator.ValidateAsync(Token(Rsa, c => c["iss"] = issuer), source, CancellationToken.None);

        Assert.Equal(JwtFailure.KeySourceUnavailable, result.Failure);
        Assert.Equal(KeyFetchError.HttpStatus, source.LastError);
    }

    [Fact]
    public async Task A_slow_jwks_times_out_and_a_later_slow_refresh_keeps_the_last_good_keys()
    {
        var slow = true;
        _server.On("/jwks", async context =>
        {
            if (slow)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            await context.Response.WriteAsync(_jwks);
        });
        using var source = JwksSource(new RemoteKeySourceOptions { AllowHttp = true, Timeout = TimeSpan.FromMilliseconds(300) });

        var clock = Stopwatch.StartNew();
        Assert.Equal(JwtFailure.KeySourceUnavailable, (await Validate(Token(Rsa), source)).Failure);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), clock.Elapsed.ToString());
        Assert.Equal(KeyFetchError.Timeout, source.LastError);

        slow = false;
        Time.Advance(RateLimit);
        Assert.True((await Validate(Token(Rsa), source)).Succeeded);

        slow = true;
        Time.Advance(TimeSpan.FromHours(2));
        Assert.True((await Validate(Token(Rsa), source)).Succeeded);
        Assert.Equal(KeyFetchError.Timeout, source.LastError);
    }

    [Fact]
    public async Task An_oversized_response_is_refused_with_or_without_a_content_length()
    {
        var padded = TestKey.Jwks(Rsa.Jwk(), "{\"kty\":\"OKP\",\"x\":\"" + new string('A', 100 * 1024) + "\"}");
        _server.OnJson("/jwks", () => padded);
        using var source = JwksSource(new RemoteKeySourceOptions { AllowHttp = true, MaxResponseBytes = 64 * 1024 });
        Assert.Equal(JwtFailure.KeySourceUnavailable, (await Validate(Token(Rsa), source)).Failure);
        Assert.Equal(KeyFetchError.TooLarge, source.LastError);

        _server.On("/jwks", async context =>
        {
            // Written in pieces without Content-Length (chunked): the cap applies while reading.
            for (var i = 0; i < 10; i++)
            {
                await context.Response.WriteAsync(new string(' ', 16 * 1024));
                await context.Response.Body.FlushAsync();
            }

            await context.Response.WriteAsync(_jwks);
        });
        Time.Advance(RateLimit);
        Assert.Equal(JwtFailure.KeySourceUnavailable, (await Validate(Token(Rsa), source)).Failure);
        Assert.Equal(KeyFetchError.TooLarge, source.LastError);

        // The same body under a larger cap is fine.
        using var roomy = JwksSource(new RemoteKeySourceOptions { AllowHttp = true, MaxResponseBytes = 1024 * 1024 });
        Assert.True((await Validate(Token(Rsa), roomy)).Succeeded);
    }

    [Fact]
    public async Task Concurrent_requests_share_one_fetch()
    {
        _server.On("/jwks", async context =>
        {
            await Task.Delay(300);
            await context.Response.WriteAsync(_jwks);
        });

        // No rate limit, so only the single flight can keep the waiters from fetching again.
        using var source = JwksSource(new RemoteKeySourceOptions { AllowHttp = true, MinRefreshInterval = TimeSpan.Zero });

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(async () => await Validate(Token(Rsa), source))));

        Assert.All(results, r => Assert.True(r.Succeeded, r.Failure.ToString()));
        Assert.Equal(1, _server.Count("/jwks"));
    }

    [Fact]
    public async Task An_invalid_key_set_is_refused_and_the_last_good_one_kept()
    {
        using var source = JwksSource();
        Assert.True((await Validate(Token(Rsa), source)).Succeeded);

        _jwks = TestKey.Jwks(Rsa.Jwk(), Ec.Jwk(kidOverride: Rsa.Kid));
        Time.Advance(TimeSpan.FromHours(2));
        Assert.True((await Validate(Token(Rsa), source)).Succeeded);
        Assert.Equal(KeyFetchError.InvalidJwks, source.LastError);

        _jwks = "{\"keys\":[],\"keys\":[]}";
        Time.Advance(TimeSpan.FromHours(2));
        Assert.True((await Validate(Token(Rsa), source)).Succeeded);
        Assert.Equal(KeyFetchError.InvalidJwks, source.LastError);
    }

    [Fact]
    public async Task A_redirect_is_not_followed()
    {
        _server.On("/moved", context =>
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = _server.Url("/jwks").AbsoluteUri;
            return Task.CompletedTask;
        });
        using var source = RemoteKeySource.ForJwksUri(_server.Url("/moved"), _http, new RemoteKeySourceOptions { AllowHttp = true }, Time);

        Assert.Equal(KeyFetchError.HttpStatus, await source.RefreshAsync(CancellationToken.None));
        Assert.Equal(0, _server.Count("/jwks"));
    }

    [Fact]
    public async Task A_private_ca_is_trusted_only_when_it_is_the_configured_one()
    {
        using var certificates = TestCertificates.Create("jwks");
        using var stranger = TestCertificates.Create("stranger");
        await using var tls = await FakeHttpServer.StartAsync(certificates.Server);
        tls.OnJson("/jwks", () => _jwks);

        using var pinned = new HttpClient(TrustedHttp.CreateHandler(certificates.CaPem));
        using var good = RemoteKeySource.ForJwksUri(tls.Url("/jwks"), pinned, new RemoteKeySourceOptions(), Time);
        Assert.True((await Validate(Token(Rsa), good)).Succeeded);

        using var wrongCa = new HttpClient(TrustedHttp.CreateHandler(stranger.CaPem));
        using var refused = RemoteKeySource.ForJwksUri(tls.Url("/jwks"), wrongCa, new RemoteKeySourceOptions(), Time);
        Assert.Equal(KeyFetchError.Unreachable, await refused.RefreshAsync(CancellationToken.None));

        using var systemTrust = new HttpClient(TrustedHttp.CreateHandler(null));
        using var untrusted = RemoteKeySource.ForJwksUri(tls.Url("/jwks"), systemTrust, new RemoteKeySourceOptions(), Time);
        Assert.Equal(KeyFetchError.Unreachable, await untrusted.RefreshAsync(CancellationToken.None));

        Assert.Throws<ArgumentException>(() => TrustedHttp.CreateHandler("not a certificate"));
    }

    private RemoteKeySource JwksSource(RemoteKeySourceOptions? options = null) =>
        RemoteKeySource.ForJwksUri(_server.Url("/jwks"), _http, options ?? new RemoteKeySourceOptions { AllowHttp = true, MinRefreshInterval = RateLimit }, Time);

    private ValueTask<JwtValidationResult> Validate(string token, IJwtKeySource source) =>
        Validator.ValidateAsync(token, source, CancellationToken.None);
}
