using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Authentication;
using Secrets.Server.Crypto;
using Secrets.Server.Data;
using Secrets.Server.Http;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Resources;

/// <summary>GET /resources/{account}/{kind}/{identifier} (spec 2.6): the resource object of every kind, byte for byte, and 404s.</summary>
public abstract class ShowingResources(ServerFixture f)
{
    private static readonly System.Text.Json.JsonSerializerOptions RelaxedJson =
        new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Fact]
    public async Task A_variable_shows_owner_policy_sorted_permissions_and_annotations()
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var alice = await world.ClientAsync("alice");
        var createdAt = await World.CreatedAtAsync(f, "cucumber:variable:db/password");

        var body = await Requests.GetJsonAsync(alice, "/resources/cucumber/variable/db%2Fpassword");

        Assert.Equal(
            $$"""{"created_at":"{{createdAt}}","id":"cucumber:variable:db/password","owner":"cucumber:policy:db","policy":"cucumber:policy:root","permissions":[{"privilege":"execute","role":"cucumber:group:db/readers","policy":"cucumber:policy:root"},{"privilege":"read","role":"cucumber:group:db/readers","policy":"cucumber:policy:root"},{"privilege":"execute","role":"cucumber:layer:web","policy":"cucumber:policy:root"},{"privilege":"read","role":"cucumber:layer:web","policy":"cucumber:policy:root"}],"annotations":[{"name":"description","value":"Production database password","policy":"cucumber:policy:root"},{"name":"rotation/ttl","value":"P1D","policy":"cucumber:policy:root"}],"secrets":[]}""",
            body);
    }

    [Fact]
    public async Task The_identifier_glob_accepts_encoded_and_literal_slashes_and_keeps_extensions()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        var encoded = await Requests.GetJsonAsync(admin, "/resources/cucumber/variable/team%2Fdeploy-key.pem");
        var literal = await Requests.GetJsonAsync(admin, "/resources/cucumber/variable/team/deploy-key.pem");

        Assert.Equal(encoded, literal);
        Assert.Equal(["cucumber:variable:team/deploy-key.pem"], Requests.Ids($"[{encoded}]"));
    }

    [Fact]
    public async Task Secret_versions_are_listed_ascending_without_values()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();
        var expiry = new DateTime(2031, 2, 3, 4, 5, 6, 789, DateTimeKind.Utc);
        await f.WithDbAsync(async db =>
        {
            using var cipher = new DataKeyCipher(f.Settings.Encryption.DataKey);
            foreach (var (version, value) in new[] { (1, "first-secret-value"), (2, "second-secret-value") })
            {
                db.Secrets.Add(new SecretEntity
                {
                    ResourceId = "cucumber:variable:db/url",
                    Version = version,
                    Account = "cucumber",
                    Value = cipher.Encrypt(Encoding.UTF8.GetBytes(value), "cucumber:variable:db/url"),
                    CreatedAt = f.Time.GetUtcNow().UtcDateTime,
                    ExpiresAt = version == 2 ? expiry : null,
                });
            }

            return await db.SaveChangesAsync();
        });

        var body = await Requests.GetJsonAsync(admin, "/resources/cucumber/variable/db%2Furl");

        Assert.EndsWith(""","secrets":[{"version":1,"expires_at":null},{"version":2,"expires_at":"2031-02-03T04:05:06.789+00:00"}]}""", body, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-value", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_shows_its_restrictions_and_a_user_its_empty_ones()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();
        var hostCreated = await World.CreatedAtAsync(f, "cucumber:host:app-01");
        var userCreated = await World.CreatedAtAsync(f, "cucumber:user:alice");

        Assert.Equal(
            $$"""{"created_at":"{{hostCreated}}","id":"cucumber:host:app-01","owner":"cucumber:user:admin","policy":"cucumber:policy:root","permissions":[],"annotations":[],"restricted_to":["10.0.0.0/8","127.0.0.1/32"]}""",
            await Requests.GetJsonAsync(admin, "/resources/cucumber/host/app-01"));
        Assert.Equal(
            $$"""{"created_at":"{{userCreated}}","id":"cucumber:user:alice","owner":"cucumber:user:admin","policy":"cucumber:policy:root","permissions":[],"annotations":[{"name":"description","value":"Alice runs operations","policy":"cucumber:policy:root"}],"restricted_to":[]}""",
            await Requests.GetJsonAsync(admin, "/resources/cucumber/user/alice"));
    }

    [Fact]
    public async Task A_group_and_a_layer_have_no_kind_specific_fields()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();
        var created = await World.CreatedAtAsync(f, "cucumber:group:db/readers");

        Assert.Equal(
            $$"""{"created_at":"{{created}}","id":"cucumber:group:db/readers","owner":"cucumber:policy:db","policy":"cucumber:policy:root","permissions":[],"annotations":[]}""",
            await Requests.GetJsonAsync(admin, "/resources/cucumber/group/db%2Freaders"));
    }

    [Fact]
    public async Task A_policy_shows_its_versions_and_omits_a_null_policy()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();
        var version = await f.WithDbAsync(db => db.PolicyVersions.AsNoTracking().SingleAsync(v => v.ResourceId == "cucumber:policy:root" && v.Version == 1));
        var created = await World.CreatedAtAsync(f, "cucumber:policy:root");
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ResourceWorld.Root)));
        var text = System.Text.Json.JsonSerializer.Serialize(ResourceWorld.Root, RelaxedJson);

        var body = await Requests.GetJsonAsync(admin, "/resources/cucumber/policy/root");

        Assert.Equal(
            $$"""{"created_at":"{{created}}","id":"cucumber:policy:root","owner":"cucumber:user:admin","permissions":[],"annotations":[],"policy_versions":[{"version":1,"created_at":"{{JsonTimes.Format(version.CreatedAt)}}","finished_at":"{{JsonTimes.Format(version.FinishedAt!.Value)}}","policy_text":{{text}},"policy_sha256":"{{sha}}","client_ip":"127.0.0.1","id":"cucumber:policy:root","role":"cucumber:user:admin"}]}""",
            body);
    }

    [Fact]
    public async Task A_host_factory_shows_its_tokens_and_layers()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();
        const string token = "1bcarsc2bqvsxt6cnd74xem8yf15gtma71vp23y315n0z201c1jbx";
        var expiration = new DateTime(2030, 1, 2, 3, 4, 5, 600, DateTimeKind.Utc);
        await f.WithDbAsync(async db =>
        {
            using var cipher = new DataKeyCipher(f.Settings.Encryption.DataKey);
            var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
            db.HostFactoryTokens.Add(new HostFactoryTokenEntity
            {
                TokenSha256 = sha,
                Token = cipher.SealHostFactoryToken(token, sha, "cucumber:host_factory:web-factory", expiration, "10.1.0.0/16,10.2.0.1/32"),
                ResourceId = "cucumber:host_factory:web-factory",
                Account = "cucumber",
                Cidr = "10.1.0.0/16,10.2.0.1/32",
                Expiration = expiration,
            });
            return await db.SaveChangesAsync();
        });
        var created = await World.CreatedAtAsync(f, "cucumber:host_factory:web-factory");

        Assert.Equal(
            $$"""{"created_at":"{{created}}","id":"cucumber:host_factory:web-factory","owner":"cucumber:user:admin","policy":"cucumber:policy:root","permissions":[],"annotations":[],"tokens":[{"expiration":"2030-01-02T03:04:05Z","cidr":["10.1.0.0/16","10.2.0.1/32"],"token":"{{token}}"}],"layers":["cucumber:layer:web"]}""",
            await Requests.GetJsonAsync(admin, "/resources/cucumber/host_factory/web-factory"));
    }

    [Fact]
    public async Task Listing_renders_the_same_objects_as_show()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        var listed = await Requests.GetJsonAsync(admin, "/resources/cucumber/user?limit=2");
        var admin1 = await Requests.GetJsonAsync(admin, "/resources/cucumber/user/admin");
        var alice = await Requests.GetJsonAsync(admin, "/resources/cucumber/user/alice");

        Assert.Equal($"[{admin1},{alice}]", listed);
    }

    [Theory]
    [InlineData("bob", "variable", "db/url", "/resources/cucumber/variable/db%2Furl")]
    [InlineData("carol", "variable", "db/password", "/resources/cucumber/variable/db/password")]
    [InlineData("alice", "user", "alice", "/resources/cucumber/user/alice")]
    [InlineData("alice", "variable", "nope", "/resources/cucumber/variable/nope")]
    [InlineData("alice", "widget", "db/password", "/resources/cucumber/widget/db%2Fpassword")]
    public async Task Invisible_and_absent_resources_are_the_same_404(string login, string kind, string identifier, string path)
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var client = await world.ClientAsync(login);

        var (status, body, contentType) = await Requests.GetAsync(client, path);

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("application/json", contentType);
        Assert.Equal(Requests.NotFoundBody(kind, identifier), body);
    }

    [Fact]
    public async Task Another_account_is_not_found()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        var (status, body, _) = await Requests.GetAsync(admin, "/resources/elsewhere/variable/db%2Fpassword");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(
            """{"error":{"code":"not_found","message":"Variable 'db/password' not found in account 'elsewhere'","target":"variable","details":{"code":"not_found","target":"id","message":"elsewhere:variable:db/password"}}}""",
            body);
    }

    [Fact]
    public async Task Showing_is_audited()
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var bob = await world.ClientAsync("bob");
        var shown = await SendWithIdAsync(bob, "/resources/cucumber/variable/db%2Fpassword");
        var hidden = await SendWithIdAsync(bob, "/resources/cucumber/variable/db%2Furl");

        var ok = Assert.Single(f.Audit.Lines, l => l.Contains($" conjur {shown} ", StringComparison.Ordinal));
        Assert.Contains(" resource [auth@43868 user=\"cucumber:user:bob\"][subject@43868 resource=\"cucumber:variable:db/password\"]", ok, StringComparison.Ordinal);
        Assert.Contains("[action@43868 result=\"success\" operation=\"get\"]", ok, StringComparison.Ordinal);
        Assert.EndsWith(" cucumber:user:bob successfully fetched resource details.", ok, StringComparison.Ordinal);

        var failed = Assert.Single(f.Audit.Lines, l => l.Contains($" conjur {hidden} ", StringComparison.Ordinal));
        Assert.StartsWith("<84>1 ", failed, StringComparison.Ordinal);
        Assert.EndsWith(" cucumber:user:bob failed to fetch resource details: Variable 'db/url' not found in account 'cucumber'", failed, StringComparison.Ordinal);
    }

    private static async Task<string> SendWithIdAsync(HttpClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        var requestId = "show-" + Guid.NewGuid().ToString("N");
        request.Headers.Add("X-Request-Id", requestId);
        using var response = await client.SendAsync(request);
        return requestId;
    }
}

public sealed class ShowingResourcesOnSqlite(SqliteServer f) : ShowingResources(f), IClassFixture<SqliteServer>;

public sealed class ShowingResourcesOnPostgres(PostgresServerFixture f) : ShowingResources(f), IClassFixture<PostgresServerFixture>;
