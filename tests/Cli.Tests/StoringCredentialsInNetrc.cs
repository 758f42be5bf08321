using System.Net.Http.Headers;
using System.Text;
using Secrets.Cli.Configuration;
using Secrets.Cli.Tests.Infrastructure;

namespace Secrets.Cli.Tests;

/// <summary>
/// `login` exchanges the password for the API key and keeps login + API key in ~/.netrc (0600), exactly where the
/// Conjur CLI keeps them; `logout` removes them; other entries survive both.
/// </summary>
public sealed class StoringCredentialsInNetrc : IAsyncLifetime
{
    private readonly CliRunner cli = new();
    private RecordingServer server = null!;
    private string machine = "";

    public async Task InitializeAsync()
    {
        server = await RecordingServer.StartAsync();
        server.On("GET", "/authn/acct/login", Reply.Text("1x2y3z-api-key"));
        cli.Configure(server.Url);
        machine = server.Url.ToString().TrimEnd('/') + "/authn";
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        cli.Dispose();
    }

    [Fact]
    public async Task Login_stores_the_api_key_not_the_password_in_a_0600_netrc()
    {
        var result = await cli.RunAsync("login", "-i", "alice@dev-db", "-p", "My-Passw0rd!!");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("Logged in\n", result.Stdout);
        Assert.Equal($"machine {machine}\n  login alice@dev-db\n  password 1x2y3z-api-key\n", File.ReadAllText(cli.NetrcPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cli.NetrcPath));
        Assert.DoesNotContain("My-Passw0rd", File.ReadAllText(cli.NetrcPath), StringComparison.Ordinal);

        var request = server.SingleRequest("GET", "/authn/acct/login");
        var basic = AuthenticationHeaderValue.Parse(request.Header("Authorization")!);
        Assert.Equal("Basic", basic.Scheme);
        Assert.Equal("alice@dev-db:My-Passw0rd!!", Encoding.UTF8.GetString(Convert.FromBase64String(basic.Parameter!)));
    }

    [Fact]
    public async Task Login_tightens_an_existing_netrc_to_0600_and_keeps_other_machines()
    {
        File.WriteAllText(cli.NetrcPath, "machine github.com\n  login octocat\n  password ghp_x\n\nmacdef init\ncd /tmp\n\n");
        File.SetUnixFileMode(cli.NetrcPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await cli.RunAsync("login", "-i", "alice", "-p", "pw");

        Assert.Equal(
            $"machine github.com\n  login octocat\n  password ghp_x\n\nmacdef init\ncd /tmp\n\nmachine {machine}\n  login alice\n  password 1x2y3z-api-key\n",
            File.ReadAllText(cli.NetrcPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cli.NetrcPath));
    }

    [Fact]
    public async Task Logging_in_again_replaces_the_entry_of_this_appliance()
    {
        cli.StoreCredentials(server.Url, "bob", "old-key");

        await cli.RunAsync("login", "-i", "alice", "-p", "pw");

        Assert.Equal($"machine {machine}\n  login alice\n  password 1x2y3z-api-key\n", File.ReadAllText(cli.NetrcPath));
    }

    [Fact]
    public async Task Without_a_terminal_the_password_is_read_from_standard_input_without_a_prompt()
    {
        var result = await cli.RunWithInputAsync("from-stdin\n", "login", "-i", "alice");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr);
        var basic = server.SingleRequest("GET", "/authn/acct/login").Header("Authorization")!;
        Assert.Equal("alice:from-stdin", Encoding.UTF8.GetString(Convert.FromBase64String(basic["Basic ".Length..])));
    }

