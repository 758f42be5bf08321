using System.Text.Json;
using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Policies.PolicyApi;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// <c>?dryRun=true</c> (spec 2.5): the same checks as a load, a 200 report of what would be created, updated (before and
/// after) and deleted, and nothing stored: no row, no version, no API key. Invalid text is a 422 report.
/// </summary>
public abstract class DryRunningPolicies(ServerFixture f)
{
    private static List<string> Identifiers(JsonElement items) =>
        items.EnumerateArray().Select(i => i.GetProperty("identifier").GetString()!).ToList();

    private static JsonElement Item(JsonElement items, string identifier) =>
        items.EnumerateArray().Single(i => i.GetProperty("identifier").GetString() == identifier);

    [Fact]
    public async Task A_valid_post_reports_what_it_would_create_and_stores_nothing()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "dry");
        var before = await DumpAsync(f);

        var response = await PostAsync(admin, branch, "- !user bob\n- !group g\n- !variable {id: v, annotations: {a: b}}\n- !permit {role: !group g, privilege: read, resource: !variable v}\n", dryRun: true);

        Assert.Equal(200, response.Status);
        Assert.Equal("application/json", response.MediaType);
        var bob = Full("user", $"bob@{branch}");
        var g = Full("group", $"{branch}/g");
        var v = Full("variable", $"{branch}/v");
        Assert.Equal(
            $$$"""{"status":"Valid YAML","created":{"items":[{"identifier":"{{{bob}}}","id":"bob@{{{branch}}}","type":"user","owner":"cucumber:policy:{{{branch}}}","policy":"cucumber:policy:{{{branch}}}","permissions":{},"annotations":{},"members":[],"memberships":[],"restricted_to":[]},{"identifier":"{{{g}}}","id":"{{{branch}}}/g","type":"group","owner":"cucumber:policy:{{{branch}}}","policy":"cucumber:policy:{{{branch}}}","permissions":{},"annotations":{},"members":[],"memberships":[],"restricted_to":[]},{"identifier":"{{{v}}}","id":"{{{branch}}}/v","type":"variable","owner":"cucumber:policy:{{{branch}}}","policy":"cucumber:policy:{{{branch}}}","permissions":{"read":["{{{g}}}"]},"annotations":{"a":"b"},"members":[],"memberships":[],"restricted_to":[]}]},"updated":{"before":{"items":[]},"after":{"items":[]}},"deleted":{"items":[]}}""",
            response.Body);
        Assert.DoesNotContain("api_key", response.Body, StringComparison.Ordinal);
        Assert.Equal(before, await DumpAsync(f));
        Assert.Empty(await VersionsOfAsync(f, branch));

        // The real load afterwards is version 1 and creates bob for the first time.
        var real = await LoadAsync(admin, HttpMethod.Post, branch, "- !user bob\n");
        Assert.Equal(PolicyResponse.Created(1, (bob, real.ApiKeyOf(bob))), real.Body);
    }

    [Fact]
    public async Task A_patch_reports_records_whose_annotations_or_relationships_change_before_and_after()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "dry-update");
        await LoadAsync(admin, HttpMethod.Post, branch, "- !user u\n- !variable {id: v, annotations: {a: old}}\n");
        var before = await DumpAsync(f);

        var response = await PatchAsync(admin, branch, "- !variable {id: v, annotations: {a: new}}\n- !group g\n- !grant {role: !group g, member: !user u}\n", dryRun: true);

        Assert.Equal(200, response.Status);
        using var doc = JsonDocument.Parse(response.Body);
        var root = doc.RootElement;
        var u = Full("user", $"u@{branch}");
        var v = Full("variable", $"{branch}/v");
        var g = Full("group", $"{branch}/g");
        Assert.Equal([g], Identifiers(root.GetProperty("created").GetProperty("items")));
        Assert.Equal([u, v], Identifiers(root.GetProperty("updated").GetProperty("before").GetProperty("items")).Order(StringComparer.Ordinal));
        Assert.Equal([u, v], Identifiers(root.GetProperty("updated").GetProperty("after").GetProperty("items")).Order(StringComparer.Ordinal));
        Assert.Empty(Identifiers(root.GetProperty("deleted").GetProperty("items")));
        Assert.Equal("old", Item(root.GetProperty("updated").GetProperty("before").GetProperty("items"), v).GetProperty("annotations").GetProperty("a").GetString());
        Assert.Equal("new", Item(root.GetProperty("updated").GetProperty("after").GetProperty("items"), v).GetProperty("annotations").GetProperty("a").GetString());
        Assert.Equal("[]", Item(root.GetProperty("updated").GetProperty("before").GetProperty("items"), u).GetProperty("memberships").GetRawText());
        Assert.Equal($"[\"{g}\"]", Item(root.GetProperty("updated").GetProperty("after").GetProperty("items"), u).GetProperty("memberships").GetRawText());
        Assert.Equal(before, await DumpAsync(f));
        Assert.Equal([1], await VersionsOfAsync(f, branch));
    }

    [Fact]
    public async Task A_put_reports_what_it_would_delete_including_cascades_and_deletes_nothing()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "dry-delete");
        await LoadAsync(admin, HttpMethod.Post, branch, "- !variable keep\n- !group owner\n- !variable {id: owned, owner: !group owner}\n- !host h\n");
        await SetSecretAsync(f, Full("variable", $"{branch}/owned"), "still here");
        var before = await DumpAsync(f);

        var response = await PutAsync(admin, branch, "- !variable keep\n- !delete {record: !host h}\n", dryRun: true);

        Assert.Equal(200, response.Status);
        using var doc = JsonDocument.Parse(response.Body);
        Assert.Equal(
            new[] { Full("group", $"{branch}/owner"), Full("host", $"{branch}/h"), Full("variable", $"{branch}/owned") },
            Identifiers(doc.RootElement.GetProperty("deleted").GetProperty("items")).Order(StringComparer.Ordinal));
        Assert.Empty(Identifiers(doc.RootElement.GetProperty("created").GetProperty("items")));
        Assert.Equal(before, await DumpAsync(f));
        Assert.Equal(1, await SecretCountAsync(f, Full("variable", $"{branch}/owned")));
    }

    [Fact]
    public async Task Invalid_text_is_a_422_report_with_line_column_message_and_context()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "dry-invalid");

        var response = await PostAsync(admin, branch, "- !user alice\n- !foo bar\n", dryRun: true);

        Assert.Equal(422, response.Status);
        Assert.Equal("application/json", response.MediaType);
        Assert.Equal(
            $$$"""{"status":"Invalid YAML","errors":[{"line":2,"column":3,"message":"Unrecognized data type '!foo'\nReview the policy statement at the line and column shown, and the policy language reference.","context":{"policy_id":"{{{branch}}}","offending_lines":[2]}}]}""",
            response.Body);
        Assert.Empty(await VersionsOfAsync(f, branch));
    }

    [Fact]
    public async Task Reference_errors_and_deletions_in_post_are_reported_the_same_way()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "dry-ref");

        var reference = await PostAsync(admin, branch, "- !group g\n- !grant {role: !group g, member: !user nobody}\n", dryRun: true);
        var deletion = await PostAsync(admin, branch, "- !delete {record: !group g}\n", dryRun: true);
        var blank = await PostAsync(admin, branch, "", dryRun: true);

        Assert.Equal(422, reference.Status);
        using (var doc = JsonDocument.Parse(reference.Body))
        {
            var error = doc.RootElement.GetProperty("errors")[0];
            Assert.Equal("Invalid YAML", doc.RootElement.GetProperty("status").GetString());
            Assert.StartsWith($"User 'nobody@{branch}' not found in account 'cucumber'\n", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Equal(2, error.GetProperty("line").GetInt32());
        }

        Assert.Equal(422, deletion.Status);
        Assert.Contains("policy_text may not contain deletion statements", deletion.Body, StringComparison.Ordinal);
        Assert.Equal(422, blank.Status);
        Assert.Contains("policy_text is not present", blank.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dry_run_is_audited_as_validate()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "dry-audit");

        var response = await PostAsync(admin, branch, "- !variable v\n", dryRun: true);

        var line = Assert.Single(AuditFor(f, response));
        Assert.StartsWith("<85>1 ", line, StringComparison.Ordinal);
        Assert.Contains("[action@43868 result=\"success\" operation=\"validate\"]", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Records_the_caller_cannot_see_are_redacted()
    {
        using var admin = await f.AdminClientAsync();
        var ops = Unique("ops");
        var dana = Unique("dana");
        var hidden = Unique("hidden");
        var branch = Unique("dry-redact");
        var setup = await LoadAsync(
            admin,
            HttpMethod.Post,
            "root",
            $"- !group {ops}\n- !user {dana}\n- !grant {{role: !group {ops}, member: !user {dana}}}\n- !policy {{id: {branch}, owner: !group {ops}}}\n"
            + $"- !user {{id: {hidden}, restricted_to: 10.9.8.0/24, annotations: {{secret-note: do-not-show}}}}\n- !group {hidden}-team\n- !grant {{role: !group {hidden}-team, member: !user {hidden}}}\n");
        using var client = await f.ClientForAsync(dana, setup.ApiKeyOf(Full("user", dana)));

        var response = await PostAsync(client, branch, $"- !variable v\n- !permit {{role: !user /{hidden}, privilege: read, resource: !variable v}}\n", dryRun: true);

        Assert.Equal(200, response.Status);
        Assert.DoesNotContain("do-not-show", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("10.9.8.0", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain($"{hidden}-team", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain($"cucumber:user:{hidden}", response.Body, StringComparison.Ordinal);
        Assert.Contains("[REDACTED]", response.Body, StringComparison.Ordinal);
    }
}

public sealed class DryRunningPoliciesOnSqlite(SqliteServer f) : DryRunningPolicies(f), IClassFixture<SqliteServer>;

public sealed class DryRunningPoliciesOnPostgres(PostgresServerFixture f) : DryRunningPolicies(f), IClassFixture<PostgresServerFixture>;
