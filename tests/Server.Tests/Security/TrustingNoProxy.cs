using System.Net;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Security;

/// <summary>
/// Issue 8: SECRETS_TRUST_LOOPBACK_PROXY=false trusts no proxy (none is configured here), so a process on the same
/// machine that connects over loopback cannot claim another client address with X-Forwarded-For. The tests run on
/// 127.0.0.1, which is exactly that process.
/// </summary>
public abstract class TrustingNoProxy(ServerFixture f)
{
    private const string Account = ServerFixture.Account;

    [Fact]
    public async Task X_Forwarded_For_from_loopback_is_ignored_and_the_peer_is_the_client()
    {
        var request = Requests.Make(HttpMethod.Get, "/whoami", authorization: ServerFixture.TokenHeader(await f.AuthenticateAsync("admin", f.AdminApiKey)));
        request.Headers.Add("X-Forwarded-For", "10.1.2.3");

        var seen = await Requests.ObserveAsync(f.Client, request);

        Assert.Equal(200, seen.Status);
        Assert.StartsWith("{\"client_ip\":\"127.0.0.1\",", seen.Body, StringComparison.Ordinal);
        Assert.Contains("[client@43868 ip=\"127.0.0.1\"]", Requests.SingleAuditFor(f, Requests.RequestId(request)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_restricted_role_cannot_authenticate_by_claiming_an_address_in_its_range()
    {
        var login = World.Unique("restricted");
        var apiKey = await DirectRoles.CreateUserAsync(f, login, restrictedTo: "10.0.0.0/8");
        var loopbackOnly = World.Unique("local");
        var loopbackKey = await DirectRoles.CreateUserAsync(f, loopbackOnly, restrictedTo: "127.0.0.1/32");

        var spoofed = Requests.Make(HttpMethod.Post, $"/authn/{Account}/{login}/authenticate", apiKey);
        spoofed.Headers.Add("X-Forwarded-For", "10.1.2.3");
        var local = Requests.Make(HttpMethod.Post, $"/authn/{Account}/{loopbackOnly}/authenticate", loopbackKey);
        local.Headers.Add("X-Forwarded-For", "203.0.113.9");

        using var refused = await f.Client.SendAsync(spoofed);
        using var admitted = await f.Client.SendAsync(local);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("CONJ00010E IP address 127.0.0.1 is not authorized", Requests.SingleAuditFor(f, Requests.RequestId(spoofed)), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
    }

    [Fact]
    public async Task A_token_cidr_claim_cannot_be_satisfied_by_a_claimed_address()
    {
        using var key = await TokenForge.AccountKeyAsync(f);
        var forged = TokenForge.Sign(key, TokenForge.Header(key), TokenForge.Claims(f.Time.GetUtcNow(), "admin", extra: "\"cidr\":[\"10.0.0.0/8\"]"));
        var request = Requests.Make(HttpMethod.Get, "/whoami", authorization: ServerFixture.TokenHeader(forged));
        request.Headers.Add("X-Forwarded-For", "10.20.30.40");

        var seen = await Requests.ObserveAsync(f.Client, request);

        Assert.Equal((403, "IP address rejected"), (seen.Status, seen.Body));
    }
}

public sealed class NoProxySqliteServer : ServerFixture
{
    public NoProxySqliteServer()
        : base(Store.Sqlite)
    {
    }

    protected override IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["SECRETS_TRUST_LOOPBACK_PROXY"] = "false" };
}

public sealed class NoProxyPostgresServer : ServerFixture
{
    public NoProxyPostgresServer()
        : base(Store.Postgres)
    {
    }

    protected override IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["SECRETS_TRUST_LOOPBACK_PROXY"] = "false" };
}

public sealed class TrustingNoProxyOnSqlite(NoProxySqliteServer f) : TrustingNoProxy(f), IClassFixture<NoProxySqliteServer>;

public sealed class TrustingNoProxyOnPostgres(NoProxyPostgresServer f) : TrustingNoProxy(f), IClassFixture<NoProxyPostgresServer>;
