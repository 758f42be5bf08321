using Secrets.Cli.Tests.Infrastructure;

namespace Secrets.Cli.Tests;

/// <summary>`list`, `resource …`, `role …`, `check`: paths, selector queries and what is printed.</summary>
public sealed class InspectingResourcesAndRoles : IAsyncLifetime
{
    private const string Resources = """
        [{"created_at":"2024-05-01T10:00:00.000+00:00","id":"acct:variable:db/password","owner":"acct:policy:db","policy":"acct:policy:root","permissions":[],"annotations":[],"secrets":[{"version":1,"expires_at":null}]},
         {"created_at":"2024-05-01T10:00:00.000+00:00","id":"acct:variable:db/url","owner":"acct:policy:db","permissions":[],"annotations":[{"name":"description","value":"the URL","policy":"acct:policy:root"}]}]
        """;

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
    public async Task List_passes_every_filter_and_prints_ids()
    {
        server.On("GET", "/resources/acct", Reply.Json(Resources));

        var result = await cli.RunAsync("list", "-k", "variable", "-s", "db pass", "-l", "5", "-o", "10", "-r", "group:ops");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("kind=variable&search=db%20pass&limit=5&offset=10&role=acct%3Agroup%3Aops", server.RequestsExceptAuthentication.Single().RawQuery);
        Assert.Equal("[\n  \"acct:variable:db/password\",\n  \"acct:variable:db/url\"\n]\n", result.Stdout);
    }

