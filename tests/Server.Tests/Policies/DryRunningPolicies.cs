using System.Text.Json;
using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// <c>?dryRun=true</c> (spec 2.5): the same checks as a load, a 200 report of what would be created, updated (before and
/// after) and deleted, and nothing stored: no row, no version, no API key. Invalid text is a 422 report.
/// </summary>
public abstract class DryRunningPolicies(ServerFixture f)
{
    private static List<string> Identifiers(JsonElement items) =>
        items.EnumerateArray().Select(i => i.GetProperty("identifier").GetString()!).ToList();

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
        var b = Full("policy", branch);
        Assert.Equal(
            $$$"""{"status":"Valid YAML","created":{"items":[{"identifier":"{{{g}}}","id":"{{{branch}}}/g","type":"group","owner":"{{{b}}}","policy":"{{{b}}}","permissions":{"read":["{{{v}}}"]},"annotations":{},"members":["{{{b}}}"],"memberships":[],"restricted_to":[]},{"identifier":"{{{bob}}}","id":"bob@{{{branch}}}","type":"user","owner":"{{{b}}}","policy":"{{{b}}}","permissions":{},"annotations":{},"members":["{{{b}}}"],"memberships":[],"restricted_to":[]},{"identifier":"{{{v}}}","id":"{{{branch}}}/v","type":"variable","owner":"{{{b}}}","policy":"{{{b}}}","permitted":{"read":["{{{g}}}"]},"annotations":{"a":"b"}}]},"updated":{"before":{"items":[{"identifier":"{{{b}}}","id":"{{{branch}}}","type":"policy","owner":"cucumber:user:admin","policy":"cucumber:policy:root","permissions":{},"annotations":{},"members":["cucumber:user:admin"],"memberships":[],"restricted_to":[]}]},"after":{"items":[{"identifier":"{{{b}}}","id":"{{{branch}}}","type":"policy","owner":"cucumber:user:admin","policy":"cucumber:policy:root","permissions":{},"annotations":{},"members":["cucumber:user:admin"],"memberships":["{{{g}}}","{{{bob}}}"],"restricted_to":[]}]}},"deleted":{"items":[]}}""",
            response.Body);
        Assert.DoesNotContain("api_key", response.Body, StringComparison.Ordinal);
        Assert.Equal(before, await DumpAsync(f));
        Assert.Empty(await VersionsOfAsync(f, branch));

        // The real load afterwards is version 1 and creates bob for the first time.
        var real = await LoadAsync(admin, HttpMethod.Post, branch, "- !user bob\n");
        Assert.Equal(ApiResponse.Created(1, (bob, real.ApiKeyOf(bob))), real.Body);
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
        var b = Full("policy", branch);
        var u = Full("user", $"u@{branch}");
        var v = Full("variable", $"{branch}/v");
        var g = Full("group", $"{branch}/g");

