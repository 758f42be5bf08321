using System.Text;
using Secrets.Cli.Tests.Infrastructure;

namespace Secrets.Cli.Tests;

/// <summary>`policy load|update|replace`: method per mode, branch encoding, raw YAML bodies, JSON and dry-run output.</summary>
public sealed class LoadingPolicies : IAsyncLifetime
{
    private const string Policy = "- !user alice\n- !host { id: app, annotations: { description: \"ünïcode & <tags>\" } }\n";

    private const string LoadResponse =
        """{"created_roles":{"acct:user:alice@prod-db":{"id":"acct:user:alice@prod-db","api_key":"1abc"},"acct:host:prod/db/app":{"id":"acct:host:prod/db/app","api_key":"2def"}},"version":3}""";

    private const string DryRunResponse = """
        {"status":"Valid YAML",
         "created":{"items":[{"identifier":"acct:user:alice@prod-db","id":"alice@prod-db","type":"user","owner":"acct:policy:prod/db"},
                             {"identifier":"acct:variable:prod/db/password","id":"prod/db/password","type":"variable","owner":"acct:policy:prod/db"}]},
         "updated":{"before":{"items":[{"identifier":"acct:group:prod/db/ops","id":"prod/db/ops","type":"group","owner":"acct:policy:prod/db","annotations":{"a":"1"},"members":[]}]},
                    "after":{"items":[{"identifier":"acct:group:prod/db/ops","id":"prod/db/ops","type":"group","owner":"acct:policy:prod/db","annotations":{"a":"2"},"members":["acct:user:alice@prod-db"]}]}},
         "deleted":{"items":[]}}
        """;

    private readonly CliRunner cli = new();
    private RecordingServer server = null!;
    private string policyFile = "";

    public async Task InitializeAsync()
    {
        server = await RecordingServer.StartAsync();
        cli.LogIn(server);
        policyFile = Path.Combine(cli.Home, "policy.yml");
        File.WriteAllText(policyFile, Policy);
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        cli.Dispose();
    }

    [Theory]
    [InlineData("load", "POST")]
    [InlineData("update", "PATCH")]
    [InlineData("replace", "PUT")]
    public async Task Each_mode_uses_its_method_and_prints_the_servers_json(string mode, string method)
    {
        server.On(method, "/policies/acct/policy/prod%2Fdb", Reply.Json(LoadResponse, 201));

        var result = await cli.RunAsync("policy", mode, "-b", "prod/db", "-f", policyFile);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("Loaded policy 'prod/db'\n", result.Stderr);
        Assert.Equal(
            """
            {
              "created_roles": {
                "acct:user:alice@prod-db": {
                  "id": "acct:user:alice@prod-db",
                  "api_key": "1abc"
                },
                "acct:host:prod/db/app": {
                  "id": "acct:host:prod/db/app",
                  "api_key": "2def"
                }
              },
              "version": 3
            }

            """,
            result.Stdout);
        var request = server.RequestsExceptAuthentication.Single();
        Assert.Equal(method, request.Method);
        Assert.Equal("", request.RawQuery);
        Assert.Equal(Encoding.UTF8.GetBytes(Policy), request.Body);
        Assert.Equal("application/x-yaml", request.Header("Content-Type"));
    }