    [Fact]
    public async Task List_inspect_prints_whole_objects()
    {
        server.On("GET", "/resources/acct", Reply.Json(Resources));

        var result = await cli.RunAsync("list", "-i");

        Assert.Equal("", server.RequestsExceptAuthentication.Single().RawQuery);
        Assert.Contains("\"secrets\": [\n      {\n        \"version\": 1,\n        \"expires_at\": null\n      }", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"value\": \"the URL\"", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resource_show_prints_the_resource()
    {
        server.On("GET", "/resources/acct/variable/db%2Fpassword", Reply.Json("""{"id":"acct:variable:db/password","owner":"acct:policy:db","permissions":[],"annotations":[]}"""));

        var byOption = await cli.RunAsync("resource", "show", "-i", "variable:db/password");
        var byArgument = await cli.RunAsync("resource", "show", "acct:variable:db/password");

        Assert.Equal(0, byOption.ExitCode);
        Assert.Equal(byOption.Stdout, byArgument.Stdout);
        Assert.StartsWith("{\n  \"id\": \"acct:variable:db/password\",", byOption.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(200, "true")]
    [InlineData(403, "true")]
    [InlineData(404, "false")]
    public async Task Resource_exists_answers_true_or_false(int status, string expected)
    {
        server.On("GET", "/resources/acct/host/app%2F01", status == 200 ? Reply.Json("{}") : Reply.Empty(status));

        var result = await cli.RunAsync("resource", "exists", "-i", "host:app/01");
        var json = await cli.RunAsync("resource", "exists", "-i", "host:app/01", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(expected + "\n", result.Stdout);
        Assert.Equal($"{{\n  \"exists\": {expected}\n}}\n", json.Stdout);
    }

    [Fact]
    public async Task Resource_permitted_roles_sends_the_selector_and_privilege()
    {
        server.On("GET", "/resources/acct/variable/db%2Fpassword", Reply.Json("""["acct:user:bob","acct:group:ops"]"""));

        var result = await cli.RunAsync("resource", "permitted-roles", "-i", "variable:db/password", "-p", "execute");

        Assert.Equal("permitted_roles=true&privilege=execute", server.RequestsExceptAuthentication.Single().RawQuery);
        Assert.Equal("[\n  \"acct:group:ops\",\n  \"acct:user:bob\"\n]\n", result.Stdout);
    }

    [Fact]
    public async Task Role_ids_default_to_users_and_are_encoded()
    {
        server.On("GET", "/roles/acct/user/alice%40dev-db", Reply.Json("""{"id":"acct:user:alice@dev-db","members":[]}"""));

        var result = await cli.RunAsync("role", "show", "alice@dev-db");

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Theory]
    [InlineData(200, "true")]
    [InlineData(404, "false")]
    public async Task Role_exists_answers_true_or_false(int status, string expected)
    {
        server.On("GET", "/roles/acct/host/app", status == 200 ? Reply.Json("{}") : Reply.Empty(status));

        var result = await cli.RunAsync("role", "exists", "-i", "host:app");

        Assert.Equal(expected + "\n", result.Stdout);
    }

    [Fact]
    public async Task Role_members_prints_member_ids_or_grants()
    {
        server.On("GET", "/roles/acct/group/ops", Reply.Json(
            """[{"admin_option":true,"ownership":true,"role":"acct:group:ops","member":"acct:policy:root","policy":"acct:policy:root"},{"admin_option":false,"ownership":false,"role":"acct:group:ops","member":"acct:user:alice"}]"""));

        var ids = await cli.RunAsync("role", "members", "-i", "group:ops");
        var verbose = await cli.RunAsync("role", "members", "-i", "group:ops", "-v");

        Assert.All(server.RequestsExceptAuthentication, r => Assert.Equal("members", r.RawQuery));
        Assert.Equal("[\n  \"acct:policy:root\",\n  \"acct:user:alice\"\n]\n", ids.Stdout);
        Assert.Contains("\"role\": \"acct:group:ops\",\n    \"member\": \"acct:user:alice\",\n    \"admin_option\": false", verbose.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Role_memberships_are_direct_or_recursive()
    {
        server.On("GET", "/roles/acct/user/alice", request => request.RawQuery == "all"
            ? Reply.Json("""["acct:user:alice","acct:group:ops","acct:group:all"]""")
            : Reply.Json("""[{"admin_option":false,"ownership":false,"role":"acct:group:ops","member":"acct:user:alice"}]"""));

        var direct = await cli.RunAsync("role", "memberships", "-i", "user:alice");
        var recursive = await cli.RunAsync("role", "memberships", "-i", "user:alice", "-r");

        Assert.Equal(["memberships", "all"], server.RequestsExceptAuthentication.Select(r => r.RawQuery));
        Assert.Equal("[\n  \"acct:group:ops\"\n]\n", direct.Stdout);
        Assert.Equal("[\n  \"acct:user:alice\",\n  \"acct:group:ops\",\n  \"acct:group:all\"\n]\n", recursive.Stdout);
    }

    [Theory]
    [InlineData(204, "true")]
    [InlineData(404, "false")]
    public async Task Check_answers_true_or_false(int status, string expected)
    {
        server.On("GET", "/resources/acct/variable/db%2Fpassword", Reply.Empty(status));

        var result = await cli.RunAsync("check", "variable:db/password", "execute", "-r", "host:app");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(expected + "\n", result.Stdout);
        Assert.Equal("check=true&privilege=execute&role=acct%3Ahost%3Aapp", server.RequestsExceptAuthentication.Single().RawQuery);
    }

    [Fact]
    public async Task Check_for_a_role_you_do_not_hold_exits_1()
    {
        server.On("GET", "/resources/acct/variable/x", Reply.Empty(403));

        var result = await cli.RunAsync("check", "variable:x", "read", "-r", "user:boss");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal("error: 403 Forbidden\n", result.Stderr);
    }

    [Fact]
    public async Task A_missing_resource_exits_4()
    {
        server.On("GET", "/resources/acct/variable/nope", Reply.Json(
            """{"error":{"code":"not_found","message":"Variable 'nope' not found in account 'acct'","target":"variable","details":{"code":"not_found","target":"id","message":"acct:variable:nope"}}}""", 404));

        var result = await cli.RunAsync("resource", "show", "-i", "variable:nope");

        Assert.Equal(ExitCodes.NotFound, result.ExitCode);
        Assert.Equal("error: Variable 'nope' not found in account 'acct'\n", result.Stderr);
    }
}
