using System.Net;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Tests.Infrastructure;
using Secrets.Server.Tests.Resources;

namespace Secrets.Server.Tests.Roles;

/// <summary>
/// POST/DELETE /roles/…?members&amp;member= (spec 2.7): <c>create</c> (add) and <c>update</c> (remove) on the policy
/// that created the role, delegated through group ownership and layer permissions; visibility first; the
/// authorization version moves with each change.
/// </summary>
public abstract class ManagingRoleMembers(ServerFixture f)
{
    /// <summary>
    /// <c>team</c> is owned by group <c>team-admins</c> (erin is in it). <c>team/devs</c> and <c>team/qa</c> are
    /// created by a load into <c>team</c>, so their policy is <c>policy:team</c>. frank can read the groups only; gina
    /// can read them and <c>create</c> on the policy; layer <c>deployers</c> (host deploy-01) can read them and
    /// <c>create</c>+<c>update</c> the policy.
    /// </summary>
    private const string Root = """
        - !group team-admins
        - !user erin
        - !user frank
        - !user gina
        - !user henry
        - !layer deployers
        - !host deploy-01
        - !group crew
        - !grant
          role: !group team-admins
          member: !user erin
        - !grant
          role: !layer deployers
          member: !host deploy-01
        - !policy
          id: team
          owner: !group team-admins
        """;

    private const string Team = """
        - !group devs
        - !group qa
        - !grant
          role: !group qa
          member: !user /henry
        """;

    private const string Grants = """
        - !permit
          role: !user frank
          privileges: [read]
          resources: [!group team/devs, !group team/qa]
        - !permit
          role: !user gina
          privileges: [read]
          resources: [!group team/devs, !group team/qa]
        - !permit
          role: !user gina
          privileges: [create]
          resource: !policy team
        - !permit
          role: !layer deployers
          privileges: [read]
          resources: [!group team/devs, !group team/qa]
        - !permit
          role: !layer deployers
          privileges: [create, update]
          resource: !policy team
        """;

    private Task<PolicyWorld> WorldAsync() => Worlds.GetAsync(f, "members", ("root", Root), ("team", Team), ("root", Grants));

