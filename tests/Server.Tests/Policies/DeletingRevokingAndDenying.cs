using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// <c>!delete</c>, <c>!revoke</c> and <c>!deny</c> run in PATCH (and PUT): a deleted record takes with it everything it
/// owns and every row that hangs off it; revoke and deny remove only the rows they name (spec 4.3).
/// </summary>
public abstract class DeletingRevokingAndDenying(ServerFixture f)
{
    private const string Initial = """
        - !group g
        - !host h
        - !variable v
        - !variable {id: w, annotations: {a: b}}
        - !grant {role: !group g, member: !host h}
        - !permit {role: !host h, privileges: [read, execute], resource: !variable v}
        - !permit {role: !group g, privilege: read, resource: !variable w}
        """;

    private static async Task<(string Branch, string HostKey)> InitialAsync(HttpClient admin)
    {
        var branch = await NewBranchAsync(admin, "delete");
        var created = await LoadAsync(admin, HttpMethod.Post, branch, Initial);
        return (branch, created.ApiKeyOf(Full("host", $"{branch}/h")));
    }

    [Fact]
    public async Task Revoke_removes_exactly_the_named_membership()
    {
        using var admin = await f.AdminClientAsync();
        var (branch, _) = await InitialAsync(admin);
        var before = await CountUnderAsync(f, branch);

        var patch = await PatchAsync(admin, branch, "- !revoke {role: !group g, member: !host h}\n");

        Assert.Equal((201, ApiResponse.Created(2)), (patch.Status, patch.Body));
        Assert.False(await MembershipExistsAsync(f, Full("group", $"{branch}/g"), Full("host", $"{branch}/h")));
        Assert.Equal(before with { Memberships = before.Memberships - 1 }, await CountUnderAsync(f, branch));
    }

    [Fact]
    public async Task Deny_removes_exactly_the_named_privileges()
    {
        using var admin = await f.AdminClientAsync();
        var (branch, _) = await InitialAsync(admin);

        var patch = await PatchAsync(admin, branch, "- !deny {role: !host h, privilege: execute, resource: !variable v}\n");

        Assert.Equal((201, ApiResponse.Created(2)), (patch.Status, patch.Body));
        Assert.Equal("read", await PrivilegesAsync(f, Full("variable", $"{branch}/v"), Full("host", $"{branch}/h")));
        Assert.Equal("read", await PrivilegesAsync(f, Full("variable", $"{branch}/w"), Full("group", $"{branch}/g")));
    }

    [Fact]
    public async Task Deleting_a_variable_removes_its_secrets_permissions_and_annotations()
    {
        using var admin = await f.AdminClientAsync();
        var (branch, _) = await InitialAsync(admin);
        var w = Full("variable", $"{branch}/w");
        await SetSecretAsync(f, w, "gone soon");

        var patch = await PatchAsync(admin, branch, "- !delete {record: !variable w}\n");

        Assert.Equal((201, ApiResponse.Created(2)), (patch.Status, patch.Body));
        Assert.False(await ResourceExistsAsync(f, w));
        Assert.Equal(0, await SecretCountAsync(f, w));
        Assert.Equal("", await AnnotationsOfAsync(f, w));
        Assert.Equal("", await PrivilegesAsync(f, w, Full("group", $"{branch}/g")));
        Assert.True(await ResourceExistsAsync(f, Full("variable", $"{branch}/v")));
    }

    [Fact]
    public async Task Deleting_a_host_removes_its_role_resource_credentials_and_relationships()
    {
        using var admin = await f.AdminClientAsync();
        var (branch, key) = await InitialAsync(admin);
        var h = Full("host", $"{branch}/h");

        var patch = await PatchAsync(admin, branch, "- !delete\n  record: !host h\n");

        Assert.Equal((201, ApiResponse.Created(2)), (patch.Status, patch.Body));
        Assert.False(await RoleExistsAsync(f, h));
        Assert.False(await ResourceExistsAsync(f, h));
        Assert.Null(await RestrictedToAsync(f, h));
        Assert.False(await MembershipExistsAsync(f, Full("group", $"{branch}/g"), h));
        Assert.Equal("", await PrivilegesAsync(f, Full("variable", $"{branch}/v"), h));
        Assert.Equal(401, await AuthenticateStatusAsync(f, $"host/{branch}/h", key));
    }

