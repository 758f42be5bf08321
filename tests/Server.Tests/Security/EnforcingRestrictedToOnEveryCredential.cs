using System.Net;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Security;

/// <summary>
/// Issue 8: restricted_to binds every use of a credential, not only authenticate. Login, self rotation and
/// password change refuse a client outside the range with the same empty 401 as bad credentials (the audit says
/// why), and the token authenticate issues carries the range as its cidr claim, so it is refused outside it too.
/// The tests run on loopback, a trusted proxy, so X-Forwarded-For sets the client address.
/// </summary>
public abstract class EnforcingRestrictedToOnEveryCredential(ServerFixture f)
{
    private const string Account = ServerFixture.Account;
    private const string Range = "10.0.0.0/8";
    private const string Inside = "10.1.2.3";
    private const string Outside = "192.0.2.7";
    private const string Password = "Restricted-Pass-42";

    [Fact]
    public async Task Login_outside_the_range_is_401_and_inside_returns_the_key()
    {
        var login = World.Unique("restricted");
        var apiKey = await DirectRoles.CreateUserAsync(f, login, Password, restrictedTo: Range);

        var outside = From(Outside, Requests.Make(HttpMethod.Get, $"/authn/{Account}/login", auth: ServerFixture.Basic(login, Password)));
        var direct = Requests.Make(HttpMethod.Get, $"/authn/{Account}/login", auth: ServerFixture.Basic(login, apiKey));
        var inside = From(Inside, Requests.Make(HttpMethod.Get, $"/authn/{Account}/login", auth: ServerFixture.Basic(login, Password)));

        var refused = await Requests.ObserveAsync(f.Client, outside);
        var refusedDirect = await Requests.ObserveAsync(f.Client, direct);
        var admitted = await Requests.ObserveAsync(f.Client, inside);

        Assert.Equal((401, ""), (refused.Status, refused.Body));
        Assert.Equal((401, ""), (refusedDirect.Status, refusedDirect.Body));
        Assert.Contains($"failed to login with authenticator authn: CONJ00010E IP address {Outside} is not authorized", Requests.SingleAuditFor(f, Requests.RequestId(outside)), StringComparison.Ordinal);
        Assert.Contains("CONJ00010E IP address 127.0.0.1 is not authorized", Requests.SingleAuditFor(f, Requests.RequestId(direct)), StringComparison.Ordinal);
        Assert.Equal((200, apiKey), (admitted.Status, admitted.Body));
    }

