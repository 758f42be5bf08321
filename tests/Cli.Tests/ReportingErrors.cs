using System.Net;
using System.Net.Sockets;
using Secrets.Cli.Tests.Infrastructure;

namespace Secrets.Cli.Tests;

/// <summary>Every failure prints one `error: …` line on stderr (the server's error.message or the status line) and a stable exit code.</summary>
public sealed class ReportingErrors : IAsyncLifetime
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

    [Theory]
    [InlineData(403, "", null, ExitCodes.Failure, "error: 403 Forbidden")]
    [InlineData(404, "", null, ExitCodes.NotFound, "error: 404 Not Found")]
    [InlineData(401, "Authorization missing", "text/plain", ExitCodes.Failure, "error: 401 Unauthorized: Authorization missing")]
    [InlineData(422, """{"error":{"code":"argument_error","message":"invalid type for parameter 'version'"}}""", "application/json", ExitCodes.Failure, "error: invalid type for parameter 'version'")]
    [InlineData(406, """{"error":{"code":"not_acceptable","message":"CONJ00074E Issue encoding secret into JSON format."}}""", "application/json", ExitCodes.Failure, "error: CONJ00074E Issue encoding secret into JSON format.")]
    [InlineData(405, """{"error":{"code":405,"message":"Write operations are not allowed"}}""", "application/json", ExitCodes.Failure, "error: Write operations are not allowed")]
    [InlineData(500, "<html>oops</html>", "text/html", ExitCodes.Failure, "error: 500 Internal Server Error")]
    [InlineData(422, """{"error":{"code":"validation_failed","message":"a b","details":[{"x":1}]}}""", "application/json", ExitCodes.Failure, "error: a b")]
    [InlineData(502, """{"unexpected":"shape"}""", "application/json", ExitCodes.Failure, "error: 502 Bad Gateway")]
    public async Task Server_errors_map_to_a_message_and_an_exit_code(int status, string body, string? contentType, int exitCode, string stderr)
    {
        server.On("GET", "/secrets/acct/variable/x", new Reply(status, System.Text.Encoding.UTF8.GetBytes(body), contentType));

        var result = await cli.RunAsync("variable", "get", "-i", "x");

        Assert.Equal(exitCode, result.ExitCode);
        Assert.Equal(stderr + "\n", result.Stderr);
        Assert.Empty(result.StdoutBytes);
    }

    [Fact]
    public async Task A_refused_api_key_exits_1()
    {
        server.On("POST", "/authn/acct/alice/authenticate", Reply.Empty(401));

        var result = await cli.RunAsync("whoami");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal("error: 401 Unauthorized\n", result.Stderr);
    }

    [Fact]
    public async Task An_unreachable_server_exits_1()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        cli.LogIn(server);
        cli.Configure(new Uri($"http://127.0.0.1:{port}"));
        cli.StoreCredentials(new Uri($"http://127.0.0.1:{port}"), "alice", "key");

        var result = await cli.RunAsync("whoami");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.StartsWith("error: cannot reach the server: ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_success_that_is_not_json_exits_1()
    {
        server.On("GET", "/whoami", Reply.Text("<html>a proxy login page</html>"));

        var result = await cli.RunAsync("whoami");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.StartsWith("error: The server sent a response that is not JSON", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_of_an_unexpected_shape_exits_1()
    {
        server.On("GET", "/resources/acct", Reply.Json("""{"not":"an array"}"""));

        var result = await cli.RunAsync("list");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.StartsWith("error: ", result.Stderr, StringComparison.Ordinal);
    }
}
