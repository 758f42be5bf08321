using Microsoft.EntityFrameworkCore;
using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// PUT replaces: every row of the target policy that the new text does not declare is deleted, and deleting a record
/// cascades to everything it owns, with its secrets, credentials, annotations, permissions and memberships (spec 4.6).
/// A record declared again afterwards comes back empty.
/// </summary>
public abstract class LoadingPolicyWithReplace(ServerFixture f)
{
    private const string WithSubPolicy = """
        - !variable keep
        - !policy
          id: sub
          body:
          - !variable pw
          - !host app
          - !group g
          - !user dev
          - !grant {role: !group g, member: !host app}
          - !permit {role: !host app, privilege: execute, resource: !variable pw}
          - !variable {id: annotated, annotations: {a: b}}
          - !policy {id: deeper, body: [!variable deepest, !layer]}
        """;

    [Fact]
    public async Task Removing_a_sub_policy_deletes_all_of_its_content_including_secrets_and_credentials()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "replace");
        var first = await LoadAsync(admin, HttpMethod.Put, branch, WithSubPolicy);
        var app = Full("host", $"{branch}/sub/app");
        var appKey = first.ApiKeyOf(app);
        await SetSecretAsync(f, Full("variable", $"{branch}/sub/pw"), "one");
        await SetSecretAsync(f, Full("variable", $"{branch}/sub/pw"), "two");
        await SetSecretAsync(f, Full("variable", $"{branch}/keep"), "kept");
        await SetSecretAsync(f, Full("variable", $"{branch}/sub/deeper/deepest"), "deep");
        await LoadAsync(admin, HttpMethod.Post, $"{branch}/sub", "- !variable loaded-into-sub\n");
        Assert.Equal(new RowCounts(6, 10, 1, 1, 1, 2, 3), await CountUnderAsync(f, $"{branch}/sub"));

        var put = await PutAsync(admin, branch, "- !variable keep\n");

        Assert.Equal((201, ApiResponse.Created(2)), (put.Status, put.Body));
        Assert.Equal(RowCounts.None, await CountUnderAsync(f, $"{branch}/sub"));
        Assert.Empty(await VersionsOfAsync(f, $"{branch}/sub"));
        Assert.Equal(401, await AuthenticateStatusAsync(f, $"host/{branch}/sub/app", appKey));
        Assert.Equal(1, await SecretCountAsync(f, Full("variable", $"{branch}/keep")));
        Assert.Equal(new RowCounts(1, 2, 0, 0, 0, 0, 1), await CountUnderAsync(f, branch));
    }

    [Fact]
    public async Task A_record_declared_again_comes_back_empty_with_a_new_api_key()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "again");
        var first = await LoadAsync(admin, HttpMethod.Put, branch, WithSubPolicy);
        var app = Full("host", $"{branch}/sub/app");
        var dev = Full("user", $"dev@{branch}-sub");
        var pw = Full("variable", $"{branch}/sub/pw");
        await SetSecretAsync(f, pw, "old value");
        await LoadAsync(admin, HttpMethod.Put, branch, "- !variable keep\n");

        var again = await PutAsync(admin, branch, WithSubPolicy);

        Assert.Equal(201, again.Status);
        Assert.Equal(ApiResponse.Created(3, (app, again.ApiKeyOf(app)), (dev, again.ApiKeyOf(dev))), again.Body);
        Assert.NotEqual(first.ApiKeyOf(app), again.ApiKeyOf(app));
        Assert.Equal(0, await SecretCountAsync(f, pw));
        Assert.Equal((404, $$$"""{"error":{"code":"not_found","message":"CONJ00076E Variable {{{pw}}} is empty or not found."}}"""), await GetSecretAsync(f, pw));
        Assert.Equal(401, await AuthenticateStatusAsync(f, $"host/{branch}/sub/app", first.ApiKeyOf(app)));
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"host/{branch}/sub/app", again.ApiKeyOf(app)));
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"dev@{branch}-sub", again.ApiKeyOf(dev)));
    }

    [Fact]
    public async Task Grants_permits_and_annotations_absent_from_the_new_text_are_deleted_and_the_rest_is_kept()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "relations");
        await LoadAsync(admin, HttpMethod.Put, branch, WithSubPolicy);
        var keepId = Full("variable", $"{branch}/keep");
        await SetSecretAsync(f, keepId, "value");

        var put = await PutAsync(
            admin,
            branch,
            """
            - !variable keep
            - !policy
              id: sub
              body:
              - !variable pw
              - !host app
              - !group g
              - !user dev
              - !variable annotated
              - !policy {id: deeper, body: [!variable deepest, !layer]}
            """);

        Assert.Equal((201, ApiResponse.Created(2)), (put.Status, put.Body));
        Assert.False(await MembershipExistsAsync(f, Full("group", $"{branch}/sub/g"), Full("host", $"{branch}/sub/app")));
        Assert.Equal("", await PrivilegesAsync(f, Full("variable", $"{branch}/sub/pw"), Full("host", $"{branch}/sub/app")));
        Assert.Equal("", await AnnotationsOfAsync(f, Full("variable", $"{branch}/sub/annotated")));
        Assert.Equal(1, await SecretCountAsync(f, keepId));
        Assert.Equal(new RowCounts(6, 9, 0, 0, 0, 2, 0), await CountUnderAsync(f, $"{branch}/sub"));
    }

    [Fact]
    public async Task Deleting_an_owner_deletes_what_it_owns_even_when_another_load_created_it()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "owner");
        await LoadAsync(admin, HttpMethod.Put, branch, "- !group owners\n- !variable mine\n");
        await LoadAsync(admin, HttpMethod.Post, "root", $"- !variable {{id: {branch}-owned-elsewhere, owner: !group {branch}/owners}}\n");
        await SetSecretAsync(f, Full("variable", $"{branch}-owned-elsewhere"), "x");

        await LoadAsync(admin, HttpMethod.Put, branch, "- !variable mine\n");

        Assert.False(await RoleExistsAsync(f, Full("group", $"{branch}/owners")));
        Assert.False(await ResourceExistsAsync(f, Full("variable", $"{branch}-owned-elsewhere")));
        Assert.Equal(0, await SecretCountAsync(f, Full("variable", $"{branch}-owned-elsewhere")));
        Assert.True(await ResourceExistsAsync(f, Full("variable", $"{branch}/mine")));
    }

    [Fact]
    public async Task Replacing_with_an_empty_list_empties_the_branch_but_keeps_the_branch_itself()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "empty");
        await LoadAsync(admin, HttpMethod.Put, branch, WithSubPolicy);

        var put = await PutAsync(admin, branch, "[]");

        Assert.Equal((201, ApiResponse.Created(2)), (put.Status, put.Body));
        Assert.Equal(new RowCounts(1, 1, 0, 0, 0, 0, 0), await CountUnderAsync(f, branch));
        Assert.True(await ResourceExistsAsync(f, Full("policy", branch)));
        Assert.Equal([1, 2], await VersionsOfAsync(f, branch));
    }
}

