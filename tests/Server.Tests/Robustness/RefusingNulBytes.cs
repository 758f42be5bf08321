using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Robustness;

/// <summary>
/// NUL names no id, login or key, and PostgreSQL refuses it in text ("invalid byte sequence for encoding UTF8: 0x00",
/// which was a 500). It is refused before any query, on both stores alike: Kestrel itself refuses %00 in the path
/// (400, before the application runs), a query parameter with %00 is 422 argument_error, Basic credentials with NUL
/// are no credentials (401), a host-factory form or JSON body with NUL is 400.
/// </summary>
public abstract class RefusingNulBytes(ServerFixture f)
{
    private const string A = RobustnessWorld.Account;

    [Theory]
    [InlineData("%00")]
    [InlineData("cucumber:variable:x%00")]
    [InlineData("cucumber:variable:x,cucumber:variable:%00y")]
    public async Task A_batch_id_with_nul_is_422(string ids)
    {
        var w = await RobustnessWorld.CreateAsync(f);

        var (status, body) = await GetAsync(w.Admin, $"/secrets?variable_ids={ids}");

        Assert.Equal((422, """{"error":{"code":"argument_error","message":"parameter 'variable_ids' contains a NUL character"}}"""), (status, body));
    }

    [Theory]
    [InlineData("/secrets/cucumber/variable/x%00")]
    [InlineData("/secrets/cucumber/variable/%00")]
    [InlineData("/resources/cucumber/variable/x%00")]
    [InlineData("/roles/cucumber/user/x%00")]
    [InlineData("/policies/cucumber/policy/x%00")]
    [InlineData("/public_keys/cucumber/user/x%00")]
    [InlineData("/secrets/cucumber%00/variable/x")]
    public async Task An_id_in_the_path_with_nul_is_400_from_kestrel(string path)
    {
        var w = await RobustnessWorld.CreateAsync(f);

        var (status, body) = await GetAsync(w.Admin, path);

        Assert.Equal((400, ""), (status, body));
    }

    [Theory]
    [InlineData("/resources/cucumber?search=%00")]
    [InlineData("/resources/cucumber/variable?search=db%00")]
    [InlineData("/resources/cucumber?kind=%00")]
    [InlineData("/roles/cucumber/group/x?members&member=cucumber:user:%00")]
    [InlineData("/secrets/cucumber/variable/x?version=1%00")]
    [InlineData("/policies/cucumber/policy/root?depth=%00")]
    public async Task A_query_parameter_with_nul_is_422(string pathAndQuery)
    {
        var w = await RobustnessWorld.CreateAsync(f);

        var (status, body) = await GetAsync(w.Admin, pathAndQuery);

        Assert.Equal(422, status);
        Assert.Contains("\"code\":\"argument_error\"", body, StringComparison.Ordinal);
        Assert.Contains("contains a NUL character", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\0", "\0")]
    [InlineData("alice\0", "key")]
    [InlineData("admin", "\0")]
    [InlineData("admin", "KEY\0")]
    public async Task Basic_credentials_with_nul_are_401(string login, string secret)
    {
        secret = secret.Replace("KEY", f.AdminApiKey, StringComparison.Ordinal);
        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{login}:{secret}")));

        foreach (var (method, path) in new[] { (HttpMethod.Get, $"/authn/{A}/login"), (HttpMethod.Put, $"/authn/{A}/api_key"), (HttpMethod.Put, $"/authn/{A}/password") })
        {
            using var request = new HttpRequestMessage(method, path) { Content = method == HttpMethod.Put ? new StringContent("Str0ng-Passw0rd-Here!") : null };
            request.Headers.Authorization = basic;
            using var response = await f.Client.SendAsync(request);

            Assert.True((int)response.StatusCode == 401, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task The_admin_key_still_logs_in_without_the_nul()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/authn/{A}/login");
        request.Headers.Authorization = ServerFixture.Basic("admin", f.AdminApiKey);
        using var response = await f.Client.SendAsync(request);

        Assert.Equal((200, f.AdminApiKey), ((int)response.StatusCode, await response.Content.ReadAsStringAsync()));
    }

    [Theory]
    [InlineData("x%00")]
    [InlineData("%00")]
    [InlineData("host%2F%00")]
    public async Task A_login_with_nul_in_the_authenticate_path_is_400_from_kestrel(string login)
    {
        using var response = await f.Client.PostAsync($"/authn/{A}/{login}/authenticate", new StringContent(f.AdminApiKey));

        Assert.Equal(400, (int)response.StatusCode);
    }

    [Fact]
    public async Task Host_factory_body_parameters_with_nul_are_400_and_create_nothing()
    {
        var w = await RobustnessWorld.CreateAsync(f);
        var token = await w.NewHostFactoryTokenAsync();

        var forms = new[] { ("id", "a\0b"), ("annotations[x]", "v\0"), ("annotations[\0]", "v"), ("id\0", "x") };
        foreach (var (name, value) in forms)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/host_factories/hosts")
            {
                Content = new FormUrlEncodedContent([new("id", "enrolled-" + Guid.NewGuid().ToString("N")[..6]), new(name, value)]),
            };
            request.Headers.TryAddWithoutValidation("Authorization", $"Token token=\"{token}\"");
            using var response = await f.Client.SendAsync(request);

            Assert.True((int)response.StatusCode is 400, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        foreach (var json in new[] { "{\"id\":\"a\\u0000b\"}", "{\"id\":\"ok\",\"annotations\":{\"x\":\"\\u0000\"}}" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/host_factories/hosts") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("Authorization", $"Token token=\"{token}\"");
            using var response = await f.Client.SendAsync(request);

            Assert.True((int)response.StatusCode is 400, $"{json}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        // Read every id and look here: a query for NUL would itself be refused by PostgreSQL.
        var ids = await f.WithDbAsync(db => db.Roles.Select(r => r.RoleId).ToListAsync());
        Assert.DoesNotContain(ids, id => id.Contains('\0', StringComparison.Ordinal));
    }

    private static async Task<(int Status, string Body)> GetAsync(HttpClient client, string pathAndQuery)
    {
        using var response = await client.GetAsync(pathAndQuery);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}

public sealed class RefusingNulBytesOnSqlite(SqliteServer f) : RefusingNulBytes(f), IClassFixture<SqliteServer>;

public sealed class RefusingNulBytesOnPostgres(PostgresServerFixture f) : RefusingNulBytes(f), IClassFixture<PostgresServerFixture>;
