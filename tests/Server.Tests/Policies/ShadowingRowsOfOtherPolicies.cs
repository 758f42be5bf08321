using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// A row remembers the policy whose load created it (the policy of the URL, not the innermost <c>!policy</c>). A row of
/// another policy is shadowed: a load may reference or grant to it, but never modifies or deletes it, nor adds
/// annotation names to it (Conjur does add them; docs/decisions.md), whatever the mode (spec 4.6).
/// </summary>
public abstract class ShadowingRowsOfOtherPolicies(ServerFixture f)
{
    /// <summary>Root declares, inside branch S, records and relationships that therefore belong to policy root.</summary>
    private static async Task<(string Branch, string ApiKey)> DeclaredByRootAsync(HttpClient admin, string user)
    {
        var branch = World.Unique("shadow");
        var created = await LoadAsync(
            admin,
            HttpMethod.Post,
            "root",
            $"- !user {user}\n- !policy\n  id: {branch}\n  body:\n"
            + "  - !group a\n  - !group b\n"
            + "  - !variable {id: pre, owner: !group a, annotations: {note: original}}\n"
            + "  - !host {id: h, restricted_to: 10.0.0.0/8}\n"
            + $"  - !grant {{role: !group a, member: !user /{user}}}\n"
            + $"  - !permit {{role: !user /{user}, privilege: execute, resource: !variable pre}}\n");
        return (branch, created.ApiKeyOf(Full("host", $"{branch}/h")));
    }

    [Fact]
    public async Task Rows_record_the_policy_of_the_load_not_the_innermost_policy_block()
    {
        using var admin = await f.AdminClientAsync();
        var (branch, _) = await DeclaredByRootAsync(admin, World.Unique("u"));

        await LoadAsync(admin, HttpMethod.Post, branch, "- !policy {id: nested, body: [!variable deep]}\n");

        Assert.Equal(Full("policy", "root"), await PolicyOfAsync(f, Full("variable", $"{branch}/pre")));
        Assert.Equal(Full("policy", "root"), await PolicyOfAsync(f, Full("policy", branch)));
        Assert.Equal(Full("policy", branch), await PolicyOfAsync(f, Full("variable", $"{branch}/nested/deep")));
        Assert.Equal(Full("policy", branch), await PolicyOfAsync(f, Full("policy", $"{branch}/nested")));
    }

