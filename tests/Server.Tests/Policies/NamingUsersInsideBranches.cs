using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// A user declared in policy <c>dev/db</c> is <c>alice@dev-db</c>: role id, login and token subject (spec 4.4 step 4).
/// From inside a policy, <c>!user /alice</c> is a root user, <c>!user /dev/db/alice</c> or <c>!user /alice@dev-db</c>
/// the user of another branch.
/// </summary>
public abstract class NamingUsersInsideBranches(ServerFixture f)
{
    [Fact]
    public async Task A_user_of_a_nested_branch_gets_an_at_id_and_logs_in_with_it()
    {
        using var admin = await f.AdminClientAsync();
        var dev = await NewBranchAsync(admin, "dev", "- !policy db\n");

        var response = await PostAsync(admin, $"{dev}/db", "- !user alice\n");

        var alice = Full("user", $"alice@{dev}-db");
        Assert.Equal((201, ApiResponse.Created(1, (alice, response.ApiKeyOf(alice)))), (response.Status, response.Body));
        Assert.Equal(Full("policy", $"{dev}/db"), await OwnerOfAsync(f, alice));

        // The login in the URL: encoded (what clients send) and raw.
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"alice@{dev}-db", response.ApiKeyOf(alice)));
        using var raw = await f.Client.PostAsync($"/authn/cucumber/alice@{dev}-db/authenticate", new StringContent(response.ApiKeyOf(alice)));
        Assert.Equal(200, (int)raw.StatusCode);
        using var client = await f.ClientForAsync($"alice@{dev}-db", response.ApiKeyOf(alice));
        using var whoami = await client.GetAsync("/whoami");
        Assert.Contains($"\"username\":\"alice@{dev}-db\"", await whoami.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_user_declared_from_root_with_a_path_gets_the_same_at_id()
    {
        using var admin = await f.AdminClientAsync();
        var dev = await NewBranchAsync(admin, "dev", "- !policy db\n");

        var response = await PostAsync(admin, "root", $"- !user {dev}/db/bob\n");

        var bob = Full("user", $"bob@{dev}-db");
        Assert.Equal(201, response.Status);
        Assert.Equal([bob], response.CreatedRoles.Select(k => k.Key));
        Assert.Equal(Full("user", "admin"), await OwnerOfAsync(f, bob));
    }

    [Fact]
    public async Task Users_of_other_branches_and_of_root_are_referenced_with_a_leading_slash()
    {
        using var admin = await f.AdminClientAsync();
        var dev = await NewBranchAsync(admin, "dev", "- !policy db\n");
        var root = World.Unique("rootuser");
        await LoadAsync(admin, HttpMethod.Post, "root", $"- !user {root}\n");
        await LoadAsync(admin, HttpMethod.Post, $"{dev}/db", "- !user alice\n");

        var response = await PostAsync(
            admin,
            dev,
            $"- !group g\n- !grant {{role: !group g, members: [!user /{root}, !user /{dev}/db/alice, !user /alice@{dev}-db, !user db/alice, !user local]}}\n- !user local\n");

        Assert.Equal(201, response.Status);
        var local = Full("user", $"local@{dev}");
        Assert.Equal(ApiResponse.Created(1, (local, response.ApiKeyOf(local))), response.Body);
        var group = Full("group", $"{dev}/g");
        Assert.True(await MembershipExistsAsync(f, group, Full("user", root)));
        Assert.True(await MembershipExistsAsync(f, group, Full("user", $"alice@{dev}-db")));
        Assert.True(await MembershipExistsAsync(f, group, local));
        Assert.Equal(new RowCounts(5, 5, 3, 0, 0, 2, 0), await CountUnderAsync(f, dev));
    }

    [Fact]
    public async Task A_user_referenced_without_a_slash_inside_a_branch_is_the_branch_user()
    {
        using var admin = await f.AdminClientAsync();
        var dev = await NewBranchAsync(admin, "dev");
        var name = World.Unique("only-in-root");
        await LoadAsync(admin, HttpMethod.Post, "root", $"- !user {name}\n");

        var response = await PostAsync(admin, dev, $"- !group g\n- !grant {{role: !group g, member: !user {name}}}\n");

        Assert.Equal(422, response.Status);
        Assert.Equal($$$"""{"error":{"code":"policy_invalid","message":"User '{{{name}}}@{{{dev}}}' not found in account 'cucumber'"}}""", response.Body);
    }
}

public sealed class NamingUsersInsideBranchesOnSqlite(SqliteServer f) : NamingUsersInsideBranches(f), IClassFixture<SqliteServer>;

public sealed class NamingUsersInsideBranchesOnPostgres(PostgresServerFixture f) : NamingUsersInsideBranches(f), IClassFixture<PostgresServerFixture>;
