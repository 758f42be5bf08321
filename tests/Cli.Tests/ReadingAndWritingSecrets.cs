using System.Text;
using Secrets.Cli.Tests.Infrastructure;

namespace Secrets.Cli.Tests;

/// <summary>`variable get` and `variable set`: encoded paths, raw bodies, binary-safe output, the batch endpoint.</summary>
public sealed class ReadingAndWritingSecrets : IAsyncLifetime
{
    private static readonly byte[] Binary = [0x00, 0xFF, 0xFE, 0x0A, 0x0D, 0x80, 0x25, 0x32, 0x46, 0xC3, 0x28];
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

    [Fact]
    public async Task Get_sends_the_token_and_encodes_the_identifier_as_one_segment()
    {
        server.On("GET", "/secrets/acct/variable/prod%2Fdb%2Fpass%20word%40x", Reply.Bytes("value"u8.ToArray()));

        var result = await cli.RunAsync("variable", "get", "-i", "prod/db/pass word@x");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("value", result.Stdout);
        var request = server.RequestsExceptAuthentication.Single();
        Assert.Equal("GET", request.Method);
        var token = FakeToken.JsonOf(request.Header("Authorization")!);
        Assert.Equal("/authn/acct/alice/authenticate", server.Authentications.Single().RawPath);
        Assert.Contains("\"payload\"", token, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_writes_binary_values_byte_for_byte_without_a_newline()
    {
        server.On("GET", "/secrets/acct/variable/tls%2Fkey", Reply.Bytes(Binary));

        var result = await cli.RunAsync("variable", "get", "-i", "tls/key");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Binary, result.StdoutBytes);
    }

    [Fact]
    public async Task On_a_terminal_a_newline_follows_the_value()
    {
        cli.StdoutIsTerminal = true;
        server.On("GET", "/secrets/acct/variable/x", Reply.Bytes("v"u8.ToArray()));

        var result = await cli.RunAsync("variable", "get", "-i", "x");

        Assert.Equal("v\n", result.Stdout);
    }

    [Fact]
    public async Task Get_asks_for_a_version_in_the_query()
    {
        server.On("GET", "/secrets/acct/variable/db%2Fpassword", Reply.Bytes("old"u8.ToArray()));

        var result = await cli.RunAsync("variable", "get", "-i", "db/password", "-v", "2");

        Assert.Equal("old", result.Stdout);
        Assert.Equal("version=2", server.RequestsExceptAuthentication.Single().RawQuery);
    }

    [Fact]
    public async Task Full_and_kind_qualified_ids_are_accepted()
    {
        server.On("GET", "/secrets/other/variable/a%3Ab", Reply.Bytes("1"u8.ToArray()));
        server.On("GET", "/secrets/acct/variable/c", Reply.Bytes("2"u8.ToArray()));

        var full = await cli.RunAsync("variable", "get", "-i", "other:variable:a:b");
        var qualified = await cli.RunAsync("variable", "get", "-i", "variable:c");

        Assert.Equal("1", full.Stdout);
        Assert.Equal("2", qualified.Stdout);
    }

    [Fact]
    public async Task Several_ids_use_the_batch_endpoint_with_base64_and_print_json()
    {
        server.On("GET", "/secrets", request => new Reply(
            200,
            Encoding.UTF8.GetBytes($$"""{"acct:variable:db/user":"{{B64("admin")}}","acct:variable:db/pass":"{{B64("p@ss\nword")}}"}"""),
            "application/json",
            new Dictionary<string, string> { ["Content-Encoding"] = "base64" }));

        var result = await cli.RunAsync("variable", "get", "-i", "db/user", "-i", "acct:variable:db/pass");

        Assert.Equal(0, result.ExitCode);
        var request = server.RequestsExceptAuthentication.Single();
        Assert.Equal("variable_ids=acct%3Avariable%3Adb%2Fuser%2Cacct%3Avariable%3Adb%2Fpass", request.RawQuery);
        Assert.Equal("base64", request.Header("Accept-Encoding"));
        Assert.Equal("{\n  \"acct:variable:db/pass\": \"p@ss\\nword\",\n  \"acct:variable:db/user\": \"admin\"\n}\n", result.Stdout);

        static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
    }

    [Fact]
    public async Task The_batch_endpoint_without_base64_is_understood_too()
    {
        server.On("GET", "/secrets", Reply.Json("""{"acct:variable:a":"1","acct:variable:b":"2"}"""));

        var result = await cli.RunAsync("variable", "get", "-i", "a", "-i", "b");

        Assert.Equal("{\n  \"acct:variable:a\": \"1\",\n  \"acct:variable:b\": \"2\"\n}\n", result.Stdout);
    }

    [Fact]
    public async Task A_binary_value_in_a_batch_is_refused_with_advice()
    {
        server.On("GET", "/secrets", new Reply(
            200,
            Encoding.UTF8.GetBytes($$"""{"acct:variable:a":"{{Convert.ToBase64String(Binary)}}","acct:variable:b":"eA=="}"""),
            "application/json",
            new Dictionary<string, string> { ["Content-Encoding"] = "base64" }));

        var result = await cli.RunAsync("variable", "get", "-i", "a", "-i", "b");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Contains("acct:variable:a holds binary data", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task Set_posts_the_value_as_the_raw_body()
    {
        server.On("POST", "/secrets/acct/variable/db%2Fpassword", Reply.Empty(201));

        var result = await cli.RunAsync("variable", "set", "-i", "db/password", "-v", "a=b&c=d +%");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("Value added\n", result.Stdout);
        var request = server.RequestsExceptAuthentication.Single();
        Assert.Equal("a=b&c=d +%", request.BodyText);
        Assert.StartsWith("Token token=\"", request.Header("Authorization"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Values_starting_with_at_or_dash_are_taken_literally()
    {
        server.On("POST", "/secrets/acct/variable/x", Reply.Empty(201));
        var probe = Path.Combine(cli.Home, "response-file-probe");
        File.WriteAllText(probe, "--help");

        var at = await cli.RunAsync("variable", "set", "-i", "x", "-v", "@" + probe);
        var dash = await cli.RunAsync("variable", "set", "-i", "x", "--value=-starts-with-dash");

        Assert.Equal(0, at.ExitCode);
        Assert.Equal(0, dash.ExitCode);
        Assert.Equal(["@" + probe, "-starts-with-dash"], server.RequestsExceptAuthentication.Select(r => r.BodyText));
    }

    [Fact]
    public async Task Set_from_a_file_is_binary_safe()
    {
        server.On("POST", "/secrets/acct/variable/tls%2Fkey", Reply.Empty(201));
        var file = Path.Combine(cli.Home, "key.bin");
        File.WriteAllBytes(file, Binary);

        var result = await cli.RunAsync("variable", "set", "-i", "tls/key", "-f", file);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Binary, server.RequestsExceptAuthentication.Single().Body);
    }

    [Fact]
    public async Task Set_from_standard_input_is_binary_safe()
    {
        server.On("POST", "/secrets/acct/variable/blob", Reply.Empty(201));

        var result = await cli.RunWithInputAsync(Binary, "variable", "set", "-i", "blob", "-f", "-");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Binary, server.RequestsExceptAuthentication.Single().Body);
    }

    [Fact]
    public async Task A_missing_variable_exits_4_with_the_servers_message()
    {
        server.On("GET", "/secrets/acct/variable/nope", Reply.Error(404, "not_found", "CONJ00076E Variable acct:variable:nope is empty or not found."));

        var result = await cli.RunAsync("variable", "get", "-i", "nope");

        Assert.Equal(ExitCodes.NotFound, result.ExitCode);
        Assert.Equal("error: CONJ00076E Variable acct:variable:nope is empty or not found.\n", result.Stderr);
        Assert.Empty(result.StdoutBytes);
    }

    [Fact]
    public async Task An_empty_value_is_refused_by_the_server_with_exit_1()
    {
        server.On("POST", "/secrets/acct/variable/x", Reply.Error(422, "argument_error", "'value' may not be empty"));

        var result = await cli.RunAsync("variable", "set", "-i", "x", "-v", "");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal("error: 'value' may not be empty\n", result.Stderr);
    }
}
