using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.HostFactories;

/// <summary>
/// The host-factory token as the credential of POST /host_factories/hosts (spec 2.8): every failure — no token, an
/// unknown or expired one, a client outside its CIDRs — is the same empty 401, and nothing is created.
/// </summary>
public abstract class PresentingHostFactoryTokens(ServerFixture f)
{
    private const string Account = ServerFixture.Account;

    [Fact]
    public async Task An_expired_token_is_unauthorized()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var token = Assert.Single(await HostFactoryRequests.IssueAsync(admin, app.FactoryId, f.Time.GetUtcNow().AddMinutes(10)));
        var hostIdentifier = World.Unique("late");

        f.Time.Advance(TimeSpan.FromMinutes(10));
        var request = HostFactoryRequests.CreateHost(token, null, ("id", hostIdentifier));
        var observed = await Requests.ObserveAsync(f.Client, request);

        Assert.Equal((401, ""), (observed.Status, observed.Body));
        await AssertNoHostAsync(hostIdentifier);
        Assert.Contains(
            $"[auth@43868 user=\"{app.FactoryId}\"][subject@43868 role=\"unknown\"][client@43868 ip=\"127.0.0.1\"][action@43868 result=\"failure\" operation=\"create-host\"] {app.FactoryId} failed to create host unknown: Host factory token expired",
            Requests.SingleAuditFor(f, Requests.RequestId(request)),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_is_good_until_just_before_its_expiration()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var expiration = HostFactoryRequests.WholeSecond(f.Time.GetUtcNow()).AddMinutes(5);
        var token = Assert.Single(await HostFactoryRequests.IssueAsync(admin, app.FactoryId, expiration));

        f.Time.SetUtcNow(expiration.AddMilliseconds(-1));
        using var inTime = await f.Client.SendAsync(HostFactoryRequests.CreateHost(token, null, ("id", World.Unique("on-time"))));
        f.Time.SetUtcNow(expiration);
        using var atExpiry = await f.Client.SendAsync(HostFactoryRequests.CreateHost(token, null, ("id", World.Unique("at-expiry"))));

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Unauthorized), (inTime.StatusCode, atExpiry.StatusCode));
    }

    [Theory]
    [InlineData("10.1.2.3", HttpStatusCode.Created)]
    [InlineData("192.168.7.7", HttpStatusCode.Created)]
    [InlineData("192.168.7.8", HttpStatusCode.Unauthorized)]
    [InlineData("11.0.0.1", HttpStatusCode.Unauthorized)]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    public async Task Only_clients_inside_the_tokens_cidrs_may_use_it(string? clientIp, HttpStatusCode expected)
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var token = Assert.Single(await HostFactoryRequests.IssueAsync(admin, app.FactoryId, f.Time.GetUtcNow().AddHours(1), 1, "10.0.0.0/8", "192.168.7.7"));
        var hostIdentifier = World.Unique("cidr");

        var request = HostFactoryRequests.CreateHost(token, clientIp, ("id", hostIdentifier));
        var observed = await Requests.ObserveAsync(f.Client, request);

        Assert.Equal(expected, (HttpStatusCode)observed.Status);
        if (expected == HttpStatusCode.Unauthorized)
        {
            Assert.Equal("", observed.Body);
            await AssertNoHostAsync(hostIdentifier);
            Assert.Contains(
                $"failed to create host unknown: IP address {clientIp ?? "127.0.0.1"} is not allowed to use the host factory token",
                Requests.SingleAuditFor(f, Requests.RequestId(request)),
                StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task No_unknown_or_malformed_token_is_unauthorized()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var token = Assert.Single(await HostFactoryRequests.IssueAsync(admin, app.FactoryId, f.Time.GetUtcNow().AddHours(1)));
        var hostIdentifier = World.Unique("nope");
        var adminAccessToken = await f.AuthenticateAsync("admin", f.AdminApiKey);

        string?[] headers =
        [
            null,
            "Token token=\"\"",
            $"Token token=\"{token}x\"",
            $"Token token=\"{token.ToUpperInvariant()}\"",
            $"Token token=\"{Convert.ToBase64String(Encoding.UTF8.GetBytes(token))}\"",
            $"Bearer {token}",
            ServerFixture.TokenHeader(adminAccessToken),
        ];
        foreach (var header in headers)
        {
            var request = Requests.Make(HttpMethod.Post, "/host_factories/hosts", authorization: header);
            request.Content = new FormUrlEncodedContent([new("id", hostIdentifier)]);
            var observed = await Requests.ObserveAsync(f.Client, request);
            Assert.Equal((401, ""), (observed.Status, observed.Body));
            Assert.Contains("[auth@43868 user=\"not-found\"]", Requests.SingleAuditFor(f, Requests.RequestId(request)), StringComparison.Ordinal);
        }

        await AssertNoHostAsync(hostIdentifier);
        Assert.DoesNotContain(f.Audit.Lines, l => l.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_token_is_checked_before_the_parameters()
    {
        var observed = await Requests.ObserveAsync(f.Client, HostFactoryRequests.CreateHost("not-a-token", null));

        Assert.Equal((401, ""), (observed.Status, observed.Body));
    }

    [Fact]
    public async Task Many_hosts_may_enroll_with_one_token_until_it_expires()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var tokens = await HostFactoryRequests.IssueAsync(admin, app.FactoryId, f.Time.GetUtcNow().AddHours(1), 2);

        foreach (var token in tokens)
        {
            for (var i = 0; i < 2; i++)
            {
                using var response = await f.Client.SendAsync(HostFactoryRequests.CreateHost(token, null, ("id", World.Unique("many"))));
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            }
        }

        var hosts = await f.WithDbAsync(db => db.Resources.CountAsync(r => r.OwnerId == app.FactoryId && r.Kind == "host"));
        Assert.Equal(4, hosts);
    }

    private async Task AssertNoHostAsync(string identifier) =>
        Assert.False(await f.WithDbAsync(db => db.Roles.AnyAsync(r => r.RoleId == $"{Account}:host:{identifier}")));
}

public sealed class PresentingHostFactoryTokensOnSqlite(SqliteServer f) : PresentingHostFactoryTokens(f), IClassFixture<SqliteServer>;

public sealed class PresentingHostFactoryTokensOnPostgres(PostgresServerFixture f) : PresentingHostFactoryTokens(f), IClassFixture<PostgresServerFixture>;
