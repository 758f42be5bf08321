using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Variables;

/// <summary>POST /secrets/{account}/{kind}/{identifier} (spec 2.4, 6.1, 8.2, 9, 11.4).</summary>
public abstract class StoringSecrets(ServerFixture f)
{
    private const string RsaKey = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 laptop";

    [Fact]
    public async Task A_writer_stores_a_value_and_gets_an_empty_201()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["db/password"]);

        using var response = await w.Writer.PostAsync(w.SecretPath("db/password"), new StringContent("first", Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        Assert.Equal<int>([1], await VersionsAsync(w.VariableId("db/password")));
        Assert.Equal("first", await w.Host.GetStringAsync(w.SecretPath("db/password")));
    }

    [Fact]
    public async Task A_form_urlencoded_body_is_stored_raw_not_form_decoded()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["form"]);
        const string raw = "a=b&c=d%20e+f&=%ZZ";
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(raw));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");

        using var response = await w.Writer.PostAsync(w.SecretPath("form"), content);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(raw, await w.Host.GetStringAsync(w.SecretPath("form")));
    }

    [Fact]
    public async Task An_invalid_content_type_is_ignored()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["typed"]);
        using var request = new HttpRequestMessage(HttpMethod.Post, w.SecretPath("typed")) { Content = new ByteArrayContent("v"u8.ToArray()) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "not a mime type;;");

        using var response = await w.Writer.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("v", await w.Host.GetStringAsync(w.SecretPath("typed")));
    }

    [Fact]
    public async Task Empty_and_whitespace_only_values_are_refused_with_422()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["blank"]);

        foreach (var body in new[] { "", " ", " \t\r\n\v\f" })
        {
            using var response = await w.Writer.PostAsync(w.SecretPath("blank"), new StringContent(body));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal("""{"error":{"code":"argument_error","message":"'value' may not be empty"}}""", await response.Content.ReadAsStringAsync());
        }

        Assert.Empty(await VersionsAsync(w.VariableId("blank")));
    }

    [Fact]
    public async Task Invisible_or_unknown_variables_answer_the_record_not_found_shape()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["hidden"]);

        foreach (var (client, name) in new[] { (w.Stranger, "hidden"), (w.Admin, "unknown") })
        {
            using var response = await client.PostAsync(w.SecretPath(name), new StringContent("v"));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal(
                $$$$"""{"error":{"code":"not_found","message":"Variable '{{{{w.Branch}}}}/{{{{name}}}}' not found in account 'cucumber'","target":"variable","details":{"code":"not_found","target":"id","message":"{{{{w.VariableId(name)}}}}"}}}""",
                await response.Content.ReadAsStringAsync());
        }

        Assert.Empty(await VersionsAsync(w.VariableId("hidden")));
    }

    [Fact]
    public async Task Visible_without_update_is_an_empty_403()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["guarded"]);

        foreach (var client in new[] { w.Reader, w.Host, w.Executor })
        {
            using var response = await client.PostAsync(w.SecretPath("guarded"), new StringContent("v"));
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("", await response.Content.ReadAsStringAsync());
        }

        Assert.Empty(await VersionsAsync(w.VariableId("guarded")));
    }

    [Fact]
    public async Task Writing_the_current_value_again_creates_no_version()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["same"]);

        await w.SetAsync("same", "value");
        await w.SetAsync("same", "value");
        Assert.Equal<int>([1], await VersionsAsync(w.VariableId("same")));

        await w.SetAsync("same", "other");
        await w.SetAsync("same", "value");
        Assert.Equal<int>([1, 2, 3], await VersionsAsync(w.VariableId("same")));
    }

    [Fact]
    public async Task Only_the_latest_twenty_versions_are_kept()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["rotating"]);
        for (var i = 1; i <= 21; i++)
        {
            await w.SetAsync("rotating", $"value-{i}");
        }

        Assert.Equal(Enumerable.Range(2, 20), await VersionsAsync(w.VariableId("rotating")));
        var path = w.SecretPath("rotating");
        using var purged = await w.Host.GetAsync(path + "?version=1");
        Assert.Equal(HttpStatusCode.NotFound, purged.StatusCode);
        Assert.Equal("value-2", await w.Host.GetStringAsync(path + "?version=2"));
        Assert.Equal("value-21", await w.Host.GetStringAsync(path));
    }

    [Fact]
    public async Task Concurrent_writers_get_distinct_consecutive_versions()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["contended"]);

        var responses = await Task.WhenAll(Enumerable.Range(1, 20).Select(i =>
            w.Writer.PostAsync(w.SecretPath("contended"), new StringContent($"value-{i}"))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        foreach (var r in responses)
        {
            r.Dispose();
        }

        Assert.Equal(Enumerable.Range(1, 20), await VersionsAsync(w.VariableId("contended")));
    }

    [Fact]
    public async Task Public_key_values_must_be_ssh_keys()
    {
        using var w = await SecretsWorld.CreateAsync(f, [], publicKeys: [RsaKey]);
        var path = $"/secrets/{ServerFixture.Account}/public_key/{Uri.EscapeDataString($"user/keyholder@{w.Branch}/laptop")}";

        foreach (var bad in new[] { "not a key", "ssh-rsa", "ssh-rsa not*base64 laptop", "ssh-foo AAAA laptop", "ssh-rsa AAAA laptop\nssh-rsa AAAA other" })
        {
            using var response = await w.Admin.PostAsync(path, new StringContent(bad));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal("""{"error":{"code":"argument_error","message":"Invalid public key format"}}""", await response.Content.ReadAsStringAsync());
        }

        foreach (var good in new[] { "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO laptop", "ecdsa-sha2-nistp256 AAAAE2VjZHNh= laptop\n", "ssh-rsa AAAAB3NzaC1yc2E=" })
        {
            using var response = await w.Admin.PostAsync(path, new StringContent(good));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
    }

    [Fact]
    public async Task Only_variables_and_public_keys_take_values()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["v"]);

        foreach (var path in new[] { $"/secrets/{ServerFixture.Account}/user/admin", $"/secrets/{ServerFixture.Account}/layer/{Uri.EscapeDataString(w.Branch + "/apps")}" })
        {
            using var response = await w.Admin.PostAsync(path, new StringContent("v"));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    [Fact]
    public async Task A_value_over_the_body_limit_is_refused_with_413()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["huge"]);
        var limit = f.Settings.Limits.MaxRequestBodyBytes;
        var huge = new byte[limit + 1];
        Array.Fill(huge, (byte)'x');

        // Declared length: refused before the body is read (Expect: 100-continue keeps the client from sending it).
        using var declared = new HttpRequestMessage(HttpMethod.Post, w.SecretPath("huge")) { Content = new ByteArrayContent(huge) };
        declared.Headers.ExpectContinue = true;
        using (var response = await w.Writer.SendAsync(declared))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Contains("payload_too_large", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Chunked: refused while reading.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, w.SecretPath("huge")) { Content = new StreamContent(new MemoryStream(huge)) };
        chunked.Headers.TransferEncodingChunked = true;
        try
        {
            using var response = await w.Writer.SendAsync(chunked);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }
        catch (HttpRequestException)
        {
            // The server may close the connection before the client finished sending; what matters is below.
        }

        Assert.Empty(await VersionsAsync(w.VariableId("huge")));
    }

    [Fact]
    public async Task Every_write_is_audited_without_the_value()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["audited"]);
        var id = w.VariableId("audited");
        var writer = $"{ServerFixture.Account}:user:writer@{w.Branch}";

        using var ok = Requests.Make(HttpMethod.Post, w.SecretPath("audited"), content: new StringContent("never-in-audit"));
        (await w.Writer.SendAsync(ok)).Dispose();
        using var empty = Requests.Make(HttpMethod.Post, w.SecretPath("audited"), content: new StringContent(""));
        (await w.Writer.SendAsync(empty)).Dispose();
        using var forbidden = Requests.Make(HttpMethod.Post, w.SecretPath("audited"), content: new StringContent("never-in-audit-2"));
        (await w.Reader.SendAsync(forbidden)).Dispose();
        using var hidden = Requests.Make(HttpMethod.Post, w.SecretPath("audited"), content: new StringContent("never-in-audit-3"));
        (await w.Stranger.SendAsync(hidden)).Dispose();
        using var unknown = Requests.Make(HttpMethod.Post, w.SecretPath("unknown"), content: new StringContent("never-in-audit-4"));
        (await w.Admin.SendAsync(unknown)).Dispose();

        Assert.Equal(
            $"""<86>1 update [auth@43868 user="{writer}"][subject@43868 resource="{id}"][client@43868 ip="127.0.0.1"][action@43868 result="success" operation="update"] {writer} updated {id}""",
            Assert.Single(Requests.AuditFor(f, ok, fromMsgId: true)));
        Assert.Equal(
            $"""<84>1 update [auth@43868 user="{writer}"][subject@43868 resource="{id}"][client@43868 ip="127.0.0.1"][action@43868 result="failure" operation="update"] {writer} tried to update {id}: 'value' may not be empty""",
            Assert.Single(Requests.AuditFor(f, empty, fromMsgId: true)));
        Assert.EndsWith($"{w.ReaderId} tried to update {id}: Forbidden", Assert.Single(Requests.AuditFor(f, forbidden, fromMsgId: true)), StringComparison.Ordinal);
        Assert.EndsWith($"tried to update {id}: Forbidden", Assert.Single(Requests.AuditFor(f, hidden, fromMsgId: true)), StringComparison.Ordinal);
        Assert.EndsWith(
            $"tried to update {w.VariableId("unknown")}: Variable '{w.Branch}/unknown' not found in account 'cucumber'",
            Assert.Single(Requests.AuditFor(f, unknown, fromMsgId: true)),
            StringComparison.Ordinal);
        Assert.DoesNotContain(f.Audit.Lines, l => l.Contains("never-in-audit", StringComparison.Ordinal));
    }

    private Task<List<int>> VersionsAsync(string resourceId) =>
        f.WithDbAsync(db => db.Secrets.AsNoTracking().Where(s => s.ResourceId == resourceId).OrderBy(s => s.Version).Select(s => s.Version).ToListAsync());
}

public sealed class StoringSecretsOnSqlite(SqliteServer f) : StoringSecrets(f), IClassFixture<SqliteServer>;

public sealed class StoringSecretsOnPostgres(PostgresServerFixture f) : StoringSecrets(f), IClassFixture<PostgresServerFixture>;