/// <summary>PUT on root deletes every sub-policy the new text omits, with all its content; the class holds one test because it replaces root.</summary>
public abstract class ReplacingTheRootPolicy(ServerFixture f)
{
    [Fact]
    public async Task Put_on_root_without_the_previously_loaded_sub_policies_deletes_them_and_their_content()
    {
        using var admin = await f.AdminClientAsync();
        var first = await LoadAsync(
            admin,
            HttpMethod.Put,
            "root",
            "- !user ann\n- !policy\n  id: apps\n  body:\n  - !host web\n  - !variable db-password\n  - !policy {id: inner, body: [!variable token]}\n- !policy stays\n");
        await LoadAsync(admin, HttpMethod.Post, "apps", "- !variable loaded-into-apps\n");
        await SetSecretAsync(f, Full("variable", "apps/db-password"), "pw");

        var put = await PutAsync(admin, "root", "- !user ann\n- !policy stays\n");

        Assert.Equal((201, ApiResponse.Created(2)), (put.Status, put.Body));
        Assert.Equal(RowCounts.None, await CountUnderAsync(f, "apps"));
        Assert.Equal(401, await AuthenticateStatusAsync(f, "host/apps/web", first.ApiKeyOf(Full("host", "apps/web"))));
        Assert.Equal(200, await AuthenticateStatusAsync(f, "ann", first.ApiKeyOf(Full("user", "ann"))));
        Assert.True(await ResourceExistsAsync(f, Full("policy", "stays")));
        var left = await f.WithDbAsync(db => db.Resources.AsNoTracking().Where(r => r.Account == Account).Select(r => r.ResourceId).OrderBy(r => r).ToListAsync());
        Assert.Equal(["cucumber:policy:root", "cucumber:policy:stays", "cucumber:user:admin", "cucumber:user:ann"], left);

        // root itself, and admin, survive any replace of root.
        var empty = await PutAsync(admin, "root", "[]");
        Assert.Equal((201, ApiResponse.Created(3)), (empty.Status, empty.Body));
        Assert.Equal(200, await AuthenticateStatusAsync(f, "admin", f.AdminApiKey));
        Assert.True(await ResourceExistsAsync(f, Full("policy", "root")));
    }
}

public sealed class LoadingPolicyWithReplaceOnSqlite(SqliteServer f) : LoadingPolicyWithReplace(f), IClassFixture<SqliteServer>;

public sealed class LoadingPolicyWithReplaceOnPostgres(PostgresServerFixture f) : LoadingPolicyWithReplace(f), IClassFixture<PostgresServerFixture>;

public sealed class ReplacingTheRootPolicyOnSqlite(SqliteServer f) : ReplacingTheRootPolicy(f), IClassFixture<SqliteServer>;

public sealed class ReplacingTheRootPolicyOnPostgres(PostgresServerFixture f) : ReplacingTheRootPolicy(f), IClassFixture<PostgresServerFixture>;
