using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Crypto;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.HostFactories;

/// <summary>POST /host_factory_tokens (spec 2.8, 5.3, 9): who may create tokens, the parameters, and what is stored.</summary>
public abstract class CreatingHostFactoryTokens(ServerFixture f)
{
    private const string Account = ServerFixture.Account;

    [Fact]
    public async Task Tokens_are_returned_once_with_their_expiration_and_normalised_cidrs()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var request = HostFactoryRequests.CreateTokens(
            ("host_factory", app.FactoryId),
            ("expiration", "2050-12-31T00:00:00Z"),
            ("count", "3"),
            ("cidr[]", "10.0.0.0/8"),
            ("cidr[]", "192.168.1.1"),
            ("cidr[]", "10.0.0.0/8"));

        using var response = await admin.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        const string Element = """\{"expiration":"2050-12-31T00:00:00Z","cidr":\["10\.0\.0\.0/8","192\.168\.1\.1/32"\],"token":"[0-9a-hjkmnp-tv-z]{8,56}"\}""";
        Assert.Matches($"^\\[{Element},{Element},{Element}\\]$", body);
        var tokens = JsonDocument.Parse(body).RootElement.EnumerateArray().Select(e => e.GetProperty("token").GetString()!).ToList();
        Assert.Equal(3, tokens.Distinct().Count());

