using System.Net;
using System.Text;
using System.Text.Json;
using Secrets.Server.Tests.HostFactories;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Security;

/// <summary>
/// Issue 8, medium 1: a host factory's live tokens appear in its resource object (show and listing) only for roles
/// holding <c>execute</c> (which creates tokens) or <c>update</c> (which revokes them); <c>read</c> alone shows the
/// factory with an empty token list.
/// </summary>
public abstract class ShowingHostFactoryTokensOnlyToTheirHolders(ServerFixture f)
{
    private const string Account = ServerFixture.Account;

    [Fact]
    public async Task A_reader_sees_the_factory_but_no_token()
    {
        var (app, token) = await IssuedAsync();
        using var reader = await f.ClientForAsync(app.Reader, app.ApiKeyOf(app.Reader));

        var shown = await ShowAsync(reader, app);
        var listed = await ListedAsync(reader, app);

        Assert.Empty(shown.GetProperty("tokens").EnumerateArray());
        Assert.Empty(listed.GetProperty("tokens").EnumerateArray());
        Assert.DoesNotContain(token, shown.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(app.LayerId, shown.GetProperty("layers")[0].GetString());
    }

    [Fact]
    public async Task A_holder_of_execute_sees_the_tokens()
    {
        var (app, token) = await IssuedAsync();
        using var executor = await f.ClientForAsync(app.Executor, app.ApiKeyOf(app.Executor));

        Assert.Equal([token], Tokens(await ShowAsync(executor, app)));
        Assert.Equal([token], Tokens(await ListedAsync(executor, app)));
    }

    [Fact]
    public async Task A_holder_of_update_sees_the_tokens()
    {
        var (app, token) = await IssuedAsync();
        var login = World.Unique("revoker");
        using var admin = await f.AdminClientAsync();
        var policy = $"""
            - !user {login}
            - !permit
              role: !user {login}
              privileges: [ read, update ]
              resource: !host-factory {app.Prefix}/factory
            """;
        var apiKey = (await World.LoadAsync(admin, HttpMethod.Post, "root", policy)).ApiKeyOf($"{Account}:user:{login}");
        using var revoker = await f.ClientForAsync(login, apiKey);

        Assert.Equal([token], Tokens(await ShowAsync(revoker, app)));
    }

    [Fact]
    public async Task The_owner_sees_the_tokens()
    {
        var (app, token) = await IssuedAsync();
        using var admin = await f.AdminClientAsync();

        Assert.Equal([token], Tokens(await ShowAsync(admin, app)));
    }

    private async Task<(HostFactoryApp App, string Token)> IssuedAsync()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var tokens = await HostFactoryRequests.IssueAsync(admin, app.FactoryId, f.Time.GetUtcNow().AddDays(1));
        return (app, Assert.Single(tokens));
    }

    private static List<string> Tokens(JsonElement factory) =>
        factory.GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("token").GetString()!).ToList();

    private static async Task<JsonElement> ShowAsync(HttpClient client, HostFactoryApp app)
    {
        using var response = await client.GetAsync($"/resources/{Account}/host_factory/{Uri.EscapeDataString(app.Prefix + "/factory")}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<JsonElement> ListedAsync(HttpClient client, HostFactoryApp app)
    {
        using var response = await client.GetAsync($"/resources/{Account}/host_factory");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.EnumerateArray().Single(e => e.GetProperty("id").GetString() == app.FactoryId).Clone();
    }
}

public sealed class ShowingHostFactoryTokensOnlyToTheirHoldersOnSqlite(SqliteServer f) : ShowingHostFactoryTokensOnlyToTheirHolders(f), IClassFixture<SqliteServer>;

public sealed class ShowingHostFactoryTokensOnlyToTheirHoldersOnPostgres(PostgresServerFixture f) : ShowingHostFactoryTokensOnlyToTheirHolders(f), IClassFixture<PostgresServerFixture>;
