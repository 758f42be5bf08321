using System.Net;
using Microsoft.Extensions.Time.Testing;
using Secrets.Cli.Tests.Infrastructure;

namespace Secrets.Cli.Tests;

/// <summary>`hostfactory tokens create|revoke`, `hostfactory hosts create` and `pubkeys show`.</summary>
public sealed class EnrollingHostsWithHostFactories : IAsyncLifetime
{
    private readonly CliRunner cli = new();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2030, 6, 1, 8, 0, 0, TimeSpan.Zero));
    private RecordingServer server = null!;

    public async Task InitializeAsync()
    {
        server = await RecordingServer.StartAsync();
        server.Clock = clock.GetUtcNow;
        cli.Time = clock;
        cli.LogIn(server);
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        cli.Dispose();
    }

    [Fact]
    public async Task Token_creation_posts_the_factory_expiry_count_and_cidrs()
    {
        server.On("POST", "/host_factory_tokens", Reply.Json(
            """[{"expiration":"2030-06-01T09:30:00Z","cidr":["10.0.0.0/8","192.168.1.1/32"],"token":"tok1"},{"expiration":"2030-06-01T09:30:00Z","cidr":["10.0.0.0/8","192.168.1.1/32"],"token":"tok2"}]"""));

        var result = await cli.RunAsync(
            "hostfactory", "tokens", "create", "--hostfactory-id", "prod/db", "--duration", "1h30m", "--cidr", "10.0.0.0/8,192.168.1.1", "-c", "192.168.1.1/32", "-n", "2");

        Assert.True(result.ExitCode == 0, result.ToString());
        var request = server.SingleRequest("POST", "/host_factory_tokens");
        Assert.Equal("application/x-www-form-urlencoded", request.Header("Content-Type"));
        Assert.Equal(
            [
                ("host_factory", "acct:host_factory:prod/db"),
                ("expiration", "2030-06-01T09:30:00Z"),
                ("count", "2"),
                ("cidr[]", "10.0.0.0/8"),
                ("cidr[]", "192.168.1.1"),
                ("cidr[]", "192.168.1.1/32"),
            ],
            Form(request.BodyText));
        Assert.StartsWith("[\n  {\n    \"expiration\": \"2030-06-01T09:30:00Z\",\n    \"cidr\": [", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"token\": \"tok2\"", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tokens_last_ten_minutes_by_default()
    {
        server.On("POST", "/host_factory_tokens", Reply.Json("[]"));

        await cli.RunAsync("hostfactory", "tokens", "create", "-i", "acct:host_factory:prod/db");

        var fields = Form(server.SingleRequest("POST", "/host_factory_tokens").BodyText);
        Assert.Contains(("expiration", "2030-06-01T08:10:00Z"), fields);
        Assert.Contains(("host_factory", "acct:host_factory:prod/db"), fields);
        Assert.Contains(("count", "1"), fields);
    }

    [Fact]
    public async Task An_unknown_factory_exits_4()
    {
        server.On("POST", "/host_factory_tokens", Reply.Json(
            """{"error":{"code":"not_found","message":"Host_factory 'nope' not found in account 'acct'"}}""", 404));

        var result = await cli.RunAsync("hostfactory", "tokens", "create", "-i", "nope");

        Assert.Equal(ExitCodes.NotFound, result.ExitCode);
        Assert.Equal("error: Host_factory 'nope' not found in account 'acct'\n", result.Stderr);
    }

    [Fact]
    public async Task Revoking_deletes_the_token()
    {
        server.On("DELETE", "/host_factory_tokens/1bcd%2Ftok", Reply.Empty(204));

        var result = await cli.RunAsync("hostfactory", "tokens", "revoke", "-t", "1bcd/tok");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("Token revoked\n", result.Stdout);
    }

    [Fact]
    public async Task Creating_a_host_authenticates_with_the_factory_token_alone()
    {
        using var empty = new CliRunner();
        empty.Configure(server.Url);
        server.On("POST", "/host_factories/hosts", Reply.Json(
            """{"created_at":"2030-06-01T08:00:00.000+00:00","id":"acct:host:app-01","owner":"acct:host_factory:prod/db","permissions":[],"annotations":[],"restricted_to":[],"api_key":"3k4l"}""", 201));

        var result = await empty.RunAsync("hostfactory", "hosts", "create", "-i", "app-01", "-t", "hf-token", "--annotation", "team=db", "--annotation", "note=a=b");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(server.Authentications);
        var request = server.SingleRequest("POST", "/host_factories/hosts");
        Assert.Equal("Token token=\"hf-token\"", request.Header("Authorization"));
        Assert.Equal([("id", "app-01"), ("annotations[team]", "db"), ("annotations[note]", "a=b")], Form(request.BodyText));
        Assert.Contains("\"api_key\": \"3k4l\"", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_factory_token_exits_1()
    {
        server.On("POST", "/host_factories/hosts", Reply.Empty(401));

        var result = await cli.RunAsync("hostfactory", "hosts", "create", "-i", "app-01", "-t", "old");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal("error: 401 Unauthorized\n", result.Stderr);
    }

    [Fact]
    public async Task Public_keys_are_printed_as_sent()
    {
        server.On("GET", "/public_keys/acct/user/alice%40dev-db", Reply.Text("ssh-rsa AAAA alice@laptop\nssh-ed25519 BBBB alice@desktop\n"));

        var result = await cli.RunAsync("pubkeys", "show", "alice@dev-db");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("ssh-rsa AAAA alice@laptop\nssh-ed25519 BBBB alice@desktop\n", result.Stdout);
        Assert.StartsWith("Token token=", server.SingleRequest("GET", "/public_keys/").Header("Authorization"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Public_keys_need_no_login()
    {
        using var anonymous = new CliRunner();
        anonymous.Configure(server.Url);
        server.On("GET", "/public_keys/acct/user/bob", Reply.Text("\n"));

        var result = await anonymous.RunAsync("pubkeys", "show", "-i", "bob");

        Assert.Equal(0, result.ExitCode);
        Assert.Null(server.SingleRequest("GET", "/public_keys/").Header("Authorization"));
    }

    private static List<(string, string)> Form(string body) =>
        body.Split('&').Select(pair => pair.Split('=', 2)).Select(p => (WebUtility.UrlDecode(p[0]), WebUtility.UrlDecode(p[1]))).ToList();
}