        // The branch is updated too: owning the new group makes it a member of it (Conjur's ownership membership),
        // and in "after" the rows that were there keep their place, new rows follow.
        Assert.Equal(
            $$$"""{"status":"Valid YAML","created":{"items":[{"identifier":"{{{g}}}","id":"{{{branch}}}/g","type":"group","owner":"{{{b}}}","policy":"{{{b}}}","permissions":{},"annotations":{},"members":["{{{b}}}","{{{u}}}"],"memberships":[],"restricted_to":[]}]},"updated":{"before":{"items":[{"identifier":"{{{b}}}","id":"{{{branch}}}","type":"policy","owner":"cucumber:user:admin","policy":"cucumber:policy:root","permissions":{},"annotations":{},"members":["cucumber:user:admin"],"memberships":["{{{u}}}"],"restricted_to":[]},{"identifier":"{{{u}}}","id":"u@{{{branch}}}","type":"user","owner":"{{{b}}}","policy":"{{{b}}}","permissions":{},"annotations":{},"members":["{{{b}}}"],"memberships":[],"restricted_to":[]},{"identifier":"{{{v}}}","id":"{{{branch}}}/v","type":"variable","owner":"{{{b}}}","policy":"{{{b}}}","permitted":{},"annotations":{"a":"old"}}]},"after":{"items":[{"identifier":"{{{b}}}","id":"{{{branch}}}","type":"policy","owner":"cucumber:user:admin","policy":"cucumber:policy:root","permissions":{},"annotations":{},"members":["cucumber:user:admin"],"memberships":["{{{u}}}","{{{g}}}"],"restricted_to":[]},{"identifier":"{{{u}}}","id":"u@{{{branch}}}","type":"user","owner":"{{{b}}}","policy":"{{{b}}}","permissions":{},"annotations":{},"members":["{{{b}}}"],"memberships":["{{{g}}}"],"restricted_to":[]},{"identifier":"{{{v}}}","id":"{{{branch}}}/v","type":"variable","owner":"{{{b}}}","policy":"{{{b}}}","permitted":{},"annotations":{"a":"new"}}]}},"deleted":{"items":[]}}""",
            response.Body);
        Assert.Equal(before, await DumpAsync(f));
        Assert.Equal([1], await VersionsOfAsync(f, branch));
    }

    [Fact]
    public async Task A_put_reports_what_it_would_delete_including_cascades_and_deletes_nothing()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "dry-delete");
        await LoadAsync(admin, HttpMethod.Post, branch, "- !variable keep\n- !group owner\n- !variable {id: owned, owner: !group owner}\n- !host {id: h, restricted_to: 10.1.0.0/16}\n");
        await SetSecretAsync(f, Full("variable", $"{branch}/owned"), "still here");
        var before = await DumpAsync(f);

        var response = await PutAsync(admin, branch, "- !variable keep\n- !delete {record: !host h}\n", dryRun: true);

        Assert.Equal(200, response.Status);
        var b = Full("policy", branch);
        var owner = Full("group", $"{branch}/owner");
        var h = Full("host", $"{branch}/h");
        var owned = Full("variable", $"{branch}/owned");
        Assert.Equal(
            $$$"""{"status":"Valid YAML","created":{"items":[]},"updated":{"before":{"items":[{"identifier":"{{{b}}}","id":"{{{branch}}}","type":"policy","owner":"cucumber:user:admin","policy":"cucumber:policy:root","permissions":{},"annotations":{},"members":["cucumber:user:admin"],"memberships":["{{{owner}}}","{{{h}}}"],"restricted_to":[]}]},"after":{"items":[{"identifier":"{{{b}}}","id":"{{{branch}}}","type":"policy","owner":"cucumber:user:admin","policy":"cucumber:policy:root","permissions":{},"annotations":{},"members":["cucumber:user:admin"],"memberships":[],"restricted_to":[]}]}},"deleted":{"items":[{"identifier":"{{{owner}}}","id":"{{{branch}}}/owner","type":"group","owner":"{{{b}}}","policy":"{{{b}}}","permissions":{},"annotations":{},"members":["{{{b}}}"],"memberships":[],"restricted_to":[]},{"identifier":"{{{h}}}","id":"{{{branch}}}/h","type":"host","owner":"{{{b}}}","policy":"{{{b}}}","permissions":{},"annotations":{},"members":["{{{b}}}"],"memberships":[],"restricted_to":["10.1.0.0/16"]},{"identifier":"{{{owned}}}","id":"{{{branch}}}/owned","type":"variable","owner":"{{{owner}}}","policy":"{{{b}}}","permitted":{},"annotations":{}}]}}""",
            response.Body);
        Assert.Equal(before, await DumpAsync(f));
        Assert.Equal(1, await SecretCountAsync(f, owned));
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

        var line = Assert.Single(Requests.AuditFor(f, response));
        Assert.StartsWith("<85>1 ", line, StringComparison.Ordinal);
        Assert.Contains("[action@43868 result=\"success\" operation=\"validate\"]", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Records_the_caller_cannot_see_are_not_reported()
    {
        using var admin = await f.AdminClientAsync();
        var ops = World.Unique("ops");
        var dana = World.Unique("dana");
        var hidden = World.Unique("hidden");
        var branch = World.Unique("dry-redact");
        var setup = await LoadAsync(
            admin,
            HttpMethod.Post,
            "root",
            $"- !group {ops}\n- !user {dana}\n- !grant {{role: !group {ops}, member: !user {dana}}}\n- !policy {{id: {branch}, owner: !group {ops}}}\n"
            + $"- !user {{id: {hidden}, restricted_to: 10.9.8.0/24, annotations: {{secret-note: do-not-show}}}}\n- !group {hidden}-team\n- !grant {{role: !group {hidden}-team, member: !user {hidden}}}\n");
        using var client = await f.ClientForAsync(dana, setup.ApiKeyOf(Full("user", dana)));

        var response = await PostAsync(client, branch, $"- !variable v\n- !permit {{role: !user /{hidden}, privilege: read, resource: !variable v}}\n", dryRun: true);

        // The hidden user is changed (it gains a permission) but is not reported at all, nor named inside the visible
        // variable (issue 8: Conjur's [REDACTED] items tell that hidden records exist).
        Assert.Equal(200, response.Status);
        var b = Full("policy", branch);
        var v = Full("variable", $"{branch}/v");
        Assert.Equal(
            $$$"""{"status":"Valid YAML","created":{"items":[{"identifier":"{{{v}}}","id":"{{{branch}}}/v","type":"variable","owner":"{{{b}}}","policy":"{{{b}}}","permitted":{},"annotations":{}}]},"updated":{"before":{"items":[]},"after":{"items":[]}},"deleted":{"items":[]}}""",
            response.Body);
        Assert.DoesNotContain("do-not-show", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("10.9.8.0", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain($"{hidden}", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Visible_records_leave_out_the_invisible_ones_they_are_related_to_but_keep_a_censored_owner()
    {
        using var admin = await f.AdminClientAsync();
        var ops = World.Unique("ops");
        var erin = World.Unique("erin");
        var hidden = World.Unique("hidden-team");
        var branch = World.Unique("dry-redact-ref");
        var setup = await LoadAsync(
            admin,
            HttpMethod.Post,
            "root",
            $"- !group {ops}\n- !user {erin}\n- !grant {{role: !group {ops}, member: !user {erin}}}\n- !policy {{id: {branch}, owner: !group {ops}}}\n- !group {hidden}\n");
        using var client = await f.ClientForAsync(erin, setup.ApiKeyOf(Full("user", erin)));

        // A group erin cannot see becomes a member of the new group.
        var response = await PatchAsync(client, branch, $"- !group g\n- !grant {{role: !group g, member: !group /{hidden}}}\n", dryRun: true);

        Assert.Equal(200, response.Status);
        var b = Full("policy", branch);
        var g = Full("group", $"{branch}/g");
        Assert.Equal(
            $$$"""{"status":"Valid YAML","created":{"items":[{"identifier":"{{{g}}}","id":"{{{branch}}}/g","type":"group","owner":"{{{b}}}","policy":"{{{b}}}","permissions":{},"annotations":{},"members":["{{{b}}}"],"memberships":[],"restricted_to":[]}]},"updated":{"before":{"items":[{"identifier":"{{{b}}}","id":"{{{branch}}}","type":"policy","owner":"cucumber:group:[REDACTED]","policy":"cucumber:policy:[REDACTED]","permissions":{},"annotations":{},"members":[],"memberships":[],"restricted_to":[]}]},"after":{"items":[{"identifier":"{{{b}}}","id":"{{{branch}}}","type":"policy","owner":"cucumber:group:[REDACTED]","policy":"cucumber:policy:[REDACTED]","permissions":{},"annotations":{},"members":[],"memberships":["{{{g}}}"],"restricted_to":[]}]}},"deleted":{"items":[]}}""",
            response.Body);
        Assert.DoesNotContain(hidden, response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_factories_and_public_keys_are_not_reported_like_in_conjur()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "dry-hf");

        var response = await PostAsync(admin, branch, "- !layer l\n- !host-factory {id: hf, layers: [!layer l]}\n", dryRun: true);

        Assert.Equal(200, response.Status);
        using var doc = JsonDocument.Parse(response.Body);
        Assert.Equal([Full("layer", $"{branch}/l")], Identifiers(doc.RootElement.GetProperty("created").GetProperty("items")));
    }
}

public sealed class DryRunningPoliciesOnSqlite(SqliteServer f) : DryRunningPolicies(f), IClassFixture<SqliteServer>;

public sealed class DryRunningPoliciesOnPostgres(PostgresServerFixture f) : DryRunningPolicies(f), IClassFixture<PostgresServerFixture>;
