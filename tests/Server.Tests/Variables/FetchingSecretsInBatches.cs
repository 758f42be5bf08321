using System.Net;
using System.Text;
using System.Text.Json;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Variables;

/// <summary>GET /secrets?variable_ids=… (spec 2.4, 11.6).</summary>
public abstract class FetchingSecretsInBatches(ServerFixture f)
{
    private static string Batch(params string[] ids) => "/secrets?variable_ids=" + Uri.EscapeDataString(string.Join(',', ids));

    [Fact]
    public async Task The_latest_values_come_back_as_one_json_object()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["a", "b/c", "quote"]);
        await w.SetAsync("a", "old");
        await w.SetAsync("a", "alpha");
        await w.SetAsync("b/c", "bêta");
        await w.SetAsync("quote", "say \"hi\"\\\n");

        using var response = await w.Host.GetAsync(Batch(w.VariableId("a"), w.VariableId("b/c"), w.VariableId("quote")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Equal(
            $$$$"""{"{{{{w.VariableId("a")}}}}":"alpha","{{{{w.VariableId("b/c")}}}}":"bêta","{{{{w.VariableId("quote")}}}}":"say \"hi\"\\\n"}""",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_missing_or_empty_list_or_an_empty_element_is_422()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["a", "b"]);
        await w.SetAsync("a", "1");
        await w.SetAsync("b", "2");
        var a = w.VariableId("a");
        var b = w.VariableId("b");

        foreach (var path in new[] { "/secrets", "/secrets?variable_ids", "/secrets?variable_ids=", Batch(a, "", b), Batch("", a), Batch(a, "") })
        {
            using var response = await w.Host.GetAsync(path);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal("""{"error":{"code":"argument_error","message":"variable_ids"}}""", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Any_existing_variable_without_execute_is_403_before_any_404()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["readable", "permitted"]);
        await w.SetAsync("readable", "r");
        await w.SetAsync("permitted", "p");
        var unknown = w.VariableId("unknown");

        // The reader sees "readable" but may not execute it; the stranger cannot even see it: both are 403 here.
        foreach (var client in new[] { w.Reader, w.Stranger })
        {
            using var response = await client.GetAsync(Batch(unknown, w.VariableId("readable")));
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("", await response.Content.ReadAsStringAsync());
        }

        using var notFound = await w.Host.GetAsync(Batch(w.VariableId("permitted"), unknown));
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal(
            $$$$"""{"error":{"code":"not_found","message":"CONJ00076E Variable {{{{unknown}}}} is empty or not found."}}""",
            await notFound.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_variable_without_value_or_an_id_of_another_kind_is_404()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["set", "unset"]);
        await w.SetAsync("set", "v");

        foreach (var missing in new[] { w.VariableId("unset"), $"{ServerFixture.Account}:user:admin", $"{w.Branch}/set" })
        {
            using var response = await w.Admin.GetAsync(Batch(w.VariableId("set"), missing));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal(
                $$$$"""{"error":{"code":"not_found","message":"CONJ00076E Variable {{{{missing}}}} is empty or not found."}}""",
                await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task A_variable_of_another_account_is_forbidden_whether_it_exists_or_not()
    {
        var other = World.Unique("acct");
        var created = await f.CreateAccountAsync(other);
        using (var theirAdmin = await f.ClientForAsync("admin", created.AdminApiKey, other))
        {
            await World.LoadAsync(theirAdmin, HttpMethod.Post, "root", "- !variable theirs\n", other);
        }

        using var w = await SecretsWorld.CreateAsync(f, ["mine"]);
        await w.SetAsync("mine", "v");

        using var forbidden = await w.Admin.GetAsync(Batch(w.VariableId("mine"), $"{other}:variable:theirs"));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("", await forbidden.Content.ReadAsStringAsync());

        // Issue 8: ids of another account are not looked up, so a missing one is refused exactly like an existing one.
        using var missing = await w.Admin.GetAsync(Batch(w.VariableId("mine"), $"{other}:variable:nothing"));
        Assert.Equal(HttpStatusCode.Forbidden, missing.StatusCode);
        Assert.Equal("", await missing.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Accept_encoding_base64_returns_ruby_style_base64_with_content_encoding()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["long", "binary"]);
        var longValue = Encoding.ASCII.GetBytes(new string('z', 100));
        var binary = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        await w.SetAsync("long", longValue);
        await w.SetAsync("binary", binary);

        foreach (var header in new[] { "base64", " BASE64 ", "Base64" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Batch(w.VariableId("long"), w.VariableId("binary")));
            request.Headers.TryAddWithoutValidation("Accept-Encoding", header);
            using var response = await w.Host.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("base64", Assert.Single(response.Content.Headers.ContentEncoding));
            var body = await response.Content.ReadAsStringAsync();
            using var doc = JsonDocument.Parse(body);
            var encodedLong = doc.RootElement.GetProperty(w.VariableId("long")).GetString()!;
            Assert.Equal(RubyStyle(longValue), encodedLong);
            Assert.Equal<int>([60, 60, 16, 0], encodedLong.Split('\n').Select(l => l.Length));
            Assert.Equal(binary, Convert.FromBase64String(doc.RootElement.GetProperty(w.VariableId("binary")).GetString()!.Replace("\n", "", StringComparison.Ordinal)));
            Assert.StartsWith($$$$"""{"{{{{w.VariableId("long")}}}}":"enp6enp6""", body, StringComparison.Ordinal);
            Assert.Contains("\\n", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_binary_value_without_base64_is_406_and_a_list_of_codings_does_not_count()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["text", "binary"]);
        await w.SetAsync("text", "plain");
        await w.SetAsync("binary", [0xff, 0xfe, 0x00, 0x80]);

        foreach (var header in new[] { null, "gzip, base64", "base64;q=1" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Batch(w.VariableId("text"), w.VariableId("binary")));
            if (header is not null)
            {
                request.Headers.TryAddWithoutValidation("Accept-Encoding", header);
            }

            using var response = await w.Host.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
            Assert.Equal(
                """{"error":{"code":"not_acceptable","message":"CONJ00074E Issue encoding secret into JSON format, try including 'Accept-Encoding: base64' header in request."}}""",
                await response.Content.ReadAsStringAsync());
        }

        using var textOnly = new HttpRequestMessage(HttpMethod.Get, Batch(w.VariableId("text")));
        textOnly.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip, base64");
        using var plain = await w.Host.SendAsync(textOnly);
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Empty(plain.Content.Headers.ContentEncoding);
        Assert.Equal($$$$"""{"{{{{w.VariableId("text")}}}}":"plain"}""", await plain.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_repeated_id_is_fetched_once()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["a"]);
        await w.SetAsync("a", "1");

        using var response = await w.Host.GetAsync(Batch(w.VariableId("a"), w.VariableId("a")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($$$$"""{"{{{{w.VariableId("a")}}}}":"1"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_hundred_variables_come_back_in_one_request_each_audited_once()
    {
        var names = Enumerable.Range(0, 100).Select(i => $"many/v{i:D3}").ToArray();
        using var w = await SecretsWorld.CreateAsync(f, names);
        foreach (var name in names)
        {
            await w.SetAsync(name, "value of " + name);
        }

        using var request = Requests.Make(HttpMethod.Get, Batch(names.Select(w.VariableId).ToArray()));
        using var response = await w.Host.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(names.Select(n => (w.VariableId(n), "value of " + n)), doc.RootElement.EnumerateObject().Select(p => (p.Name, p.Value.GetString()!)));
        var audit = Requests.AuditFor(f, request, fromMsgId: true);
        Assert.Equal(100, audit.Count);
        Assert.Equal(
            names.Select(n => $"""<86>1 fetch [auth@43868 user="{w.HostId}"][subject@43868 resource="{w.VariableId(n)}"][client@43868 ip="127.0.0.1"][action@43868 result="success" operation="fetch"] {w.HostId} fetched {w.VariableId(n)}"""),
            audit);
        Assert.DoesNotContain(f.Audit.Lines, l => l.Contains("value of", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Refusals_are_audited_per_offending_variable()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["x", "y"]);
        await w.SetAsync("x", "1");
        await w.SetAsync("y", "2");

        using var request = Requests.Make(HttpMethod.Get, Batch(w.VariableId("x"), w.VariableId("y")));
        (await w.Reader.SendAsync(request)).Dispose();

        Assert.Equal(
            new[] { w.VariableId("x"), w.VariableId("y") }.Select(id => $"{w.ReaderId} tried to fetch {id}: Forbidden"),
            Requests.AuditFor(f, request, fromMsgId: true).Select(l => l[(l.LastIndexOf("] ", StringComparison.Ordinal) + 2)..]));
    }

    private static string RubyStyle(byte[] bytes)
    {
        var b64 = Convert.ToBase64String(bytes);
        var sb = new StringBuilder();
        for (var i = 0; i < b64.Length; i += 60)
        {
            sb.Append(b64.AsSpan(i, Math.Min(60, b64.Length - i))).Append('\n');
        }

        return sb.ToString();
    }
}

public sealed class FetchingSecretsInBatchesOnSqlite(SqliteServer f) : FetchingSecretsInBatches(f), IClassFixture<SqliteServer>;

public sealed class FetchingSecretsInBatchesOnPostgres(PostgresServerFixture f) : FetchingSecretsInBatches(f), IClassFixture<PostgresServerFixture>;
