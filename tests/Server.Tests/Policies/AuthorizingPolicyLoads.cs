using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// Who may load into a policy (spec 2.5, 5.3): an invisible policy is 404 with the record-not-found body, a visible one
/// without the privilege is head 403. POST needs <c>create</c>, PATCH <c>update</c>, PUT <c>update</c> on the policy and
/// on every resource whose identifier starts with <c>&lt;policy&gt;/</c>.
/// </summary>
public abstract class AuthorizingPolicyLoads(ServerFixture f)
{
    private static string NotFound(string identifier) =>
        $$$$"""{"error":{"code":"not_found","message":"Policy '{{{{identifier}}}}' not found in account 'cucumber'","target":"policy","details":{"code":"not_found","target":"id","message":"cucumber:policy:{{{{identifier}}}}"}}}""";

    /// <summary>A branch holding a variable, and a root user with <paramref name="privileges"/> on the branch policy only.</summary>
    private async Task<Scene> BranchWithUserAsync(HttpClient admin, params string[] privileges)
    {
        var branch = await NewBranchAsync(admin, "authz");
        await LoadAsync(admin, HttpMethod.Post, branch, "- !variable inside\n");
        var login = World.Unique("user");
        var permit = privileges.Length == 0 ? "" : $"- !permit {{role: !user {login}, privileges: [{string.Join(", ", privileges)}], resource: !policy {branch}}}\n";
        var created = await LoadAsync(admin, HttpMethod.Post, "root", $"- !user {login}\n{permit}");
        var user = await f.ClientForAsync(login, created.ApiKeyOf(Full("user", login)));
        return new Scene(branch, user, login);
    }

    [Fact]
    public async Task A_policy_the_caller_cannot_see_is_not_found_for_every_method_and_looks_like_one_that_does_not_exist()
    {
        using var admin = await f.AdminClientAsync();
        using var scene = await BranchWithUserAsync(admin);
        var (branch, user, _) = (scene.Branch, scene.User, scene.Login);
        var missing = World.Unique("missing");

        var responses = new[]
        {
            await PostAsync(user, branch, "- !variable x\n"),
            await PatchAsync(user, branch, "- !variable x\n"),
            await PutAsync(user, branch, "- !variable x\n"),
            await PostAsync(user, branch, "- !variable x\n", dryRun: true),
        };
        var absent = await PostAsync(user, missing, "- !variable x\n");
        var absentForAdmin = await PostAsync(admin, missing, "- !variable x\n");

        Assert.All(responses, r => Assert.Equal((404, NotFound(branch)), (r.Status, r.Body)));
        Assert.Equal((404, NotFound(missing)), (absent.Status, absent.Body));
        Assert.Equal((404, NotFound(missing)), (absentForAdmin.Status, absentForAdmin.Body));
        Assert.False(await ResourceExistsAsync(f, Full("variable", $"{branch}/x")));
        Assert.Equal([1], await VersionsOfAsync(f, branch));
    }

    [Fact]
    public async Task The_root_policy_is_admin_only_until_admin_delegates_it()
    {
        using var admin = await f.AdminClientAsync();
        using var scene = await BranchWithUserAsync(admin);
        var (_, user, _) = (scene.Branch, scene.User, scene.Login);

        var response = await PostAsync(user, "root", $"- !variable {World.Unique("v")}\n");

        Assert.Equal((404, NotFound("root")), (response.Status, response.Body));
    }

