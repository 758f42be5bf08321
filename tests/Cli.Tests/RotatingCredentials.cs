using System.Text;
using Secrets.Cli.Tests.Infrastructure;

namespace Secrets.Cli.Tests;

/// <summary>
/// `user rotate-api-key`, `user change-password`, `host rotate-api-key`, `authenticate`, `whoami`: own-credential
/// operations use Basic auth with the stored API key (the server refuses tokens for them), others use the token.
/// </summary>
public sealed class RotatingCredentials : IAsyncLifetime
{
    private readonly CliRunner cli = new();
    private RecordingServer server = null!;

    public async Task InitializeAsync()
    {
        server = await RecordingServer.StartAsync();
        cli.LogIn(server, "alice@dev-db", "old-key");
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        cli.Dispose();
    }

    [Fact]
    public async Task Rotating_your_own_key_uses_basic_auth_and_updates_netrc()
    {
        server.On("PUT", "/authn/acct/api_key", Reply.Text("new-key"));

        var result = await cli.RunAsync("user", "rotate-api-key");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("new-key\n", result.Stdout);
        var request = server.SingleRequest("PUT", "/authn/acct/api_key");
        Assert.Equal("", request.RawQuery);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice@dev-db:old-key")), request.Header("Authorization"));
        Assert.Empty(server.Authentications);
        Assert.Contains("  password new-key\n", File.ReadAllText(cli.NetrcPath), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cli.NetrcPath));
    }

    [Fact]
    public async Task Rotating_another_users_key_uses_the_token_and_the_role_parameter()
    {
        server.On("PUT", "/authn/acct/api_key", Reply.Text("bobs-new-key"));

        var result = await cli.RunAsync("user", "rotate-api-key", "-i", "bob@dev-db");

        Assert.Equal("bobs-new-key\n", result.Stdout);
        var request = server.SingleRequest("PUT", "/authn/acct/api_key");
        Assert.Equal("role=user%3Abob%40dev-db", request.RawQuery);
        Assert.StartsWith("Token token=", request.Header("Authorization"), StringComparison.Ordinal);
        Assert.Contains("password old-key", File.ReadAllText(cli.NetrcPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotating_a_hosts_key_names_the_host()
    {
        server.On("PUT", "/authn/acct/api_key", Reply.Text("host-key"));

        var result = await cli.RunAsync("host", "rotate-api-key", "-i", "prod/app-01");

        Assert.Equal("host-key\n", result.Stdout);
        Assert.Equal("role=host%3Aprod%2Fapp-01", server.SingleRequest("PUT", "/authn/acct/api_key").RawQuery);
    }

    [Fact]
    public async Task Rotating_a_group_is_refused_by_the_server()
    {
        server.On("PUT", "/authn/acct/api_key", Reply.Error(405, "method_not_allowed", "CONJ00126E Role 'acct:group:ops' is not applicable for key rotation"));

        var result = await cli.RunAsync("host", "rotate-api-key", "-i", "group:ops");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal("error: CONJ00126E Role 'acct:group:ops' is not applicable for key rotation\n", result.Stderr);
    }

    [Fact]
    public async Task Changing_the_password_sends_it_raw_with_basic_auth()
    {
        server.On("PUT", "/authn/acct/password", Reply.Empty(204));

        var result = await cli.RunAsync("user", "change-password", "-p", "N3w-Passw0rd!!");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("Password changed\n", result.Stdout);
        var request = server.SingleRequest("PUT", "/authn/acct/password");
        Assert.Equal("N3w-Passw0rd!!", request.BodyText);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice@dev-db:old-key")), request.Header("Authorization"));
    }

    [Fact]
    public async Task On_a_terminal_the_new_password_is_asked_twice()
    {
        server.On("PUT", "/authn/acct/password", Reply.Empty(204));
        var answers = new Queue<string>(["N3w-Passw0rd!!", "typo"]);
        cli.TerminalSecretReader = _ => answers.Dequeue();

        var result = await cli.RunAsync("user", "change-password");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("do not match", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task A_weak_password_is_refused_with_the_servers_message()
    {
        server.On("PUT", "/authn/acct/password", Reply.Json(
            """{"error":{"code":"validation_failed","message":"password CONJ00046E The password you have chosen does not meet the complexity requirements.","details":[{"code":"validation_failed","target":"password","message":"CONJ00046E"}]}}""", 422));

        var result = await cli.RunWithInputAsync("weak\n", "user", "change-password");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal("error: password CONJ00046E The password you have chosen does not meet the complexity requirements.\n", result.Stderr);
    }

    [Fact]
    public async Task Own_credential_operations_need_an_api_key_login()
    {
        var tokenFile = Path.Combine(cli.Home, "token");
        File.WriteAllText(tokenFile, server.IssueToken("alice"));
        cli.Environment["CONJUR_AUTHN_TOKEN_FILE"] = tokenFile;

        var result = await cli.RunAsync("user", "change-password", "-p", "x");

        Assert.Equal(ExitCodes.NotLoggedIn, result.ExitCode);
        Assert.Contains("needs a login with an API key", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authenticate_prints_a_fresh_token_or_the_header()
    {
        var json = await cli.RunAsync("authenticate");
        var header = await cli.RunAsync("authenticate", "-H");

        Assert.Equal(2, server.Authentications.Count);
        Assert.All(server.Authentications, r => Assert.Equal("/authn/acct/alice%40dev-db/authenticate", r.RawPath));
        Assert.StartsWith("{\n  \"protected\": \"", json.Stdout, StringComparison.Ordinal);
        Assert.Matches("^Authorization: Token token=\"[A-Za-z0-9+/=]+\"\n$", header.Stdout);
        Assert.Contains("\"sub\":\"alice@dev-db\"", FakeTokenPayload(header.Stdout["Authorization: ".Length..].Trim()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Whoami_prints_the_servers_json()
    {
        server.On("GET", "/whoami", Reply.Json("""{"client_ip":"127.0.0.1","user_agent":"x","account":"acct","username":"alice@dev-db","token_issued_at":"2024-05-01T10:00:00.000+00:00"}"""));

        var result = await cli.RunAsync("whoami");

        Assert.Equal(
            "{\n  \"client_ip\": \"127.0.0.1\",\n  \"user_agent\": \"x\",\n  \"account\": \"acct\",\n  \"username\": \"alice@dev-db\",\n  \"token_issued_at\": \"2024-05-01T10:00:00.000+00:00\"\n}\n",
            result.Stdout);
        Assert.StartsWith("secrets-cli/", server.SingleRequest("GET", "/whoami").Header("User-Agent"), StringComparison.Ordinal);
    }

    private static string FakeTokenPayload(string header)
    {
        var json = FakeToken.JsonOf(header);
        using var document = System.Text.Json.JsonDocument.Parse(json);
        var payload = document.RootElement.GetProperty("payload").GetString()!.Replace('-', '+').Replace('_', '/');
        return Encoding.UTF8.GetString(Convert.FromBase64String(payload));
    }
}
