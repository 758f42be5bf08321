using System.Net;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.HostFactories;

/// <summary>DELETE /host_factory_tokens/{token} (spec 2.8, 5.3): needs update on the factory; a revoked token stops working at once.</summary>
public abstract class RevokingHostFactoryTokens(ServerFixture f)
{
    private const string Account = ServerFixture.Account;
    private const string NotFound = """{"error":{"code":"not_found","message":"Host factory token not found","target":"host_factory_token"}}""";

    [Fact]
    public async Task A_revoked_token_can_no_longer_enroll_hosts()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var tokens = await HostFactoryRequests.IssueAsync(admin, app.FactoryId, f.Time.GetUtcNow().AddHours(1), 2);
        var revoked = tokens[0];

        var request = HostFactoryRequests.Revoke(revoked);
        var observed = await Requests.ObserveAsync(admin, request);

        Assert.Equal((204, ""), (observed.Status, observed.Body));
        using var refused = await f.Client.SendAsync(HostFactoryRequests.CreateHost(revoked, null, ("id", World.Unique("revoked"))));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        // Only that token: its sibling still works.
        using var accepted = await f.Client.SendAsync(HostFactoryRequests.CreateHost(tokens[1], null, ("id", World.Unique("sibling"))));
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        Assert.Equal(1, await f.WithDbAsync(db => db.HostFactoryTokens.CountAsync(t => t.ResourceId == app.FactoryId)));

        Assert.Matches(
            $"^<86>1 \\S+ - conjur {Requests.RequestId(request)} host-factory \\[auth@43868 user=\"{Account}:user:admin\"\\]"
            + $"\\[subject@43868 resource=\"{app.FactoryId}\"\\]\\[client@43868 ip=\"127.0.0.1\"\\]\\[action@43868 result=\"success\" operation=\"revoke-token\"\\] "
            + $"{Account}:user:admin successfully revoked a host factory token of {app.FactoryId}$",
            Requests.SingleAuditFor(f, Requests.RequestId(request)));
        Assert.DoesNotContain(f.Audit.Lines, l => l.Contains(revoked, StringComparison.Ordinal));

        // Revoking it again: it is gone.
        var again = await Requests.ObserveAsync(admin, HostFactoryRequests.Revoke(revoked));
        Assert.Equal((404, NotFound), (again.Status, again.Body));
    }

    [Fact]
    public async Task An_unknown_token_is_not_found_without_being_echoed()
    {
        using var admin = await f.AdminClientAsync();

        var observed = await Requests.ObserveAsync(admin, HostFactoryRequests.Revoke("1abcdefnotatoken"));

        Assert.Equal((404, NotFound), (observed.Status, observed.Body));
    }

    [Fact]
    public async Task Execute_without_update_is_forbidden_and_the_token_survives()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var executor = await f.ClientForAsync(app.Executor, app.ApiKeyOf(app.Executor));
        var token = Assert.Single(await HostFactoryRequests.IssueAsync(executor, app.FactoryId, f.Time.GetUtcNow().AddHours(1)));

        var observed = await Requests.ObserveAsync(executor, HostFactoryRequests.Revoke(token));

        Assert.Equal((403, ""), (observed.Status, observed.Body));
        using var accepted = await f.Client.SendAsync(HostFactoryRequests.CreateHost(token, null, ("id", World.Unique("kept"))));
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
    }

    [Fact]
    public async Task The_token_of_an_invisible_factory_looks_unknown()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var token = Assert.Single(await HostFactoryRequests.IssueAsync(admin, app.FactoryId, f.Time.GetUtcNow().AddHours(1)));
        using var stranger = await f.ClientForAsync(app.Stranger, app.ApiKeyOf(app.Stranger));

        var request = HostFactoryRequests.Revoke(token);
        var observed = await Requests.ObserveAsync(stranger, request);

        Assert.Equal((404, NotFound), (observed.Status, observed.Body));
        Assert.Equal(1, await f.WithDbAsync(db => db.HostFactoryTokens.CountAsync(t => t.ResourceId == app.FactoryId)));

        // The audit record does not name the factory to someone who cannot see it, nor the token.
        var audit = Requests.SingleAuditFor(f, Requests.RequestId(request));
        Assert.Contains($"{Account}:user:{app.Stranger} failed to revoke a host factory token: Host factory token not found", audit, StringComparison.Ordinal);
        Assert.DoesNotContain(token, audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_access_token_is_required()
    {
        var observed = await Requests.ObserveAsync(f.Client, HostFactoryRequests.Revoke("whatever"));

        Assert.Equal((401, "Authorization missing"), (observed.Status, observed.Body));
    }
}

public sealed class RevokingHostFactoryTokensOnSqlite(SqliteServer f) : RevokingHostFactoryTokens(f), IClassFixture<SqliteServer>;

public sealed class RevokingHostFactoryTokensOnPostgres(PostgresServerFixture f) : RevokingHostFactoryTokens(f), IClassFixture<PostgresServerFixture>;
