using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Robustness;

/// <summary>
/// Rails drops one trailing '/' before routing, and one Conjur SDK appends '/' to every resource path, also before
/// the query. Every mapped route answers the slashed form exactly as the plain one: the table below names a
/// meaningful request per route, and a route the table does not know yet (read from the server's own
/// EndpointDataSource) is still sent in both forms with placeholder values, so a new route cannot be forgotten.
/// </summary>
public abstract class AcceptingOneTrailingSlash(ServerFixture f)
{
    private const string Password = "Str0ng-Passw0rd-Here!";

    private delegate Task<HttpRequestMessage> Build(string suffix);

    [Fact]
    public async Task Every_route_answers_with_one_trailing_slash_as_without_it()
    {
        var w = await RobustnessWorld.CreateAsync(f);
        var cases = Cases(w);
        var table = cases.Select(c => c.Route).ToHashSet(StringComparer.Ordinal);

        // Every route the server maps: those the table misses get the placeholder request.
        foreach (var (method, pattern) in MappedRoutes())
        {
            if (pattern != "/" && !table.Contains($"{method} {pattern}"))
            {
                cases.Add(new Case($"{method} {pattern}", Placeholder(method, pattern, w), Status: null, SameBody: true));
            }
        }

        // All plain requests first, then all slashed ones: each pass leaves the state it found (a member added is
        // removed again), so the two passes see the same rows.
        var plains = new List<(int Status, string Body)>();
        foreach (var c in cases)
        {
            plains.Add(await SendAsync(c, ""));
        }

        foreach (var (c, plain) in cases.Zip(plains))
        {
            var slashed = await SendAsync(c, "/");

            if (c.Status is { } expected)
            {
                Assert.True(plain.Status == expected, $"{c.Route} without '/': {plain.Status} {plain.Body}");
            }

            Assert.True(plain.Status == slashed.Status, $"{c.Route}: {plain.Status} without '/', {slashed.Status} with: {slashed.Body}");
            if (c.SameBody)
            {
                Assert.True(plain.Body == slashed.Body, $"{c.Route}: bodies differ:\n{plain.Body}\n{slashed.Body}");
            }
        }
    }

    [Fact]
    public async Task An_encoded_slash_at_the_end_stays_part_of_the_id()
    {
        var w = await RobustnessWorld.CreateAsync(f);

        using var response = await w.Admin.GetAsync($"/secrets/{RobustnessWorld.Account}/variable/{Uri.EscapeDataString(w.Variable)}%2F");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(404, (int)response.StatusCode);
        Assert.Contains($"{w.Variable}/", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_one_slash_is_dropped()
    {
        var w = await RobustnessWorld.CreateAsync(f);

        using var one = await w.Admin.GetAsync($"/secrets/{RobustnessWorld.Account}/variable/{w.Variable}/");
        using var two = await w.Admin.GetAsync($"/secrets/{RobustnessWorld.Account}/variable/{w.Variable}//?version=1");

        Assert.Equal((200, RobustnessWorld.SecretValue), ((int)one.StatusCode, await one.Content.ReadAsStringAsync()));
        Assert.Equal(404, (int)two.StatusCode);
    }

    private List<(string Method, string Pattern)> MappedRoutes() =>
        [.. f.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (m, e.RoutePattern.RawText ?? "")))];

