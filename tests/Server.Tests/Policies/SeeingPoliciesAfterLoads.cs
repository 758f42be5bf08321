using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// Every load changes who sees what, at once (spec 5.2): a permission or a membership granted by one load decides the
/// very next request, and a later load that takes it away hides the policy again (404 instead of 403 or 201).
/// </summary>
public abstract class SeeingPoliciesAfterLoads(ServerFixture f)
{
    private async Task<(string Login, HttpClient Client)> NewUserAsync(HttpClient admin)
    {
        var login = World.Unique("viewer");
        var created = await LoadAsync(admin, HttpMethod.Post, "root", $"- !user {login}\n");
        return (login, await f.ClientForAsync(login, created.ApiKeyOf(Full("user", login))));
    }

    [Fact]
    public async Task Any_permission_makes_the_policy_visible_and_denying_it_hides_it_again()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "seen");
        var (login, client) = await NewUserAsync(admin);
        using var _ = client;

        var invisible = await PostAsync(client, branch, "- !variable x\n");
        await LoadAsync(admin, HttpMethod.Post, "root", $"- !permit {{role: !user {login}, privilege: some-custom-privilege, resource: !policy {branch}}}\n");
        var visible = await PostAsync(client, branch, "- !variable x\n");
        await LoadAsync(admin, HttpMethod.Patch, "root", $"- !deny {{role: !user {login}, privilege: some-custom-privilege, resource: !policy {branch}}}\n");
        var hiddenAgain = await PostAsync(client, branch, "- !variable x\n");

        Assert.Equal(404, invisible.Status);
        Assert.Equal((403, ""), (visible.Status, visible.Body));
        Assert.Equal(404, hiddenAgain.Status);
    }

    [Fact]
    public async Task A_membership_granted_by_one_load_is_used_by_the_next_request_and_revoking_it_hides_the_policy()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "member");
        var group = World.Unique("loaders");
        await LoadAsync(admin, HttpMethod.Post, "root", $"- !group {group}\n- !permit {{role: !group {group}, privilege: create, resource: !policy {branch}}}\n");
        var (login, client) = await NewUserAsync(admin);
        using var _ = client;

        var before = await PostAsync(client, branch, "- !variable a\n");
        await LoadAsync(admin, HttpMethod.Post, "root", $"- !grant {{role: !group {group}, member: !user {login}}}\n");
        var granted = await PostAsync(client, branch, "- !variable a\n");
        await LoadAsync(admin, HttpMethod.Patch, "root", $"- !revoke {{role: !group {group}, member: !user {login}}}\n");
        var revoked = await PostAsync(client, branch, "- !variable b\n");

        Assert.Equal(404, before.Status);
        Assert.Equal((201, ApiResponse.Created(1)), (granted.Status, granted.Body));
        Assert.Equal(404, revoked.Status);
        Assert.False(await ResourceExistsAsync(f, Full("variable", $"{branch}/b")));
    }

    [Fact]
    public async Task Transferring_ownership_of_a_branch_with_patch_moves_who_can_load_into_it()
    {
        using var admin = await f.AdminClientAsync();
        var (login, client) = await NewUserAsync(admin);
        using var _ = client;
        var branch = World.Unique("moved");
        await LoadAsync(admin, HttpMethod.Post, "root", $"- !policy {branch}\n");

        var before = await PostAsync(client, branch, "- !variable a\n");
        await LoadAsync(admin, HttpMethod.Patch, "root", $"- !policy {{id: {branch}, owner: !user {login}}}\n");
        var owner = await PutAsync(client, branch, "- !variable a\n");
        await LoadAsync(admin, HttpMethod.Patch, "root", $"- !policy {branch}\n");
        var after = await PostAsync(client, branch, "- !variable b\n");

        Assert.Equal(404, before.Status);
        Assert.Equal((201, ApiResponse.Created(1)), (owner.Status, owner.Body));
        Assert.Equal(404, after.Status);
    }

    [Fact]
    public async Task Records_a_load_creates_are_owned_by_the_branch_and_so_by_whoever_owns_the_branch()
    {
        using var admin = await f.AdminClientAsync();
        var (login, client) = await NewUserAsync(admin);
        using var _ = client;
        var branch = World.Unique("owned");
        await LoadAsync(admin, HttpMethod.Post, "root", $"- !policy {{id: {branch}, owner: !user {login}}}\n");

        var outer = await PostAsync(client, branch, "- !policy {id: inner, body: [!variable v]}\n");
        var inner = await PostAsync(client, $"{branch}/inner", "- !variable w\n");

        Assert.Equal((201, 201), (outer.Status, inner.Status));
        Assert.Equal(Full("policy", branch), await OwnerOfAsync(f, Full("policy", $"{branch}/inner")));
        Assert.Equal(Full("policy", $"{branch}/inner"), await OwnerOfAsync(f, Full("variable", $"{branch}/inner/w")));
    }
}

public sealed class SeeingPoliciesAfterLoadsOnSqlite(SqliteServer f) : SeeingPoliciesAfterLoads(f), IClassFixture<SqliteServer>;

public sealed class SeeingPoliciesAfterLoadsOnPostgres(PostgresServerFixture f) : SeeingPoliciesAfterLoads(f), IClassFixture<PostgresServerFixture>;
