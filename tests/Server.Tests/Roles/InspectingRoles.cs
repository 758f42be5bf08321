using System.Net;
using Secrets.Server.Tests.Infrastructure;
using Secrets.Server.Tests.Resources;

namespace Secrets.Server.Tests.Roles;

/// <summary>GET /roles/{account}/{kind}/{identifier} (spec 2.7): show, all, memberships, members, graph, and role visibility.</summary>
public abstract class InspectingRoles(ServerFixture f)
{
    private const string OpsAlice = """{"admin_option":false,"ownership":false,"role":"cucumber:group:ops","member":"cucumber:user:alice","policy":"cucumber:policy:root"}""";
    private const string OpsAdmin = """{"admin_option":true,"ownership":true,"role":"cucumber:group:ops","member":"cucumber:user:admin","policy":"cucumber:policy:root"}""";
    private const string WebApp = """{"admin_option":false,"ownership":false,"role":"cucumber:layer:web","member":"cucumber:host:app-01","policy":"cucumber:policy:root"}""";
    private const string WebFactory = """{"admin_option":false,"ownership":false,"role":"cucumber:layer:web","member":"cucumber:host_factory:web-factory","policy":"cucumber:policy:root"}""";
    private const string WebAdmin = """{"admin_option":true,"ownership":true,"role":"cucumber:layer:web","member":"cucumber:user:admin","policy":"cucumber:policy:root"}""";

    [Fact]
    public async Task A_group_shows_its_creation_policy_and_members_with_the_owner_as_admin_member()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();
        var created = await World.RoleCreatedAtAsync(f, "cucumber:group:ops");