    [Fact]
    public async Task A_policy_can_come_from_standard_input()
    {
        server.On("POST", "/policies/acct/policy/root", Reply.Json("""{"created_roles":{},"version":1}""", 201));

        var result = await cli.RunWithInputAsync(Policy, "policy", "load", "-b", "root", "-f", "-");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Policy, server.RequestsExceptAuthentication.Single().BodyText);
    }

    [Fact]
    public async Task A_dry_run_prints_what_would_change()
    {
        server.On("PATCH", "/policies/acct/policy/prod%2Fdb", Reply.Json(DryRunResponse));

        var result = await cli.RunAsync("policy", "update", "-b", "prod/db", "-f", policyFile, "--dry-run");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("dryRun=true", server.RequestsExceptAuthentication.Single().RawQuery);
        Assert.Equal(
            """
            Dry run of policy update into 'prod/db': Valid YAML. Nothing was changed.
            Would create (2):
              user      acct:user:alice@prod-db
              variable  acct:variable:prod/db/password
            Would update (1):
              group  acct:group:prod/db/ops  (annotations, members)
            Would delete: nothing

            """,
            result.Stdout);
    }

    [Fact]
    public async Task A_dry_run_with_json_prints_the_servers_report()
    {
        server.On("PUT", "/policies/acct/policy/root", Reply.Json(DryRunResponse));

        var result = await cli.RunAsync("policy", "replace", "-b", "root", "-f", policyFile, "--dry-run", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("{\n  \"status\": \"Valid YAML\",\n  \"created\": {\n", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_policy_in_a_dry_run_reports_line_and_column()
    {
        server.On("POST", "/policies/acct/policy/root", Reply.Json(
            """{"status":"Invalid YAML","errors":[{"line":5,"column":1,"message":"Unrecognized data type '!foo'","context":{"policy_id":"root"}}]}""", 422));

        var result = await cli.RunAsync("policy", "load", "-b", "root", "-f", policyFile, "--dry-run");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal("error: Invalid YAML: line 5, column 1: Unrecognized data type '!foo'\n", result.Stderr);
    }

    [Fact]
    public async Task A_policy_error_prints_the_servers_message()
    {
        server.On("POST", "/policies/acct/policy/root", Reply.Json(
            """{"error":{"code":"policy_invalid","message":"Error at line 3, column 5 in policy : Unrecognized data type '!foo'","innererror":{"code":"policy_invalid","filename":"policy","line":3,"column":5}}}""", 422));

        var result = await cli.RunAsync("policy", "load", "-b", "root", "-f", policyFile);

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal("error: Error at line 3, column 5 in policy : Unrecognized data type '!foo'\n", result.Stderr);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task A_missing_branch_exits_4()
    {
        server.On("POST", "/policies/acct/policy/nope", Reply.Json(
            """{"error":{"code":"not_found","message":"Policy 'nope' not found in account 'acct'","target":"policy","details":{"code":"not_found","target":"id","message":"acct:policy:nope"}}}""", 404));

        var result = await cli.RunAsync("policy", "load", "-b", "nope", "-f", policyFile);

        Assert.Equal(ExitCodes.NotFound, result.ExitCode);
        Assert.Equal("error: Policy 'nope' not found in account 'acct'\n", result.Stderr);
    }

    [Fact]
    public async Task A_large_policy_shows_upload_progress_and_arrives_whole()
    {
        var large = new StringBuilder();
        var index = 0;
        while (large.Length < 3 * 1024 * 1024)
        {
            large.Append(System.Globalization.CultureInfo.InvariantCulture, $"- !variable generated/variable-{index++}\n");
        }

        File.WriteAllText(policyFile, large.ToString());
        server.On("POST", "/policies/acct/policy/root", Reply.Json("""{"created_roles":{},"version":2}""", 201));

        var result = await cli.RunAsync("policy", "load", "-b", "root", "-f", policyFile);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Uploading policy.yml:   0% (0.0 of 3.0 MiB)", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Uploading policy.yml: 100% (3.0 of 3.0 MiB)", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(large.ToString(), server.RequestsExceptAuthentication.Single().BodyText);
    }

    [Fact]
    public async Task A_small_policy_shows_no_progress()
    {
        server.On("POST", "/policies/acct/policy/root", Reply.Json("""{"created_roles":{},"version":2}""", 201));

        var result = await cli.RunAsync("policy", "load", "-b", "root", "-f", policyFile);

        Assert.DoesNotContain("Uploading", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_concurrent_load_conflict_exits_1()
    {
        server.On("PUT", "/policies/acct/policy/root", Reply.Error(409, "policy_conflict", "Concurrent policy load in progress, please retry"));

        var result = await cli.RunAsync("policy", "replace", "-b", "root", "-f", policyFile);

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal("error: Concurrent policy load in progress, please retry\n", result.Stderr);
    }
}
