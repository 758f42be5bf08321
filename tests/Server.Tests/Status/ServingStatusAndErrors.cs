using System.Net;
using System.Text.Json;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Status;

/// <summary>GET / and /health (spec 2.10), unknown routes, X-Request-Id (spec 1.3).</summary>
public abstract class ServingStatusAndErrors(ServerFixture f)
{
    private const string NotFoundBody = "{\"error\":{\"code\":\"not_found\",\"message\":\"The requested resource does not exist\"}}";

    [Fact]
    public async Task The_root_is_an_html_status_page_naming_the_version()
    {
        using var response = await f.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<dd>Version 1.24.0</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<dd>API Version 5.3.0</dd>", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("text/html;q=0.5, application/json")]
    public async Task The_root_with_Accept_json_is_the_version_document_clients_gate_features_on(string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("Accept", accept);

        using var response = await f.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("1.24.0", doc.RootElement.GetProperty("version").GetString());
        Assert.True(Version.TryParse(doc.RootElement.GetProperty("server_version").GetString(), out _));
    }

    [Fact]
    public async Task Head_takes_the_get_route_and_sends_its_status_and_headers_without_a_body()
    {
        using var root = await f.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/"));
        using var secret = await f.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/secrets/cucumber/variable/anything"));
        using var admin = await f.AdminClientAsync();
        using var whoami = await admin.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/whoami"));

        Assert.Equal((HttpStatusCode.OK, "text/html", 0), (root.StatusCode, root.Content.Headers.ContentType?.MediaType, (await root.Content.ReadAsByteArrayAsync()).Length));
        Assert.Equal((HttpStatusCode.Unauthorized, 0), (secret.StatusCode, (await secret.Content.ReadAsByteArrayAsync()).Length));
        Assert.Equal((HttpStatusCode.OK, "application/json", 0), (whoami.StatusCode, whoami.Content.Headers.ContentType?.MediaType, (await whoami.Content.ReadAsByteArrayAsync()).Length));
    }

    [Fact]
    public async Task The_root_ignores_a_bad_token()
    {
        var seen = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/", authorization: "Token token=\"garbage\""));

