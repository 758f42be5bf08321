using System.CommandLine;
using Secrets.Cli.Tests.Infrastructure;

namespace Secrets.Cli.Tests;

/// <summary>Every command parses its arguments before anything touches the network; wrong usage exits 2.</summary>
public sealed class ParsingCommandLines : IAsyncLifetime
{
    private readonly CliRunner cli = new();
    private RecordingServer server = null!;

    public async Task InitializeAsync()
    {
        server = await RecordingServer.StartAsync();
        cli.LogIn(server);
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        cli.Dispose();
    }

    public static TheoryData<string> AllCommands()
    {
        var data = new TheoryData<string>();
        using var host = new MemoryStream();
        var root = CliApp.BuildRootCommand(new CliSession(new CliHost
        {
            Stdout = host,
            Stderr = TextWriter.Null,
            Stdin = Stream.Null,
            Environment = new Dictionary<string, string?>(),
            Home = Path.GetTempPath(),
        }));
        Walk(root, "");
        return data;

        void Walk(Command command, string path)
        {
            data.Add(path);
            foreach (var child in command.Subcommands)
            {
                Walk(child, (path + " " + child.Name).Trim());
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllCommands))]
    public async Task Every_command_has_help_with_an_example(string command)
    {
        var result = await cli.RunAsync([.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Usage:", result.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"Examples?:\n  secrets ", result.Stdout);
        Assert.Empty(server.Requests);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("")]
    [InlineData("policy")]
    [InlineData("policy load -f policy.yml")]
    [InlineData("policy load -b root")]
    [InlineData("variable get")]
    [InlineData("variable get -i db/password -v two")]
    [InlineData("variable get -i db/password --bogus")]
    [InlineData("variable set -v x")]
    [InlineData("check variable:db/password")]
    [InlineData("resource permitted-roles -i variable:db/password")]
    [InlineData("host rotate-api-key")]
    [InlineData("hostfactory tokens create")]
    [InlineData("hostfactory tokens revoke")]
    [InlineData("hostfactory hosts create -i app")]
    [InlineData("init -u https://conjur.example.com")]
    [InlineData("whoami --authn-type oauth")]
    [InlineData("completion tcsh")]
    public async Task Malformed_command_lines_exit_2_without_calling_the_server(string commandLine)
    {
        var result = await cli.RunAsync(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith("error: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--help' for usage", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
        Assert.Empty(server.Requests);
    }

    [Theory]
    [InlineData("variable set -i db/password -v x -f value.bin", "exactly one of -v VALUE or -f FILE")]
    [InlineData("variable set -i db/password", "exactly one of -v VALUE or -f FILE")]
    [InlineData("variable get -i a -i b -v 2", "--version works with a single --id")]
    [InlineData("variable get -i a -v 0", "--version must be a positive integer")]
    [InlineData("policy load -b root -f does-not-exist.yml", "Cannot read 'does-not-exist.yml'")]
    [InlineData("variable set -i db/password -f does-not-exist.bin", "Cannot read 'does-not-exist.bin'")]
    [InlineData("resource show", "An id is required")]
    [InlineData("resource show -i variable:a variable:b", "Give the id once")]
    [InlineData("resource show -i no-kind-here", "is not a resource id")]
    [InlineData("hostfactory tokens create -i prod --duration soon", "is not a duration")]
    [InlineData("hostfactory tokens create -i prod --duration 0m", "longer than zero")]
    [InlineData("hostfactory tokens create -i prod -n 0", "--count must be at least 1")]
    [InlineData("hostfactory hosts create -i app -t tok --annotation novalue", "is not NAME=VALUE")]
    [InlineData("list -l 0", "--limit must be a positive integer")]
    [InlineData("list -o -1", "--offset must be zero or more")]
    [InlineData("init -u ftp://conjur -a acct --force", "is not an http(s) URL")]
    [InlineData("init -u https://conjur -a a:b --force", "may not be empty or contain")]
    [InlineData("init -u http://conjur -a acct --self-signed --force", "need an https URL")]
    [InlineData("init -u https://conjur -a acct --self-signed --ca-cert ca.pem --force", "either --self-signed or --ca-cert")]
    [InlineData("init -u https://conjur -a acct --authn-type jwt --force", "--authn-type jwt needs --service-id")]
    public async Task Semantically_wrong_arguments_exit_2_with_a_clear_message(string commandLine, string message)
    {
        var result = await cli.RunAsync(commandLine.Split(' '));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.Empty(server.RequestsExceptAuthentication);
    }

    [Fact]
    public async Task Repeated_ids_select_the_batch_endpoint_and_a_single_id_the_plain_one()
    {
        server.On("GET", "/secrets", Reply.Json("""{"acct:variable:a":"1","acct:variable:b":"2"}"""));
        server.On("GET", "/secrets/acct/variable/a", Reply.Bytes("1"u8.ToArray()));

        var batch = await cli.RunAsync("variable", "get", "-i", "a", "-i", "b");
        var single = await cli.RunAsync("variable", "get", "--id", "a");

        Assert.Equal(0, batch.ExitCode);
        Assert.Equal(0, single.ExitCode);
        Assert.Equal(["/secrets", "/secrets/acct/variable/a"], server.RequestsExceptAuthentication.Select(r => r.RawPath));
    }

    [Fact]
    public async Task Version_option_of_the_root_command_prints_a_version()
    {
        var result = await cli.RunAsync("--version");

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", result.Stdout);
    }
}
