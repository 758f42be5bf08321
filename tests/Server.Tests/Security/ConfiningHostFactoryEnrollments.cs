using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Tests.HostFactories;
using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Security;

/// <summary>
/// Issue 8, medium 4 and the enrollment bullet of medium 3: what a holder of a host-factory token may not do. Host ids
/// are confined, annotations authenticators trust are refused, and a policy that declares a host the factory
/// enrolled does not silently adopt it with the key the enrollment handed out.
/// </summary>
public abstract class ConfiningHostFactoryEnrollments(ServerFixture f)
{
    [Theory]
    [InlineData("Conjur/x")]
    [InlineData("CONJUR/authn-jwt/x")]
    [InlineData("conjur")]
    [InlineData("Conjur")]
    [InlineData("./conjur/x")]
    [InlineData("x/../conjur/x")]
    [InlineData("x/.")]
    [InlineData("..")]
    [InlineData("a:b")]
    [InlineData("a//b")]
    [InlineData("a/")]
    [InlineData("/a")]
    public async Task An_id_that_escapes_its_place_is_refused_and_nothing_is_created(string id)
    {
        var token = await NewTokenAsync();

        var observed = await Requests.ObserveAsync(f.Client, HostFactoryRequests.CreateHost(token, null, ("id", id)));

        Assert.Equal(422, observed.Status);
        Assert.Equal($$$"""{"error":{"code":"argument_error","message":"Invalid id: {{{JsonEncoded(id)}}}"}}""", observed.Body);
        Assert.False(await f.WithDbAsync(db => db.Roles.AnyAsync(r => r.RoleId.EndsWith(":host:" + id))));
    }

