using System.Net;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Resources;

/// <summary><c>?check</c> and <c>?permitted_roles</c> on a resource (spec 2.6): 204/404 answers, the role parameter, visibility.</summary>
public abstract class CheckingPermissions(ServerFixture f)
{
    private const string PrivilegeMissing = """{"error":{"code":"argument_error","message":"privilege"}}""";

    [Theory]
    [InlineData("bob", "check", "execute", HttpStatusCode.NoContent)]
    [InlineData("bob", "check=true", "read", HttpStatusCode.NoContent)]
    [InlineData("bob", "check=false", "execute", HttpStatusCode.NoContent)]
    [InlineData("bob", "check", "update", HttpStatusCode.NotFound)]
    [InlineData("host/app-01", "check", "execute", HttpStatusCode.NoContent)]
    [InlineData("host/app-01", "check", "update", HttpStatusCode.NotFound)]
    [InlineData("alice", "check", "update", HttpStatusCode.NoContent)]
    [InlineData("alice", "check", "any-custom-privilege", HttpStatusCode.NoContent)]
    public async Task Check_answers_204_when_allowed_and_an_empty_404_when_not(string login, string selector, string privilege, HttpStatusCode expected)
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var client = await world.ClientAsync(login);

        var (status, body, _) = await Requests.GetAsync(client, $"/resources/cucumber/variable/db%2Fpassword?{selector}&privilege={privilege}");