    [Fact]
    public async Task A_visible_policy_without_the_privilege_is_an_empty_403_for_every_method()
    {
        using var admin = await f.AdminClientAsync();
        using var scene = await BranchWithUserAsync(admin, "read");
        var (branch, user, login) = (scene.Branch, scene.User, scene.Login);

        var post = await PostAsync(user, branch, "- !variable x\n");
        var patch = await PatchAsync(user, branch, "- !variable x\n");
        var put = await PutAsync(user, branch, "- !variable x\n");
        var dryRun = await PutAsync(user, branch, "- !variable x\n", dryRun: true);

        Assert.All(new[] { post, patch, put, dryRun }, r => Assert.Equal((403, ""), (r.Status, r.Body)));
        Assert.False(await ResourceExistsAsync(f, Full("variable", $"{branch}/x")));
        Assert.Equal([1], await VersionsOfAsync(f, branch));
        var audit = Assert.Single(Requests.AuditFor(f, post));
        Assert.Contains($"[auth@43868 user=\"cucumber:user:{login}\"][subject@43868 policy=\"cucumber:policy:{branch}\"]", audit, StringComparison.Ordinal);
        Assert.EndsWith("[action@43868 result=\"failure\" operation=\"create\"] Failed to load policy: Forbidden", audit, StringComparison.Ordinal);
        Assert.EndsWith("operation=\"update\"] Failed to load policy: Forbidden", Assert.Single(Requests.AuditFor(f, put)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_allows_post_only()
    {
        using var admin = await f.AdminClientAsync();
        using var scene = await BranchWithUserAsync(admin, "create");
        var (branch, user, _) = (scene.Branch, scene.User, scene.Login);

        var post = await PostAsync(user, branch, "- !variable posted\n");
        var patch = await PatchAsync(user, branch, "- !variable patched\n");
        var put = await PutAsync(user, branch, "- !variable inside\n");

        Assert.Equal((201, ApiResponse.Created(2)), (post.Status, post.Body));
        Assert.Equal((403, ""), (patch.Status, patch.Body));
        Assert.Equal((403, ""), (put.Status, put.Body));
        Assert.True(await ResourceExistsAsync(f, Full("variable", $"{branch}/posted")));
        Assert.False(await ResourceExistsAsync(f, Full("variable", $"{branch}/patched")));
    }

    [Fact]
    public async Task Update_allows_patch_but_not_post_and_put_only_with_update_on_everything_under_the_branch()
    {
        using var admin = await f.AdminClientAsync();
        using var scene = await BranchWithUserAsync(admin, "update");
        var (branch, user, login) = (scene.Branch, scene.User, scene.Login);

        var post = await PostAsync(user, branch, "- !variable posted\n");
        var patch = await PatchAsync(user, branch, "- !variable patched\n");
        var put = await PutAsync(user, branch, "- !variable inside\n- !variable patched\n");

        Assert.Equal((403, ""), (post.Status, post.Body));
        Assert.Equal((201, ApiResponse.Created(2)), (patch.Status, patch.Body));
        Assert.Equal((403, ""), (put.Status, put.Body));

        // With update on each resource under the branch, PUT is allowed.
        await LoadAsync(admin, HttpMethod.Post, "root", $"- !permit {{role: !user {login}, privilege: update, resource: !variable {branch}/inside}}\n");
        var stillMissingOne = await PutAsync(user, branch, "- !variable inside\n- !variable patched\n");
        await LoadAsync(admin, HttpMethod.Post, "root", $"- !permit {{role: !user {login}, privilege: update, resource: !variable {branch}/patched}}\n");
        var allowed = await PutAsync(user, branch, "- !variable inside\n- !variable patched\n");

        Assert.Equal((403, ""), (stillMissingOne.Status, stillMissingOne.Body));
        Assert.Equal((201, ApiResponse.Created(3)), (allowed.Status, allowed.Body));
    }

    [Fact]
    public async Task Put_into_an_empty_branch_needs_update_on_the_policy_only()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "empty");
        var login = World.Unique("user");
        var created = await LoadAsync(admin, HttpMethod.Post, "root", $"- !user {login}\n- !permit {{role: !user {login}, privilege: update, resource: !policy {branch}}}\n");
        using var user = await f.ClientForAsync(login, created.ApiKeyOf(Full("user", login)));

        var put = await PutAsync(user, branch, "- !group first\n");
        var again = await PutAsync(user, branch, "- !group first\n");

        Assert.Equal((201, ApiResponse.Created(1)), (put.Status, put.Body));

        // The group is owned by the branch policy, which the user does not hold: from now on PUT is refused.
        Assert.Equal((403, ""), (again.Status, again.Body));
    }

    [Fact]
    public async Task A_permission_on_a_sibling_with_a_common_prefix_is_not_needed_for_put()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "prefix");
        await LoadAsync(admin, HttpMethod.Post, "root", $"- !policy {branch}-sibling\n- !variable {branch}-sibling/secret\n- !variable {branch}x\n");
        var login = World.Unique("user");
        var created = await LoadAsync(admin, HttpMethod.Post, "root", $"- !user {login}\n- !permit {{role: !user {login}, privilege: update, resource: !policy {branch}}}\n");
        using var user = await f.ClientForAsync(login, created.ApiKeyOf(Full("user", login)));

        var put = await PutAsync(user, branch, "[]");

        Assert.Equal(201, put.Status);
    }

    [Fact]
    public async Task A_token_of_a_role_deleted_meanwhile_is_refused()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "gone");
        var created = await LoadAsync(admin, HttpMethod.Post, branch, "- !host h\n");
        using var host = await f.ClientForAsync($"host/{branch}/h", created.ApiKeyOf(Full("host", $"{branch}/h")));
        await LoadAsync(admin, HttpMethod.Put, branch, "[]");

        var response = await PostAsync(host, branch, "- !variable x\n");

        Assert.Equal((403, ""), (response.Status, response.Body));
    }
}

internal sealed record Scene(string Branch, HttpClient User, string Login) : IDisposable
{
    public void Dispose() => User.Dispose();
}

public sealed class AuthorizingPolicyLoadsOnSqlite(SqliteServer f) : AuthorizingPolicyLoads(f), IClassFixture<SqliteServer>;

public sealed class AuthorizingPolicyLoadsOnPostgres(PostgresServerFixture f) : AuthorizingPolicyLoads(f), IClassFixture<PostgresServerFixture>;
