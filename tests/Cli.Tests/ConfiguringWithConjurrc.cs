using System.Security.Cryptography.X509Certificates;
using Secrets.Cli.Tests.Infrastructure;

namespace Secrets.Cli.Tests;

/// <summary>`secrets init` writes ~/.conjurrc in the Conjur CLI's format, and every command reads it back.</summary>
public sealed class ConfiguringWithConjurrc : IDisposable
{
    private readonly CliRunner cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Init_writes_the_conjur_keys_in_yaml()
    {
        var result = await cli.RunAsync("init", "-u", "https://conjur.example.com/", "-a", "myorg");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal($"Wrote configuration to {cli.ConjurrcPath}\n", result.Stdout);
        Assert.Equal("account: myorg\nappliance_url: https://conjur.example.com\nauthn_type: authn\n", File.ReadAllText(cli.ConjurrcPath));
    }

    [Fact]
    public async Task Init_refuses_to_overwrite_without_force()
    {
        File.WriteAllText(cli.ConjurrcPath, "account: old\nappliance_url: https://old.example.com\n");

        var refused = await cli.RunAsync("init", "-u", "https://new.example.com", "-a", "new");
        Assert.Equal(ExitCodes.Failure, refused.ExitCode);
        Assert.Contains("already exists; use --force", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("old.example.com", File.ReadAllText(cli.ConjurrcPath), StringComparison.Ordinal);

        var forced = await cli.RunAsync("init", "-u", "https://new.example.com", "-a", "new", "--force");
        Assert.Equal(0, forced.ExitCode);
        Assert.Contains("appliance_url: https://new.example.com", File.ReadAllText(cli.ConjurrcPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_records_the_workload_identity_for_later_commands()
    {
        var result = await cli.RunAsync(
            "init", "-u", "https://conjur.example.com", "-a", "myorg",
            "--authn-type", "k8s", "--service-id", "prod/gke", "--jwt-file", "/var/run/token", "--jwt-host-id", "host/app");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
            "account: myorg\nappliance_url: https://conjur.example.com\nauthn_type: k8s\nservice_id: prod/gke\njwt_file: /var/run/token\njwt_host_id: host/app\n",
            File.ReadAllText(cli.ConjurrcPath));
    }

    [Fact]
    public async Task Init_with_a_ca_certificate_records_its_absolute_path()
    {
        var (authority, leaf) = TestCertificates.AuthorityAndLeaf();
        using (authority)
        using (leaf)
        {
            var caFile = TestCertificates.WritePem(Path.Combine(cli.Home, "ca.pem"), authority);

            var result = await cli.RunAsync("init", "-u", "https://conjur.example.com", "-a", "myorg", "--ca-cert", caFile);

            Assert.Equal(0, result.ExitCode);
            Assert.Contains($"cert_file: {caFile}\n", File.ReadAllText(cli.ConjurrcPath), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Init_with_an_unreadable_ca_certificate_is_a_usage_error()
    {
        File.WriteAllText(Path.Combine(cli.Home, "not-a-cert.pem"), "hello");

        var result = await cli.RunAsync("init", "-u", "https://conjur.example.com", "-a", "myorg", "--ca-cert", Path.Combine(cli.Home, "not-a-cert.pem"));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.False(File.Exists(cli.ConjurrcPath));
    }

    [Fact]
    public async Task Init_warns_about_plain_http_to_another_machine()
    {
        var result = await cli.RunAsync("init", "-u", "http://conjur.example.com", "-a", "myorg");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("warning: the appliance URL uses plain HTTP", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Conjurrc_environment_variable_selects_another_file()
    {
        var custom = Path.Combine(cli.Home, "elsewhere.yml");
        cli.Environment["CONJURRC"] = custom;
        await using var server = await RecordingServer.StartAsync();
        server.On("GET", "/whoami", Reply.Json("""{"username":"alice"}"""));

        var init = await cli.RunAsync("init", "-u", server.Url.ToString(), "-a", "acct");
        cli.StoreCredentials(server.Url, "alice", "key");
        var whoami = await cli.RunAsync("whoami");

        Assert.Equal(0, init.ExitCode);
        Assert.True(File.Exists(custom));
        Assert.False(File.Exists(cli.ConjurrcPath));
        Assert.Equal(0, whoami.ExitCode);
    }

    [Fact]
    public async Task A_conjurrc_written_by_the_ruby_cli_is_understood()
    {
        await using var server = await RecordingServer.StartAsync();
        server.On("GET", "/whoami", Reply.Json("""{"username":"alice"}"""));
        File.WriteAllText(cli.ConjurrcPath, $"---\naccount: acct\nplugins: []\nappliance_url: \"{server.Url.ToString().TrimEnd('/')}\"\nnetrc_path: {cli.Home}/custom-netrc\n");
        File.WriteAllText(Path.Combine(cli.Home, "custom-netrc"), $"machine {server.Url.ToString().TrimEnd('/')}/authn\nlogin alice\npassword key\n");

        var result = await cli.RunAsync("whoami");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("/authn/acct/alice/authenticate", server.Authentications.Single().RawPath);
    }

    [Fact]
    public async Task A_missing_configuration_exits_3_and_says_how_to_configure()
    {
        var result = await cli.RunAsync("variable", "get", "-i", "db/password");

        Assert.Equal(ExitCodes.NotLoggedIn, result.ExitCode);
        Assert.Contains("Not configured: run 'secrets init -u URL -a ACCOUNT'", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_conjurrc_exits_3()
    {
        File.WriteAllText(cli.ConjurrcPath, "account: [unclosed\n");

        var result = await cli.RunAsync("whoami");

        Assert.Equal(ExitCodes.NotLoggedIn, result.ExitCode);
        Assert.Contains("is not valid YAML", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_authn_type_in_conjurrc_exits_3()
    {
        File.WriteAllText(cli.ConjurrcPath, "account: acct\nappliance_url: https://conjur.example.com\nauthn_type: kerberos\n");

        var result = await cli.RunAsync("whoami");

        Assert.Equal(ExitCodes.NotLoggedIn, result.ExitCode);
        Assert.Contains("Unsupported authn_type 'kerberos'", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_self_signed_saves_the_server_certificate_and_later_commands_trust_it()
    {
        using var certificate = TestCertificates.SelfSigned();
        await using var server = await RecordingServer.StartAsync(certificate);
        server.On("GET", "/authn/acct/login", Reply.Text("the-api-key"));
        var url = $"https://127.0.0.1:{server.Url.Port}";

        var init = await cli.RunAsync("init", "-u", url, "-a", "acct", "--self-signed");
        var login = await cli.RunAsync("login", "-i", "alice", "-p", "secret");

        Assert.Equal(0, init.ExitCode);
        var pemPath = Path.Combine(cli.Home, "conjur-acct.pem");
        Assert.Contains($"cert_file: {pemPath}\n", File.ReadAllText(cli.ConjurrcPath), StringComparison.Ordinal);
        Assert.Equal(certificate.RawData, ReadPem(pemPath).RawData);
        Assert.Contains("SHA-256 fingerprint is", init.Stderr, StringComparison.Ordinal);
        Assert.True(login.ExitCode == 0, login.ToString());
    }

    [Fact]
    public async Task Without_the_certificate_a_self_signed_server_is_refused()
    {
        using var certificate = TestCertificates.SelfSigned();
        await using var server = await RecordingServer.StartAsync(certificate);
        cli.Configure(new Uri($"https://127.0.0.1:{server.Url.Port}"));

        var login = await cli.RunAsync("login", "-i", "alice", "-p", "secret");

        Assert.Equal(ExitCodes.Failure, login.ExitCode);
        Assert.Contains("error: cannot reach the server", login.Stderr, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task A_ca_certificate_in_cert_file_validates_the_servers_chain()
    {
        var (authority, leaf) = TestCertificates.AuthorityAndLeaf();
        using (authority)
        using (leaf)
        {
            await using var server = await RecordingServer.StartAsync(leaf);
            server.On("GET", "/authn/acct/login", Reply.Text("the-api-key"));
            var caFile = TestCertificates.WritePem(Path.Combine(cli.Home, "ca.pem"), authority);
            await cli.RunAsync("init", "-u", $"https://127.0.0.1:{server.Url.Port}", "-a", "acct", "--ca-cert", caFile);

            var login = await cli.RunAsync("login", "-i", "alice", "-p", "secret");

            Assert.True(login.ExitCode == 0, login.ToString());
        }
    }

    [Fact]
    public async Task A_pinned_certificate_does_not_excuse_a_host_name_mismatch()
    {
        using var certificate = TestCertificates.SelfSigned(dnsName: "other.example.com", includeLoopbackIp: false);
        await using var server = await RecordingServer.StartAsync(certificate);
        var pem = TestCertificates.WritePem(Path.Combine(cli.Home, "pinned.pem"), certificate);
        cli.Configure(new Uri($"https://127.0.0.1:{server.Url.Port}"), extraYaml: $"cert_file: {pem}\n");

        var login = await cli.RunAsync("login", "-i", "alice", "-p", "secret");

        Assert.Equal(ExitCodes.Failure, login.ExitCode);
        Assert.Contains("cannot reach the server", login.Stderr, StringComparison.Ordinal);
    }

    private static X509Certificate2 ReadPem(string path)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(path);
        return Assert.Single(certificates);
    }
}
