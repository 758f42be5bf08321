using Secrets.Cli.Tests.Infrastructure;

namespace Secrets.Cli.Tests;

/// <summary>The real executable: Program.cs wiring, exit codes as the shell sees them, binary stdout, piped stdin.</summary>
public sealed class RunningAsAProcess : IAsyncLifetime
{
    private readonly CliRunner cli = new();
    private RecordingServer server = null!;

    public async Task InitializeAsync() => server = await RecordingServer.StartAsync();

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        cli.Dispose();
    }

    [Fact]
    public async Task Help_exits_0()
    {
        var result = await CliProcess.RunAsync(cli.Home, "--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Usage:\n  secrets [command] [options]", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_and_configuration_errors_reach_the_shell_as_2_and_3()
    {
        var usage = await CliProcess.RunAsync(cli.Home, "variable", "get");
        var notConfigured = await CliProcess.RunAsync(cli.Home, "variable", "get", "-i", "x");

        Assert.Equal(ExitCodes.Usage, usage.ExitCode);
        Assert.Equal(ExitCodes.NotLoggedIn, notConfigured.ExitCode);
        Assert.Contains("error: Not configured", notConfigured.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_from_a_pipe_then_a_binary_secret_byte_for_byte()
    {
        byte[] binary = [0, 1, 2, 0xFF, 0x0A, 0x0D, 0x0A, 0xC0, 0xAF];
        server.On("GET", "/authn/acct/login", Reply.Text("process-api-key"));
        server.On("GET", "/secrets/acct/variable/blob", Reply.Bytes(binary));
        cli.Configure(server.Url);

        var login = await CliProcess.RunWithInputAsync(cli.Home, "piped-password\n", "login", "-i", "alice");
        var get = await CliProcess.RunAsync(cli.Home, "variable", "get", "-i", "blob");

        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cli.NetrcPath));
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal(binary, get.StdoutBytes);
        Assert.Equal("process-api-key", server.Authentications.Single().BodyText);
    }

    [Fact]
    public async Task A_missing_secret_exits_4()
    {
        cli.LogIn(server);
        server.On("GET", "/secrets/acct/variable/nope", Reply.Error(404, "not_found", "CONJ00076E Variable acct:variable:nope is empty or not found."));

        var result = await CliProcess.RunAsync(cli.Home, "variable", "get", "-i", "nope");

        Assert.Equal(ExitCodes.NotFound, result.ExitCode);
        Assert.Equal("error: CONJ00076E Variable acct:variable:nope is empty or not found.\n", result.Stderr);
    }

    [Fact]
    public async Task Environment_variables_of_the_process_are_honoured()
    {
        server.On("GET", "/whoami", Reply.Json("""{"username":"host/ci"}"""));
        var environment = new Dictionary<string, string?>
        {
            ["CONJUR_APPLIANCE_URL"] = server.Url.ToString(),
            ["CONJUR_ACCOUNT"] = "acct",
            ["CONJUR_AUTHN_LOGIN"] = "host/ci",
            ["CONJUR_AUTHN_API_KEY"] = "k",
        };

        var result = await CliProcess.RunAsync(cli.Home, environment, [], "whoami");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("{\n  \"username\": \"host/ci\"\n}\n", result.Stdout);
    }
}
