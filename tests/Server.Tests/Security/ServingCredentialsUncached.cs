using System.Net;
using System.Text;
using Secrets.Server.Tests.HostFactories;
using Secrets.Server.Tests.Infrastructure;
using Secrets.Server.Tests.Variables;

namespace Secrets.Server.Tests.Security;

/// <summary>
/// Issue 8: every answer that carries a secret value, an access token, an API key or a host-factory token says
/// <c>Cache-Control: no-store</c> and <c>X-Content-Type-Options: nosniff</c>.
/// </summary>
public abstract class ServingCredentialsUncached(ServerFixture f)
{
    private const string Account = ServerFixture.Account;

    [Fact]
    public async Task A_fetched_secret_value()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["db"]);
        await w.SetAsync("db", "s3cret");

        using var latest = await w.Host.GetAsync(w.SecretPath("db"));
        using var versioned = await w.Host.GetAsync(w.SecretPath("db") + "?version=1");

        AssertUncached(latest, "s3cret");
        AssertUncached(versioned, "s3cret");
    }

    [Fact]
    public async Task A_batch_of_secret_values()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["a", "b"]);
        await w.SetAsync("a", "alpha");
        await w.SetAsync("b", "beta");

        using var plain = await w.Host.GetAsync("/secrets?variable_ids=" + Uri.EscapeDataString($"{w.VariableId("a")},{w.VariableId("b")}"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/secrets?variable_ids=" + Uri.EscapeDataString(w.VariableId("a")));
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "base64");
        using var base64 = await w.Host.SendAsync(request);

        AssertUncached(plain, "alpha");
        AssertUncached(base64, Convert.ToBase64String(Encoding.UTF8.GetBytes("alpha")));
    }

    [Fact]
    public async Task An_access_token_from_authenticate()
    {
        var login = World.Unique("authn");
        var apiKey = await DirectRoles.CreateUserAsync(f, login);

        using var response = await f.Client.PostAsync($"/authn/{Account}/{login}/authenticate", new StringContent(apiKey, Encoding.UTF8, "text/plain"));

        AssertUncached(response, "\"payload\"");
    }

    [Fact]
    public async Task An_api_key_from_login()
    {
        var login = World.Unique("login");
        var apiKey = await DirectRoles.CreateUserAsync(f, login, password: "Sup3r$ecretPassw0rd");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/authn/{Account}/login");
        request.Headers.Authorization = ServerFixture.Basic(login, "Sup3r$ecretPassw0rd");

        using var response = await f.Client.SendAsync(request);

        AssertUncached(response, apiKey);
    }

    [Fact]
    public async Task A_rotated_api_key_of_oneself_and_of_another_role()
    {
        var login = World.Unique("rotate");
        var apiKey = await DirectRoles.CreateUserAsync(f, login);
        using var own = new HttpRequestMessage(HttpMethod.Put, $"/authn/{Account}/api_key");
        own.Headers.Authorization = ServerFixture.Basic(login, apiKey);
        using var ownResponse = await f.Client.SendAsync(own);

        var other = World.Unique("rotated");
        await DirectRoles.CreateUserAsync(f, other);
        using var admin = await f.AdminClientAsync();
        using var otherResponse = await admin.PutAsync($"/authn/{Account}/api_key?role=user:{other}", null);

        AssertUncached(ownResponse, "");
        AssertUncached(otherResponse, "");
    }

    [Fact]
    public async Task Host_factory_tokens_and_an_enrolled_host()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        using var tokens = await admin.SendAsync(HostFactoryRequests.CreateTokens(("host_factory", app.FactoryId), ("expiration", "2050-12-31T00:00:00Z")));
        var token = System.Text.Json.JsonDocument.Parse(await tokens.Content.ReadAsStringAsync()).RootElement[0].GetProperty("token").GetString()!;

        using var enrolled = await f.Client.SendAsync(HostFactoryRequests.CreateHost(token, null, ("id", World.Unique("enrolled"))));

        AssertUncached(tokens, token);
        AssertUncached(enrolled, "\"api_key\"");
    }

    [Fact]
    public async Task The_api_keys_of_a_policy_load()
    {
        using var admin = await f.AdminClientAsync();

        using var response = await admin.PostAsync(
            $"/policies/{Account}/policy/root", new StringContent($"- !user {World.Unique("loaded")}\n", Encoding.UTF8, "application/x-yaml"));

        AssertUncached(response, "\"api_key\"");
    }

    private static void AssertUncached(HttpResponseMessage response, string expectedInBody)
    {
        var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {body}");
        Assert.Contains(expectedInBody, body, StringComparison.Ordinal);
        Assert.Equal("no-store", Assert.Single(response.Headers.GetValues("Cache-Control")));
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }
}

public sealed class ServingCredentialsUncachedOnSqlite(SqliteServer f) : ServingCredentialsUncached(f), IClassFixture<SqliteServer>;

public sealed class ServingCredentialsUncachedOnPostgres(PostgresServerFixture f) : ServingCredentialsUncached(f), IClassFixture<PostgresServerFixture>;
