using System.Text.Json;
using System.Text.RegularExpressions;
using Secrets.Cli.Tests.Infrastructure;

namespace Secrets.Cli.Tests;

/// <summary>The CLI against the real server on SQLite (a PostgreSQL variant derives from <see cref="RealServerScenarios"/>).</summary>
public sealed class EndToEndAgainstRealServer(SqliteRealServer server) : RealServerScenarios(server), IClassFixture<SqliteRealServer>;

public sealed class EndToEndAgainstRealServerOnPostgres(PostgresRealServer server) : RealServerScenarios(server), IClassFixture<PostgresRealServer>;

/// <summary>
/// Every command against the real server started as a process: the CLI in-process with a temporary HOME, and once as
/// a process. Each scenario loads its own policy branch, so scenarios share the server but no rows.
/// </summary>
public abstract class RealServerScenarios(RealServer server) : IDisposable
{
    private static readonly byte[] Binary = [0x00, 0xFF, 0x10, 0x0A, 0x0D, 0x80, 0xC3, 0x28, 0x25, 0x32, 0x46];
    private readonly CliRunner admin = new();
    private readonly List<CliRunner> others = [];

    public void Dispose()
    {
        admin.Dispose();
        foreach (var runner in others)
        {
            runner.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Init_login_whoami_and_logout()
    {
        var init = await admin.RunAsync("init", "-u", server.Url.ToString(), "-a", RealServer.Account);
        var login = await admin.RunAsync("login", "-i", "admin", "-p", server.AdminApiKey);
        var netrc = File.ReadAllText(admin.NetrcPath);
        var whoami = await admin.RunAsync("whoami");
        var logout = await admin.RunAsync("logout");
        var afterLogout = await admin.RunAsync("whoami");

        Ok(init);
        Ok(login);
        Assert.Equal($"machine {server.Url.ToString().TrimEnd('/')}/authn\n  login admin\n  password {server.AdminApiKey}\n", netrc);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(admin.NetrcPath));
        Ok(whoami);
        using (var identity = JsonDocument.Parse(whoami.Stdout))
        {
            Assert.Equal("admin", identity.RootElement.GetProperty("username").GetString());
            Assert.Equal(RealServer.Account, identity.RootElement.GetProperty("account").GetString());
        }

        Ok(logout);
        Assert.Equal(ExitCodes.NotLoggedIn, afterLogout.ExitCode);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_and_nothing_is_stored()
    {
        admin.Configure(server.Url, RealServer.Account);

        var login = await admin.RunAsync("login", "-i", "admin", "-p", "not-the-key");

        Assert.Equal(ExitCodes.Failure, login.ExitCode);
        Assert.StartsWith("error: 401", login.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(admin.NetrcPath));
    }

    [Fact]
    public async Task Dry_run_then_load_then_update_from_standard_input()
    {
        var branch = await LogInAsAdminAsync();
        var file = WritePolicy(branch);

        var dryRun = await admin.RunAsync("policy", "load", "-b", "root", "-f", file, "--dry-run");
        Ok(dryRun);
        Assert.Matches($@"\n  variable +{Regex.Escape($"{RealServer.Account}:variable:{branch}/db/password")}\n", dryRun.Stdout);
        Assert.Matches($@"\n  host +{Regex.Escape($"{RealServer.Account}:host:{branch}/app")}\n", dryRun.Stdout);
        Assert.Equal("false\n", (await admin.RunAsync("resource", "exists", "-i", $"host:{branch}/app")).Stdout);

        var load = await admin.RunAsync("policy", "load", "-b", "root", "-f", file);
        Ok(load);
        using (var result = JsonDocument.Parse(load.Stdout))
        {
            var created = result.RootElement.GetProperty("created_roles");
            Assert.True(created.GetProperty($"{RealServer.Account}:host:{branch}/app").GetProperty("api_key").GetString()!.Length > 10);
            Assert.True(created.TryGetProperty($"{RealServer.Account}:user:alice@{branch}", out _));
            Assert.True(result.RootElement.GetProperty("version").GetInt32() >= 1);
        }

        var update = await admin.RunWithInputAsync("- !variable added-later\n", "policy", "update", "-b", branch, "-f", "-");
        Ok(update);
        Assert.Equal("true\n", (await admin.RunAsync("resource", "exists", "-i", $"variable:{branch}/added-later")).Stdout);
        Assert.Equal("true\n", (await admin.RunAsync("resource", "exists", "-i", $"host:{branch}/app")).Stdout);
    }

    [Fact]
    public async Task Replace_deletes_what_the_new_text_omits()
    {
        var branch = await LoadBranchAsync();

        // Rows belong to the policy named in the URL of the load that created them (spec §4.6): load into the branch
        // itself, so that a replace of the branch owns, and may delete, them.
        Ok(await admin.RunWithInputAsync("- !variable kept\n- !variable dropped\n", "policy", "load", "-b", branch, "-f", "-"));
        var replace = await admin.RunWithInputAsync("- !variable kept\n", "policy", "replace", "-b", branch, "-f", "-");

        Ok(replace);
        Assert.Equal("true\n", (await admin.RunAsync("resource", "exists", "-i", $"variable:{branch}/kept")).Stdout);
        Assert.Equal("false\n", (await admin.RunAsync("resource", "exists", "-i", $"variable:{branch}/dropped")).Stdout);

        // What the load into root created inside the branch is not this policy's to delete.
        Assert.Equal("true\n", (await admin.RunAsync("resource", "exists", "-i", $"variable:{branch}/db/password")).Stdout);
    }

    [Fact]
    public async Task Secrets_round_trip_as_text_binary_versions_and_batches()
    {
        var branch = await LoadBranchAsync();
        var binaryFile = Path.Combine(admin.Home, "key.bin");
        File.WriteAllBytes(binaryFile, Binary);

        Ok(await admin.RunAsync("variable", "set", "-i", $"{branch}/db/password", "-v", "first"));
        Ok(await admin.RunAsync("variable", "set", "-i", $"{branch}/db/password", "-v", "second value"));
        Ok(await admin.RunAsync("variable", "set", "-i", $"{branch}/tls/key", "-f", binaryFile));

        Assert.Equal("second value", (await admin.RunAsync("variable", "get", "-i", $"{branch}/db/password")).Stdout);
        Assert.Equal("first", (await admin.RunAsync("variable", "get", "-i", $"{branch}/db/password", "-v", "1")).Stdout);
        Assert.Equal(Binary, (await admin.RunAsync("variable", "get", "-i", $"{branch}/tls/key")).StdoutBytes);

        Ok(await admin.RunAsync("variable", "set", "-i", $"{branch}/tls/key", "-v", "now text"));
        var batch = await admin.RunAsync("variable", "get", "-i", $"{branch}/db/password", "-i", $"{branch}/tls/key");
        Ok(batch);
        using var values = JsonDocument.Parse(batch.Stdout);
        Assert.Equal("second value", values.RootElement.GetProperty($"{RealServer.Account}:variable:{branch}/db/password").GetString());
        Assert.Equal("now text", values.RootElement.GetProperty($"{RealServer.Account}:variable:{branch}/tls/key").GetString());
    }

    [Fact]
    public async Task Missing_and_empty_variables_exit_4_with_the_servers_message()
    {
        var branch = await LoadBranchAsync();

        var empty = await admin.RunAsync("variable", "get", "-i", $"{branch}/db/password");
        var missing = await admin.RunAsync("variable", "get", "-i", $"{branch}/nope");

        Assert.Equal(ExitCodes.NotFound, empty.ExitCode);
        Assert.Contains("CONJ00076E", empty.Stderr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.NotFound, missing.ExitCode);
    }

    [Fact]
    public async Task List_show_permitted_roles_and_check()
    {
        var branch = await LoadBranchAsync();

        var list = await admin.RunAsync("list", "-k", "variable", "-s", branch);
        var show = await admin.RunAsync("resource", "show", "-i", $"variable:{branch}/db/password");
        var permitted = await admin.RunAsync("resource", "permitted-roles", "-i", $"variable:{branch}/db/password", "-p", "execute");
        var allowed = await admin.RunAsync("check", $"variable:{branch}/db/password", "execute");
        var hostAllowed = await admin.RunAsync("check", $"variable:{branch}/db/password", "execute", "-r", $"host:{branch}/app");
        var hostDenied = await admin.RunAsync("check", $"variable:{branch}/db/password", "update", "-r", $"host:{branch}/app");

        Ok(list);
        Assert.Contains($"\"{RealServer.Account}:variable:{branch}/db/password\"", list.Stdout, StringComparison.Ordinal);
        Ok(show);
        using (var resource = JsonDocument.Parse(show.Stdout))
        {
            Assert.Equal($"{RealServer.Account}:policy:{branch}", resource.RootElement.GetProperty("owner").GetString());
        }

        Ok(permitted);
        Assert.Contains($"\"{RealServer.Account}:group:{branch}/readers\"", permitted.Stdout, StringComparison.Ordinal);
        Assert.Contains($"\"{RealServer.Account}:host:{branch}/app\"", permitted.Stdout, StringComparison.Ordinal);
        Assert.Equal("true\n", allowed.Stdout);
        Assert.Equal("true\n", hostAllowed.Stdout);
        Assert.Equal("false\n", hostDenied.Stdout);
    }

    [Fact]
    public async Task Roles_members_and_memberships()
    {
        var branch = await LoadBranchAsync();

        var exists = await admin.RunAsync("role", "exists", "-i", $"group:{branch}/readers");
        var missing = await admin.RunAsync("role", "exists", "-i", $"group:{branch}/nobody");
        var members = await admin.RunAsync("role", "members", "-i", $"group:{branch}/readers");
        var memberships = await admin.RunAsync("role", "memberships", "-i", $"host:{branch}/app");
        var recursive = await admin.RunAsync("role", "memberships", "-i", $"host:{branch}/app", "-r");

        Assert.Equal("true\n", exists.Stdout);
        Assert.Equal("false\n", missing.Stdout);
        Ok(members);
        Assert.Contains($"\"{RealServer.Account}:host:{branch}/app\"", members.Stdout, StringComparison.Ordinal);
        Ok(memberships);
        Assert.Contains($"\"{RealServer.Account}:group:{branch}/readers\"", memberships.Stdout, StringComparison.Ordinal);
        Assert.Contains($"\"{RealServer.Account}:layer:{branch}/apps\"", memberships.Stdout, StringComparison.Ordinal);
        Ok(recursive);
        Assert.Contains($"\"{RealServer.Account}:host:{branch}/app\"", recursive.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_logs_in_with_its_api_key_reads_what_it_may_and_loses_access_on_rotation()
    {
        var (branch, apiKeys) = await LoadBranchWithKeysAsync();
        Ok(await admin.RunAsync("variable", "set", "-i", $"{branch}/db/password", "-v", "for-the-host"));
        var host = Runner();
        host.Configure(server.Url, RealServer.Account);

        Ok(await host.RunAsync("login", "-i", $"host/{branch}/app", "-p", apiKeys[$"{RealServer.Account}:host:{branch}/app"]));
        var read = await host.RunAsync("variable", "get", "-i", $"{branch}/db/password");
        var write = await host.RunAsync("variable", "set", "-i", $"{branch}/db/password", "-v", "nope");
        var rotated = await admin.RunAsync("host", "rotate-api-key", "-i", $"{branch}/app");
        var staleLogin = await host.RunAsync("login", "-i", $"host/{branch}/app", "-p", apiKeys[$"{RealServer.Account}:host:{branch}/app"]);
        var freshLogin = await host.RunAsync("login", "-i", $"host/{branch}/app", "-p", rotated.Stdout.Trim());

        Assert.Equal("for-the-host", read.Stdout);
        Assert.Equal(ExitCodes.Failure, write.ExitCode);
        Assert.Equal("error: 403 Forbidden\n", write.Stderr);
        Ok(rotated);
        Assert.Equal(ExitCodes.Failure, staleLogin.ExitCode);
        Ok(freshLogin);
    }

    [Fact]
    public async Task A_user_rotates_their_own_key_and_changes_their_password()
    {
        var (branch, apiKeys) = await LoadBranchWithKeysAsync();
        var alice = Runner();
        alice.Configure(server.Url, RealServer.Account);
        var login = $"alice@{branch}";
        Ok(await alice.RunAsync("login", "-i", login, "-p", apiKeys[$"{RealServer.Account}:user:{login}"]));

        var rotate = await alice.RunAsync("user", "rotate-api-key");
        var whoami = await alice.RunAsync("whoami");
        var weak = await alice.RunAsync("user", "change-password", "-p", "weak");
        var change = await alice.RunAsync("user", "change-password", "-p", "Str0ng-Passw0rd!!");
        var withPassword = await alice.RunAsync("login", "-i", login, "-p", "Str0ng-Passw0rd!!");
        var rotatedByAdmin = await admin.RunAsync("user", "rotate-api-key", "-i", login);

        Ok(rotate);
        Assert.Contains($"password {rotate.Stdout.Trim()}\n", File.ReadAllText(alice.NetrcPath), StringComparison.Ordinal);
        Ok(whoami);
        Assert.Equal(ExitCodes.Failure, weak.ExitCode);
        Assert.Contains("CONJ00046E", weak.Stderr, StringComparison.Ordinal);
        Ok(change);
        Ok(withPassword);
        Ok(rotatedByAdmin);
        Assert.NotEqual(rotate.Stdout, rotatedByAdmin.Stdout);
    }

    [Fact]
    public async Task Host_factory_tokens_enrol_hosts_until_revoked()
    {
        var branch = await LoadBranchAsync();

        var tokens = await admin.RunAsync("hostfactory", "tokens", "create", "--hostfactory-id", $"{branch}/enrol", "--duration", "1h", "--cidr", "127.0.0.1/32", "-n", "2");
        Ok(tokens);
        using var created = JsonDocument.Parse(tokens.Stdout);
        Assert.Equal(2, created.RootElement.GetArrayLength());
        var token = created.RootElement[0].GetProperty("token").GetString()!;

        var anonymous = Runner();
        anonymous.Configure(server.Url, RealServer.Account);
        var host = await anonymous.RunAsync("hostfactory", "hosts", "create", "-i", $"{branch}-enrolled", "-t", token);
        Ok(host);
        using (var enrolled = JsonDocument.Parse(host.Stdout))
        {
            Assert.Equal($"{RealServer.Account}:host:{branch}-enrolled", enrolled.RootElement.GetProperty("id").GetString());
            Assert.True(enrolled.RootElement.GetProperty("api_key").GetString()!.Length > 10);
        }

        Ok(await admin.RunAsync("hostfactory", "tokens", "revoke", "-t", token));
        var afterRevoke = await anonymous.RunAsync("hostfactory", "hosts", "create", "-i", $"{branch}-late", "-t", token);
        Assert.Equal(ExitCodes.Failure, afterRevoke.ExitCode);
        Assert.StartsWith("error: 401", afterRevoke.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policy_errors_are_reported_with_the_servers_message()
    {
        await LogInAsAdminAsync();

        var invalid = await admin.RunWithInputAsync("- !nonsense x\n", "policy", "load", "-b", "root", "-f", "-");
        var deletion = await admin.RunWithInputAsync("- !delete\n  record: !variable x\n", "policy", "load", "-b", "root", "-f", "-");
        var missingBranch = await admin.RunWithInputAsync("- !variable x\n", "policy", "load", "-b", "no/such/branch", "-f", "-");

        Assert.Equal(ExitCodes.Failure, invalid.ExitCode);
        Assert.StartsWith("error: ", invalid.Stderr, StringComparison.Ordinal);
        Assert.Contains("nonsense", invalid.Stderr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Failure, deletion.ExitCode);
        Assert.Contains("may not contain deletion statements", deletion.Stderr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.NotFound, missingBranch.ExitCode);
    }

    [Fact]
    public async Task Authenticate_prints_a_header_the_server_accepts()
    {
        await LogInAsAdminAsync();

        var header = await admin.RunAsync("authenticate", "-H");
        var json = await admin.RunAsync("authenticate");

        Ok(header);
        Ok(json);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Url, "/whoami"));
        request.Headers.TryAddWithoutValidation("Authorization", header.Stdout["Authorization: ".Length..].Trim());
        using var response = await http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        using var token = JsonDocument.Parse(json.Stdout);
        Assert.True(token.RootElement.TryGetProperty("payload", out _));
    }

    [Fact]
    public async Task Public_keys_of_a_user_are_listed()
    {
        var branch = await LogInAsAdminAsync();
        var policy = $"- !policy\n  id: {branch}\n  body:\n  - !user\n    id: bob\n    public_keys:\n    - ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 bob@laptop\n";
        Ok(await admin.RunWithInputAsync(policy, "policy", "load", "-b", "root", "-f", "-"));

        var keys = await admin.RunAsync("pubkeys", "show", "-i", $"bob@{branch}");

        Ok(keys);
        Assert.Equal("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 bob@laptop\n", keys.Stdout);
    }

    [Fact]
    public async Task The_cli_as_a_process_logs_in_loads_policy_and_moves_binary_secrets()
    {
        var branch = "e2e-" + Guid.NewGuid().ToString("N")[..10];
        var home = Runner();
        home.Configure(server.Url, RealServer.Account);
        var policy = $"- !policy\n  id: {branch}\n  body:\n  - !variable blob\n";

        var login = await CliProcess.RunWithInputAsync(home.Home, server.AdminApiKey + "\n", "login", "-i", "admin");
        var load = await CliProcess.RunWithInputAsync(home.Home, policy, "policy", "load", "-b", "root", "-f", "-");
        var set = await CliProcess.RunAsync(home.Home, new Dictionary<string, string?>(), Binary, "variable", "set", "-i", $"{branch}/blob", "-f", "-");
        var get = await CliProcess.RunAsync(home.Home, "variable", "get", "-i", $"{branch}/blob");
        var missing = await CliProcess.RunAsync(home.Home, "variable", "get", "-i", $"{branch}/missing");

        Ok(login);
        Ok(load);
        Assert.Equal("Loaded policy 'root'\n", load.Stderr);
        Ok(set);
        Ok(get);
        Assert.Equal(Binary, get.StdoutBytes);
        Assert.Equal(ExitCodes.NotFound, missing.ExitCode);
    }

    [Fact]
    public async Task Environment_credentials_work_without_any_file()
    {
        var branch = await LoadBranchAsync();
        Ok(await admin.RunAsync("variable", "set", "-i", $"{branch}/db/password", "-v", "from-env"));
        var ci = Runner();
        ci.Environment["CONJUR_APPLIANCE_URL"] = server.Url.ToString();
        ci.Environment["CONJUR_ACCOUNT"] = RealServer.Account;
        ci.Environment["CONJUR_AUTHN_LOGIN"] = "admin";
        ci.Environment["CONJUR_AUTHN_API_KEY"] = server.AdminApiKey;

        var result = await ci.RunAsync("variable", "get", "-i", $"{branch}/db/password");

        Assert.Equal("from-env", result.Stdout);
        Assert.False(File.Exists(ci.ConjurrcPath));
        Assert.False(File.Exists(ci.NetrcPath));
    }

    private static void Ok(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    private CliRunner Runner()
    {
        var runner = new CliRunner();
        others.Add(runner);
        return runner;
    }

    /// <summary>Configures and logs in the admin runner; returns a fresh branch name for this scenario.</summary>
    private async Task<string> LogInAsAdminAsync()
    {
        admin.Configure(server.Url, RealServer.Account);
        var login = await admin.RunAsync("login", "-i", "admin", "-p", server.AdminApiKey);
        Assert.True(login.ExitCode == 0, $"{login}\n--- server\n{server.Output}");
        return "e2e-" + Guid.NewGuid().ToString("N")[..10];
    }

    private string WritePolicy(string branch)
    {
        var path = Path.Combine(admin.Home, $"{branch}.yml");
        File.WriteAllText(path, $"""
            - !policy
              id: {branch}
              body:
              - !variable db/password
              - !variable tls/key
              - !host app
              - !user alice
              - !group readers
              - !layer apps
              - !grant {"{"} role: !group readers, member: !host app {"}"}
              - !grant {"{"} role: !layer apps, member: !host app {"}"}
              - !permit {"{"} role: !group readers, privileges: [read, execute], resources: [ !variable db/password, !variable tls/key ] {"}"}
              - !host-factory {"{"} id: enrol, layers: [ !layer apps ] {"}"}
            """ + "\n");
        return path;
    }

    private async Task<string> LoadBranchAsync() => (await LoadBranchWithKeysAsync()).Branch;

    private async Task<(string Branch, Dictionary<string, string> ApiKeys)> LoadBranchWithKeysAsync()
    {
        var branch = await LogInAsAdminAsync();
        var load = await admin.RunAsync("policy", "load", "-b", "root", "-f", WritePolicy(branch));
        Assert.True(load.ExitCode == 0, $"{load}\n--- server\n{server.Output}");
        using var result = JsonDocument.Parse(load.Stdout);
        var keys = result.RootElement.GetProperty("created_roles").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetProperty("api_key").GetString()!, StringComparer.Ordinal);
        return (branch, keys);
    }
}
