using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Secrets.Authn.Jwt;
using Secrets.Authn.Spiffe;
using Secrets.Authn.Tests.Infrastructure;
using static Secrets.Authn.Tests.Spiffe.SvidFactory;

namespace Secrets.Authn.Tests.Spiffe;

/// <summary>
/// SPIFFE bundle endpoints over real TLS on 127.0.0.1: <c>https_web</c> with a test CA, <c>https_spiffe</c> with a
/// server X.509-SVID; refresh hints on a fake clock, sequence regression, outages, unknown kids (JB-1, JB-2).
/// </summary>
public sealed class FetchingBundlesFromEndpoints : IAsyncLifetime
{
    private const string Audience = "secrets-test";

    private static readonly TestKey K1 = TestKey.CreateEc("k1");
    private static readonly TestKey K2 = TestKey.CreateEc("k2");

    private readonly FakeTimeProvider _time = new(Now);
    private readonly TestCertificates _web = TestCertificates.Create("bundles");
    private FakeHttpServer _server = null!;
    private volatile string _body = "{\"keys\":[]}";
    private volatile int _status = 200;

    public async Task InitializeAsync()
    {
        _server = await FakeHttpServer.StartAsync(_web.Server);
        _server.On("/bundle", async context =>
        {
            context.Response.StatusCode = _status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(_body);
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _web.Dispose();
    }

    [Fact]
    public async Task The_refresh_hint_is_honoured_on_the_fake_clock_and_clamped()
    {
        _body = Bundle(1, 120, K1);
        using var source = Web();
        Assert.Equal(1, (await source.GetBundleAsync(default))!.Sequence);
        _body = Bundle(2, 1, K1);
        _time.Advance(TimeSpan.FromSeconds(119));
        Assert.Equal(1, (await source.GetBundleAsync(default))!.Sequence);
        Assert.Equal(1, source.FetchCount);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(2, (await source.GetBundleAsync(default))!.Sequence);

        // A hint of 1 s is clamped to 30 s.
        _body = Bundle(3, 1, K1);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(2, (await source.GetBundleAsync(default))!.Sequence);
        _time.Advance(TimeSpan.FromSeconds(21));
        Assert.Equal(3, (await source.GetBundleAsync(default))!.Sequence);
    }

    [Fact]
    public async Task A_sequence_that_goes_backwards_is_ignored()
    {
        _body = Bundle(5, 60, K1);
        using var source = Web();
        await source.GetBundleAsync(default);
        _body = Bundle(4, 60, K2);
        _time.Advance(TimeSpan.FromSeconds(61));
        var bundle = await source.GetBundleAsync(default);
        Assert.Equal(5, bundle!.Sequence);
        Assert.NotNull(bundle.FindJwtAuthority("k1"));
        Assert.Equal(SpiffeBundleFetchError.SequenceRegressed, source.LastError);
        Assert.Equal(2, source.FetchCount);
    }

    [Fact]
    public async Task A_500_keeps_the_last_good_bundle_and_the_retry_waits_for_the_next_interval()
    {
        _body = Bundle(1, 60, K1);
        using var source = Web();
        var validator = Validator();
        var trust = new SpiffeTrustDomains([source]);
        Assert.True((await validator.ValidateAsync(Token(K1), trust, default)).Succeeded);

        _status = 500;
        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.True((await validator.ValidateAsync(Token(K1), trust, default)).Succeeded);
        Assert.Equal(SpiffeBundleFetchError.HttpStatus, source.LastError);
        Assert.True((await validator.ValidateAsync(Token(K1), trust, default)).Succeeded);
        Assert.Equal(2, source.FetchCount);

        _status = 200;
        _body = Bundle(2, 60, K2);
        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.True((await validator.ValidateAsync(Token(K2), trust, default)).Succeeded);
        Assert.Equal(SpiffeBundleFetchError.None, source.LastError);
    }

    [Fact]
    public async Task A_first_fetch_that_fails_leaves_the_trust_domain_unavailable()
    {
        _status = 500;
        using var source = Web();
        var result = await Validator().ValidateAsync(Token(K1), new SpiffeTrustDomains([source]), default);
        Assert.Equal(SvidFailure.BundleUnavailable, result.Failure);
    }

    [Fact]
    public async Task JB1_JB2_an_added_key_is_picked_up_on_its_first_token_and_a_removed_key_stops_working()
    {
        _body = Bundle(1, 300, K1);
        using var source = Web();
        var validator = Validator();
        var trust = new SpiffeTrustDomains([source]);
        Assert.True((await validator.ValidateAsync(Token(K1), trust, default)).Succeeded);

        _body = Bundle(2, 300, K2);
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.True((await validator.ValidateAsync(Token(K2), trust, default)).Succeeded);
        Assert.Equal(2, source.FetchCount);
        Assert.Equal(JwtFailure.UnknownKid, (await validator.ValidateAsync(Token(K1), trust, default)).JwtFailure);
    }

    [Fact]
    public async Task Random_unknown_kids_cause_at_most_one_fetch_single_flight()
    {
        _body = Bundle(1, 300, K1);
        using var source = Web();
        await source.GetBundleAsync(default);
        _time.Advance(TimeSpan.FromSeconds(31));
        var validator = Validator();
        var trust = new SpiffeTrustDomains([source]);
        using var stranger = TestKey.CreateEc("x");
        var tokens = Enumerable.Range(0, 20).Select(i => stranger.Sign("{\"alg\":\"ES256\",\"kid\":\"r" + i + "\"}", Claims()));
        var results = await Task.WhenAll(tokens.Select(t => validator.ValidateAsync(t, trust, default).AsTask()));
        Assert.All(results, r => Assert.Equal(JwtFailure.UnknownKid, r.JwtFailure));
        Assert.Equal(2, source.FetchCount);
    }

    [Fact]
    public async Task An_oversized_or_invalid_body_is_refused()
    {
        _body = Bundle(1, 60, K1);
        using var source = SpiffeBundleEndpointSource.ForHttpsWeb("a.test", _server.Url("/bundle"), _web.CaPem, new SpiffeBundleEndpointOptions { MaxResponseBytes = 64 }, _time);
        Assert.Null(await source.GetBundleAsync(default));
        Assert.Equal(SpiffeBundleFetchError.TooLarge, source.LastError);

        _body = "{\"keys\":[],\"keys\":[]}";
        using var invalid = Web();
        Assert.Null(await invalid.GetBundleAsync(default));
        Assert.Equal(SpiffeBundleFetchError.InvalidBundle, invalid.LastError);
    }

    [Fact]
    public async Task Https_web_trusts_only_the_configured_ca_and_needs_https()
    {
        _body = Bundle(1, 60, K1);
        using var other = TestCertificates.Create("other");
        using var source = SpiffeBundleEndpointSource.ForHttpsWeb("a.test", _server.Url("/bundle"), other.CaPem, new SpiffeBundleEndpointOptions(), _time);
        Assert.Null(await source.GetBundleAsync(default));
        Assert.Equal(SpiffeBundleFetchError.Unreachable, source.LastError);
        Assert.Throws<ArgumentException>(() => SpiffeBundleEndpointSource.ForHttpsWeb("a.test", new Uri("http://127.0.0.1/bundle"), null, new SpiffeBundleEndpointOptions(), _time));
        Assert.Throws<ArgumentException>(() => SpiffeBundleEndpointSource.ForHttpsWeb("a.test", new Uri("https://u:p@127.0.0.1/bundle"), null, new SpiffeBundleEndpointOptions(), _time));
    }

    [Fact]
    public async Task Https_spiffe_accepts_only_the_configured_endpoint_id_against_the_bootstrap_bundle()
    {
        using var root = Root("b.test");
        using var serverSvid = Leaf(root, new LeafSpec { Uris = ["spiffe://b.test/spire/server"], DnsNames = ["ignored.example"] });
        await using var server = await FakeHttpServer.StartAsync(serverSvid);
        server.OnJson("/bundle", () => Bundle(1, 60, K1));
        var bootstrap = new SpiffeBundle("b.test", [root], []);
        var url = server.Url("/bundle");

        using var right = SpiffeBundleEndpointSource.ForHttpsSpiffe("a.test", url, SpiffeId.Parse("spiffe://b.test/spire/server"), bootstrap, new SpiffeBundleEndpointOptions(), new FakeTimeProvider(Now));
        Assert.Equal(1, (await right.GetBundleAsync(default))!.Sequence);

        using var wrongId = SpiffeBundleEndpointSource.ForHttpsSpiffe("a.test", url, SpiffeId.Parse("spiffe://b.test/spire/other"), bootstrap, new SpiffeBundleEndpointOptions(), new FakeTimeProvider(Now));
        Assert.Null(await wrongId.GetBundleAsync(default));
        Assert.Equal(SpiffeBundleFetchError.Unreachable, wrongId.LastError);

        using var impostorRoot = Root("b.test");
        using var wrongRoot = SpiffeBundleEndpointSource.ForHttpsSpiffe("a.test", url, SpiffeId.Parse("spiffe://b.test/spire/server"), new SpiffeBundle("b.test", [impostorRoot], []), new SpiffeBundleEndpointOptions(), new FakeTimeProvider(Now));
        Assert.Null(await wrongRoot.GetBundleAsync(default));

        // The web profile never accepts the SVID server: the profiles are not interchangeable.
        using var web = SpiffeBundleEndpointSource.ForHttpsWeb("a.test", url, root.ExportCertificatePem(), new SpiffeBundleEndpointOptions(), _time);
        Assert.Null(await web.GetBundleAsync(default));
    }

    private SpiffeBundleEndpointSource Web() =>
        SpiffeBundleEndpointSource.ForHttpsWeb("a.test", _server.Url("/bundle"), _web.CaPem, new SpiffeBundleEndpointOptions(), _time);

    private JwtSvidValidator Validator() => new(new JwtSvidValidationOptions { Audiences = [Audience] }, _time);

    private static string Bundle(long sequence, long hint, params TestKey[] keys) =>
        BundleJson([], keys.Select(k => k.Jwk(use: "jwt-svid")), sequence, hint);

    private string Claims() =>
        "{\"sub\":\"spiffe://a.test/w\",\"aud\":\"" + Audience + "\",\"exp\":" + _time.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds() + "}";

    private string Token(TestKey key) => key.Sign("{\"alg\":\"ES256\",\"kid\":\"" + key.Kid + "\"}", Claims());
}