        Assert.Matches(
            $"^<86>1 \\S+ - conjur {Requests.RequestId(request)} host-factory \\[auth@43868 user=\"{Account}:user:admin\"\\]"
            + $"\\[subject@43868 resource=\"{app.FactoryId}\" count=\"3\"\\]\\[client@43868 ip=\"127.0.0.1\"\\]\\[action@43868 result=\"success\" operation=\"create-token\"\\] "
            + $"{Account}:user:admin successfully created 3 host factory tokens for {app.FactoryId} expiring 2050-12-31T00:00:00Z$",
            Requests.SingleAuditFor(f, Requests.RequestId(request)));
        Assert.DoesNotContain(f.Audit.Lines, l => tokens.Any(t => l.Contains(t, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task No_token_is_stored_in_plaintext()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var tokens = await HostFactoryRequests.IssueAsync(admin, app.FactoryId, f.Time.GetUtcNow().AddDays(1), 2, "10.0.0.0/8");

        var rows = await f.WithDbAsync(db => db.HostFactoryTokens.AsNoTracking().Where(t => t.ResourceId == app.FactoryId).ToListAsync());

        Assert.Equal(2, rows.Count);
        using var cipher = new DataKeyCipher(f.Settings.Encryption.DataKey);
        foreach (var token in tokens)
        {
            var sha = Hashes.Sha256Hex(token);
            var row = Assert.Single(rows, r => r.TokenSha256 == sha);
            Assert.Equal((Account, "10.0.0.0/8"), (row.Account, row.Cidr));
            Assert.Equal(-1, row.Token.AsSpan().IndexOf(Encoding.UTF8.GetBytes(token)));

            // Sealed with the data key and bound to its row: hash, factory, expiry and CIDRs (Security/BindingCiphertextsToTheirRows).
            Assert.Equal(token, Encoding.UTF8.GetString(cipher.OpenHostFactoryToken(row.Token, sha, row.ResourceId, row.Expiration, row.Cidr)));
            Assert.Throws<DataKeyMismatchException>(() => cipher.OpenHostFactoryToken(row.Token, Hashes.Sha256Hex("another row"), row.ResourceId, row.Expiration, row.Cidr));
        }

        // Nothing else in the row holds the token either.
        Assert.DoesNotContain(rows, r => tokens.Any(t => r.TokenSha256.Contains(t, StringComparison.Ordinal) || r.Cidr.Contains(t, StringComparison.Ordinal) || r.ResourceId.Contains(t, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Parameters_may_come_in_the_query_string()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var request = Requests.Make(
            HttpMethod.Post,
            $"/host_factory_tokens?host_factory={Uri.EscapeDataString(app.FactoryId)}&expiration=2049-01-02T03%3A04%3A05%2B02%3A00&cidr%5B%5D=2001%3Adb8%3A%3A%2F32");

        using var response = await admin.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Matches("""^\[\{"expiration":"2049-01-02T01:04:05Z","cidr":\["2001:db8::/32"\],"token":"[0-9a-hjkmnp-tv-z]{8,56}"\}\]$""", body);
    }

    [Fact]
    public async Task An_expiration_in_the_past_is_refused()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var past = f.Time.GetUtcNow().AddMinutes(-1).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

        var observed = await Requests.ObserveAsync(admin, HostFactoryRequests.CreateTokens(("host_factory", app.FactoryId), ("expiration", past)));

        Assert.Equal(422, observed.Status);
        Assert.Equal("""{"error":{"code":"argument_error","message":"expiration must be in the future"}}""", observed.Body);
        Assert.Equal(0, await f.WithDbAsync(db => db.HostFactoryTokens.CountAsync(t => t.ResourceId == app.FactoryId)));
    }

    [Theory]
    [InlineData("host_factory", """{"error":{"code":"parameter_missing","message":"param is missing or the value is empty: host_factory"}}""")]
    [InlineData("expiration", """{"error":{"code":"parameter_missing","message":"param is missing or the value is empty: expiration"}}""")]
    public async Task Missing_required_parameters_are_named(string missing, string expected)
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var form = new[] { ("host_factory", app.FactoryId), ("expiration", "2050-12-31T00:00:00Z") }.Where(p => p.Item1 != missing).ToArray();

        var observed = await Requests.ObserveAsync(admin, HostFactoryRequests.CreateTokens(form));

        Assert.Equal((422, expected), (observed.Status, observed.Body));
    }

    [Theory]
    [InlineData("expiration", "tomorrow", """{"error":{"code":"argument_error","message":"Invalid expiration 'tomorrow': expected an ISO-8601 time"}}""")]
    [InlineData("expiration", "12/31/2050", """{"error":{"code":"argument_error","message":"Invalid expiration '12/31/2050': expected an ISO-8601 time"}}""")]
    [InlineData("count", "0", """{"error":{"code":"argument_error","message":"count must be a whole number between 1 and 1000"}}""")]
    [InlineData("count", "-2", """{"error":{"code":"argument_error","message":"count must be a whole number between 1 and 1000"}}""")]
    [InlineData("count", "two", """{"error":{"code":"argument_error","message":"count must be a whole number between 1 and 1000"}}""")]
    [InlineData("count", "1001", """{"error":{"code":"argument_error","message":"count must be a whole number between 1 and 1000"}}""")]
    [InlineData("cidr[]", "10.0.0.300", """{"error":{"code":"unprocessable_entity","message":"Invalid IP address or CIDR range '10.0.0.300'"}}""")]
    [InlineData("cidr[]", "10.0.0.1/8", """{"error":{"code":"unprocessable_entity","message":"Invalid IP address or CIDR range '10.0.0.1/8'"}}""")]
    [InlineData("cidr[]", "example.com", """{"error":{"code":"unprocessable_entity","message":"Invalid IP address or CIDR range 'example.com'"}}""")]
    public async Task Invalid_parameters_are_unprocessable(string name, string value, string expected)
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var form = new List<(string, string)> { ("host_factory", app.FactoryId) };
        if (name != "expiration")
        {
            form.Add(("expiration", "2050-12-31T00:00:00Z"));
        }

        form.Add((name, value));

        var observed = await Requests.ObserveAsync(admin, HostFactoryRequests.CreateTokens([.. form]));

        Assert.Equal((422, expected), (observed.Status, observed.Body));
        Assert.Equal(0, await f.WithDbAsync(db => db.HostFactoryTokens.CountAsync(t => t.ResourceId == app.FactoryId)));
    }

    [Fact]
    public async Task A_resource_that_is_not_a_host_factory_is_refused_by_kind()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();

        var observed = await Requests.ObserveAsync(admin, HostFactoryRequests.CreateTokens(("host_factory", app.GroupId), ("expiration", "2050-12-31T00:00:00Z")));

        Assert.Equal((422, """{"error":{"code":"argument_error","message":"Invalid resource kind: group"}}"""), (observed.Status, observed.Body));
    }

    [Fact]
    public async Task A_host_factory_id_that_is_not_a_full_id_is_refused()
    {
        using var admin = await f.AdminClientAsync();

        var observed = await Requests.ObserveAsync(admin, HostFactoryRequests.CreateTokens(("host_factory", "myapp"), ("expiration", "2050-12-31T00:00:00Z")));

        Assert.Equal(422, observed.Status);
        Assert.Equal("""{"error":{"code":"argument_error","message":"Invalid host_factory 'myapp': expected a full id account:host_factory:identifier"}}""", observed.Body);
    }

    [Fact]
    public async Task An_invisible_host_factory_is_not_found()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var stranger = await f.ClientForAsync(app.Stranger, app.ApiKeyOf(app.Stranger));
        var request = HostFactoryRequests.CreateTokens(("host_factory", app.FactoryId), ("expiration", "2050-12-31T00:00:00Z"));

        var observed = await Requests.ObserveAsync(stranger, request);

        // Indistinguishable from a factory that does not exist (spec 5.2).
        var identifier = app.FactoryId.Split(':', 3)[2];
        var expected = "{\"error\":{\"code\":\"not_found\",\"message\":\"Host_factory '" + identifier + "' not found in account '" + Account + "'\",\"target\":\"host_factory\",\"details\":{\"code\":\"not_found\",\"target\":\"id\",\"message\":\"" + app.FactoryId + "\"}}}";
        Assert.Equal((404, expected), (observed.Status, observed.Body));
        var missing = await Requests.ObserveAsync(stranger, HostFactoryRequests.CreateTokens(("host_factory", app.FactoryId + "-nope"), ("expiration", "2050-12-31T00:00:00Z")));
        Assert.Equal(404, missing.Status);
        Assert.Contains(
            $"[action@43868 result=\"failure\" operation=\"create-token\"] {Account}:user:{app.Stranger} failed to create host factory tokens for {app.FactoryId}: Host_factory '{identifier}' not found",
            Requests.SingleAuditFor(f, Requests.RequestId(request)),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_visible_host_factory_without_execute_is_forbidden()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var reader = await f.ClientForAsync(app.Reader, app.ApiKeyOf(app.Reader));

        var observed = await Requests.ObserveAsync(reader, HostFactoryRequests.CreateTokens(("host_factory", app.FactoryId), ("expiration", "2050-12-31T00:00:00Z")));

        Assert.Equal((403, ""), (observed.Status, observed.Body));
    }

    [Fact]
    public async Task Execute_on_the_host_factory_is_enough()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var executor = await f.ClientForAsync(app.Executor, app.ApiKeyOf(app.Executor));

        var tokens = await HostFactoryRequests.IssueAsync(executor, app.FactoryId, f.Time.GetUtcNow().AddHours(1), 2);

        Assert.Equal(2, tokens.Count);
    }

    [Fact]
    public async Task An_access_token_is_required()
    {
        var observed = await Requests.ObserveAsync(f.Client, HostFactoryRequests.CreateTokens(("host_factory", $"{Account}:host_factory:x"), ("expiration", "2050-12-31T00:00:00Z")));

        Assert.Equal((401, "Authorization missing"), (observed.Status, observed.Body));
    }
}

public sealed class CreatingHostFactoryTokensOnSqlite(SqliteServer f) : CreatingHostFactoryTokens(f), IClassFixture<SqliteServer>;

public sealed class CreatingHostFactoryTokensOnPostgres(PostgresServerFixture f) : CreatingHostFactoryTokens(f), IClassFixture<PostgresServerFixture>;
