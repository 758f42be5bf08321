using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// Every policy error is a 422 with the exact body of spec 4.9, is audited as "Failed to load policy: …", stores
/// nothing and creates no version.
/// </summary>
public abstract class RejectingInvalidPolicies(ServerFixture f)
{
    private const string NotPresent =
        """{"error":{"code":"validation_failed","message":"policy_text is not present","details":[{"code":"validation_failed","target":"policy_text","message":"is not present"}]}}""";

    [Fact]
    public async Task A_structure_error_carries_line_and_column_in_the_message_and_in_innererror()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "structure");

        var response = await PostAsync(admin, branch, "- !user alice\n- !foo bar\n");

        await AssertRejectedAsync(
            response,
            branch,
            """{"error":{"code":"policy_invalid","message":"Error at line 2, column 3 in policy : Unrecognized data type '!foo'","innererror":{"code":"policy_invalid","filename":"policy","line":2,"column":3}}}""");
    }

    [Theory]
    [InlineData("- !user\n  id: alice\n  x: 1\n", 3, 3, "No such attribute 'x' on type User")]
    [InlineData("- !user {id: a, id: b}\n", 1, 17, "Duplicate attribute: id")]
    [InlineData("- !grant\n  role: !variable x\n  member: !user bob\n", 2, 9, "Expected a Role for field 'role', got Variable")]
    [InlineData("- !user alice\n- bob\n", 2, 3, "No type given or inferred for sequence entry")]
    [InlineData("- !user alice\n---\n- !user bob\n", 2, 1, "Multiple YAML documents encountered. Only a single document is permitted per policy.")]
    [InlineData("- !host {id: a, restricted_to: 10.0.0.1/24}\n", 1, 32, "Invalid IP address or CIDR range '10.0.0.1/24': Value has bits set to right of mask. Did you mean '10.0.0.0/24'?")]
    public async Task Structure_errors_name_the_offending_node(string text, int line, int column, string detail)
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "structures");

        var response = await PatchAsync(admin, branch, text);

        await AssertRejectedAsync(
            response,
            branch,
            $$$$"""{"error":{"code":"policy_invalid","message":"Error at line {{{{line}}}}, column {{{{column}}}} in policy : {{{{detail}}}}","innererror":{"code":"policy_invalid","filename":"policy","line":{{{{line}}}},"column":{{{{column}}}}}}}""",
            operation: "update");
    }

    [Fact]
    public async Task A_reference_to_a_role_that_exists_nowhere_names_it_without_a_location()
    {
        using var admin = await f.AdminClientAsync();

        var group = World.Unique("team");

        var response = await PostAsync(admin, "root", $"- !group {group}\n- !grant {{role: !group {group}, member: !user bob}}\n");

        await AssertRejectedAsync(response, null, """{"error":{"code":"policy_invalid","message":"User 'bob' not found in account 'cucumber'"}}""");
        Assert.False(await RoleExistsAsync(f, Full("group", group)));
    }

    [Theory]
    [InlineData("- !variable {id: v, owner: !group ghost}\n", "Group 'BRANCH/ghost' not found in account 'cucumber'")]
    [InlineData("- !permit {role: !host ghost, privilege: read, resource: !variable v}\n- !variable v\n", "Host 'BRANCH/ghost' not found in account 'cucumber'")]
    [InlineData("- !permit {role: !layer, privilege: read, resource: !variable ghost}\n- !layer\n", "Variable 'BRANCH/ghost' not found in account 'cucumber'")]
    [InlineData("- !host-factory {id: hf, layers: [!layer ghost]}\n", "Layer 'BRANCH/ghost' not found in account 'cucumber'")]
    [InlineData("- !grant {role: !group g, member: !user ghost}\n- !group g\n", "User 'ghost@BRANCH' not found in account 'cucumber'")]
    public async Task Owners_members_roles_resources_and_layers_must_exist(string text, string message)
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "refs");

        var response = await PostAsync(admin, branch, text);

        await AssertRejectedAsync(response, branch, $$$"""{"error":{"code":"policy_invalid","message":"{{{message.Replace("BRANCH", branch, StringComparison.Ordinal)}}}"}}""");
    }

    [Fact]
    public async Task A_record_declared_twice_is_a_resolver_error()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "dup");

        var response = await PutAsync(admin, branch, "- !user dup\n- !variable x\n- !user dup\n");

        await AssertRejectedAsync(response, branch, $$$"""{"error":{"code":"policy_invalid","message":"user 'dup@{{{branch}}}' is declared more than once"}}""", operation: "update");
    }

    [Theory]
    [InlineData("- !variable {id: ''}\n", "variable has a blank id")]
    [InlineData("- !variable /abs\n", "Illegal absolute id: /abs")]
    [InlineData("- !variable v\n- !variable {id: w, owner: !group ../../../../x}\n", "Invalid relative reference: ../../../../x")]
    public async Task Resolver_errors_have_no_innererror(string text, string message)
    {
        using var admin = await f.AdminClientAsync();

        var response = await PostAsync(admin, "root", text);

        await AssertRejectedAsync(response, null, $$$"""{"error":{"code":"policy_invalid","message":"{{{message}}}"}}""");
    }

    [Theory]
    [InlineData("- !delete\n  record: !variable v\n")]
    [InlineData("- !revoke {role: !group g, member: !user u}\n")]
    [InlineData("- !deny {role: !group g, privilege: read, resource: !variable v}\n")]
    [InlineData("- !variable ok\n- !policy\n  id: inner\n  body:\n  - !delete {record: !variable v}\n")]
    public async Task A_post_may_not_contain_deletion_statements(string text)
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "post-delete", "- !variable v\n- !group g\n- !user u\n");

        var response = await PostAsync(admin, branch, text);

        await AssertRejectedAsync(
            response,
            branch,
            """{"error":{"code":"validation_failed","message":"policy_text may not contain deletion statements","details":[{"code":"validation_failed","target":"policy_text","message":"may not contain deletion statements"}]}}""");
        Assert.True(await ResourceExistsAsync(f, Full("variable", $"{branch}/v")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\n  ")]
    [InlineData("\r\n")]
    public async Task A_blank_body_is_not_present(string text)
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "blank");

        var post = await PostAsync(admin, branch, text);
        var patch = await PatchAsync(admin, branch, text);
        var put = await PutAsync(admin, branch, text);

        await AssertRejectedAsync(post, branch, NotPresent);
        await AssertRejectedAsync(patch, branch, NotPresent, operation: "update");
        await AssertRejectedAsync(put, branch, NotPresent, operation: "update");
    }

    [Fact]
    public async Task A_request_without_a_body_is_not_present()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "nobody");

        var response = await Requests.SendAsync(admin, HttpMethod.Put, PolicyPath(branch), (byte[]?)null);

        await AssertRejectedAsync(response, branch, NotPresent, operation: "update");
    }

    // The texts are YamlDotNet's, not libyaml's ("could not find expected ':' while scanning a simple key" in spec
    // 4.9): a documented decision of src/Policy/Language/README.md. The shape is Conjur's: no location, no innererror.
    [Theory]
    [InlineData("- !user\n  id: a\n  b c\n", "While parsing a block mapping, did not find expected key.")]
    [InlineData("- !user {id: a\n", "While parsing a flow mapping, did not find expected ',' or '}'.")]
    public async Task A_yaml_syntax_error_is_the_parser_text_without_a_location(string text, string message)
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "syntax");

        var response = await PostAsync(admin, branch, text);

        await AssertRejectedAsync(response, branch, $$$"""{"error":{"code":"policy_invalid","message":"{{{message}}}"}}""");
    }

    [Fact]
    public async Task A_yaml_syntax_error_is_policy_invalid_without_innererror_and_never_a_500()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "syntax-any");

        foreach (var text in new[] { "- !user\n  id: a\n  b c\n", "- !user {id: a\n", "- !user a\n- !user 'b\n", "- !user\n\tid: a\n", "- [\n", "{{{{" })
        {
            var response = await PostAsync(admin, branch, text);

            Assert.Equal(422, response.Status);
            Assert.StartsWith("""{"error":{"code":"policy_invalid","message":""", response.Body, StringComparison.Ordinal);
            Assert.DoesNotContain("innererror", response.Body, StringComparison.Ordinal);
        }

        Assert.Empty(await VersionsOfAsync(f, branch));
    }

    /// <summary>422 with exactly <paramref name="body"/>; a failure audit record; no version and no row for <paramref name="branch"/>.</summary>
    private async Task AssertRejectedAsync(ApiResponse response, string? branch, string body, string operation = "create")
    {
        Assert.Equal(422, response.Status);
        Assert.Equal(body, response.Body);
        Assert.Equal("application/json", response.MediaType);
        var line = Assert.Single(Requests.AuditFor(f, response));
        Assert.StartsWith("<84>1 ", line, StringComparison.Ordinal);
        Assert.Contains($"[action@43868 result=\"failure\" operation=\"{operation}\"]", line, StringComparison.Ordinal);
        var message = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("message").GetString();
        Assert.EndsWith($" Failed to load policy: {message}", line, StringComparison.Ordinal);
        if (branch is not null)
        {
            Assert.Empty(await VersionsOfAsync(f, branch));
        }
    }
}

public sealed class RejectingInvalidPoliciesOnSqlite(SqliteServer f) : RejectingInvalidPolicies(f), IClassFixture<SqliteServer>;

public sealed class RejectingInvalidPoliciesOnPostgres(PostgresServerFixture f) : RejectingInvalidPolicies(f), IClassFixture<PostgresServerFixture>;