        Assert.Equal(200, seen.Status);
    }

    [Fact]
    public async Task Health_answers_ok_without_credentials()
    {
        var seen = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/health"));

        Assert.Equal(200, seen.Status);
        Assert.Equal("{\"ok\":true,\"database\":{\"ok\":true,\"state\":\"available\",\"migrations_applied\":true}}", seen.Body);
    }

    [Theory]
    [InlineData("GET", "/info")]
    [InlineData("GET", "/remote_health/node-1")]
    [InlineData("GET", "/no/such/route")]
    [InlineData("GET", "/no/such/route.json")]
    [InlineData("GET", "/favicon.ico")]
    [InlineData("GET", "/authn/cucumber/admin/authenticate")]
    [InlineData("POST", "/authn/cucumber/login")]
    [InlineData("DELETE", "/whoami")]
    [InlineData("POST", "/")]
    public async Task Unknown_routes_are_404_with_the_error_envelope_even_with_a_bad_token(string method, string path)
    {
        var bare = await Requests.ObserveAsync(f.Client, Requests.Make(new HttpMethod(method), path));
        var withToken = await Requests.ObserveAsync(f.Client, Requests.Make(new HttpMethod(method), path, authorization: "Token token=\"garbage\""));

        Assert.Equal(404, bare.Status);
        Assert.Equal(NotFoundBody, bare.Body);
        Assert.Contains("Content-Type: application/json", bare.Headers, StringComparison.Ordinal);
        Assert.Equal(bare, withToken);
    }

    [Theory]
    [InlineData("GET", "/authn/cuc%2Fumber/login")]
    [InlineData("POST", "/authn/cuc%2Fumber/admin/authenticate")]
    [InlineData("PUT", "/authn/cuc%2Fumber/password")]
    [InlineData("PUT", "/authn/cuc%2Fumber/api_key")]
    public async Task An_account_segment_that_decodes_to_a_slash_names_no_route(string method, string path)
    {
        var seen = await Requests.ObserveAsync(f.Client, Requests.Make(new HttpMethod(method), path, "body", ServerFixture.Basic("admin", f.AdminApiKey)));

        Assert.Equal(404, seen.Status);
        Assert.Equal(NotFoundBody, seen.Body);
    }

    [Fact]
    public async Task A_valid_request_id_is_echoed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Request-Id", "abc-123-DEF");

        using var response = await f.Client.SendAsync(request);

        Assert.Equal(["abc-123-DEF"], response.Headers.GetValues("X-Request-Id"));
    }

    [Fact]
    public async Task A_request_id_is_generated_when_absent_and_differs_per_request()
    {
        using var first = await f.Client.GetAsync("/");
        using var second = await f.Client.GetAsync("/");

        var a = Assert.Single(first.Headers.GetValues("X-Request-Id"));
        var b = Assert.Single(second.Headers.GetValues("X-Request-Id"));
        Assert.True(Guid.TryParse(a, out _), a);
        Assert.NotEqual(a, b);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("semi;colon")]
    [InlineData("dots.are.not.allowed")]
    [InlineData("slash/in/it")]
    public async Task An_invalid_request_id_is_replaced(string given)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("X-Request-Id", given);

        using var response = await f.Client.SendAsync(request);

        Assert.True(Guid.TryParse(Assert.Single(response.Headers.GetValues("X-Request-Id")), out _));
    }

    [Fact]
    public async Task A_request_id_of_255_characters_is_kept_and_256_is_replaced()
    {
        var longest = new string('a', 255);
        using var ok = new HttpRequestMessage(HttpMethod.Get, "/");
        ok.Headers.Add("X-Request-Id", longest);
        using var tooLong = new HttpRequestMessage(HttpMethod.Get, "/");
        tooLong.Headers.Add("X-Request-Id", longest + "a");

        using var kept = await f.Client.SendAsync(ok);
        using var replaced = await f.Client.SendAsync(tooLong);

        Assert.Equal([longest], kept.Headers.GetValues("X-Request-Id"));
        Assert.True(Guid.TryParse(Assert.Single(replaced.Headers.GetValues("X-Request-Id")), out _));
    }

    [Fact]
    public async Task The_request_id_is_echoed_on_errors_and_is_the_audit_procid()
    {
        var notFound = Requests.Make(HttpMethod.Get, "/no/such/thing");
        var unauthorized = Requests.Make(HttpMethod.Post, "/authn/cucumber/admin/authenticate", "wrong");
        var missing = Requests.Make(HttpMethod.Get, "/whoami");
        var ids = new[] { notFound, unauthorized, missing }.Select(Requests.RequestId).ToArray();

        using var r1 = await f.Client.SendAsync(notFound);
        using var r2 = await f.Client.SendAsync(unauthorized);
        using var r3 = await f.Client.SendAsync(missing);

        Assert.Equal([ids[0]], r1.Headers.GetValues("X-Request-Id"));
        Assert.Equal([ids[1]], r2.Headers.GetValues("X-Request-Id"));
        Assert.Equal([ids[2]], r3.Headers.GetValues("X-Request-Id"));
        Assert.StartsWith("<84>1 ", Requests.SingleAuditFor(f, ids[1]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_long_request_id_is_cut_to_the_128_characters_rfc_5424_allows_for_the_procid()
    {
        var id = new string('b', 200);
        var request = Requests.Make(HttpMethod.Post, "/authn/cucumber/admin/authenticate", "wrong");
        request.Headers.Remove("X-Request-Id");
        request.Headers.Add("X-Request-Id", id);

        using var response = await f.Client.SendAsync(request);

        Assert.Equal([id], response.Headers.GetValues("X-Request-Id"));
        Assert.Contains(f.Audit.Lines, l => l.Contains($" conjur {id[..128]} authn ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Responses_do_not_announce_the_server_software()
    {
        using var response = await f.Client.GetAsync("/");

        Assert.False(response.Headers.Contains("Server"));
    }
}

public sealed class ServingStatusAndErrorsOnSqlite(SqliteServer f) : ServingStatusAndErrors(f), IClassFixture<SqliteServer>;

public sealed class ServingStatusAndErrorsOnPostgres(PostgresServerFixture f) : ServingStatusAndErrors(f), IClassFixture<PostgresServerFixture>;