        Assert.Equal(expected, status);
        Assert.Equal("", body);
    }

    [Fact]
    public async Task Check_for_a_held_role_answers_for_that_role()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await Requests.GetAsync(admin, "/resources/cucumber/variable/db%2Fpassword?check&privilege=execute&role=cucumber:user:bob")).Code);
        Assert.Equal(HttpStatusCode.NotFound, (await Requests.GetAsync(admin, "/resources/cucumber/variable/db%2Furl?check&privilege=read&role=cucumber:user:bob")).Code);
        Assert.Equal(HttpStatusCode.NoContent, (await Requests.GetAsync(admin, "/resources/cucumber/variable/db%2Furl?check&privilege=read&role=cucumber:user:dave")).Code);
        Assert.Equal(HttpStatusCode.NotFound, (await Requests.GetAsync(admin, "/resources/cucumber/variable/db%2Furl?check&privilege=execute&role=cucumber:user:dave")).Code);
        Assert.Equal(HttpStatusCode.NoContent, (await Requests.GetAsync(admin, "/resources/cucumber/variable/db%2Fpassword?check&privilege=execute&role=cucumber:layer:web")).Code);
    }

    [Theory]
    [InlineData("role=cucumber:user:bob")]
    [InlineData("role=cucumber:user:ghost")]
    [InlineData("role=user:dave")]
    public async Task Check_for_a_role_not_held_is_an_empty_403(string role)
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var alice = await world.ClientAsync("alice");

        var (status, body, _) = await Requests.GetAsync(alice, $"/resources/cucumber/variable/db%2Fpassword?check&privilege=read&{role}");

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("", body);
    }

    [Fact]
    public async Task Check_on_a_resource_the_caller_cannot_see_is_not_found()
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var bob = await world.ClientAsync("bob");

        var (status, body, _) = await Requests.GetAsync(bob, "/resources/cucumber/variable/db%2Furl?check&privilege=read");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(Requests.NotFoundBody("variable", "db/url"), body);

        (status, body, _) = await Requests.GetAsync(bob, "/resources/cucumber/variable/missing?check&privilege=read");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(Requests.NotFoundBody("variable", "missing"), body);
    }

    [Theory]
    [InlineData("check")]
    [InlineData("check&privilege=")]
    [InlineData("check&permission=read")]
    [InlineData("check&role=cucumber:user:nobody")]
    public async Task Check_without_a_privilege_is_refused_first(string query)
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var bob = await world.ClientAsync("bob");

        var (status, body, _) = await Requests.GetAsync(bob, $"/resources/cucumber/variable/db%2Fpassword?{query}");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal(PrivilegeMissing, body);
    }

    [Fact]
    public async Task Check_wins_over_permitted_roles_when_both_keys_are_present()
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var bob = await world.ClientAsync("bob");

        var (status, body, _) = await Requests.GetAsync(bob, "/resources/cucumber/variable/db%2Fpassword?permitted_roles&check&privilege=execute");

        Assert.Equal(HttpStatusCode.NoContent, status);
        Assert.Equal("", body);
    }

    [Fact]
    public async Task Checks_are_audited_with_their_outcome()
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();
        using var bob = await world.ClientAsync("bob");

        var allowed = await SendWithIdAsync(bob, "/resources/cucumber/variable/db%2Fpassword?check&privilege=execute");
        var denied = await SendWithIdAsync(admin, "/resources/cucumber/variable/db%2Fpassword?check&privilege=update&role=cucumber:user:bob");

        var ok = Assert.Single(f.Audit.Lines, l => l.Contains($" conjur {allowed} ", StringComparison.Ordinal));
        Assert.StartsWith("<86>1 ", ok, StringComparison.Ordinal);
        Assert.Contains(" check [auth@43868 user=\"cucumber:user:bob\"][subject@43868 resource=\"cucumber:variable:db/password\" role=\"cucumber:user:bob\" privilege=\"execute\"]", ok, StringComparison.Ordinal);
        Assert.EndsWith(" cucumber:user:bob successfully checked if they can execute cucumber:variable:db/password", ok, StringComparison.Ordinal);

        var no = Assert.Single(f.Audit.Lines, l => l.Contains($" conjur {denied} ", StringComparison.Ordinal));
        Assert.StartsWith("<84>1 ", no, StringComparison.Ordinal);
        Assert.EndsWith(" cucumber:user:admin failed to check if cucumber:user:bob can update cucumber:variable:db/password", no, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("permitted_roles&privilege=execute")]
    [InlineData("permitted_roles=true&permission=execute")]
    public async Task Permitted_roles_lists_holders_owners_and_their_members_sorted(string query)
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        var body = await Requests.GetJsonAsync(admin, $"/resources/cucumber/variable/db%2Fpassword?{query}");

        Assert.Equal(
            """["cucumber:group:db/readers","cucumber:group:ops","cucumber:host:app-01","cucumber:host_factory:web-factory","cucumber:layer:web","cucumber:policy:db","cucumber:user:admin","cucumber:user:alice","cucumber:user:bob"]""",
            body);
    }

    [Fact]
    public async Task Permitted_roles_for_a_privilege_nobody_was_granted_are_the_owners()
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var dave = await world.ClientAsync("dave");

        Assert.Equal(
            """["cucumber:group:ops","cucumber:policy:db","cucumber:user:admin","cucumber:user:alice"]""",
            await Requests.GetJsonAsync(dave, "/resources/cucumber/variable/db%2Furl?permitted_roles&privilege=update"));
        Assert.Equal(
            """["cucumber:group:ops","cucumber:policy:db","cucumber:user:admin","cucumber:user:alice","cucumber:user:dave"]""",
            await Requests.GetJsonAsync(dave, "/resources/cucumber/variable/db%2Furl?permitted_roles&privilege=read"));
    }

    [Fact]
    public async Task Permitted_roles_needs_a_privilege_and_a_visible_resource()
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var bob = await world.ClientAsync("bob");

        var (status, body, _) = await Requests.GetAsync(bob, "/resources/cucumber/variable/db%2Fpassword?permitted_roles");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal(PrivilegeMissing, body);

        (status, body, _) = await Requests.GetAsync(bob, "/resources/cucumber/variable/db%2Furl?permitted_roles&privilege=read");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(Requests.NotFoundBody("variable", "db/url"), body);
    }

    private static async Task<string> SendWithIdAsync(HttpClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        var requestId = "check-" + Guid.NewGuid().ToString("N");
        request.Headers.Add("X-Request-Id", requestId);
        using var response = await client.SendAsync(request);
        return requestId;
    }
}

public sealed class CheckingPermissionsOnSqlite(SqliteServer f) : CheckingPermissions(f), IClassFixture<SqliteServer>;

public sealed class CheckingPermissionsOnPostgres(PostgresServerFixture f) : CheckingPermissions(f), IClassFixture<PostgresServerFixture>;
