using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Secrets.Authn.Credentials;
using Secrets.Server.Crypto;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Authentication;

/// <summary>PUT /authn/{account}/password (spec 2.1): Basic auth only; Argon2id at rest; complexity rules.</summary>
public abstract class ChangingPasswords(ServerFixture f)
{
    private const string Account = ServerFixture.Account;
    private const string NewPassword = "New-Password-With-42";

    private const string ComplexityBody =
        "{\"error\":{\"code\":\"validation_failed\",\"message\":\"password CONJ00046E The password you have chosen does not meet the complexity "
        + "requirements. Choose a password that includes: 12-128 characters, 2 uppercase letters, 2 lowercase letters, 1 digit and 1 special character\","
        + "\"details\":[{\"code\":\"validation_failed\",\"target\":\"password\",\"message\":\"CONJ00046E The password you have chosen does not meet "
        + "the complexity requirements. Choose a password that includes: 12-128 characters, 2 uppercase letters, 2 lowercase letters, 1 digit and 1 special character\"}]}}";

    [Fact]
    public async Task Basic_auth_with_the_api_key_sets_a_password_that_then_logs_in_without_rotating_the_key()
    {
        var login = World.Unique("alice");
        var apiKey = await DirectRoles.CreateUserAsync(f, login);
        var request = Requests.Make(HttpMethod.Put, $"/authn/{Account}/password", NewPassword, ServerFixture.Basic(login, apiKey));

        var seen = await Requests.ObserveAsync(f.Client, request);

        Assert.Equal(204, seen.Status);
        Assert.Equal("", seen.Body);
        using var login1 = await f.Client.SendAsync(Requests.Make(HttpMethod.Get, $"/authn/{Account}/login", auth: ServerFixture.Basic(login, NewPassword)));
        Assert.Equal(HttpStatusCode.OK, login1.StatusCode);
        Assert.Equal(apiKey, await login1.Content.ReadAsStringAsync());
        var line = Requests.SingleAuditFor(f, Requests.RequestId(request));
        Assert.StartsWith("<86>1 ", line, StringComparison.Ordinal);
        Assert.Contains(" password [auth@43868 user=\"cucumber:user:" + login + "\"][subject@43868 role=\"cucumber:user:" + login + "\"]", line, StringComparison.Ordinal);
        Assert.EndsWith($"cucumber:user:{login} successfully changed their password", line, StringComparison.Ordinal);
        Assert.DoesNotContain(NewPassword, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_old_password_stops_working_and_the_new_one_changes_it_again()
    {
        var login = World.Unique("carol");
        const string first = "First-Password-11";
        await DirectRoles.CreateUserAsync(f, login, first);

        using var change = await f.Client.SendAsync(Requests.Make(HttpMethod.Put, $"/authn/{Account}/password", NewPassword, ServerFixture.Basic(login, first)));
        Assert.Equal(HttpStatusCode.NoContent, change.StatusCode);

        using var old = await f.Client.SendAsync(Requests.Make(HttpMethod.Get, $"/authn/{Account}/login", auth: ServerFixture.Basic(login, first)));
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        using var again = await f.Client.SendAsync(Requests.Make(HttpMethod.Put, $"/authn/{Account}/password", "Third-Password-33", ServerFixture.Basic(login, NewPassword)));
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
    }

    [Fact]
    public async Task The_stored_password_is_an_encrypted_argon2id_hash_with_the_configured_parameters()
    {
        var login = World.Unique("dave");
        var apiKey = await DirectRoles.CreateUserAsync(f, login);
        using var change = await f.Client.SendAsync(Requests.Make(HttpMethod.Put, $"/authn/{Account}/password", NewPassword, ServerFixture.Basic(login, apiKey)));
        Assert.Equal(HttpStatusCode.NoContent, change.StatusCode);

        var roleId = $"{Account}:user:{login}";
        var stored = await f.WithDbAsync(db => db.Credentials.AsNoTracking().Where(c => c.RoleId == roleId).Select(c => c.EncryptedPasswordHash).SingleAsync());
        using var cipher = new DataKeyCipher(f.Settings.Encryption.DataKey);

        Assert.NotNull(stored);
        Assert.False(cipher.TryDecrypt(stored, $"{Account}:user:admin", out _));
        var phc = cipher.DecryptString(stored, roleId);
        Assert.Matches("^\\$argon2id\\$v=19\\$m=19456,t=2,p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}$", phc);
        Assert.True(f.Services.GetRequiredService<PasswordHasher>().Verify(NewPassword, phc));
    }

    [Fact]
    public async Task An_access_token_is_refused_as_insufficient_credential_strength()
    {
        using var admin = await f.AdminClientAsync();
        var request = Requests.Make(HttpMethod.Put, $"/authn/{Account}/password", NewPassword);

        var seen = await Requests.ObserveAsync(admin, request);

        Assert.Equal(401, seen.Status);
        Assert.Equal("{\"error\":{\"code\":\"unauthorized\",\"message\":\"Credential strength is insufficient\"}}", seen.Body);
    }

    [Fact]
    public async Task An_access_token_with_a_role_parameter_naming_another_role_is_an_empty_401()
    {
        using var admin = await f.AdminClientAsync();

        var seen = await Requests.ObserveAsync(admin, Requests.Make(HttpMethod.Put, $"/authn/{Account}/password?role=user:someone-else", NewPassword));

        Assert.Equal(401, seen.Status);
        Assert.Equal("", seen.Body);
    }

    [Fact]
    public async Task Basic_auth_with_a_role_parameter_naming_another_role_is_an_empty_401()
    {
        var login = World.Unique("erin");
        var apiKey = await DirectRoles.CreateUserAsync(f, login);
        var request = Requests.Make(HttpMethod.Put, $"/authn/{Account}/password?role=user:admin", NewPassword, ServerFixture.Basic(login, apiKey));

        var seen = await Requests.ObserveAsync(f.Client, request);

        Assert.Equal(401, seen.Status);
        Assert.Equal("", seen.Body);
        Assert.Contains("Operation attempted against foreign user", Requests.SingleAuditFor(f, Requests.RequestId(request)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_credentials_are_an_empty_401()
    {
        var login = World.Unique("frank");
        await DirectRoles.CreateUserAsync(f, login);

        var seen = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Put, $"/authn/{Account}/password", NewPassword, ServerFixture.Basic(login, "not-the-key")));
        var none = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Put, $"/authn/{Account}/password", NewPassword));

        Assert.Equal(401, seen.Status);
        Assert.Equal("", seen.Body);
        Assert.Equal(seen, none);
    }

    [Fact]
    public async Task Hosts_may_not_have_passwords()
    {
        var host = World.Unique("app");
        var apiKey = await DirectRoles.CreateHostAsync(f, host);
        var request = Requests.Make(HttpMethod.Put, $"/authn/{Account}/password", NewPassword, ServerFixture.Basic($"host/{host}", apiKey));

        var seen = await Requests.ObserveAsync(f.Client, request);

        Assert.Equal(403, seen.Status);
        Assert.Equal("", seen.Body);
        Assert.StartsWith("<84>1 ", Requests.SingleAuditFor(f, Requests.RequestId(request)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Short-1aB")]
    [InlineData("alllowercase-123")]
    [InlineData("ALLUPPERCASE-123")]
    [InlineData("NoDigitsHere-abc")]
    [InlineData("NoSpecials123abcDE")]
    [InlineData("AAbb-123456")]
    [InlineData("AAbb-1234567-AAbb-1234567-AAbb-1234567-AAbb-1234567-AAbb-1234567-AAbb-1234567-AAbb-1234567-AAbb-1234567-AAbb-1234567-AAbb-123456x")]
    [InlineData("Has-Newline-12\nAB")]
    [InlineData("")]
    public async Task A_weak_password_is_refused_with_the_complexity_message(string password)
    {
        var login = World.Unique("gina");
        var apiKey = await DirectRoles.CreateUserAsync(f, login);
        var request = Requests.Make(HttpMethod.Put, $"/authn/{Account}/password", password, ServerFixture.Basic(login, apiKey));

        var seen = await Requests.ObserveAsync(f.Client, request);

        Assert.Equal(422, seen.Status);
        Assert.Equal(ComplexityBody, seen.Body);
        Assert.Contains("Content-Type: application/json", seen.Headers, StringComparison.Ordinal);
        Assert.StartsWith("<84>1 ", Requests.SingleAuditFor(f, Requests.RequestId(request)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AAbb-1234567")]
    [InlineData("AAbb 1234567")]
    [InlineData("ÄÖ-AAbb-1234567")]
    [InlineData("AAbb-1234567-AAbb-1234567-AAbb-1234567-AAbb-1234567-AAbb-1234567-AAbb-1234567-AAbb-1234567-AAbb-1234567-AAbb-1234567-AAbb-123456")]
    public async Task Passwords_at_the_boundaries_of_the_rules_are_accepted(string password)
    {
        var login = World.Unique("hank");
        var apiKey = await DirectRoles.CreateUserAsync(f, login);

        using var response = await f.Client.SendAsync(Requests.Make(HttpMethod.Put, $"/authn/{Account}/password", password, ServerFixture.Basic(login, apiKey)));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        using var check = await f.Client.SendAsync(Requests.Make(HttpMethod.Get, $"/authn/{Account}/login", auth: ServerFixture.Basic(login, password)));
        Assert.Equal(HttpStatusCode.OK, check.StatusCode);
    }
}

public sealed class ChangingPasswordsOnSqlite(SqliteServer f) : ChangingPasswords(f), IClassFixture<SqliteServer>;

public sealed class ChangingPasswordsOnPostgres(PostgresServerFixture f) : ChangingPasswords(f), IClassFixture<PostgresServerFixture>;