    [Fact]
    public async Task On_a_terminal_the_password_is_read_without_echo_and_the_login_is_prompted()
    {
        var prompts = new List<string>();
        cli.StdinIsTerminal = true;
        cli.TerminalSecretReader = prompt =>
        {
            prompts.Add(prompt);
            return "typed-secret";
        };

        var result = await cli.RunWithInputAsync("alice\n", "login");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["Enter password for alice: "], prompts);
        Assert.Contains("Enter your username to log into Conjur: ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("typed-secret", result.Stderr + result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_password_is_a_usage_error()
    {
        var result = await cli.RunWithInputAsync("\n", "login", "-i", "alice");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task A_rejected_password_exits_1_and_leaves_netrc_alone()
    {
        server.On("GET", "/authn/acct/login", Reply.Empty(401));
        cli.StoreCredentials(server.Url, "bob", "bobs-key");
        var before = File.ReadAllText(cli.NetrcPath);

        var result = await cli.RunAsync("login", "-i", "alice", "-p", "wrong");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal("error: 401 Unauthorized\n", result.Stderr);
        Assert.Equal(before, File.ReadAllText(cli.NetrcPath));
    }

    [Fact]
    public async Task Logout_removes_only_this_appliance_and_its_cached_token()
    {
        File.WriteAllText(cli.NetrcPath, "machine github.com login octocat password ghp_x\n");
        await cli.RunAsync("login", "-i", "alice", "-p", "pw");
        server.On("GET", "/whoami", Reply.Json("{}"));
        await cli.RunAsync("whoami");
        Assert.Single(Directory.GetFiles(cli.TokenCacheDirectory));

        var result = await cli.RunAsync("logout");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("Logged out\n", result.Stdout);
        Assert.Equal("machine github.com login octocat password ghp_x\n", File.ReadAllText(cli.NetrcPath));
        Assert.Empty(Directory.GetFiles(cli.TokenCacheDirectory));

        var after = await cli.RunAsync("whoami");
        Assert.Equal(ExitCodes.NotLoggedIn, after.ExitCode);
        Assert.Contains("Not logged in: run 'secrets login", after.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logout_when_not_logged_in_succeeds()
    {
        var result = await cli.RunAsync("logout");

        Assert.Equal(0, result.ExitCode);
        Assert.False(File.Exists(cli.NetrcPath));
    }

    [Fact]
    public async Task Commands_authenticate_with_the_stored_api_key()
    {
        await cli.RunAsync("login", "-i", "host/ci/runner", "-p", "pw");
        server.On("GET", "/whoami", Reply.Json("""{"account":"acct","username":"host/ci/runner"}"""));

        var result = await cli.RunAsync("whoami");

        Assert.Equal(0, result.ExitCode);
        var authenticate = Assert.Single(server.Authentications);
        Assert.Equal("/authn/acct/host%2Fci%2Frunner/authenticate", authenticate.RawPath);
        Assert.Equal("1x2y3z-api-key", authenticate.BodyText);
    }

    [Fact]
    public async Task Ldap_logins_use_the_authn_ldap_paths_and_their_own_netrc_machine()
    {
        cli.Configure(server.Url, extraYaml: "authn_type: ldap\nservice_id: corp\n");
        server.On("GET", "/authn-ldap/corp/acct/login", Reply.Text("ldap-api-key"));
        server.On("GET", "/whoami", Reply.Json("{}"));

        var login = await cli.RunAsync("login", "-i", "alice", "-p", "ldap-password");
        var whoami = await cli.RunAsync("whoami");

        Assert.Equal(0, login.ExitCode);
        Assert.Equal(0, whoami.ExitCode);
        Assert.Contains($"machine {server.Url.ToString().TrimEnd('/')}/authn-ldap/corp\n", File.ReadAllText(cli.NetrcPath), StringComparison.Ordinal);
        Assert.Equal("/authn-ldap/corp/acct/alice/authenticate", server.Authentications.Single().RawPath);
    }
}

/// <summary>The netrc reader/editor on its own, against files people actually have.</summary>
public sealed class EditingNetrcFiles
{
    [Fact]
    public void Finds_entries_on_one_line_or_many_and_skips_comments_and_macros()
    {
        const string text = "# work\nmachine a login x password y\nmacdef m\nmachine fake login no password no\n\nmachine b\n\tlogin \"with space\"\n\tpassword p2\ndefault login anon password guest\n";

        Assert.Equal(new NetrcEntry("a", "x", "y"), Netrc.Find(text, "a"));
        Assert.Equal(new NetrcEntry("b", "with space", "p2"), Netrc.Find(text, "b"));
        Assert.Null(Netrc.Find(text, "fake"));
        Assert.Null(Netrc.Find(text, "c"));
    }

    [Fact]
    public void Upsert_replaces_the_first_entry_and_drops_duplicates()
    {
        const string text = "machine m login a password 1\nmachine other login o password o\nmachine m login b password 2\n";

        var updated = Netrc.Upsert(text, "m", "c", "3");

        Assert.Equal("machine m\n  login c\n  password 3\nmachine other login o password o\n", updated);
    }

    [Fact]
    public void Upsert_appends_after_a_file_without_final_newline()
    {
        Assert.Equal("machine x login y password z\nmachine m\n  login c\n  password 3\n", Netrc.Upsert("machine x login y password z", "m", "c", "3"));
    }

    [Fact]
    public void Values_with_whitespace_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Netrc.Upsert("", "m", "a b", "k"));
    }

    [Fact]
    public void Remove_keeps_everything_else_byte_for_byte()
    {
        const string text = "machine a login x password y\n\n# note\nmachine m login c password 3\nmachine z login q password r\n";

        Assert.Equal("machine a login x password y\n\n# note\nmachine z login q password r\n", Netrc.Remove(text, "m"));
    }
}
