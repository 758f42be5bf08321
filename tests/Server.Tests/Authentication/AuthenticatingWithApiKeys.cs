using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Authentication;

/// <summary>POST /authn/{account}/{login}/authenticate (spec 2.1): raw-body API key → access token.</summary>
public abstract class AuthenticatingWithApiKeys(ServerFixture f)
{
    private const string Account = ServerFixture.Account;

    [Fact]
    public async Task The_raw_body_api_key_returns_the_token_json()
    {
        var request = Requests.Make(HttpMethod.Post, $"/authn/{Account}/admin/authenticate", f.AdminApiKey);

        using var response = await f.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Content.Headers.Contains("Content-Encoding"));
        var json = await response.Content.ReadAsStringAsync();
        Assert.Matches(new Regex("^\\{\"protected\":\"[A-Za-z0-9_=-]+\",\"payload\":\"[A-Za-z0-9_=-]+\",\"signature\":\"[A-Za-z0-9_=-]+\"\\}$"), json);
        var claims = TokenForge.DecodedPayload(json);
        Assert.Equal("admin", claims.GetProperty("sub").GetString());
        Assert.Equal(f.Time.GetUtcNow().ToUnixTimeSeconds(), claims.GetProperty("iat").GetInt64());
        Assert.Equal(480, claims.GetProperty("exp").GetInt64() - claims.GetProperty("iat").GetInt64());
        Assert.Equal("ES256", TokenForge.DecodedHeader(json).GetProperty("alg").GetString());
        using var key = await TokenForge.AccountKeyAsync(f);
        Assert.Equal(TokenForge.Kid(key), TokenForge.DecodedHeader(json).GetProperty("kid").GetString());

