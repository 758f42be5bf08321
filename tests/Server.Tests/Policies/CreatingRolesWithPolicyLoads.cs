using Microsoft.EntityFrameworkCore;
using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// A successful load answers 201 <c>{"created_roles":{…},"version":N}</c> (spec 2.5, 11.8): only the users and hosts the
/// load created, by full id, with API keys that authenticate; existing roles are never listed and never get a new key.
/// </summary>
public abstract class CreatingRolesWithPolicyLoads(ServerFixture f)
{
    [Fact]
    public async Task A_post_lists_the_new_users_and_hosts_with_working_api_keys_and_the_new_version()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "created");

        var response = await PostAsync(admin, branch, "- !user alice\n- !host app\n- !group ops\n- !layer\n- !variable password\n- !webservice\n");

        Assert.Equal(201, response.Status);
        Assert.Equal("application/json", response.MediaType);
        var alice = Full("user", $"alice@{branch}");
        var app = Full("host", $"{branch}/app");
        Assert.Equal(ApiResponse.Created(1, (alice, response.ApiKeyOf(alice)), (app, response.ApiKeyOf(app))), response.Body);
        Assert.All(response.CreatedRoles, k => Assert.Matches("^[0-9a-hjkmnp-tv-z]{8,56}$", k.Value));
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"alice@{branch}", response.ApiKeyOf(alice)));
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"host/{branch}/app", response.ApiKeyOf(app)));
        Assert.Equal(401, await AuthenticateStatusAsync(f, $"host/{branch}/app", response.ApiKeyOf(alice)));
    }

    [Fact]
    public async Task Users_declared_at_the_top_of_root_keep_their_plain_login()
    {
        using var admin = await f.AdminClientAsync();
        var login = World.Unique("root-user");

        var response = await PostAsync(admin, "root", $"- !user {login}\n");

        Assert.Equal(201, response.Status);
        var id = Full("user", login);
        Assert.Equal(ApiResponse.Created(response.Version, (id, response.ApiKeyOf(id))), response.Body);
        using var client = await f.ClientForAsync(login, response.ApiKeyOf(id));
        Assert.Equal(Full("user", "admin"), await OwnerOfAsync(f, id));
    }

    [Fact]
    public async Task Existing_roles_are_never_listed_again_and_keep_their_api_key()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "existing");
        var first = await LoadAsync(admin, HttpMethod.Post, branch, "- !host one\n");
        var one = Full("host", $"{branch}/one");
        var key = first.ApiKeyOf(one);

        var post = await PostAsync(admin, branch, "- !host one\n- !host two\n");
        var patch = await PatchAsync(admin, branch, "- !host one\n- !host two\n");
        var put = await PutAsync(admin, branch, "- !host one\n- !host two\n");

        var two = Full("host", $"{branch}/two");
        Assert.Equal(ApiResponse.Created(2, (two, post.ApiKeyOf(two))), post.Body);
        Assert.Equal(ApiResponse.Created(3), patch.Body);
        Assert.Equal(ApiResponse.Created(4), put.Body);
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"host/{branch}/one", key));
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"host/{branch}/two", post.ApiKeyOf(two)));
    }

    [Fact]
    public async Task Each_new_role_gets_its_own_key()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "keys");

        var response = await LoadAsync(admin, HttpMethod.Post, branch, string.Concat(Enumerable.Range(0, 20).Select(i => $"- !host h{i}\n- !user u{i}\n")));

        Assert.Equal(40, response.CreatedRoles.Count);
        Assert.Equal(40, response.CreatedRoles.Select(k => k.Value).Distinct().Count());
        Assert.Equal(
            Enumerable.Range(0, 20).SelectMany(i => new[] { Full("host", $"{branch}/h{i}"), Full("user", $"u{i}@{branch}") }),
            response.CreatedRoles.Select(k => k.Key));
    }

    [Fact]
    public async Task An_empty_list_or_a_comment_only_body_is_a_valid_load_that_still_gets_a_version()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "noop");

        var empty = await PostAsync(admin, branch, "[]");
        var comments = await PatchAsync(admin, branch, "# nothing to see\n# here\n");

        Assert.Equal((201, ApiResponse.Created(1)), (empty.Status, empty.Body));
        Assert.Equal((201, ApiResponse.Created(2)), (comments.Status, comments.Body));
    }

    [Fact]
    public async Task Annotation_names_that_are_policy_keywords_produce_warnings()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "warn");

        var response = await PostAsync(
            admin,
            branch,
            "- !variable\n  id: db\n  annotations:\n    owner: ops\n    description: fine\n    kind: pw\n- !group {id: g, annotations: {owner: again}}\n");

        Assert.Equal(201, response.Status);
        const string Tail = " matches a known policy attribute. An annotation does not set the attribute; check that this is intended.";
        Assert.Equal(
            $"{{\"created_roles\":{{}},\"version\":1,\"warnings\":[\"Annotation 'owner'{Tail}\",\"Annotation 'kind'{Tail}\"]}}",
            response.Body);
        Assert.Equal("description=fine\nkind=pw\nowner=ops", await AnnotationsOfAsync(f, Full("variable", $"{branch}/db")));
    }

    [Fact]
    public async Task A_content_type_that_is_absent_unusual_or_invalid_is_ignored()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "ctype");

        var none = await Requests.SendAsync(admin, HttpMethod.Post, PolicyPath(branch), "- !variable a\n", contentType: null);
        var text = await Requests.SendAsync(admin, HttpMethod.Post, PolicyPath(branch), "- !variable b\n", "text/plain");
        var form = await Requests.SendAsync(admin, HttpMethod.Post, PolicyPath(branch), "- !variable c\n", "application/x-www-form-urlencoded");
        var junk = await Requests.SendAsync(admin, HttpMethod.Post, PolicyPath(branch), "- !variable d\n", "this is ; not = a type");

        Assert.Equal([201, 201, 201, 201], new[] { none.Status, text.Status, form.Status, junk.Status });
        Assert.Equal(ApiResponse.Created(4), junk.Body);
        foreach (var v in new[] { "a", "b", "c", "d" })
        {
            Assert.True(await ResourceExistsAsync(f, Full("variable", $"{branch}/{v}")));
        }
    }

    [Fact]
    public async Task Loads_require_an_access_token()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, PolicyPath("root")) { Content = new StringContent("[]") };
        using var response = await f.Client.SendAsync(request);

        Assert.Equal(401, (int)response.StatusCode);
        Assert.Equal("Authorization missing", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_root_policy_is_created_on_the_first_policy_request_of_an_account_owned_by_its_admin()
    {
        var account = World.Unique("lazy").Replace("-", "", StringComparison.Ordinal);
        var created = await f.CreateAccountAsync(account);
        var rootId = $"{account}:policy:root";
        Assert.False(await ResourceExistsAsync(f, rootId));
        using var admin = await f.ClientForAsync("admin", created.AdminApiKey, account);

        var response = await Requests.SendAsync(admin, HttpMethod.Post, PolicyPath("root", account: account), "- !user first\n");

        Assert.Equal(201, response.Status);
        var first = $"{account}:user:first";
        Assert.Equal(ApiResponse.Created(1, (first, response.ApiKeyOf(first))), response.Body);
        var root = await f.WithDbAsync(db => db.Resources.AsNoTracking().SingleAsync(r => r.ResourceId == rootId));
        Assert.Equal(($"{account}:user:admin", null, "policy"), (root.OwnerId, root.PolicyId, root.Kind));
        Assert.True(await RoleExistsAsync(f, rootId));
        Assert.Equal($"{account}:user:admin", await OwnerOfAsync(f, first));
    }
}

public sealed class CreatingRolesWithPolicyLoadsOnSqlite(SqliteServer f) : CreatingRolesWithPolicyLoads(f), IClassFixture<SqliteServer>;

public sealed class CreatingRolesWithPolicyLoadsOnPostgres(PostgresServerFixture f) : CreatingRolesWithPolicyLoads(f), IClassFixture<PostgresServerFixture>;
