using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Authentication;
using Secrets.Server.Http;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.HostFactories;

/// <summary>
/// POST /host_factories/hosts (spec 2.8): the whole flow a workload goes through — policy, token, enrollment,
/// authentication as the new host — and re-enrollment, ownership and id rules.
/// </summary>
public abstract class EnrollingHostsWithAHostFactory(ServerFixture f)
{
    private const string Account = ServerFixture.Account;

    [Fact]
    public async Task A_new_host_is_created_in_the_factorys_layers_and_can_authenticate()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var token = Assert.Single(await HostFactoryRequests.IssueAsync(admin, app.FactoryId, f.Time.GetUtcNow().AddHours(1)));

        // created_at is rendered to the millisecond; start on a whole second so both stores render the same value.
        var now = f.Time.GetUtcNow();
        f.Time.Advance(TimeSpan.FromTicks(TimeSpan.TicksPerSecond - (now.Ticks % TimeSpan.TicksPerSecond)));
        var hostIdentifier = World.Unique("new");
        var request = HostFactoryRequests.CreateHost(token, null, ("id", hostIdentifier), ("annotations[team]", "blue"), ("annotations[purpose]", "web"));
        using var response = await f.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var hostId = $"{Account}:host:{hostIdentifier}";
        var apiKey = JsonDocument.Parse(body).RootElement.GetProperty("api_key").GetString()!;
        Assert.Matches("^[0-9a-hjkmnp-tv-z]{8,56}$", apiKey);
        Assert.Equal(
            $$"""{"created_at":"{{JsonTimes.Format(f.Time.GetUtcNow())}}","id":"{{hostId}}","owner":"{{app.FactoryId}}","permissions":[],"annotations":[{"name":"purpose","value":"web"},{"name":"team","value":"blue"}],"restricted_to":[],"api_key":"{{apiKey}}"}""",
            body);

        // The host is a member of both layers of the factory, by explicit grants that belong to no policy.
        var memberships = await f.WithDbAsync(db => db.RoleMemberships.AsNoTracking().Where(m => m.MemberId == hostId).OrderBy(m => m.RoleId).ToListAsync());
        Assert.Equal([app.LayerId, app.SecondLayerId], memberships.Select(m => m.RoleId));
        Assert.All(memberships, m => Assert.False(m.AdminOption));
        Assert.All(memberships, m => Assert.Null(m.PolicyId));
        var resource = await f.WithDbAsync(db => db.Resources.AsNoTracking().SingleAsync(r => r.ResourceId == hostId));
        Assert.Equal(("host", app.FactoryId, (string?)null), (resource.Kind, resource.OwnerId, resource.PolicyId));

