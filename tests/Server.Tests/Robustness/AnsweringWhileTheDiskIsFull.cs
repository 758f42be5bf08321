using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Secrets.Server.Configuration;
using Secrets.Server.Data;

namespace Secrets.Server.Tests.Robustness;

/// <summary>
/// The embedded SQLite runs out of room: a write answers 503 with Retry-After and the store-unavailable envelope (it
/// was a 500), reads keep working, and a write that fits again ends the outage in the log. The full disk is a real
/// SQLITE_FULL: the database is capped with <c>PRAGMA max_page_count</c> (SECRETS_SQLITE_MAX_PAGE_COUNT) a few pages
/// above its size after the migrations, and a large value does not fit.
/// </summary>
public sealed class AnsweringWhileTheDiskIsFull : IAsyncLifetime
{
    private StandaloneServer _server = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        // Migrate a database first to learn its size, then serve it with a quota of a few more pages.
        _dir = Directory.CreateTempSubdirectory("secrets-full-").FullName;
        var file = Path.Combine(_dir, "secrets.db");
        var target = DatabaseTarget.ForSqliteFile(file);
        await DatabaseSetup.MigrateAsync(target, CancellationToken.None);
        long pages;
        await using (var connection = new SqliteConnection(target.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA page_count;";
            await using var reader = await command.ExecuteReaderAsync();
            await reader.NextResultAsync();
            await reader.ReadAsync();
            pages = reader.GetInt64(0);
        }

        SqliteConnection.ClearAllPools();
        _server = await StandaloneServer.StartAsync($"sqlite:{file}", new Dictionary<string, string>
        {
            ["SECRETS_SQLITE_MAX_PAGE_COUNT"] = (pages + 40).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_write_that_does_not_fit_answers_503_reads_keep_working_and_a_write_that_fits_ends_the_outage()
    {
        using var admin = await _server.AdminClientAsync();
        Assert.Equal(HttpStatusCode.Created, await StandaloneServer.LoadPolicyAsync(admin, "- !variable small\n- !variable large\n"));
        const string small = $"/secrets/{StandaloneServer.Account}/variable/small";
        const string large = $"/secrets/{StandaloneServer.Account}/variable/large";
        using (var set = await admin.PostAsync(small, new StringContent("fits", Encoding.UTF8, "text/plain")))
        {
            Assert.Equal(HttpStatusCode.Created, set.StatusCode);
        }

        // 1 MB is some 250 pages: far over the quota.
        var tooBig = new string('x', 1024 * 1024);
        for (var i = 0; i < 3; i++)
        {
            using var full = await admin.PostAsync(large, new StringContent(tooBig, Encoding.UTF8, "text/plain"));
            await AnsweringWhileTheStoreIsDown.AssertStoreUnavailableAsync(full);
            using var body = JsonDocument.Parse(await full.Content.ReadAsStringAsync());
            Assert.Contains("refusing writes", body.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        // Nothing of the refused write is kept; reads are served.
        using (var read = await admin.GetAsync(small))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal("fits", await read.Content.ReadAsStringAsync());
        }

        using (var missing = await admin.GetAsync(large))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        // Ready (the reads work), with the state reported.
        using (var health = await _server.Client.GetAsync("/health"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal("refusing writes", JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement.GetProperty("database").GetProperty("state").GetString());
        }

        var warning = Assert.Single(_server.Logs.WithEvent(1100));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("SQLite error 13", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_server.Logs.Entries, e => e.Exception is not null && e.Level >= LogLevel.Information);

        // A small write fits: the outage is over, said once.
        using (var fits = await admin.PostAsync(small, new StringContent("fits again", Encoding.UTF8, "text/plain")))
        {
            Assert.Equal(HttpStatusCode.Created, fits.StatusCode);
        }

        Assert.Single(_server.Logs.WithEvent(1102));
        using (var healthy = await _server.Client.GetAsync("/health"))
        {
            Assert.Equal("available", JsonDocument.Parse(await healthy.Content.ReadAsStringAsync()).RootElement.GetProperty("database").GetProperty("state").GetString());
        }
    }
}