        Assert.Equal(
            $$"""{"created_at":"{{created}}","id":"cucumber:group:ops","policy":"cucumber:policy:root","members":[{{OpsAdmin}},{{OpsAlice}}]}""",
            await Requests.GetJsonAsync(admin, "/roles/cucumber/group/ops"));
    }

    [Fact]
    public async Task A_policy_role_lists_its_owning_group_and_the_admin_omits_a_null_policy()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();
        var db = await World.RoleCreatedAtAsync(f, "cucumber:policy:db");
        var self = await World.RoleCreatedAtAsync(f, "cucumber:user:admin");

        Assert.Equal(
            $$"""{"created_at":"{{db}}","id":"cucumber:policy:db","policy":"cucumber:policy:root","members":[{"admin_option":true,"ownership":true,"role":"cucumber:policy:db","member":"cucumber:group:ops","policy":"cucumber:policy:root"}]}""",
            await Requests.GetJsonAsync(admin, "/roles/cucumber/policy/db"));
        Assert.Equal(
            $$"""{"created_at":"{{self}}","id":"cucumber:user:admin","members":[{"admin_option":true,"ownership":true,"role":"cucumber:user:admin","member":"cucumber:user:admin"}]}""",
            await Requests.GetJsonAsync(admin, "/roles/cucumber/user/admin"));
    }

    [Theory]
    [InlineData("alice", "group", "ops", "/roles/cucumber/group/ops")]
    [InlineData("alice", "user", "alice", "/roles/cucumber/user/alice?all")]
    [InlineData("dave", "user", "dave", "/roles/cucumber/user/dave?memberships")]
    [InlineData("bob", "group", "db/readers", "/roles/cucumber/group/db%2Freaders?members")]
    [InlineData("carol", "policy", "db", "/roles/cucumber/policy/db?graph")]
    [InlineData("alice", "group", "nope", "/roles/cucumber/group/nope")]
    public async Task A_role_whose_resource_the_caller_cannot_see_is_not_found(string login, string kind, string identifier, string path)
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var client = await world.ClientAsync(login);

        var (status, body, _) = await Requests.GetAsync(client, path);

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(Requests.NotFoundBody(kind, identifier), body);
    }

    [Theory]
    [InlineData("/roles/cucumber/variable/db%2Fpassword")]
    [InlineData("/roles/cucumber/webservice/x")]
    [InlineData("/roles/cucumber/group")]
    [InlineData("/roles/a%2Fb/group/ops")]
    public async Task Kinds_that_are_not_roles_have_no_route(string path)
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        Assert.Equal(HttpStatusCode.NotFound, (await Requests.GetAsync(admin, path)).Code);
    }

    [Fact]
    public async Task A_role_visible_through_ownership_is_addressable()
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var alice = await world.ClientAsync("alice");
        var created = await World.RoleCreatedAtAsync(f, "cucumber:group:db/readers");

        Assert.Equal(
            $$"""{"created_at":"{{created}}","id":"cucumber:group:db/readers","policy":"cucumber:policy:root","members":[{"admin_option":true,"ownership":true,"role":"cucumber:group:db/readers","member":"cucumber:policy:db","policy":"cucumber:policy:root"},{"admin_option":false,"ownership":false,"role":"cucumber:group:db/readers","member":"cucumber:user:bob","policy":"cucumber:policy:root"}]}""",
            await Requests.GetJsonAsync(alice, "/roles/cucumber/group/db/readers"));
    }

    [Fact]
    public async Task All_lists_every_role_held_transitively_including_itself()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        Assert.Equal(
            """["cucumber:group:db/readers","cucumber:group:ops","cucumber:policy:db","cucumber:user:alice"]""",
            await Requests.GetJsonAsync(admin, "/roles/cucumber/user/alice?all"));
        Assert.Equal("""["cucumber:user:carol"]""", await Requests.GetJsonAsync(admin, "/roles/cucumber/user/carol?all=false"));
        Assert.Equal("""{"count":4}""", await Requests.GetJsonAsync(admin, "/roles/cucumber/user/alice?all&count"));
        Assert.Equal(
            """["cucumber:layer:web"]""",
            await Requests.GetJsonAsync(admin, "/roles/cucumber/host/app-01?all&filter[]=layer:web&filter[]=cucumber:group:ops"));
    }

    [Fact]
    public async Task All_filters_by_full_or_partial_ids()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        Assert.Equal(
            """["cucumber:group:ops","cucumber:policy:db"]""",
            await Requests.GetJsonAsync(admin, "/roles/cucumber/user/alice?all&filter[]=group:ops&filter[]=cucumber:policy:db&filter[]=group:nope"));
        Assert.Equal("""["cucumber:group:ops"]""", await Requests.GetJsonAsync(admin, "/roles/cucumber/user/alice?all&filter=group:ops"));
        Assert.Equal("""{"count":2}""", await Requests.GetJsonAsync(admin, "/roles/cucumber/user/alice?all&count&filter[]=group:ops&filter[]=group:db/readers"));

        var (status, body, _) = await Requests.GetAsync(admin, "/roles/cucumber/user/alice?all&filter[]=ops");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("""{"error":{"code":"argument_error","message":"Expected at least 2 tokens in ops"}}""", body);
    }

    [Fact]
    public async Task Memberships_are_the_direct_grants_of_the_role_as_a_member()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        Assert.Equal($"[{OpsAlice}]", await Requests.GetJsonAsync(admin, "/roles/cucumber/user/alice?memberships"));
        Assert.Equal($"[{WebFactory}]", await Requests.GetJsonAsync(admin, "/roles/cucumber/host_factory/web-factory?memberships"));
        Assert.Equal(
            """[{"admin_option":true,"ownership":true,"role":"cucumber:group:db/readers","member":"cucumber:policy:db","policy":"cucumber:policy:root"}]""",
            await Requests.GetJsonAsync(admin, "/roles/cucumber/policy/db?memberships"));
        Assert.Equal("[]", await Requests.GetJsonAsync(admin, "/roles/cucumber/user/carol?memberships"));
    }

    [Fact]
    public async Task Memberships_filter_by_kind_search_and_id_and_count()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        // admin owns most roles: its memberships are mostly ownership grants.
        var all = Requests.Strings(await Requests.GetJsonAsync(admin, "/roles/cucumber/user/admin?all"));
        Assert.Contains("cucumber:layer:web", all);

        Assert.Equal($"[{WebAdmin}]", await Requests.GetJsonAsync(admin, "/roles/cucumber/user/admin?memberships&kind=layer"));
        Assert.Equal($"[{OpsAdmin}]", await Requests.GetJsonAsync(admin, "/roles/cucumber/user/admin?memberships&kind[]=group&search=ops"));
        Assert.Equal($"[{WebAdmin}]", await Requests.GetJsonAsync(admin, "/roles/cucumber/user/admin?memberships&filter[]=layer:web"));
        Assert.Equal("""{"count":2}""", await Requests.GetJsonAsync(admin, "/roles/cucumber/user/admin?memberships&kind[]=policy&kind[]=layer&count"));
        Assert.Equal("""{"count":1}""", await Requests.GetJsonAsync(admin, "/roles/cucumber/user/admin?memberships&search=alice&count=false"));
    }

    [Fact]
    public async Task Members_are_ordered_by_member_and_page_like_the_resource_list()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        Assert.Equal($"[{WebApp},{WebFactory},{WebAdmin}]", await Requests.GetJsonAsync(admin, "/roles/cucumber/layer/web?members"));
        Assert.Equal($"[{WebApp}]", await Requests.GetJsonAsync(admin, "/roles/cucumber/layer/web?members&limit=1"));
        Assert.Equal($"[{WebFactory},{WebAdmin}]", await Requests.GetJsonAsync(admin, "/roles/cucumber/layer/web?members&offset=1"));
        Assert.Equal($"[{WebFactory}]", await Requests.GetJsonAsync(admin, "/roles/cucumber/layer/web?members&offset=1&limit=1"));
        Assert.Equal("[]", await Requests.GetJsonAsync(admin, "/roles/cucumber/layer/web?members&offset=3"));
        Assert.Equal("""{"count":3}""", await Requests.GetJsonAsync(admin, "/roles/cucumber/layer/web?members&count&limit=1"));
    }

    [Fact]
    public async Task Members_offset_alone_pages_by_ten()
    {
        var names = Enumerable.Range(1, 12).Select(i => $"m{i:00}").ToList();
        var yaml = "- !group crowd\n" + string.Concat(names.Select(n => $"- !user {n}\n"))
            + "- !grant\n  role: !group crowd\n  members:\n" + string.Concat(names.Select(n => $"  - !user {n}\n"));
        await Worlds.GetAsync(f, "crowd", ("root", yaml));
        using var admin = await f.AdminClientAsync();

        var all = Members(await Requests.GetJsonAsync(admin, "/roles/cucumber/group/crowd?members"));
        Assert.Equal(["cucumber:user:admin", .. names.Select(n => $"cucumber:user:{n}")], all);
        Assert.Equal(all.Skip(2).Take(10), Members(await Requests.GetJsonAsync(admin, "/roles/cucumber/group/crowd?members&offset=2")));
        Assert.Equal(all.Take(10), Members(await Requests.GetJsonAsync(admin, "/roles/cucumber/group/crowd?members&offset=0")));
        Assert.Equal(all.Take(12), Members(await Requests.GetJsonAsync(admin, "/roles/cucumber/group/crowd?members&limit=12")));
        Assert.Equal("""{"count":13}""", await Requests.GetJsonAsync(admin, "/roles/cucumber/group/crowd?members&count&offset=2"));
    }

    [Fact]
    public async Task Members_filter_by_kind_and_search()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        Assert.Equal($"[{WebApp}]", await Requests.GetJsonAsync(admin, "/roles/cucumber/layer/web?members&kind=host"));
        Assert.Equal($"[{WebApp},{WebAdmin}]", await Requests.GetJsonAsync(admin, "/roles/cucumber/layer/web?members&kind[]=host&kind[]=user"));
        Assert.Equal($"[{WebFactory}]", await Requests.GetJsonAsync(admin, "/roles/cucumber/layer/web?members&search=factory"));
        Assert.Equal($"[{OpsAlice}]", await Requests.GetJsonAsync(admin, "/roles/cucumber/group/ops?members&search=operations"));
        Assert.Equal("""{"count":1}""", await Requests.GetJsonAsync(admin, "/roles/cucumber/layer/web?members&kind=host_factory&count"));
    }

    [Theory]
    [InlineData("limit=abc", "'limit' contains an invalid value. 'limit' must be a positive integer.")]
    [InlineData("limit=0", "'limit' contains an invalid value. 'limit' must be a positive integer.")]
    [InlineData("offset=-1", "'offset' contains an invalid value. 'offset' must be an integer greater than or equal to 0.")]
    public async Task Members_refuse_bad_paging_values(string query, string message)
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        var (status, body, _) = await Requests.GetAsync(admin, $"/roles/cucumber/layer/web?members&{query}");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal($$$"""{"error":{"code":"unprocessable_entity","message":"{{{message}}}"}}""", body);
    }

    [Fact]
    public async Task The_graph_shows_ancestors_and_descendants()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        Assert.Equal(
            """[{"parent":"cucumber:group:db/readers","child":"cucumber:policy:db"},{"parent":"cucumber:group:ops","child":"cucumber:user:alice"},{"parent":"cucumber:policy:db","child":"cucumber:group:ops"},{"parent":"cucumber:user:admin","child":"cucumber:user:admin"},{"parent":"cucumber:user:alice","child":"cucumber:user:admin"}]""",
            await Requests.GetJsonAsync(admin, "/roles/cucumber/user/alice?graph"));
    }

    [Fact]
    public async Task The_graph_keeps_only_edges_whose_parent_the_caller_can_see()
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var alice = await world.ClientAsync("alice");

        Assert.Equal(
            """[{"parent":"cucumber:group:db/readers","child":"cucumber:policy:db"},{"parent":"cucumber:policy:db","child":"cucumber:group:ops"}]""",
            await Requests.GetJsonAsync(alice, "/roles/cucumber/policy/db?graph"));
    }

    [Theory]
    [InlineData("graph&all&memberships&members", "graph")]
    [InlineData("all&memberships&members", "all")]
    [InlineData("members&memberships", "memberships")]
    [InlineData("members=false", "members")]
    public async Task Selectors_are_keys_and_the_first_in_priority_wins(string query, string winner)
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();
        var expected = await Requests.GetJsonAsync(admin, $"/roles/cucumber/group/ops?{winner}");

        Assert.Equal(expected, await Requests.GetJsonAsync(admin, $"/roles/cucumber/group/ops?{query}"));
    }

    [Fact]
    public async Task Member_and_membership_listings_are_audited()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        var members = await SendWithIdAsync(admin, "/roles/cucumber/layer/web?members&kind=host&limit=5");
        var memberships = await SendWithIdAsync(admin, "/roles/cucumber/user/alice?memberships");

        var line = Assert.Single(f.Audit.Lines, l => l.Contains($" conjur {members} ", StringComparison.Ordinal));
        Assert.Contains(" members [auth@43868 user=\"cucumber:user:admin\"][subject@43868 account=\"cucumber\" kind=\"host\" limit=\"5\" role=\"cucumber:layer:web\"]", line, StringComparison.Ordinal);
        Assert.EndsWith(" cucumber:user:admin successfully listed members with parameters: {:account=>\"cucumber\", :kind=>\"host\", :limit=>\"5\", :role=>\"cucumber:layer:web\"}", line, StringComparison.Ordinal);

        line = Assert.Single(f.Audit.Lines, l => l.Contains($" conjur {memberships} ", StringComparison.Ordinal));
        Assert.Contains(" membership [auth@43868 user=\"cucumber:user:admin\"][subject@43868 account=\"cucumber\" role=\"cucumber:user:alice\"]", line, StringComparison.Ordinal);
        Assert.EndsWith(" cucumber:user:admin successfully listed memberships with parameters: {:account=>\"cucumber\", :role=>\"cucumber:user:alice\"}", line, StringComparison.Ordinal);
    }

    private static List<string> Members(string body)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(body);
        return doc.RootElement.EnumerateArray().Select(e => e.GetProperty("member").GetString()!).ToList();
    }

    private static async Task<string> SendWithIdAsync(HttpClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        var requestId = "roles-" + Guid.NewGuid().ToString("N");
        request.Headers.Add("X-Request-Id", requestId);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return requestId;
    }
}

public sealed class InspectingRolesOnSqlite(SqliteServer f) : InspectingRoles(f), IClassFixture<SqliteServer>;

public sealed class InspectingRolesOnPostgres(PostgresServerFixture f) : InspectingRoles(f), IClassFixture<PostgresServerFixture>;