    [Fact]
    public async Task Deleting_a_group_deletes_what_it_owns_recursively()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "owner");
        await LoadAsync(
            admin,
            HttpMethod.Post,
            branch,
            "- !group boss\n- !group {id: middle, owner: !group boss}\n- !variable {id: leaf, owner: !group middle}\n- !variable other\n");
        await SetSecretAsync(f, Full("variable", $"{branch}/leaf"), "x");

        var patch = await PatchAsync(admin, branch, "- !delete {record: !group boss}\n");

        Assert.Equal(201, patch.Status);
        Assert.False(await RoleExistsAsync(f, Full("group", $"{branch}/middle")));
        Assert.False(await ResourceExistsAsync(f, Full("variable", $"{branch}/leaf")));
        Assert.Equal(0, await SecretCountAsync(f, Full("variable", $"{branch}/leaf")));
        Assert.True(await ResourceExistsAsync(f, Full("variable", $"{branch}/other")));
    }

    [Fact]
    public async Task Deleting_and_declaring_a_record_in_one_patch_brings_it_back_empty()
    {
        using var admin = await f.AdminClientAsync();
        var (branch, key) = await InitialAsync(admin);
        var v = Full("variable", $"{branch}/v");
        var h = Full("host", $"{branch}/h");
        await SetSecretAsync(f, v, "old");

        var patch = await PatchAsync(admin, branch, "- !delete {record: !variable v}\n- !delete {record: !host h}\n- !variable v\n- !host h\n");

        Assert.Equal(201, patch.Status);
        Assert.Equal(ApiResponse.Created(2, (h, patch.ApiKeyOf(h))), patch.Body);
        Assert.True(await ResourceExistsAsync(f, v));
        Assert.Equal(0, await SecretCountAsync(f, v));
        Assert.Equal("", await PrivilegesAsync(f, v, h));
        Assert.Equal(401, await AuthenticateStatusAsync(f, $"host/{branch}/h", key));
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"host/{branch}/h", patch.ApiKeyOf(h)));
    }

    [Fact]
    public async Task Deletion_statements_about_rows_that_do_not_exist_change_nothing()
    {
        using var admin = await f.AdminClientAsync();
        var (branch, _) = await InitialAsync(admin);
        var before = await DumpAsync(f);

        var patch = await PatchAsync(
            admin,
            branch,
            "- !delete {record: !variable never}\n- !revoke {role: !group g, member: !group g}\n- !deny {role: !host h, privilege: update, resource: !variable v}\n");

        Assert.Equal((201, ApiResponse.Created(2)), (patch.Status, patch.Body));
        Assert.Equal(before, await DumpAsync(f));
    }

    [Fact]
    public async Task Put_executes_delete_even_for_a_record_another_policy_created()
    {
        using var admin = await f.AdminClientAsync();
        var (branch, _) = await InitialAsync(admin);
        await LoadAsync(admin, HttpMethod.Post, "root", $"- !variable {branch}/from-root\n");
        var fromRoot = Full("variable", $"{branch}/from-root");

        var kept = await PutAsync(admin, branch, Initial);
        var existsAfterPlainPut = await ResourceExistsAsync(f, fromRoot);
        var put = await PutAsync(admin, branch, Initial + "\n- !delete {record: !variable from-root}\n");

        Assert.Equal((201, 201), (kept.Status, put.Status));
        Assert.True(existsAfterPlainPut);
        Assert.False(await ResourceExistsAsync(f, fromRoot));
        Assert.True(await ResourceExistsAsync(f, Full("variable", $"{branch}/v")));
    }
}

public sealed class DeletingRevokingAndDenyingOnSqlite(SqliteServer f) : DeletingRevokingAndDenying(f), IClassFixture<SqliteServer>;

public sealed class DeletingRevokingAndDenyingOnPostgres(PostgresServerFixture f) : DeletingRevokingAndDenying(f), IClassFixture<PostgresServerFixture>;
