using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Authentication;

/// <summary>GET /authn/{account}/login (spec 2.1): Basic auth with a password or the API key → the API key.</summary>
public abstract class LoggingInWithBasicAuth(ServerFixture f)
{
    private const string Account = ServerFixture.Account;
    private const string Password = "Correct-Horse-42-battery";

    [Fact]
    public async Task The_password_returns_the_current_api_key_as_plain_text()
    {
        var login = World.Unique("alice");
        var apiKey = await DirectRoles.CreateUserAsync(f, login, Password);
        var request = Requests.Make(HttpMethod.Get, $"/authn/{Account}/login", auth: ServerFixture.Basic(login, Password));

        using var response = await f.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(apiKey, await response.Content.ReadAsStringAsync());
        var line = Requests.SingleAuditFor(f, Requests.RequestId(request));
        Assert.StartsWith("<86>1 ", line, StringComparison.Ordinal);
        Assert.Contains(" authn [subject@43868 role=\"cucumber:user:" + login + "\"]", line, StringComparison.Ordinal);
        Assert.Contains("[action@43868 result=\"success\" operation=\"login\"]", line, StringComparison.Ordinal);
        Assert.EndsWith($"cucumber:user:{login} successfully logged in with authenticator authn", line, StringComparison.Ordinal);
        Assert.DoesNotContain(apiKey, line, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_api_key_is_accepted_in_place_of_the_password_and_login_does_not_rotate_it()
    {
        using var first = await LoginAsync("admin", f.AdminApiKey);
        using var second = await LoginAsync("admin", f.AdminApiKey);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(f.AdminApiKey, await first.Content.ReadAsStringAsync());
        Assert.Equal(f.AdminApiKey, await second.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("host", "app/01", "host/app/01")]
    [InlineData("user", "alice@dev-db", "alice@dev-db")]
    public async Task Hosts_and_users_with_at_signs_log_in_with_their_api_key(string kind, string identifier, string login)
    {
        var apiKey = await DirectRoles.CreateAsync(f, kind, identifier);

        using var response = await LoginAsync(login, apiKey);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(apiKey, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("user:{0}")]
    [InlineData("cucumber:user:{0}")]
    public async Task A_role_parameter_naming_oneself_is_accepted(string role)
    {
        var login = World.Unique("self");
        var apiKey = await DirectRoles.CreateUserAsync(f, login);

        using var response = await f.Client.SendAsync(Requests.Make(
            HttpMethod.Get, $"/authn/{Account}/login?role={Uri.EscapeDataString(string.Format(System.Globalization.CultureInfo.InvariantCulture, role, login))}", auth: ServerFixture.Basic(login, apiKey)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Every_failure_is_an_empty_401_that_looks_alike_and_the_audit_says_why()
    {
        var login = World.Unique("bob");
        var apiKey = await DirectRoles.CreateUserAsync(f, login, Password);
        var token = await f.AuthenticateAsync(login, apiKey);

        (AuthenticationHeaderValue? Auth, string? Raw, string Path, string Reason)[] cases =
        [
            (ServerFixture.Basic(login, "Wrong-Password-42!"), null, $"/authn/{Account}/login", "CONJ00002E Invalid credentials"),
            (ServerFixture.Basic(login, ""), null, $"/authn/{Account}/login", "CONJ00002E Invalid credentials"),
            (ServerFixture.Basic("nobody-at-all", Password), null, $"/authn/{Account}/login", "CONJ00007E 'nobody-at-all' not found"),
            (ServerFixture.Basic("", Password), null, $"/authn/{Account}/login", "CONJ00001E Basic authentication required"),
            (new AuthenticationHeaderValue("Bearer", apiKey), null, $"/authn/{Account}/login", "CONJ00001E Basic authentication required"),
            (null, ServerFixture.TokenHeader(token), $"/authn/{Account}/login", "CONJ00001E Basic authentication required"),
            (null, null, $"/authn/{Account}/login", "CONJ00001E Basic authentication required"),
            (new AuthenticationHeaderValue("Basic", "%%%not-base64"), null, $"/authn/{Account}/login", "CONJ00001E Basic authentication required"),
            (ServerFixture.Basic(login, Password), null, $"/authn/{Account}/login?role=user:admin", "Operation attempted against foreign user"),
            (ServerFixture.Basic(login, Password), null, $"/authn/no-such-account/login", "not found"),
        ];

        var observed = new List<Observed>();
        foreach (var (auth, raw, path, reason) in cases)
        {
            var request = Requests.Make(HttpMethod.Get, path, auth: auth, authorization: raw);
            var seen = await Requests.ObserveAsync(f.Client, request);
            Assert.True(seen.Status == 401, $"{path} {auth}: {seen.Status}");
            Assert.Equal("", seen.Body);
            observed.Add(seen);

            var line = Requests.SingleAuditFor(f, Requests.RequestId(request));
            Assert.StartsWith("<84>1 ", line, StringComparison.Ordinal);
            Assert.Contains("[action@43868 result=\"failure\" operation=\"login\"]", line, StringComparison.Ordinal);
            Assert.Contains(reason, line, StringComparison.Ordinal);
            Assert.DoesNotContain(Password, line, StringComparison.Ordinal);
            Assert.DoesNotContain(apiKey, line, StringComparison.Ordinal);
        }

        Assert.Single(observed.Distinct());
    }

    [Fact]
    public async Task A_password_containing_a_colon_is_read_whole()
    {
        var login = World.Unique("colon");
        const string password = "Pass:Word:With:Colons-99";
        var apiKey = await DirectRoles.CreateUserAsync(f, login, password);

        using var response = await LoginAsync(login, password);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(apiKey, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Non_ascii_passwords_are_read_as_utf8()
    {
        var login = World.Unique("utf8");
        const string password = "ÄÖpässwörd-Ünïcode-42";
        var apiKey = await DirectRoles.CreateUserAsync(f, login, password);
        var request = Requests.Make(HttpMethod.Get, $"/authn/{Account}/login");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{login}:{password}")));

        using var response = await f.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(apiKey, await response.Content.ReadAsStringAsync());
    }

    private Task<HttpResponseMessage> LoginAsync(string login, string secret) =>
        f.Client.SendAsync(Requests.Make(HttpMethod.Get, $"/authn/{Account}/login", auth: ServerFixture.Basic(login, secret)));
}

public sealed class LoggingInWithBasicAuthOnSqlite(SqliteServer f) : LoggingInWithBasicAuth(f), IClassFixture<SqliteServer>;

public sealed class LoggingInWithBasicAuthOnPostgres(PostgresServerFixture f) : LoggingInWithBasicAuth(f), IClassFixture<PostgresServerFixture>;
