using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// Audit of policy loads (spec 8.1, 8.2): one <c>policy</c> record per changed row, severity notice (&lt;85&gt;), with
/// <c>policy@43868 id=… version=…</c>; failures as "Failed to load policy: …" with operation create/update; never a key.
/// </summary>
public abstract class AuditingPolicyLoads(ServerFixture f)
{
    private static string Prefix(string requestId) => $" conjur {requestId} policy [auth@43868 user=\"cucumber:user:admin\"]";

    [Fact]
    public async Task Each_added_row_is_one_notice_record_naming_the_policy_and_version()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "audit");

        var response = await LoadAsync(
            admin,
            HttpMethod.Post,
            branch,
            "- !group g\n- !host h\n- !variable {id: v, annotations: {a: b}}\n- !grant {role: !group g, member: !host h}\n- !permit {role: !group g, privilege: read, resource: !variable v}\n");

        var lines = Requests.AuditFor(f, response);
        var policy = $"[policy@43868 id=\"cucumber:policy:{branch}\" version=\"1\"][client@43868 ip=\"127.0.0.1\"][action@43868 result=\"success\" operation=\"add\"]";
        var (g, h, v) = (Full("group", $"{branch}/g"), Full("host", $"{branch}/h"), Full("variable", $"{branch}/v"));
        var expected = new[]
        {
            $"[subject@43868 role=\"{g}\"]{policy} cucumber:user:admin added role {g}",
            $"[subject@43868 role=\"{h}\"]{policy} cucumber:user:admin added role {h}",
            $"[subject@43868 resource=\"{g}\"]{policy} cucumber:user:admin added resource {g}",
            $"[subject@43868 resource=\"{h}\"]{policy} cucumber:user:admin added resource {h}",
            $"[subject@43868 resource=\"{v}\"]{policy} cucumber:user:admin added resource {v}",
            $"[subject@43868 role=\"{g}\" member=\"{h}\"]{policy} cucumber:user:admin added membership of {h} in {g}",
            $"[subject@43868 resource=\"{v}\" role=\"{g}\" privilege=\"read\"]{policy} cucumber:user:admin added permission of {g} to read on {v}",
            $"[subject@43868 annotation=\"a\" resource=\"{v}\"]{policy} cucumber:user:admin added annotation a on {v}",
        };
        Assert.Equal(expected.Length, lines.Count);
        foreach (var line in lines)
        {
            Assert.StartsWith("<85>1 ", line, StringComparison.Ordinal);
            Assert.Contains(Prefix(response.RequestId), line, StringComparison.Ordinal);
        }

        Assert.Equal(expected.Order(StringComparer.Ordinal), lines.Select(l => l[(l.IndexOf("[subject@43868", StringComparison.Ordinal))..]).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(response.ApiKeyOf(h), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Changes_and_removals_are_audited_as_change_and_remove()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "audit-change");
        await LoadAsync(admin, HttpMethod.Post, branch, "- !group g\n- !group o\n- !variable {id: v, owner: !group g, annotations: {a: b}}\n- !variable gone\n");

        var patch = await LoadAsync(admin, HttpMethod.Patch, branch, "- !variable {id: v, owner: !group o, annotations: {a: c}}\n");
        var put = await LoadAsync(admin, HttpMethod.Put, branch, "- !group g\n- !group o\n- !variable {id: v, owner: !group o, annotations: {a: c}}\n");

        var v = Full("variable", $"{branch}/v");
        var gone = Full("variable", $"{branch}/gone");
        var patchLines = Requests.AuditFor(f, patch);
        Assert.Equal(2, patchLines.Count);
        Assert.All(patchLines, l => Assert.Contains($"[policy@43868 id=\"cucumber:policy:{branch}\" version=\"2\"]", l, StringComparison.Ordinal));
        Assert.All(patchLines, l => Assert.Contains("operation=\"change\"]", l, StringComparison.Ordinal));
        Assert.Contains(patchLines, l => l.EndsWith($"cucumber:user:admin changed annotation a on {v}", StringComparison.Ordinal));
        Assert.Contains(patchLines, l => l.EndsWith($"cucumber:user:admin changed owner of {v} to {Full("group", $"{branch}/o")}", StringComparison.Ordinal));

        var putLine = Assert.Single(Requests.AuditFor(f, put));
        Assert.Contains($"[subject@43868 resource=\"{gone}\"][policy@43868 id=\"cucumber:policy:{branch}\" version=\"3\"]", putLine, StringComparison.Ordinal);
        Assert.EndsWith($"[action@43868 result=\"success\" operation=\"remove\"] cucumber:user:admin removed resource {gone}", putLine, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_load_is_one_warning_record_with_the_error_message()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "audit-fail");

        var post = await PostAsync(admin, branch, "- !grant {role: !group nowhere, member: !user nobody}\n");
        var patch = await PatchAsync(admin, branch, "- !foo x\n");

        var postLine = Assert.Single(Requests.AuditFor(f, post));
        Assert.StartsWith("<84>1 ", postLine, StringComparison.Ordinal);
        Assert.Contains(
            $" conjur {post.RequestId} policy [auth@43868 user=\"cucumber:user:admin\"][subject@43868 policy=\"cucumber:policy:{branch}\"][client@43868 ip=\"127.0.0.1\"][action@43868 result=\"failure\" operation=\"create\"] Failed to load policy: Group '{branch}/nowhere' not found in account 'cucumber'",
            postLine,
            StringComparison.Ordinal);
        Assert.EndsWith(
            "[action@43868 result=\"failure\" operation=\"update\"] Failed to load policy: Error at line 1, column 3 in policy : Unrecognized data type '!foo'",
            Assert.Single(Requests.AuditFor(f, patch)),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_records_name_the_loader_not_the_admin_when_someone_else_loads()
    {
        using var admin = await f.AdminClientAsync();
        var login = World.Unique("loader");
        var branch = World.Unique("audit-owner");
        var created = await LoadAsync(admin, HttpMethod.Post, "root", $"- !user {login}\n- !policy {{id: {branch}, owner: !user {login}}}\n");
        using var client = await f.ClientForAsync(login, created.ApiKeyOf(Full("user", login)));

        var response = await LoadAsync(client, HttpMethod.Post, branch, "- !variable v\n");

        var line = Assert.Single(Requests.AuditFor(f, response));
        Assert.Contains($"policy [auth@43868 user=\"cucumber:user:{login}\"]", line, StringComparison.Ordinal);
        Assert.EndsWith($"cucumber:user:{login} added resource {Full("variable", $"{branch}/v")}", line, StringComparison.Ordinal);
    }
}

public sealed class AuditingPolicyLoadsOnSqlite(SqliteServer f) : AuditingPolicyLoads(f), IClassFixture<SqliteServer>;

public sealed class AuditingPolicyLoadsOnPostgres(PostgresServerFixture f) : AuditingPolicyLoads(f), IClassFixture<PostgresServerFixture>;