    [Fact]
    public async Task Rotating_ones_own_key_outside_the_range_is_401_and_leaves_the_key_in_place()
    {
        var host = World.Unique("app");
        var apiKey = await DirectRoles.CreateHostAsync(f, host, restrictedTo: Range);
        var login = $"host/{host}";

        var outside = From(Outside, Requests.Make(HttpMethod.Put, $"/authn/{Account}/api_key", auth: ServerFixture.Basic(login, apiKey)));
        var refused = await Requests.ObserveAsync(f.Client, outside);

        Assert.Equal((401, ""), (refused.Status, refused.Body));
        Assert.Contains($"failed to rotate the api key for cucumber:host:{host}: CONJ00010E IP address {Outside} is not authorized", Requests.SingleAuditFor(f, Requests.RequestId(outside)), StringComparison.Ordinal);

        // The key was not rotated: it still authenticates from inside, and rotating from inside works.
        using var stillValid = await f.Client.SendAsync(From(Inside, Requests.Make(HttpMethod.Post, $"/authn/{Account}/{Uri.EscapeDataString(login)}/authenticate", apiKey)));
        Assert.Equal(HttpStatusCode.OK, stillValid.StatusCode);
        using var rotated = await f.Client.SendAsync(From(Inside, Requests.Make(HttpMethod.Put, $"/authn/{Account}/api_key", auth: ServerFixture.Basic(login, apiKey))));
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.NotEqual(apiKey, await rotated.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Changing_the_password_outside_the_range_is_401_and_leaves_it_unchanged()
    {
        var login = World.Unique("restricted");
        var apiKey = await DirectRoles.CreateUserAsync(f, login, Password, restrictedTo: Range);
        const string NewPassword = "Another-Pass-With-7";

        var outside = From(Outside, Requests.Make(HttpMethod.Put, $"/authn/{Account}/password", NewPassword, ServerFixture.Basic(login, apiKey)));
        var refused = await Requests.ObserveAsync(f.Client, outside);

        Assert.Equal((401, ""), (refused.Status, refused.Body));
        Assert.Contains($"failed to change their password: CONJ00010E IP address {Outside} is not authorized", Requests.SingleAuditFor(f, Requests.RequestId(outside)), StringComparison.Ordinal);
        using var oldStillWorks = await f.Client.SendAsync(From(Inside, Requests.Make(HttpMethod.Get, $"/authn/{Account}/login", auth: ServerFixture.Basic(login, Password))));
        Assert.Equal(HttpStatusCode.OK, oldStillWorks.StatusCode);
        using var newRefused = await f.Client.SendAsync(From(Inside, Requests.Make(HttpMethod.Get, $"/authn/{Account}/login", auth: ServerFixture.Basic(login, NewPassword))));
        Assert.Equal(HttpStatusCode.Unauthorized, newRefused.StatusCode);

        using var changed = await f.Client.SendAsync(From(Inside, Requests.Make(HttpMethod.Put, $"/authn/{Account}/password", NewPassword, ServerFixture.Basic(login, apiKey))));
        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
    }

    [Fact]
    public async Task The_issued_token_carries_the_range_as_its_cidr_claim_and_does_not_work_outside_it()
    {
        var host = World.Unique("app");
        var apiKey = await DirectRoles.CreateHostAsync(f, host, restrictedTo: "10.0.0.0/8,192.168.7.7/32");
        using var issued = await f.Client.SendAsync(From(Inside, Requests.Make(HttpMethod.Post, $"/authn/{Account}/host%2F{host}/authenticate", apiKey)));
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        var token = await issued.Content.ReadAsStringAsync();

        var cidr = TokenForge.DecodedPayload(token).GetProperty("cidr");
        Assert.Equal(["10.0.0.0/8", "192.168.7.7/32"], cidr.EnumerateArray().Select(e => e.GetString()));

        var header = ServerFixture.TokenHeader(token);
        var outside = await Requests.ObserveAsync(f.Client, From(Outside, Requests.Make(HttpMethod.Get, "/whoami", authorization: header)));
        var direct = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/whoami", authorization: header));
        var inside = await Requests.ObserveAsync(f.Client, From("192.168.7.7", Requests.Make(HttpMethod.Get, "/whoami", authorization: header)));

        Assert.Equal((403, "IP address rejected"), (outside.Status, outside.Body));
        Assert.Equal((403, "IP address rejected"), (direct.Status, direct.Body));
        Assert.Equal(200, inside.Status);
        Assert.Contains($"\"username\":\"host/{host}\"", inside.Body, StringComparison.Ordinal);

        // The token endpoints behind the token check are covered as well, e.g. rotating another role's key.
        var rotate = await Requests.ObserveAsync(f.Client, From(Outside, Requests.Make(HttpMethod.Put, $"/authn/{Account}/api_key?role=user:admin", authorization: header)));
        Assert.Equal((403, "IP address rejected"), (rotate.Status, rotate.Body));
    }

    [Fact]
    public async Task An_unrestricted_role_gets_a_token_without_a_cidr_claim()
    {
        var token = await f.AuthenticateAsync("admin", f.AdminApiKey);

        Assert.False(TokenForge.DecodedPayload(token).TryGetProperty("cidr", out _));
    }

    private static HttpRequestMessage From(string address, HttpRequestMessage request)
    {
        request.Headers.Add("X-Forwarded-For", address);
        return request;
    }
}

public sealed class EnforcingRestrictedToOnEveryCredentialOnSqlite(SqliteServer f) : EnforcingRestrictedToOnEveryCredential(f), IClassFixture<SqliteServer>;

public sealed class EnforcingRestrictedToOnEveryCredentialOnPostgres(PostgresServerFixture f) : EnforcingRestrictedToOnEveryCredential(f), IClassFixture<PostgresServerFixture>;
