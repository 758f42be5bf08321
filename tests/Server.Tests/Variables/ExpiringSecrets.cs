using System.Net;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Variables;

/// <summary>POST /secrets/{account}/variable/{identifier}?expirations (spec 2.4, 6.2): forces rotation by clearing expires_at.</summary>
public abstract class ExpiringSecrets(ServerFixture f)
{
    [Fact]
    public async Task Expirations_clears_expires_at_on_every_version_and_answers_an_empty_201()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["rotated"]);
        await w.SetAsync("rotated", "one");
        await w.SetAsync("rotated", "two");
        var id = w.VariableId("rotated");
        await SetExpiryAsync(id, f.Time.GetUtcNow().UtcDateTime.AddHours(1));

        // Key presence is what counts (spec 1.1): "=false" still expires, and a body is ignored.
        using var response = await w.Writer.PostAsync(w.SecretPath("rotated") + "?expirations=false", new StringContent("ignored"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        var rows = await f.WithDbAsync(db => db.Secrets.AsNoTracking().Where(s => s.ResourceId == id).OrderBy(s => s.Version).Select(s => new { s.Version, s.ExpiresAt }).ToListAsync());
        Assert.Equal<int>([1, 2], rows.Select(r => r.Version));
        Assert.All(rows, r => Assert.Null(r.ExpiresAt));
        Assert.Equal("two", await w.Host.GetStringAsync(w.SecretPath("rotated")));
    }

    [Fact]
    public async Task Expirations_on_a_variable_without_value_is_still_201()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["empty"]);

        using var response = await w.Writer.PostAsync(w.SecretPath("empty") + "?expirations", null);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Expirations_needs_update_and_visibility()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["guarded"]);
        await w.SetAsync("guarded", "v");
        var id = w.VariableId("guarded");
        var expiry = f.Time.GetUtcNow().UtcDateTime.AddHours(1);
        await SetExpiryAsync(id, expiry);

        foreach (var client in new[] { w.Reader, w.Host })
        {
            using var response = await client.PostAsync(w.SecretPath("guarded") + "?expirations", null);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("", await response.Content.ReadAsStringAsync());
        }

        using (var response = await w.Stranger.PostAsync(w.SecretPath("guarded") + "?expirations", null))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal(
                $$$$"""{"error":{"code":"not_found","message":"Variable '{{{{w.Branch}}}}/guarded' not found in account 'cucumber'","target":"variable","details":{"code":"not_found","target":"id","message":"{{{{id}}}}"}}}""",
                await response.Content.ReadAsStringAsync());
        }

        var stored = await f.WithDbAsync(db => db.Secrets.AsNoTracking().Where(s => s.ResourceId == id).Select(s => s.ExpiresAt).SingleAsync());
        Assert.NotNull(stored);
    }

    private Task<int> SetExpiryAsync(string id, DateTime at) =>
        f.WithDbAsync(db => db.Secrets.Where(s => s.ResourceId == id).ExecuteUpdateAsync(s => s.SetProperty(x => x.ExpiresAt, at)));
}

public sealed class ExpiringSecretsOnSqlite(SqliteServer f) : ExpiringSecrets(f), IClassFixture<SqliteServer>;

public sealed class ExpiringSecretsOnPostgres(PostgresServerFixture f) : ExpiringSecrets(f), IClassFixture<PostgresServerFixture>;