    [Fact]
    public async Task Put_into_the_branch_deletes_nothing_that_root_declared()
    {
        using var admin = await f.AdminClientAsync();
        var user = World.Unique("u");
        var (branch, hostKey) = await DeclaredByRootAsync(admin, user);
        await SetSecretAsync(f, Full("variable", $"{branch}/pre"), "s3cret");
        var before = await DumpAsync(f);

        var put = await PutAsync(admin, branch, "[]");

        Assert.Equal((201, ApiResponse.Created(1)), (put.Status, put.Body));
        Assert.Equal(before, await DumpAsync(f));
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"host/{branch}/h", hostKey, "10.1.1.1"));
    }

    [Fact]
    public async Task Patch_and_put_never_change_the_owner_annotation_value_or_restriction_of_a_shadowed_row()
    {
        using var admin = await f.AdminClientAsync();
        var (branch, hostKey) = await DeclaredByRootAsync(admin, World.Unique("u"));
        var before = await DumpAsync(f);
        const string Redeclared = "- !group a\n- !group b\n- !variable {id: pre, owner: !group b, annotations: {note: changed}}\n- !host {id: h, restricted_to: 192.168.0.0/16}\n";

        var patch = await PatchAsync(admin, branch, Redeclared);
        var put = await PutAsync(admin, branch, Redeclared);

        Assert.Equal((201, ApiResponse.Created(1)), (patch.Status, patch.Body));
        Assert.Equal((201, ApiResponse.Created(2)), (put.Status, put.Body));
        Assert.Equal(before, await DumpAsync(f));
        Assert.Equal(Full("group", $"{branch}/a"), await OwnerOfAsync(f, Full("variable", $"{branch}/pre")));
        Assert.Equal("note=original", await AnnotationsOfAsync(f, Full("variable", $"{branch}/pre")));
        Assert.Equal("10.0.0.0/8", await RestrictedToAsync(f, Full("host", $"{branch}/h")));
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"host/{branch}/h", hostKey, "10.2.3.4"));
    }

    [Fact]
    public async Task Revoke_and_deny_leave_relationships_of_another_policy_in_place()
    {
        using var admin = await f.AdminClientAsync();
        var user = World.Unique("u");
        var (branch, _) = await DeclaredByRootAsync(admin, user);

        var patch = await PatchAsync(
            admin,
            branch,
            $"- !revoke {{role: !group a, member: !user /{user}}}\n- !deny {{role: !user /{user}, privilege: execute, resource: !variable pre}}\n");

        Assert.Equal((201, ApiResponse.Created(1)), (patch.Status, patch.Body));
        Assert.True(await MembershipExistsAsync(f, Full("group", $"{branch}/a"), Full("user", user)));
        Assert.Equal("execute", await PrivilegesAsync(f, Full("variable", $"{branch}/pre"), Full("user", user)));
    }

    [Fact]
    public async Task A_new_annotation_name_on_a_shadowed_resource_is_shadowed_too()
    {
        using var admin = await f.AdminClientAsync();
        var (branch, _) = await DeclaredByRootAsync(admin, World.Unique("u"));
        var pre = Full("variable", $"{branch}/pre");

        await LoadAsync(admin, HttpMethod.Post, branch, "- !variable {id: pre, annotations: {note: ignored, added: here}}\n");
        var afterPost = await AnnotationsOfAsync(f, pre);
        await LoadAsync(admin, HttpMethod.Put, branch, "- !variable pre\n");
        var afterPut = await AnnotationsOfAsync(f, pre);

        Assert.Equal("note=original", afterPost);
        Assert.Equal("note=original", afterPut);
        Assert.True(await ResourceExistsAsync(f, pre));
    }

    [Fact]
    public async Task A_grant_to_a_shadowed_role_belongs_to_the_load_and_goes_with_its_next_put()
    {
        using var admin = await f.AdminClientAsync();
        var user = World.Unique("u");
        var (branch, _) = await DeclaredByRootAsync(admin, user);

        await LoadAsync(admin, HttpMethod.Post, branch, $"- !grant {{role: !group b, member: !user /{user}}}\n");
        var granted = await MembershipExistsAsync(f, Full("group", $"{branch}/b"), Full("user", user));
        await LoadAsync(admin, HttpMethod.Put, branch, "[]");

        Assert.True(granted);
        Assert.False(await MembershipExistsAsync(f, Full("group", $"{branch}/b"), Full("user", user)));
        Assert.True(await MembershipExistsAsync(f, Full("group", $"{branch}/a"), Full("user", user)));
    }

    [Fact]
    public async Task Admin_created_outside_any_policy_is_shadowed_too()
    {
        using var admin = await f.AdminClientAsync();
        var before = await f.WithDbAsync(db => Task.FromResult(db.Resources.Single(r => r.ResourceId == "cucumber:user:admin").OwnerId));
        var group = World.Unique("g");

        await LoadAsync(admin, HttpMethod.Post, "root", $"- !group {group}\n");

        var response = await PatchAsync(admin, "root", $"- !user {{id: admin, owner: !group {group}, restricted_to: 10.0.0.0/8}}\n");

        Assert.True(response.Status == 201, response.Body);
        Assert.Equal(ApiResponse.Created(response.Version), response.Body);
        Assert.Equal(before, await OwnerOfAsync(f, "cucumber:user:admin"));
        Assert.Equal("", await RestrictedToAsync(f, "cucumber:user:admin"));
        Assert.Equal(200, await AuthenticateStatusAsync(f, "admin", f.AdminApiKey));
    }
}

public sealed class ShadowingRowsOfOtherPoliciesOnSqlite(SqliteServer f) : ShadowingRowsOfOtherPolicies(f), IClassFixture<SqliteServer>;

public sealed class ShadowingRowsOfOtherPoliciesOnPostgres(PostgresServerFixture f) : ShadowingRowsOfOtherPolicies(f), IClassFixture<PostgresServerFixture>;