    [Theory]
    [InlineData("dev/evil")]
    [InlineData("app.example.com")]
    [InlineData("conjurx/a")]
    [InlineData("a/conjur/b")]
    [InlineData("db..1/x.y")]
    public async Task Ordinary_ids_are_still_enrolled(string suffix)
    {
        var token = await NewTokenAsync();
        var id = $"{World.Unique("hf")}/{suffix}";

        var observed = await Requests.ObserveAsync(f.Client, HostFactoryRequests.CreateHost(token, null, ("id", id)));

        Assert.True(observed.Status == 201, observed.Body);
        Assert.Equal($"{ServerFixture.Account}:host:{id}", JsonDocument.Parse(observed.Body).RootElement.GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("authn-jwt/github/repository")]
    [InlineData("authn/api-key")]
    [InlineData("authn-k8s/namespace")]
    [InlineData("Authn-IAM/x")]
    [InlineData("conjur/mime_type")]
    [InlineData("kubernetes/service-account")]
    [InlineData("authn")]
    public async Task Annotations_that_authenticators_trust_are_refused_at_enrollment(string name)
    {
        var token = await NewTokenAsync();
        var id = World.Unique("annotated");

        var observed = await Requests.ObserveAsync(
            f.Client, HostFactoryRequests.CreateHost(token, null, ("id", id), ($"annotations[{name}]", "anything"), ("annotations[team]", "blue")));

        Assert.Equal(422, observed.Status);
        Assert.Equal(
            $$$"""{"error":{"code":"argument_error","message":"Annotation '{{{name}}}' is reserved: names under authn*/, conjur/ and kubernetes/ may be set only by policy"}}""",
            observed.Body);
        Assert.False(await RoleExistsAsync(f, Full("host", id)));
    }

    [Fact]
    public async Task Other_annotations_are_still_set_at_enrollment()
    {
        var token = await NewTokenAsync();
        var id = World.Unique("annotated");

        var observed = await Requests.ObserveAsync(
            f.Client, HostFactoryRequests.CreateHost(token, null, ("id", id), ("annotations[team]", "blue"), ("annotations[my-authn/x]", "y")));

        Assert.True(observed.Status == 201, observed.Body);
        Assert.Contains("{\"name\":\"team\",\"value\":\"blue\"}", observed.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PATCH")]
    [InlineData("PUT")]
    public async Task A_policy_that_declares_a_host_the_factory_enrolled_fails_and_the_enrolled_key_stays_powerless(string method)
    {
        // The attacker, holding a factory token, enrolls the id the admin is about to declare and keeps the key.
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "adopt");
        var token = await NewTokenAsync();
        var id = $"{branch}/web";
        using var enrolled = await f.Client.SendAsync(HostFactoryRequests.CreateHost(token, null, ("id", id)));
        Assert.Equal(HttpStatusCode.Created, enrolled.StatusCode);
        var text = "- !variable db-password\n- !host web\n- !permit { role: !host web, privilege: execute, resource: !variable db-password }\n";

        var load = await Requests.SendAsync(admin, new HttpMethod(method), PolicyPath(branch), text);

        Assert.Equal(422, load.Status);
        using var doc = JsonDocument.Parse(load.Body);
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal("policy_invalid", error.GetProperty("code").GetString());
        Assert.Equal(
            $"Error at line 2, column 3 in policy : Host '{id}' was enrolled by host factory '{FactoryId}' and belongs to no policy: "
                + "delete it (!delete with PATCH or PUT) in the same load that declares it, so that the API key handed out at enrollment stops working",
            error.GetProperty("message").GetString());
        Assert.Equal((2, 3), (error.GetProperty("innererror").GetProperty("line").GetInt32(), error.GetProperty("innererror").GetProperty("column").GetInt32()));

        // Nothing of the load was written: no variable for the enrolled host to be permitted on.
        Assert.False(await ResourceExistsAsync(f, Full("variable", $"{branch}/db-password")));
    }

    [Fact]
    public async Task Deleting_the_enrolled_host_in_the_same_load_lets_the_policy_declare_it_with_a_new_key()
    {
        var token = await NewTokenAsync();
        var id = World.Unique("planned");
        using var enrolled = await f.Client.SendAsync(HostFactoryRequests.CreateHost(token, null, ("id", id)));
        var enrolledKey = JsonDocument.Parse(await enrolled.Content.ReadAsStringAsync()).RootElement.GetProperty("api_key").GetString()!;

        using var admin = await f.AdminClientAsync();
        var load = await PatchAsync(admin, "root", $"- !delete {{ record: !host {id} }}\n- !host {id}\n");

        Assert.True(load.Status == 201, load.Body);
        var hostId = Full("host", id);
        var newKey = load.ApiKeyOf(hostId);
        Assert.NotEqual(enrolledKey, newKey);
        Assert.Equal(401, await AuthenticateStatusAsync(f, $"host/{id}", enrolledKey));
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"host/{id}", newKey));
        Assert.Equal(Full("user", "admin"), await OwnerOfAsync(f, hostId));
    }

    [Fact]
    public async Task A_host_the_policy_itself_declared_reloads_as_before()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var id = World.Unique("declared");
        await LoadAsync(admin, HttpMethod.Post, "root", $"- !host {{ id: {id}, owner: !host-factory {app.Prefix}/factory }}\n");

        var again = await PostAsync(admin, "root", $"- !host {{ id: {id}, owner: !host-factory {app.Prefix}/factory }}\n");

        Assert.True(again.Status == 201, again.Body);
    }

    private string FactoryId => _app!.FactoryId;

    private HostFactoryApp? _app;

    private async Task<string> NewTokenAsync()
    {
        _app ??= await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        return Assert.Single(await HostFactoryRequests.IssueAsync(admin, _app.FactoryId, f.Time.GetUtcNow().AddHours(1)));
    }

    private static string JsonEncoded(string value) => JsonSerializer.Serialize(value)[1..^1];
}

public sealed class ConfiningHostFactoryEnrollmentsOnSqlite(SqliteServer f) : ConfiningHostFactoryEnrollments(f), IClassFixture<SqliteServer>;

public sealed class ConfiningHostFactoryEnrollmentsOnPostgres(PostgresServerFixture f) : ConfiningHostFactoryEnrollments(f), IClassFixture<PostgresServerFixture>;