        // The workload authenticates with the key it was handed, as host/<id>.
        using var host = await f.ClientForAsync($"host/{hostIdentifier}", apiKey);
        using var whoami = await host.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.OK, whoami.StatusCode);
        Assert.Equal($"host/{hostIdentifier}", JsonDocument.Parse(await whoami.Content.ReadAsStringAsync()).RootElement.GetProperty("username").GetString());

        // Through the layer, the new host may fetch the variable the layer is permitted to (the engine's own answer).
        await AssertAllowedAsync(hostId, "execute", app.VariableId, expected: true);
        await FetchThroughTheLayerAsync(admin, host, app);
        await AssertListedAsMemberAsync(admin, app.LayerId, hostId);
        await AssertListedAsMemberAsync(admin, app.SecondLayerId, hostId);

        Assert.Matches(
            $"^<86>1 \\S+ - conjur {Requests.RequestId(request)} host-factory \\[auth@43868 user=\"{app.FactoryId}\"\\]"
            + $"\\[subject@43868 role=\"{hostId}\"\\]\\[client@43868 ip=\"127.0.0.1\"\\]\\[action@43868 result=\"success\" operation=\"create-host\"\\] "
            + $"{app.FactoryId} successfully created host {hostId}$",
            Requests.SingleAuditFor(f, Requests.RequestId(request)));
        Assert.DoesNotContain(f.Audit.Lines, l => l.Contains(token, StringComparison.Ordinal) || l.Contains(apiKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Enrolling_an_existing_host_of_the_factory_again_rotates_its_api_key()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var token = Assert.Single(await HostFactoryRequests.IssueAsync(admin, app.FactoryId, f.Time.GetUtcNow().AddHours(1)));
        var hostIdentifier = World.Unique("again");
        var hostId = $"{Account}:host:{hostIdentifier}";

        using var first = await f.Client.SendAsync(HostFactoryRequests.CreateHost(token, null, ("id", hostIdentifier), ("annotations[team]", "blue")));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var oldKey = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("api_key").GetString()!;

        // One layer grant is lost (e.g. revoked by hand): re-enrollment grants it again.
        await f.WithDbAsync(db => db.RoleMemberships.Where(m => m.MemberId == hostId && m.RoleId == app.SecondLayerId).ExecuteDeleteAsync());

        var second = HostFactoryRequests.CreateHost(token, null, ("id", hostIdentifier), ("annotations[team]", "red"));
        using var response = await f.Client.SendAsync(second);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var root = JsonDocument.Parse(body).RootElement;
        var newKey = root.GetProperty("api_key").GetString()!;
        Assert.NotEqual(oldKey, newKey);
        Assert.Equal(hostId, root.GetProperty("id").GetString());
        Assert.Equal(app.FactoryId, root.GetProperty("owner").GetString());

        // Conjur's HostBuilder leaves the existing host's annotations alone on re-enrollment.
        Assert.Equal("""[{"name":"team","value":"blue"}]""", root.GetProperty("annotations").GetRawText());

        using var oldAttempt = await f.Client.PostAsync($"/authn/{Account}/{Uri.EscapeDataString("host/" + hostIdentifier)}/authenticate", new StringContent(oldKey));
        Assert.Equal(HttpStatusCode.Unauthorized, oldAttempt.StatusCode);
        using var host = await f.ClientForAsync($"host/{hostIdentifier}", newKey);
        using var whoami = await host.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.OK, whoami.StatusCode);

        var layers = await f.WithDbAsync(db => db.RoleMemberships.AsNoTracking().Where(m => m.MemberId == hostId).Select(m => m.RoleId).OrderBy(r => r).ToListAsync());
        Assert.Equal([app.LayerId, app.SecondLayerId], layers);

        Assert.Contains(
            $"[action@43868 result=\"success\" operation=\"rotate-host\"] {app.FactoryId} successfully rotated the API key of host {hostId}",
            Requests.SingleAuditFor(f, Requests.RequestId(second)),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parallel_enrollments_of_one_new_id_create_it_once_and_rotate_it_after()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var token = Assert.Single(await HostFactoryRequests.IssueAsync(admin, app.FactoryId, f.Time.GetUtcNow().AddHours(1)));
        var hostIdentifier = World.Unique("race");
        var hostId = $"{Account}:host:{hostIdentifier}";

        var requests = Enumerable.Range(0, 4).Select(_ => HostFactoryRequests.CreateHost(token, null, ("id", hostIdentifier))).ToList();
        var observed = await Task.WhenAll(requests.Select(r => Requests.ObserveAsync(f.Client, r)));

        // Enrollments of one id are serialised: one creates the host, the others re-enroll it.
        Assert.All(observed, o => Assert.True(o.Status == 201, $"{o.Status} {o.Body}"));
        var audits = requests.SelectMany(r => Requests.AuditFor(f, Requests.RequestId(r))).ToList();
        Assert.Single(audits, l => l.Contains("operation=\"create-host\"] " + app.FactoryId + " successfully created", StringComparison.Ordinal));
        Assert.Equal(3, audits.Count(l => l.Contains("operation=\"rotate-host\"] " + app.FactoryId + " successfully rotated", StringComparison.Ordinal)));

        // One role, one credential row, one grant per layer: no duplicate rows from the losers.
        var keys = await f.WithDbAsync(db => db.Credentials.CountAsync(c => c.RoleId == hostId));
        Assert.Equal(1, keys);
        var layers = await f.WithDbAsync(db => db.RoleMemberships.CountAsync(m => m.MemberId == hostId));
        Assert.Equal(2, layers);
    }

    [Fact]
    public async Task A_host_owned_by_another_role_is_forbidden_and_left_untouched()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var token = Assert.Single(await HostFactoryRequests.IssueAsync(admin, app.FactoryId, f.Time.GetUtcNow().AddHours(1)));
        var declaredKey = app.ApiKeys[$"{Account}:host:{app.PolicyHostIdentifier}"];

        var request = HostFactoryRequests.CreateHost(token, null, ("id", app.PolicyHostIdentifier));
        var observed = await Requests.ObserveAsync(f.Client, request);

        Assert.Equal((403, ""), (observed.Status, observed.Body));

        // Its key still works: nothing was rotated.
        using var host = await f.ClientForAsync($"host/{app.PolicyHostIdentifier}", declaredKey);
        using var whoami = await host.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.OK, whoami.StatusCode);
        Assert.Contains(
            $"[action@43868 result=\"failure\" operation=\"create-host\"] {app.FactoryId} failed to create host {Account}:host:{app.PolicyHostIdentifier}: Forbidden",
            Requests.SingleAuditFor(f, Requests.RequestId(request)),
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("conjur/authn-k8s/evil")]
    [InlineData("/conjur/evil")]
    public async Task Ids_under_conjur_are_refused(string id)
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var token = Assert.Single(await HostFactoryRequests.IssueAsync(admin, app.FactoryId, f.Time.GetUtcNow().AddHours(1)));

        var observed = await Requests.ObserveAsync(f.Client, HostFactoryRequests.CreateHost(token, null, ("id", id)));

        Assert.Equal(422, observed.Status);
        Assert.Equal($$$"""{"error":{"code":"argument_error","message":"Invalid id: {{{id}}}"}}""", observed.Body);
        Assert.False(await f.WithDbAsync(db => db.Roles.AnyAsync(r => r.RoleId == $"{Account}:host:{id}")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_missing_or_empty_id_is_parameter_missing(bool sendEmpty)
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var token = Assert.Single(await HostFactoryRequests.IssueAsync(admin, app.FactoryId, f.Time.GetUtcNow().AddHours(1)));

        var observed = await Requests.ObserveAsync(
            f.Client,
            sendEmpty ? HostFactoryRequests.CreateHost(token, null, ("id", "")) : HostFactoryRequests.CreateHost(token, null, ("annotations[a]", "b")));

        Assert.Equal(422, observed.Status);
        Assert.Equal("""{"error":{"code":"parameter_missing","message":"param is missing or the value is empty: id"}}""", observed.Body);
    }

    [Fact]
    public async Task The_id_and_annotations_may_come_in_the_query_string()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var token = Assert.Single(await HostFactoryRequests.IssueAsync(admin, app.FactoryId, f.Time.GetUtcNow().AddHours(1)));
        var hostIdentifier = World.Unique("q") + "/nested";
        var request = Requests.Make(
            HttpMethod.Post,
            $"/host_factories/hosts?id={Uri.EscapeDataString(hostIdentifier)}&annotations%5Brole%5D=db%2Bcache",
            authorization: $"Token token=\"{token}\"");

        using var response = await f.Client.SendAsync(request);
        var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"{Account}:host:{hostIdentifier}", root.GetProperty("id").GetString());
        Assert.Equal("""[{"name":"role","value":"db+cache"}]""", root.GetProperty("annotations").GetRawText());
    }

    [Fact]
    public async Task A_json_body_is_read_like_a_form()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var token = Assert.Single(await HostFactoryRequests.IssueAsync(admin, app.FactoryId, f.Time.GetUtcNow().AddHours(1)));
        var hostIdentifier = World.Unique("json");
        var request = Requests.Make(HttpMethod.Post, "/host_factories/hosts", authorization: $"Token token=\"{token}\"");
        request.Content = new StringContent($$$"""{"id":"{{{hostIdentifier}}}","annotations":{"tier":"1"}}""", Encoding.UTF8, "application/json");

        using var response = await f.Client.SendAsync(request);
        var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"{Account}:host:{hostIdentifier}", root.GetProperty("id").GetString());
        Assert.Equal("""[{"name":"tier","value":"1"}]""", root.GetProperty("annotations").GetRawText());

        var bad = Requests.Make(HttpMethod.Post, "/host_factories/hosts", authorization: $"Token token=\"{token}\"");
        bad.Content = new StringContent("{\"id\":", Encoding.UTF8, "application/json");
        var observed = await Requests.ObserveAsync(f.Client, bad);
        Assert.Equal((400, ""), (observed.Status, observed.Body));
    }

    /// <summary>Stores a value as admin (spec 2.4) and fetches it as the host: the layer's permission reaches the host.</summary>
    private static async Task FetchThroughTheLayerAsync(HttpClient admin, HttpClient host, HostFactoryApp app)
    {
        var path = $"/secrets/{Account}/variable/{Uri.EscapeDataString(app.VariableId.Split(':', 3)[2])}";
        using var store = await admin.PostAsync(path, new StringContent("s3cr3t"));
        Assert.True(store.StatusCode == HttpStatusCode.Created, await store.Content.ReadAsStringAsync());
        using var fetch = await host.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, fetch.StatusCode);
        Assert.Equal("s3cr3t", await fetch.Content.ReadAsStringAsync());
    }

    /// <summary>The layer lists the host among its members over the roles API (spec 2.7), as a plain explicit grant.</summary>
    private static async Task AssertListedAsMemberAsync(HttpClient admin, string layerId, string hostId)
    {
        using var response = await admin.GetAsync($"/roles/{Account}/layer/{Uri.EscapeDataString(layerId.Split(':', 3)[2])}?members");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var grant = Assert.Single(JsonDocument.Parse(body).RootElement.EnumerateArray(), g => g.GetProperty("member").GetString() == hostId);
        Assert.Equal(
            $$$"""{"admin_option":false,"ownership":false,"role":"{{{layerId}}}","member":"{{{hostId}}}"}""",
            grant.GetRawText());
    }

    /// <summary>Asks the authorization engine over the same rows the server uses (no HTTP route for it exists yet).</summary>
    private async Task AssertAllowedAsync(string roleId, string privilege, string resourceId, bool expected)
    {
        var snapshot = await f.WithDbAsync(db => Authorization.AuthorizationCache.BuildFromDatabaseAsync(db, Account, 0, CancellationToken.None));
        Assert.Equal(expected, snapshot.IsAllowed(roleId, privilege, resourceId));
    }
}

public sealed class EnrollingHostsWithAHostFactoryOnSqlite(SqliteServer f) : EnrollingHostsWithAHostFactory(f), IClassFixture<SqliteServer>;

public sealed class EnrollingHostsWithAHostFactoryOnPostgres(PostgresServerFixture f) : EnrollingHostsWithAHostFactory(f), IClassFixture<PostgresServerFixture>;
