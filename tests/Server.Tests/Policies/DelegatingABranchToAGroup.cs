using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// The delegation patterns of spec 5.4: a group that owns a branch (<c>owner: !group ops</c>) loads into it and its
/// sub-policies but nowhere else; <c>!permit [create, update] on !policy prod</c> lets a group append and update.
/// </summary>
public abstract class DelegatingABranchToAGroup(ServerFixture f)
{
    private static string NotFound(string identifier) =>
        $$$$"""{"error":{"code":"not_found","message":"Policy '{{{{identifier}}}}' not found in account 'cucumber'","target":"policy","details":{"code":"not_found","target":"id","message":"cucumber:policy:{{{{identifier}}}}"}}}""";

    [Fact]
    public async Task A_member_of_the_owning_group_loads_into_the_branch_and_its_sub_policies_but_nowhere_else()
    {
        using var admin = await f.AdminClientAsync();
        var ops = World.Unique("ops");
        var dana = World.Unique("dana");
        var prod = World.Unique("prod");
        var other = World.Unique("other");
        var setup = await LoadAsync(
            admin,
            HttpMethod.Post,
            "root",
            $"- !group {ops}\n- !user {dana}\n- !grant {{role: !group {ops}, member: !user {dana}}}\n- !policy {{id: {prod}, owner: !group {ops}}}\n- !policy {other}\n");
        using var client = await f.ClientForAsync(dana, setup.ApiKeyOf(Full("user", dana)));

        var post = await PostAsync(client, prod, "- !variable password\n- !host app\n- !policy {id: sub, body: [!variable deeper]}\n");
        var patch = await PatchAsync(client, prod, "- !variable {id: password, annotations: {rotated: 'yes'}}\n");
        var sub = await PostAsync(client, $"{prod}/sub", "- !variable deepest\n");
        var put = await PutAsync(client, prod, "- !variable password\n- !host app\n- !policy {id: sub, body: [!variable deeper]}\n");
        var intoOther = await PostAsync(client, other, "- !variable x\n");
        var intoRoot = await PostAsync(client, "root", "- !variable x\n");

        var app = Full("host", $"{prod}/app");
        Assert.Equal((201, ApiResponse.Created(1, (app, post.ApiKeyOf(app)))), (post.Status, post.Body));
        Assert.Equal((201, ApiResponse.Created(2)), (patch.Status, patch.Body));
        Assert.Equal((201, ApiResponse.Created(1)), (sub.Status, sub.Body));
        Assert.Equal((201, ApiResponse.Created(3)), (put.Status, put.Body));
        Assert.Equal((404, NotFound(other)), (intoOther.Status, intoOther.Body));
        Assert.Equal((404, NotFound("root")), (intoRoot.Status, intoRoot.Body));
        Assert.Equal(Full("policy", prod), await OwnerOfAsync(f, Full("variable", $"{prod}/password")));
        Assert.Equal(Full("policy", $"{prod}/sub"), await OwnerOfAsync(f, Full("variable", $"{prod}/sub/deeper")));
        Assert.True(await ResourceExistsAsync(f, Full("variable", $"{prod}/sub/deepest")));
        Assert.False(await ResourceExistsAsync(f, Full("variable", $"{other}/x")));
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"host/{prod}/app", post.ApiKeyOf(app)));
    }

    [Fact]
    public async Task A_user_who_leaves_the_owning_group_can_no_longer_see_the_branch()
    {
        using var admin = await f.AdminClientAsync();
        var ops = World.Unique("ops");
        var dana = World.Unique("dana");
        var prod = World.Unique("prod");
        var setup = await LoadAsync(
            admin,
            HttpMethod.Post,
            "root",
            $"- !group {ops}\n- !user {dana}\n- !grant {{role: !group {ops}, member: !user {dana}}}\n- !policy {{id: {prod}, owner: !group {ops}}}\n");
        using var client = await f.ClientForAsync(dana, setup.ApiKeyOf(Full("user", dana)));
        Assert.Equal(201, (await PostAsync(client, prod, "- !variable a\n")).Status);

        await LoadAsync(admin, HttpMethod.Patch, "root", $"- !revoke {{role: !group {ops}, member: !user {dana}}}\n");
        var after = await PostAsync(client, prod, "- !variable b\n");

        Assert.Equal((404, NotFound(prod)), (after.Status, after.Body));
    }

    [Fact]
    public async Task A_group_permitted_create_and_update_appends_and_updates_but_put_needs_update_on_the_contents()
    {
        using var admin = await f.AdminClientAsync();
        var devs = World.Unique("devs");
        var eve = World.Unique("eve");
        var staging = World.Unique("staging");
        var setup = await LoadAsync(
            admin,
            HttpMethod.Post,
            "root",
            $"- !group {devs}\n- !user {eve}\n- !grant {{role: !group {devs}, member: !user {eve}}}\n- !policy {staging}\n"
            + $"- !permit {{role: !group {devs}, privileges: [create, update], resource: !policy {staging}}}\n");
        using var client = await f.ClientForAsync(eve, setup.ApiKeyOf(Full("user", eve)));

        var emptyPut = await PutAsync(client, staging, "[]");
        var post = await PostAsync(client, staging, "- !variable x\n- !user robot\n");
        var patch = await PatchAsync(client, staging, "- !variable {id: x, annotations: {a: b}}\n");
        var put = await PutAsync(client, staging, "- !variable x\n");
        var root = await PostAsync(client, "root", "- !variable y\n");

        var robot = Full("user", $"robot@{staging}");
        Assert.Equal((201, ApiResponse.Created(1)), (emptyPut.Status, emptyPut.Body));
        Assert.Equal((201, ApiResponse.Created(2, (robot, post.ApiKeyOf(robot)))), (post.Status, post.Body));
        Assert.Equal((201, ApiResponse.Created(3)), (patch.Status, patch.Body));

        // The records belong to policy:staging, a role eve does not hold: she lacks update on them.
        Assert.Equal((403, ""), (put.Status, put.Body));
        Assert.Equal((404, NotFound("root")), (root.Status, root.Body));
        Assert.Equal(Full("policy", staging), await OwnerOfAsync(f, Full("variable", $"{staging}/x")));
        Assert.Equal("a=b", await AnnotationsOfAsync(f, Full("variable", $"{staging}/x")));
    }

    [Fact]
    public async Task A_delegated_load_can_grant_roles_of_its_branch_to_outsiders_it_can_name()
    {
        using var admin = await f.AdminClientAsync();
        var ops = World.Unique("ops");
        var dana = World.Unique("dana");
        var app = World.Unique("app");
        var prod = World.Unique("prod");
        var setup = await LoadAsync(
            admin,
            HttpMethod.Post,
            "root",
            $"- !group {ops}\n- !user {dana}\n- !host {app}\n- !grant {{role: !group {ops}, member: !user {dana}}}\n- !policy {{id: {prod}, owner: !group {ops}}}\n");
        using var client = await f.ClientForAsync(dana, setup.ApiKeyOf(Full("user", dana)));

        var response = await PostAsync(
            client,
            prod,
            $"- !variable pw\n- !layer consumers\n- !grant {{role: !layer consumers, member: !host /{app}}}\n- !permit {{role: !layer consumers, privileges: [read, execute], resource: !variable pw}}\n");

        Assert.Equal(201, response.Status);
        Assert.True(await MembershipExistsAsync(f, Full("layer", $"{prod}/consumers"), Full("host", app)));
        Assert.Equal("execute,read", await PrivilegesAsync(f, Full("variable", $"{prod}/pw"), Full("layer", $"{prod}/consumers")));
    }
}

public sealed class DelegatingABranchToAGroupOnSqlite(SqliteServer f) : DelegatingABranchToAGroup(f), IClassFixture<SqliteServer>;

public sealed class DelegatingABranchToAGroupOnPostgres(PostgresServerFixture f) : DelegatingABranchToAGroup(f), IClassFixture<PostgresServerFixture>;
