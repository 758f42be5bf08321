using Microsoft.Extensions.Time.Testing;
using Secrets.Cli.Tests.Infrastructure;

namespace Secrets.Cli.Tests;

/// <summary>
/// Access tokens live in memory and in a 0600 cache file between invocations, and are replaced at 85 % of their
/// lifetime (the Go SDK's rule) or when the server refuses them.
/// </summary>
public sealed class CachingAccessTokens : IAsyncLifetime
{
    private readonly CliRunner cli = new();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private RecordingServer server = null!;

    public async Task InitializeAsync()
    {
        server = await RecordingServer.StartAsync();
        server.Clock = clock.GetUtcNow;
        server.TokenLifetime = TimeSpan.FromSeconds(480);
        server.On("GET", "/whoami", Reply.Json("{}"));
        cli.Time = clock;
        cli.LogIn(server);
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        cli.Dispose();
    }

    [Fact]
    public async Task The_next_invocation_reuses_the_cached_token()
    {
        await cli.RunAsync("whoami");
        clock.Advance(TimeSpan.FromMinutes(6));
        await cli.RunAsync("whoami");

        Assert.Single(server.Authentications);
        var headers = server.RequestsExceptAuthentication.Select(r => r.Header("Authorization")).ToList();
        Assert.Equal(2, headers.Count);
        Assert.Equal(headers[0], headers[1]);
    }

    [Fact]
    public async Task The_cache_file_is_private()
    {
        await cli.RunAsync("whoami");

        var file = Assert.Single(Directory.GetFiles(cli.TokenCacheDirectory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(cli.TokenCacheDirectory));
        Assert.DoesNotContain("alice", Path.GetFileName(file), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_older_than_85_percent_of_its_lifetime_is_replaced()
    {
        await cli.RunAsync("whoami");
        clock.Advance(TimeSpan.FromSeconds(480 * 0.85) + TimeSpan.FromSeconds(1));
        await cli.RunAsync("whoami");

        Assert.Equal(2, server.Authentications.Count);
        var headers = server.RequestsExceptAuthentication.Select(r => r.Header("Authorization")).ToList();
        Assert.NotEqual(headers[0], headers[1]);
    }

    [Fact]
    public async Task A_refused_cached_token_is_replaced_once_and_the_request_replayed()
    {
        await cli.RunAsync("whoami");
        var firstToken = server.RequestsExceptAuthentication.Single().Header("Authorization");
        server.On("GET", "/whoami", request => request.Header("Authorization") == firstToken ? Reply.Empty(401) : Reply.Json("""{"ok":true}"""));

        var result = await cli.RunAsync("whoami");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("\"ok\": true", result.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, server.Authentications.Count);
    }

    [Fact]
    public async Task A_refusal_of_a_brand_new_token_is_not_retried()
    {
        server.On("GET", "/whoami", Reply.Text("Unauthorized: Invalid token", 401));

        var result = await cli.RunAsync("whoami");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal("error: 401 Unauthorized: Unauthorized: Invalid token\n", result.Stderr);
        Assert.Single(server.Authentications);
        Assert.Single(server.RequestsExceptAuthentication);
    }

    [Fact]
    public async Task A_damaged_cache_file_is_a_miss()
    {
        await cli.RunAsync("whoami");
        File.WriteAllText(Directory.GetFiles(cli.TokenCacheDirectory).Single(), "{not json");

        var result = await cli.RunAsync("whoami");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(2, server.Authentications.Count);
    }

    [Fact]
    public async Task Caches_of_different_logins_do_not_mix()
    {
        await cli.RunAsync("whoami");
        cli.StoreCredentials(server.Url, "bob", "bobs-key");
        await cli.RunAsync("whoami");

        Assert.Equal(["/authn/acct/alice/authenticate", "/authn/acct/bob/authenticate"], server.Authentications.Select(r => r.RawPath));
        Assert.Equal(2, Directory.GetFiles(cli.TokenCacheDirectory).Length);
    }

    [Fact]
    public async Task A_garbage_api_key_in_the_environment_is_not_served_the_token_of_the_good_key()
    {
        await cli.RunAsync("whoami");
        server.On("POST", "/authn/acct/alice/authenticate", request =>
            request.BodyText == "alice-api-key" ? Reply.Json(server.IssueToken("alice")) : Reply.Empty(401));
        cli.Environment["CONJUR_AUTHN_LOGIN"] = "alice";
        cli.Environment["CONJUR_AUTHN_API_KEY"] = "garbage";

        var result = await cli.RunAsync("whoami");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal(2, server.Authentications.Count);
        Assert.Equal("garbage", server.Authentications[1].BodyText);
        Assert.Single(server.RequestsExceptAuthentication);
    }

    [Fact]
    public async Task A_rotated_api_key_gets_its_own_token_and_the_old_one_is_not_reused()
    {
        await cli.RunAsync("whoami");
        cli.StoreCredentials(server.Url, "alice", "alice-new-key");

        await cli.RunAsync("whoami");
        await cli.RunAsync("whoami");

        Assert.Equal(["alice-api-key", "alice-new-key"], server.Authentications.Select(r => r.BodyText));
        var headers = server.RequestsExceptAuthentication.Select(r => r.Header("Authorization")).ToList();
        Assert.NotEqual(headers[0], headers[1]);
        Assert.Equal(headers[1], headers[2]);
    }

    [Fact]
    public async Task Cache_file_names_are_keyed_by_a_private_random_key_not_a_plain_hash()
    {
        await cli.RunAsync("whoami");

        var keyFile = Path.Combine(Path.GetDirectoryName(cli.TokenCacheDirectory)!, "token-cache.key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        Assert.Equal(32, File.ReadAllBytes(keyFile).Length);
        var name = Path.GetFileNameWithoutExtension(Assert.Single(Directory.GetFiles(cli.TokenCacheDirectory)));
        foreach (var guess in new[] { "alice-api-key", "alice", "authn\nalice", "acct" })
        {
            Assert.DoesNotContain(guess, File.ReadAllText(Directory.GetFiles(cli.TokenCacheDirectory).Single()), StringComparison.Ordinal);
            Assert.NotEqual(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(guess))), name);
        }

        // A new HMAC key (another user, or a wiped key file) finds nothing: the name depends on the key.
        File.Delete(keyFile);
        await cli.RunAsync("whoami");
        Assert.Equal(2, server.Authentications.Count);
    }
}
