using Secrets.Cli.Tests.Infrastructure;

namespace Secrets.Cli.Tests;

/// <summary>Conjur's environment variables override ~/.conjurrc and ~/.netrc, so CI jobs need no files.</summary>
public sealed class OverridingWithEnvironment : IAsyncLifetime
{
    private readonly CliRunner cli = new();
    private RecordingServer server = null!;

    public async Task InitializeAsync()
    {
        server = await RecordingServer.StartAsync();
        server.On("GET", "/whoami", Reply.Json("""{"username":"alice"}"""));
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        cli.Dispose();
    }

    [Fact]
    public async Task Url_account_login_and_api_key_come_from_the_environment_alone()
    {
        cli.Environment["CONJUR_APPLIANCE_URL"] = server.Url.ToString();
        cli.Environment["CONJUR_ACCOUNT"] = "envacct";
        cli.Environment["CONJUR_AUTHN_LOGIN"] = "host/ci";
        cli.Environment["CONJUR_AUTHN_API_KEY"] = "env-key";
        server.On("GET", "/secrets/envacct/variable/db%2Fpassword", Reply.Bytes("s3cret"u8.ToArray()));

        var result = await cli.RunAsync("variable", "get", "-i", "db/password");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("s3cret", result.Stdout);
        var authenticate = Assert.Single(server.Authentications);
        Assert.Equal("/authn/envacct/host%2Fci/authenticate", authenticate.RawPath);
        Assert.Equal("env-key", authenticate.BodyText);
    }

    [Fact]
    public async Task Environment_wins_over_conjurrc_and_netrc()
    {
        cli.Configure(new Uri("http://127.0.0.1:1"), account: "fileacct");
        cli.StoreCredentials(server.Url, "netrc-user", "netrc-key");
        cli.Environment["CONJUR_APPLIANCE_URL"] = server.Url.ToString();
        cli.Environment["CONJUR_ACCOUNT"] = "acct";

        var fromNetrc = await cli.RunAsync("whoami");
        cli.Environment["CONJUR_AUTHN_LOGIN"] = "env-user";
        cli.Environment["CONJUR_AUTHN_API_KEY"] = "env-key";
        var fromEnvironment = await cli.RunAsync("whoami");

        Assert.Equal(0, fromNetrc.ExitCode);
        Assert.Equal(0, fromEnvironment.ExitCode);
        Assert.Equal(
            ["/authn/acct/netrc-user/authenticate", "/authn/acct/env-user/authenticate"],
            server.Authentications.Select(r => r.RawPath));
    }

    [Fact]
    public async Task A_token_file_is_used_as_is_without_authenticating()
    {
        var token = server.IssueToken("host/app");
        var tokenFile = Path.Combine(cli.Home, "access-token");
        File.WriteAllText(tokenFile, token);
        cli.Configure(server.Url);
        cli.Environment["CONJUR_AUTHN_TOKEN_FILE"] = tokenFile;

        var result = await cli.RunAsync("whoami");

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(server.Authentications);
        Assert.Equal(FakeToken.HeaderFor(token), server.SingleRequest("GET", "/whoami").Header("Authorization"));
        Assert.False(Directory.Exists(cli.TokenCacheDirectory));
    }

    [Fact]
    public async Task A_missing_token_file_exits_3()
    {
        cli.Configure(server.Url);
        cli.Environment["CONJUR_AUTHN_TOKEN_FILE"] = Path.Combine(cli.Home, "nope");

        var result = await cli.RunAsync("whoami");

        Assert.Equal(ExitCodes.NotLoggedIn, result.ExitCode);
        Assert.Contains("Cannot read the access token file", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_login_without_an_api_key_exits_3()
    {
        cli.Configure(server.Url);
        cli.Environment["CONJUR_AUTHN_LOGIN"] = "alice";

        var result = await cli.RunAsync("whoami");

        Assert.Equal(ExitCodes.NotLoggedIn, result.ExitCode);
        Assert.Contains("must be set together", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cert_file_from_the_environment_is_trusted()
    {
        using var certificate = TestCertificates.SelfSigned();
        await using var tls = await RecordingServer.StartAsync(certificate);
        tls.On("GET", "/whoami", Reply.Json("{}"));
        cli.Environment["CONJUR_APPLIANCE_URL"] = $"https://127.0.0.1:{tls.Url.Port}";
        cli.Environment["CONJUR_ACCOUNT"] = "acct";
        cli.Environment["CONJUR_AUTHN_LOGIN"] = "alice";
        cli.Environment["CONJUR_AUTHN_API_KEY"] = "key";

        var untrusted = await cli.RunAsync("whoami");
        cli.Environment["CONJUR_CERT_FILE"] = TestCertificates.WritePem(Path.Combine(cli.Home, "server.pem"), certificate);
        var trusted = await cli.RunAsync("whoami");

        Assert.Equal(ExitCodes.Failure, untrusted.ExitCode);
        Assert.True(trusted.ExitCode == 0, trusted.ToString());
    }

    [Fact]
    public async Task A_missing_cert_file_exits_3()
    {
        cli.Configure(server.Url, extraYaml: $"cert_file: {cli.Home}/missing.pem\n");
        cli.StoreCredentials(server.Url, "alice", "key");

        var result = await cli.RunAsync("whoami");

        Assert.Equal(ExitCodes.NotLoggedIn, result.ExitCode);
        Assert.Contains("Cannot read the certificate file", result.Stderr, StringComparison.Ordinal);
    }
}