    [Fact]
    public async Task The_owner_of_the_policy_through_a_group_adds_and_removes_a_member()
    {
        var world = await WorldAsync();
        using var erin = await world.ClientAsync("erin");
        using var admin = await f.AdminClientAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await Requests.SendAsync(erin, HttpMethod.Post, "/roles/cucumber/group/team/devs?members&member=cucumber:user:frank")).Code);
        Assert.Contains(
            """{"admin_option":false,"ownership":false,"role":"cucumber:group:team/devs","member":"cucumber:user:frank"}""",
            await Requests.GetJsonAsync(erin, "/roles/cucumber/group/team%2Fdevs?members"),
            StringComparison.Ordinal);
        Assert.Contains("cucumber:group:team/devs", Requests.Strings(await Requests.GetJsonAsync(admin, "/roles/cucumber/user/frank?all")));

        var (status, body, _) = await Requests.SendAsync(erin, HttpMethod.Delete, "/roles/cucumber/group/team/devs?members&member=cucumber:user:frank");
        Assert.Equal(HttpStatusCode.NoContent, status);
        Assert.Equal("", body);
        Assert.DoesNotContain("cucumber:group:team/devs", Requests.Strings(await Requests.GetJsonAsync(admin, "/roles/cucumber/user/frank?all")));
    }

    [Fact]
    public async Task A_new_member_gains_what_the_role_can_see_at_once()
    {
        var world = await WorldAsync();
        using var admin = await f.AdminClientAsync();
        using var henry = await world.ClientAsync("henry");
        Assert.Equal("[]", await Requests.GetJsonAsync(henry, "/resources/cucumber/policy"));

        // Root-level roles were created by the load into root, which admin owns.
        Assert.Equal(HttpStatusCode.NoContent, (await Requests.SendAsync(admin, HttpMethod.Post, "/roles/cucumber/group/team-admins?members&member=user:henry")).Code);
        Assert.Equal(["cucumber:policy:team"], Requests.Ids(await Requests.GetJsonAsync(henry, "/resources/cucumber/policy")));

        Assert.Equal(HttpStatusCode.NoContent, (await Requests.SendAsync(admin, HttpMethod.Delete, "/roles/cucumber/group/team-admins?members&member=cucumber:user:henry")).Code);
        Assert.Equal("[]", await Requests.GetJsonAsync(henry, "/resources/cucumber/policy"));
    }

    [Fact]
    public async Task Adding_an_existing_member_again_changes_and_audits_nothing()
    {
        var world = await WorldAsync();
        using var erin = await world.ClientAsync("erin");
        var before = await f.WithDbAsync(db => db.ServerState.AsNoTracking().Where(s => s.Key == "authz_version").Select(s => s.Number).SingleAsync());

        var first = await SendWithIdAsync(erin, HttpMethod.Post, "/roles/cucumber/group/team/qa?members&member=cucumber:user:gina");
        var again = await SendWithIdAsync(erin, HttpMethod.Post, "/roles/cucumber/group/team/qa?members&member=cucumber:user:gina");
        var after = await f.WithDbAsync(db => db.ServerState.AsNoTracking().Where(s => s.Key == "authz_version").Select(s => s.Number).SingleAsync());

        Assert.Equal(HttpStatusCode.NoContent, first.Status);
        Assert.Equal(HttpStatusCode.NoContent, again.Status);
        Assert.Equal(before + 1, after);
        var line = Assert.Single(f.Audit.Lines, l => l.Contains($" conjur {first.RequestId} ", StringComparison.Ordinal));
        Assert.StartsWith("<85>1 ", line, StringComparison.Ordinal);
        Assert.Contains(" policy [auth@43868 user=\"cucumber:user:erin\"][subject@43868 role=\"cucumber:group:team/qa\" member=\"cucumber:user:gina\"]", line, StringComparison.Ordinal);
        Assert.Contains("[action@43868 result=\"success\" operation=\"add\"]", line, StringComparison.Ordinal);
        Assert.EndsWith(" cucumber:user:erin added membership of cucumber:user:gina in cucumber:group:team/qa", line, StringComparison.Ordinal);
        Assert.DoesNotContain(f.Audit.Lines, l => l.Contains($" conjur {again.RequestId} ", StringComparison.Ordinal));

        var removed = await SendWithIdAsync(erin, HttpMethod.Delete, "/roles/cucumber/group/team/qa?members&member=cucumber:user:gina");
        Assert.Equal(HttpStatusCode.NoContent, removed.Status);
        line = Assert.Single(f.Audit.Lines, l => l.Contains($" conjur {removed.RequestId} ", StringComparison.Ordinal));
        Assert.EndsWith(" cucumber:user:erin removed membership of cucumber:user:gina in cucumber:group:team/qa", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_without_update_may_add_but_not_remove()
    {
        var world = await WorldAsync();
        using var gina = await world.ClientAsync("gina");
        using var erin = await world.ClientAsync("erin");

        Assert.Equal(HttpStatusCode.NoContent, (await Requests.SendAsync(gina, HttpMethod.Post, "/roles/cucumber/group/team/devs?members&member=cucumber:user:gina")).Code);
        var (status, body, _) = await Requests.SendAsync(gina, HttpMethod.Delete, "/roles/cucumber/group/team/devs?members&member=cucumber:user:gina");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("", body);

        Assert.Equal(HttpStatusCode.NoContent, (await Requests.SendAsync(erin, HttpMethod.Delete, "/roles/cucumber/group/team/devs?members&member=cucumber:user:gina")).Code);
    }

    [Fact]
    public async Task A_host_delegated_through_a_layer_manages_members()
    {
        var world = await WorldAsync();
        using var host = await world.ClientAsync("host/deploy-01");

        Assert.Equal(HttpStatusCode.NoContent, (await Requests.SendAsync(host, HttpMethod.Post, "/roles/cucumber/group/team%2Fqa?members&member=cucumber:host:deploy-01")).Code);
        Assert.Contains("cucumber:host:deploy-01", await Requests.GetJsonAsync(host, "/roles/cucumber/group/team/qa?members"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await Requests.SendAsync(host, HttpMethod.Delete, "/roles/cucumber/group/team%2Fqa?members&member=cucumber:host:deploy-01")).Code);
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("DELETE")]
    public async Task Seeing_the_role_without_the_policy_privilege_is_an_empty_403(string method)
    {
        var world = await WorldAsync();
        using var frank = await world.ClientAsync("frank");

        var (status, body, _) = await Requests.SendAsync(frank, new HttpMethod(method), "/roles/cucumber/group/team/qa?members&member=cucumber:user:henry");

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("", body);
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("DELETE")]
    public async Task A_role_the_caller_cannot_see_is_not_found(string method)
    {
        var world = await WorldAsync();
        using var henry = await world.ClientAsync("henry");

        var (status, body, _) = await Requests.SendAsync(henry, new HttpMethod(method), "/roles/cucumber/group/team/devs?members&member=cucumber:user:henry");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(Requests.NotFoundBody("group", "team/devs"), body);
    }

    [Fact]
    public async Task A_role_created_outside_policy_loads_has_no_policy_to_authorize_against()
    {
        await WorldAsync();
        using var admin = await f.AdminClientAsync();

        var (status, body, _) = await Requests.SendAsync(admin, HttpMethod.Post, "/roles/cucumber/user/admin?members&member=cucumber:user:erin");

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("", body);
    }

    [Fact]
    public async Task An_unknown_member_is_not_found_and_a_missing_or_malformed_one_is_refused()
    {
        var world = await WorldAsync();
        using var erin = await world.ClientAsync("erin");

        var (status, body, _) = await Requests.SendAsync(erin, HttpMethod.Post, "/roles/cucumber/group/team/devs?members&member=cucumber:user:ghost");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(Requests.NotFoundBody("user", "ghost"), body);

        (status, body, _) = await Requests.SendAsync(erin, HttpMethod.Post, "/roles/cucumber/group/team/devs?members&member=elsewhere:user:erin");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(
            """{"error":{"code":"not_found","message":"User 'erin' not found in account 'elsewhere'","target":"user","details":{"code":"not_found","target":"id","message":"elsewhere:user:erin"}}}""",
            body);

        (status, body, _) = await Requests.SendAsync(erin, HttpMethod.Post, "/roles/cucumber/group/team/devs?members");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("""{"error":{"code":"parameter_missing","message":"param is missing or the value is empty: member"}}""", body);

        (status, body, _) = await Requests.SendAsync(erin, HttpMethod.Delete, "/roles/cucumber/group/team/devs?members&member=");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("""{"error":{"code":"parameter_missing","message":"param is missing or the value is empty: member"}}""", body);

        (status, body, _) = await Requests.SendAsync(erin, HttpMethod.Post, "/roles/cucumber/group/team/devs?members&member=frank");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("""{"error":{"code":"argument_error","message":"Expected at least 2 tokens in frank"}}""", body);
    }

    [Fact]
    public async Task Removing_a_member_that_is_not_one_is_not_found()
    {
        var world = await WorldAsync();
        using var erin = await world.ClientAsync("erin");

        var (status, body, _) = await Requests.SendAsync(erin, HttpMethod.Delete, "/roles/cucumber/group/team/devs?members&member=cucumber:user:gina");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(Requests.NotFoundBody("user", "gina"), body);

        // The owner's membership is derived from ownership, not a grant: it cannot be removed here.
        (status, body, _) = await Requests.SendAsync(erin, HttpMethod.Delete, "/roles/cucumber/group/team/devs?members&member=cucumber:policy:team");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(Requests.NotFoundBody("policy", "team"), body);
    }

    [Fact]
    public async Task A_grant_made_by_a_policy_can_be_removed_and_re_added_through_the_api()
    {
        var world = await WorldAsync();
        using var erin = await world.ClientAsync("erin");
        const string henryInQa = """{"admin_option":false,"ownership":false,"role":"cucumber:group:team/qa","member":"cucumber:user:henry","policy":"cucumber:policy:team"}""";
        Assert.Contains(henryInQa, await Requests.GetJsonAsync(erin, "/roles/cucumber/group/team/qa?members"), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NoContent, (await Requests.SendAsync(erin, HttpMethod.Delete, "/roles/cucumber/group/team/qa?members&member=cucumber:user:henry")).Code);
        Assert.DoesNotContain("cucumber:user:henry", await Requests.GetJsonAsync(erin, "/roles/cucumber/group/team/qa?members"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await Requests.SendAsync(erin, HttpMethod.Post, "/roles/cucumber/group/team/qa?members&member=cucumber:user:henry")).Code);

        // Re-added through the API: no policy.
        Assert.Contains(
            """{"admin_option":false,"ownership":false,"role":"cucumber:group:team/qa","member":"cucumber:user:henry"}""",
            await Requests.GetJsonAsync(erin, "/roles/cucumber/group/team/qa?members"),
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("DELETE")]
    public async Task Without_the_members_selector_there_is_no_route(string method)
    {
        await WorldAsync();
        using var admin = await f.AdminClientAsync();

        var (status, _, _) = await Requests.SendAsync(admin, new HttpMethod(method), "/roles/cucumber/group/crew?member=cucumber:user:erin");

        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    private static async Task<(HttpStatusCode Status, string RequestId)> SendWithIdAsync(HttpClient client, HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        var requestId = "members-" + Guid.NewGuid().ToString("N");
        request.Headers.Add("X-Request-Id", requestId);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, requestId);
    }
}

public sealed class ManagingRoleMembersOnSqlite(SqliteServer f) : ManagingRoleMembers(f), IClassFixture<SqliteServer>;

public sealed class ManagingRoleMembersOnPostgres(PostgresServerFixture f) : ManagingRoleMembers(f), IClassFixture<PostgresServerFixture>;
