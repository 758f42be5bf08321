using System.Net;
using System.Text;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Variables;

/// <summary>GET /secrets/{account}/variable/{identifier}[?version=N] (spec 2.4, 6.1, 8.2, 11.5).</summary>
public abstract class FetchingSecrets(ServerFixture f)
{
    [Fact]
    public async Task A_host_holding_execute_through_a_layer_gets_the_raw_value_as_an_attachment()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["db/password"]);
        await w.SetAsync("db/password", "s3cr3t-ü");

        using var response = await w.Host.GetAsync(w.SecretPath("db/password"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Encoding.UTF8.GetBytes("s3cr3t-ü"), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.ToString());
        Assert.Equal("binary", Assert.Single(response.Headers.GetValues("Content-Transfer-Encoding")));
    }

    [Fact]
    public async Task The_mime_type_annotation_becomes_the_content_type()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["config"], new Dictionary<string, string> { ["config"] = "application/json" });
        await w.SetAsync("config", """{"a":1}""");

        using var response = await w.Host.GetAsync(w.SecretPath("config"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("""{"a":1}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task All_256_byte_values_round_trip_unchanged()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["binary"]);
        var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(Enumerable.Range(0, 256).Select(i => (byte)(255 - i))).ToArray();
        await w.SetAsync("binary", bytes);

        using var response = await w.Host.GetAsync(w.SecretPath("binary"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task The_identifier_may_be_sent_with_encoded_or_literal_slashes()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["db/pass+word@x"]);
        await w.SetAsync("db/pass+word@x", "v");

        foreach (var path in new[]
        {
            w.SecretPath("db/pass+word@x"),
            $"/secrets/{ServerFixture.Account}/variable/{w.Branch}/db/pass+word%40x",
            $"/secrets/{ServerFixture.Account}/variable/{w.Branch}%2Fdb/pass%2Bword@x",
        })
        {
            using var response = await w.Host.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("v", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task The_version_parameter_selects_a_stored_version()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["versioned"]);
        await w.SetAsync("versioned", "one");
        await w.SetAsync("versioned", "two");
        await w.SetAsync("versioned", "three");
        var path = w.SecretPath("versioned");

        Assert.Equal("one", await w.Host.GetStringAsync(path + "?version=1"));
        Assert.Equal("two", await w.Host.GetStringAsync(path + "?version=2"));
        Assert.Equal("three", await w.Host.GetStringAsync(path + "?version=3"));
        Assert.Equal("three", await w.Host.GetStringAsync(path));
        Assert.Equal("three", await w.Host.GetStringAsync(path + "?version="));

        var notFound = $$$$"""{"error":{"code":"not_found","message":"CONJ00076E Variable {{{{w.VariableId("versioned")}}}} is empty or not found."}}""";
        foreach (var missing in new[] { "4", "0", "-1", "99999999999" })
        {
            using var response = await w.Host.GetAsync(path + "?version=" + missing);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal(notFound, await response.Content.ReadAsStringAsync());
        }

        foreach (var bad in new[] { "abc", "1.5", "1e3", "%20" })
        {
            using var response = await w.Host.GetAsync(path + "?version=" + bad);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal("""{"error":{"code":"argument_error","message":"invalid type for parameter 'version'"}}""", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Invisible_unknown_and_valueless_variables_all_answer_the_same_404()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["hidden", "empty"]);
        await w.SetAsync("hidden", "v");

        async Task AssertNotFound(HttpClient client, string name)
        {
            using var response = await client.GetAsync(w.SecretPath(name));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal(
                $$$$"""{"error":{"code":"not_found","message":"CONJ00076E Variable {{{{w.VariableId(name)}}}} is empty or not found."}}""",
                await response.Content.ReadAsStringAsync());
        }

        await AssertNotFound(w.Stranger, "hidden");
        await AssertNotFound(w.Admin, "no-such-variable");
        await AssertNotFound(w.Admin, "empty");
        await AssertNotFound(w.Host, "empty");
    }

    [Fact]
    public async Task Visible_without_execute_is_an_empty_403()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["guarded"]);
        await w.SetAsync("guarded", "v");

        foreach (var client in new[] { w.Reader, w.Writer })
        {
            using var response = await client.GetAsync(w.SecretPath("guarded"));
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal("v", await w.Executor.GetStringAsync(w.SecretPath("guarded")));
    }

    [Fact]
    public async Task Only_variables_can_be_fetched()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["v"]);

        foreach (var path in new[]
        {
            $"/secrets/{ServerFixture.Account}/user/admin",
            $"/secrets/{ServerFixture.Account}/host/{Uri.EscapeDataString(w.Branch + "/app-01")}",
            $"/secrets/{ServerFixture.Account}/variable/",
            $"/secrets/{ServerFixture.Account}%2Fx/variable/{Uri.EscapeDataString(w.Branch + "/v")}",
        })
        {
            using var response = await w.Admin.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    [Fact]
    public async Task A_caller_from_another_account_sees_nothing()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["v"]);
        await w.SetAsync("v", "value");
        var other = World.Unique("acct");
        var created = await f.CreateAccountAsync(other);
        using var client = await f.ClientForAsync("admin", created.AdminApiKey, other);

        using var response = await client.GetAsync(w.SecretPath("v"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("CONJ00076E", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_token_the_middleware_answers_401()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["v"]);
        using var anonymous = f.NewClient();

        using var response = await anonymous.GetAsync(w.SecretPath("v"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Authorization missing", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Every_fetch_is_audited_without_the_value()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["audited"]);
        await w.SetAsync("audited", "audit-me-not");
        var id = w.VariableId("audited");
        var path = w.SecretPath("audited");

        using var ok = Requests.Make(HttpMethod.Get, path);
        (await w.Host.SendAsync(ok)).Dispose();
        using var versioned = Requests.Make(HttpMethod.Get, path + "?version=1");
        (await w.Host.SendAsync(versioned)).Dispose();
        using var forbidden = Requests.Make(HttpMethod.Get, path);
        (await w.Reader.SendAsync(forbidden)).Dispose();
        using var hidden = Requests.Make(HttpMethod.Get, path);
        (await w.Stranger.SendAsync(hidden)).Dispose();

        var host = w.HostId;
        Assert.Equal(
            $"""<86>1 fetch [auth@43868 user="{host}"][subject@43868 resource="{id}"][client@43868 ip="127.0.0.1"][action@43868 result="success" operation="fetch"] {host} fetched {id}""",
            Assert.Single(Requests.AuditFor(f, ok, fromMsgId: true)));
        Assert.Equal(
            $"""<86>1 fetch [auth@43868 user="{host}"][subject@43868 resource="{id}" version="1"][client@43868 ip="127.0.0.1"][action@43868 result="success" operation="fetch"] {host} fetched version 1 of {id}""",
            Assert.Single(Requests.AuditFor(f, versioned, fromMsgId: true)));
        Assert.Equal(
            $"""<84>1 fetch [auth@43868 user="{w.ReaderId}"][subject@43868 resource="{id}"][client@43868 ip="127.0.0.1"][action@43868 result="failure" operation="fetch"] {w.ReaderId} tried to fetch {id}: Forbidden""",
            Assert.Single(Requests.AuditFor(f, forbidden, fromMsgId: true)));
        Assert.EndsWith($"tried to fetch {id}: Forbidden", Assert.Single(Requests.AuditFor(f, hidden, fromMsgId: true)), StringComparison.Ordinal);
        Assert.DoesNotContain(f.Audit.Lines, l => l.Contains("audit-me-not", StringComparison.Ordinal));
    }
}

public sealed class FetchingSecretsOnSqlite(SqliteServer f) : FetchingSecrets(f), IClassFixture<SqliteServer>;

public sealed class FetchingSecretsOnPostgres(PostgresServerFixture f) : FetchingSecrets(f), IClassFixture<PostgresServerFixture>;