        Assert.Matches(
            $"^<86>1 \\d{{4}}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{{3}}Z - conjur {Requests.RequestId(request)} authn "
            + "\\[subject@43868 role=\"cucumber:user:admin\"\\]\\[auth@43868 user=\"cucumber:user:admin\" authenticator=\"authn\" service=\"\"\\]"
            + "\\[client@43868 ip=\"127.0.0.1\"\\]\\[action@43868 result=\"success\" operation=\"authenticate\"\\] "
            + "cucumber:user:admin successfully authenticated with authenticator authn$",
            Requests.SingleAuditFor(f, Requests.RequestId(request)));
    }

    [Theory]
    [InlineData("base64")]
    [InlineData("gzip, bASe64 ,br")]
    [InlineData("BASE64;q=1")]
    public async Task Accept_Encoding_listing_base64_returns_the_token_base64_encoded(string acceptEncoding)
    {
        var request = Requests.Make(HttpMethod.Post, $"/authn/{Account}/admin/authenticate", f.AdminApiKey);
        request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);

        using var response = await f.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["base64"], response.Content.Headers.ContentEncoding);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Matches("^[A-Za-z0-9+/]+=*$", body);
        var json = Encoding.UTF8.GetString(Convert.FromBase64String(body));
        Assert.StartsWith("{\"protected\":", json, StringComparison.Ordinal);

        // The body is exactly what goes between the quotes of the Authorization header.
        using var client = f.NewClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"Token token=\"{body}\"");
        using var whoami = await client.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.OK, whoami.StatusCode);
    }

    [Theory]
    [InlineData("gzip, br")]
    [InlineData("base64;q=0")]
    [InlineData("base64x")]
    public async Task Accept_Encoding_without_base64_returns_json(string acceptEncoding)
    {
        var request = Requests.Make(HttpMethod.Post, $"/authn/{Account}/admin/authenticate", f.AdminApiKey);
        request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);

        using var response = await f.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(response.Content.Headers.ContentEncoding);
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json")]
    [InlineData(null)]
    public async Task The_content_type_is_ignored_and_the_body_never_form_decoded(string? contentType)
    {
        var request = Requests.Make(HttpMethod.Post, $"/authn/{Account}/admin/authenticate");
        request.Content = new ByteArrayContent(Encoding.ASCII.GetBytes(f.AdminApiKey));
        if (contentType is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        using var response = await f.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("user", "alice", "alice", "alice")]
    [InlineData("user", "alice@dev-db", "alice%40dev-db", "alice@dev-db")]
    [InlineData("user", "alice@prod-db", "alice@prod-db", "alice@prod-db")]
    [InlineData("user", "bob", "user%2Fbob", "bob")]
    [InlineData("host", "app/01", "host%2Fapp%2F01", "host/app/01")]
    [InlineData("host", "app/02", "host%2fapp%2f02", "host/app/02")]
    public async Task Every_login_form_authenticates_as_its_role(string kind, string identifier, string pathSegment, string expectedSub)
    {
        var apiKey = await DirectRoles.CreateAsync(f, kind, identifier);

        using var response = await f.Client.PostAsync($"/authn/{Account}/{pathSegment}/authenticate", new StringContent(apiKey));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = await response.Content.ReadAsStringAsync();
        Assert.Equal(expectedSub, TokenForge.DecodedPayload(token).GetProperty("sub").GetString());
        using var client = f.NewClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", ServerFixture.TokenHeader(token));
        Assert.Contains($"\"username\":\"{expectedSub}\"", await client.GetStringAsync("/whoami"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_trailing_newline_after_the_api_key_is_tolerated()
    {
        using var response = await f.Client.PostAsync($"/authn/{Account}/admin/authenticate", new StringContent(f.AdminApiKey + "\n"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Every_failure_is_an_empty_401_that_looks_alike_and_the_audit_says_why()
    {
        var alice = World.Unique("alice");
        var aliceKey = await DirectRoles.CreateUserAsync(f, alice);
        var restricted = World.Unique("restricted");
        var restrictedKey = await DirectRoles.CreateUserAsync(f, restricted, restrictedTo: "10.0.0.0/8");
        var expired = World.Unique("expired");
        var expiredKey = await DirectRoles.CreateAsync(f, "user", expired, expiration: f.Time.GetUtcNow().UtcDateTime.AddMinutes(-1));
        var bare = World.Unique("nocredentials");
        await DirectRoles.CreateAsync(f, "group", bare, withCredentials: false);
        var token = await f.AuthenticateAsync(alice, aliceKey);
        var other = World.Unique("other");
        var otherKey = await DirectRoles.CreateUserAsync(f, other);

        (string Path, string Body, string Reason)[] cases =
        [
            ($"/authn/{Account}/{alice}/authenticate", "not-the-key", "CONJ00002E Invalid credentials"),
            ($"/authn/{Account}/{alice}/authenticate", otherKey, "CONJ00002E Invalid credentials"),
            ($"/authn/{Account}/{alice}/authenticate", "", "CONJ00002E Invalid credentials"),
            ($"/authn/{Account}/{alice}/authenticate", token, "CONJ00002E Invalid credentials"),
            ($"/authn/{Account}/nobody-here/authenticate", aliceKey, "CONJ00007E 'nobody-here' not found"),
            ($"/authn/{Account}/group%2F{bare}/authenticate", aliceKey, "not found"),
            ($"/authn/no-such-account/{alice}/authenticate", aliceKey, "not found"),
            ($"/authn/{Account}/{restricted}/authenticate", restrictedKey, "CONJ00010E IP address 127.0.0.1 is not authorized"),
            ($"/authn/{Account}/{expired}/authenticate", expiredKey, "CONJ00002E Invalid credentials"),
        ];

        var observed = new List<Observed>();
        foreach (var (path, body, reason) in cases)
        {
            var request = Requests.Make(HttpMethod.Post, path, body);
            var seen = await Requests.ObserveAsync(f.Client, request);
            Assert.True(seen.Status == 401, $"{path}: {seen.Status}");
            Assert.Equal("", seen.Body);
            observed.Add(seen);

            var line = Requests.SingleAuditFor(f, Requests.RequestId(request));
            Assert.StartsWith("<84>1 ", line, StringComparison.Ordinal);
            Assert.Contains("[action@43868 result=\"failure\" operation=\"authenticate\"]", line, StringComparison.Ordinal);
            Assert.Contains(reason, line, StringComparison.Ordinal);
            Assert.DoesNotContain(body.Length > 0 ? body : "\u0000", line, StringComparison.Ordinal);
        }

        Assert.Single(observed.Distinct());
    }

    [Fact]
    public async Task Restricted_to_uses_the_client_address_from_X_Forwarded_For_behind_the_loopback_proxy()
    {
        var login = World.Unique("restricted");
        var apiKey = await DirectRoles.CreateUserAsync(f, login, restrictedTo: "10.0.0.0/8,192.168.7.7/32");

        async Task<HttpStatusCode> FromAsync(string? forwardedFor)
        {
            var request = Requests.Make(HttpMethod.Post, $"/authn/{Account}/{login}/authenticate", apiKey);
            if (forwardedFor is not null)
            {
                request.Headers.Add("X-Forwarded-For", forwardedFor);
            }

            using var response = await f.Client.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await FromAsync(null));
        Assert.Equal(HttpStatusCode.OK, await FromAsync("10.1.2.3"));
        Assert.Equal(HttpStatusCode.OK, await FromAsync("192.168.7.7"));
        Assert.Equal(HttpStatusCode.Unauthorized, await FromAsync("192.168.7.8"));

        // Entries are believed from the right while the hop that wrote them is trusted: a client cannot prepend its way in.
        Assert.Equal(HttpStatusCode.Unauthorized, await FromAsync("10.1.2.3, 203.0.113.5"));
        Assert.Equal(HttpStatusCode.OK, await FromAsync("203.0.113.5, 10.1.2.3"));
        Assert.Equal(HttpStatusCode.OK, await FromAsync("10.1.2.3, 127.0.0.1"));
    }

    [Fact]
    public async Task The_audit_record_carries_the_forwarded_client_address()
    {
        var request = Requests.Make(HttpMethod.Post, $"/authn/{Account}/admin/authenticate", f.AdminApiKey);
        request.Headers.Add("X-Forwarded-For", "198.51.100.23");

        using var response = await f.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("[client@43868 ip=\"198.51.100.23\"]", Requests.SingleAuditFor(f, Requests.RequestId(request)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_access_token_header_is_ignored_at_authenticate()
    {
        var request = Requests.Make(HttpMethod.Post, $"/authn/{Account}/admin/authenticate", f.AdminApiKey, authorization: "Token token=\"garbage\"");

        using var response = await f.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Get_on_authenticate_is_404()
    {
        using var response = await f.Client.GetAsync($"/authn/{Account}/admin/authenticate");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task An_account_created_while_the_server_runs_can_authenticate()
    {
        var name = World.Unique("acme");
        var created = await f.CreateAccountAsync(name);

        using var client = await f.ClientForAsync("admin", created.AdminApiKey, name);
        Assert.Contains($"\"account\":\"{name}\"", await client.GetStringAsync("/whoami"), StringComparison.Ordinal);

        // The other account's key does not open this one.
        using var cross = await f.Client.PostAsync($"/authn/{Account}/admin/authenticate", new StringContent(created.AdminApiKey));
        Assert.Equal(HttpStatusCode.Unauthorized, cross.StatusCode);
    }

    [Fact]
    public async Task Credentials_that_expire_later_still_work_until_they_do()
    {
        var login = World.Unique("temp");
        var apiKey = await DirectRoles.CreateAsync(f, "user", login, expiration: f.Time.GetUtcNow().UtcDateTime.AddHours(1));

        using var before = await f.Client.PostAsync($"/authn/{Account}/{login}/authenticate", new StringContent(apiKey));
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        await f.WithDbAsync(db => db.Credentials.Where(c => c.RoleId == $"{Account}:user:{login}")
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Expiration, f.Time.GetUtcNow().UtcDateTime.AddSeconds(-1))));
        using var after = await f.Client.PostAsync($"/authn/{Account}/{login}/authenticate", new StringContent(apiKey));
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }
}

public sealed class AuthenticatingWithApiKeysOnSqlite(SqliteServer f) : AuthenticatingWithApiKeys(f), IClassFixture<SqliteServer>;

public sealed class AuthenticatingWithApiKeysOnPostgres(PostgresServerFixture f) : AuthenticatingWithApiKeys(f), IClassFixture<PostgresServerFixture>;