    /// <summary>Every route, with a request that reaches its handler and a status that proves it did.</summary>
    private List<Case> Cases(RobustnessWorld w)
    {
        const string A = RobustnessWorld.Account;
        var variable = Uri.EscapeDataString(w.Variable);
        var group = Uri.EscapeDataString(w.Group);
        Build admin(HttpMethod method, string path, string query = "", string? body = null, string contentType = "text/plain") =>
            suffix => Task.FromResult(Make(method, path + suffix + query, body, contentType, w.AdminAuthorization));
        var aliceBasic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{w.Alice}:{w.AliceKey}"));
        var extra = "- !variable extra\n";

        return
        [
            new("GET /health", admin(HttpMethod.Get, "/health"), 200, true),
            new("GET /secrets", admin(HttpMethod.Get, "/secrets", $"?variable_ids={Uri.EscapeDataString(w.VariableId)}"), 200, true),
            new("GET /secrets/{account}/variable/{**identifier}", admin(HttpMethod.Get, $"/secrets/{A}/variable/{variable}"), 200, true),
            new("GET /secrets/{account}/variable/{**identifier}", admin(HttpMethod.Get, $"/secrets/{A}/variable/{w.Variable}", "?version=1"), 200, true),
            new("POST /secrets/{account}/{kind}/{**identifier}", admin(HttpMethod.Post, $"/secrets/{A}/variable/{variable}", "", RobustnessWorld.SecretValue), 201, true),
            new("GET /public_keys/{account}/{kind}/{**identifier}", admin(HttpMethod.Get, $"/public_keys/{A}/user/{w.Alice}"), 200, true),
            new("GET /roles/{account}/{kind}/{**identifier}", admin(HttpMethod.Get, $"/roles/{A}/group/{group}"), 200, true),
            new("GET /roles/{account}/{kind}/{**identifier}", admin(HttpMethod.Get, $"/roles/{A}/group/{group}", "?members=true"), 200, true),
            new("POST /roles/{account}/{kind}/{**identifier}", admin(HttpMethod.Post, $"/roles/{A}/group/{group}", $"?members&member={A}:user:{w.Rotated}"), 204, true),
            new("DELETE /roles/{account}/{kind}/{**identifier}", admin(HttpMethod.Delete, $"/roles/{A}/group/{group}", $"?members&member={A}:user:{w.Rotated}"), 204, true),
            new("GET /resources", admin(HttpMethod.Get, "/resources", "?kind=group"), 200, true),
            new("GET /resources/{account}", admin(HttpMethod.Get, $"/resources/{A}", "?kind=group"), 200, true),
            new("GET /resources/{account}/{kind}", admin(HttpMethod.Get, $"/resources/{A}/group"), 200, true),
            new("GET /resources/{account}/{kind}/{**identifier}", admin(HttpMethod.Get, $"/resources/{A}/variable/{variable}"), 200, true),
            new("GET /resources/{account}/{kind}/{**identifier}", admin(HttpMethod.Get, $"/resources/{A}/variable/{variable}", "?check=true&privilege=execute"), 204, true),
            new("GET /policies/{account}/{kind}/{**identifier}", admin(HttpMethod.Get, $"/policies/{A}/policy/{Uri.EscapeDataString(w.StaticPolicy)}"), 200, true),
            new("POST /policies/{account}/policy/{**identifier}", admin(HttpMethod.Post, $"/policies/{A}/policy/{w.LoadsPolicy}", "?dryRun=true", extra, "application/x-yaml"), 200, false),
            new("POST /policies/{account}/policy/{**identifier}", admin(HttpMethod.Post, $"/policies/{A}/policy/{w.LoadsPolicy}", "", extra, "application/x-yaml"), 201, false),
            new("PATCH /policies/{account}/policy/{**identifier}", admin(HttpMethod.Patch, $"/policies/{A}/policy/{w.LoadsPolicy}", "", extra, "application/x-yaml"), 201, false),
            new("PUT /policies/{account}/policy/{**identifier}", admin(HttpMethod.Put, $"/policies/{A}/policy/{w.LoadsPolicy}", "", extra, "application/x-yaml"), 201, false),
            new("GET /authn/{account}/login", suffix => Task.FromResult(Make(HttpMethod.Get, $"/authn/{A}/login{suffix}", null, "", aliceBasic)), 200, true),
            new("POST /authn/{account}/{login}/authenticate", suffix => Task.FromResult(Make(HttpMethod.Post, $"/authn/{A}/{w.Alice}/authenticate{suffix}", w.AliceKey, "text/plain", null)), 200, false),
            new("PUT /authn/{account}/password", suffix => Task.FromResult(Make(HttpMethod.Put, $"/authn/{A}/password{suffix}", Password, "text/plain", aliceBasic)), 204, true),
            new("PUT /authn/{account}/api_key", admin(HttpMethod.Put, $"/authn/{A}/api_key", $"?role=user:{w.Rotated}"), 200, false),
            new("GET /whoami", admin(HttpMethod.Get, "/whoami"), 200, true),
            new("POST /host_factory_tokens", async suffix =>
            {
                var expiration = f.Time.GetUtcNow().AddHours(1).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
                var request = Make(HttpMethod.Post, "/host_factory_tokens" + suffix, null, "", w.AdminAuthorization);
                request.Content = new FormUrlEncodedContent([new("host_factory", $"{A}:host_factory:{w.Factory}"), new("expiration", expiration)]);
                return await Task.FromResult(request);
            }, 200, false),
            new("DELETE /host_factory_tokens/{token}", async suffix =>
                Make(HttpMethod.Delete, $"/host_factory_tokens/{await w.NewHostFactoryTokenAsync()}{suffix}", null, "", w.AdminAuthorization), 204, true),
            new("POST /host_factories/hosts", async suffix =>
            {
                var request = Make(HttpMethod.Post, "/host_factories/hosts" + suffix, null, "", $"Token token=\"{await w.NewHostFactoryTokenAsync()}\"");
                request.Content = new FormUrlEncodedContent([new("id", World.Unique("enrolled"))]);
                return request;
            }, 201, false),
            new("GET {**path}", admin(HttpMethod.Get, "/no/such/route"), 404, true),
        ];
    }

    /// <summary>A request for a route the table does not know: placeholders for its parameters, the admin's token.</summary>
    private static Build Placeholder(string method, string pattern, RobustnessWorld w)
    {
        var path = pattern
            .Replace("{account}", RobustnessWorld.Account, StringComparison.Ordinal)
            .Replace("{kind}", "variable", StringComparison.Ordinal)
            .Replace("{**identifier}", Uri.EscapeDataString(w.Variable), StringComparison.Ordinal)
            .Replace("{login}", w.Alice, StringComparison.Ordinal);
        path = System.Text.RegularExpressions.Regex.Replace(path, "\\{[^}]*\\}", "placeholder");
        return suffix => Task.FromResult(Make(new HttpMethod(method), path + suffix, null, "", w.AdminAuthorization));
    }

    private static HttpRequestMessage Make(HttpMethod method, string pathAndQuery, string? body, string contentType, string? authorization)
    {
        var request = new HttpRequestMessage(method, pathAndQuery);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return request;
    }

    private async Task<(int Status, string Body)> SendAsync(Case c, string suffix)
    {
        using var request = await c.Request(suffix);
        using var client = f.NewClient();
        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private sealed record Case(string Route, Build Request, int? Status, bool SameBody);
}

public sealed class AcceptingOneTrailingSlashOnSqlite(SqliteServer f) : AcceptingOneTrailingSlash(f), IClassFixture<SqliteServer>;

public sealed class AcceptingOneTrailingSlashOnPostgres(PostgresServerFixture f) : AcceptingOneTrailingSlash(f), IClassFixture<PostgresServerFixture>;
