using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Data;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Robustness;

/// <summary>
/// The Kubernetes probes: <c>/health/live</c> (the process answers; the store is not consulted), <c>/health/ready</c>
/// and <c>/health</c> (the store answers and this build's migrations are applied), with the store's state in the body.
/// </summary>
public abstract class ProbingHealth(ServerFixture f)
{
    [Fact]
    public async Task Live_answers_ok_without_credentials()
    {
        using var response = await f.Client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"ok":true}""", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/health/ready")]
    [InlineData("/health")]
    public async Task Ready_reports_the_store_available_and_migrated(string path)
    {
        using var response = await f.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            """{"ok":true,"database":{"ok":true,"state":"available","migrations_applied":true}}""",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_health_command_exits_0_when_the_server_is_ready_and_1_when_nothing_answers()
    {
        var ready = await ServerProcess.RunAsync(new Dictionary<string, string>(), null, "health", "--urls", f.BaseAddress.ToString().TrimEnd('/'));
        Assert.True(ready.ExitCode == 0, ready.ToString());

        // The container's SECRETS_URLS listens on 0.0.0.0: the command probes loopback.
        var wildcard = await ServerProcess.RunAsync(
            new Dictionary<string, string> { ["SECRETS_URLS"] = $"http://0.0.0.0:{f.BaseAddress.Port}" }, null, "health");
        Assert.True(wildcard.ExitCode == 0, wildcard.ToString());

        var nothing = await ServerProcess.RunAsync(new Dictionary<string, string>(), null, "health", "--urls", $"http://127.0.0.1:{ServerProcess.FreePort()}");
        Assert.Equal(1, nothing.ExitCode);
        Assert.StartsWith("not ready: http://127.0.0.1:", nothing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ready_is_503_while_a_migration_of_this_build_is_not_applied()
    {
        var database = f.Store == Store.Postgres ? await PostgresServer.CreateDatabaseAsync(nameof(ProbingHealth)) : null;
        await using var server = await StandaloneServer.StartAsync(database);
        await using (var db = DatabaseSetup.CreateContext(server.Settings.Database))
        {
            await db.Database.ExecuteSqlRawAsync("""DELETE FROM "__ef_migrations" """);
        }

        using (var pending = await server.Client.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, pending.StatusCode);
            var database503 = JsonDocument.Parse(await pending.Content.ReadAsStringAsync()).RootElement.GetProperty("database");
            Assert.False(database503.GetProperty("migrations_applied").GetBoolean());
        }

        using (var live = await server.Client.GetAsync("/health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        await using (var db = DatabaseSetup.CreateContext(server.Settings.Database))
        {
            foreach (var migration in db.Database.GetMigrations())
            {
                await db.Database.ExecuteSqlAsync($"""INSERT INTO "__ef_migrations" ("MigrationId", "ProductVersion") VALUES ({migration}, '10.0.0')""");
            }
        }

        using var ready = await server.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }
}

public sealed class ProbingHealthOnSqlite(SqliteServer f) : ProbingHealth(f), IClassFixture<SqliteServer>;

public sealed class ProbingHealthOnPostgres(PostgresServerFixture f) : ProbingHealth(f), IClassFixture<PostgresServerFixture>;
