using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Authentication;
using Secrets.Server.Configuration;
using Secrets.Server.Crypto;
using Secrets.Server.Data;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Data;

/// <summary>Storage preparation at start-up (in process): migrations, the data-key canary, the bootstrap account.</summary>
public sealed class StartingUp : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("secrets-start-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dataDir, true);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task A_wrong_data_key_for_an_existing_database_stops_start_up(Store store)
    {
        var env = await EnvironmentAsync(store);
        await ServerApp.PrepareStorageAsync(Load(env), CancellationToken.None);
        env["SECRETS_DATA_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        var e = await Assert.ThrowsAsync<ConfigurationException>(() => ServerApp.BuildAsync(Load(env), []));

        Assert.StartsWith("the data key does not match this database", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(env["SECRETS_DATA_KEY"], e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task The_right_data_key_starts_again_and_again(Store store)
    {
        var env = await EnvironmentAsync(store);

        await ServerApp.PrepareStorageAsync(Load(env), CancellationToken.None);
        await ServerApp.PrepareStorageAsync(Load(env), CancellationToken.None);
        await ServerApp.PrepareStorageAsync(Load(env) with { Migrate = false }, CancellationToken.None);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task No_migrate_refuses_pending_migrations_until_they_are_applied(Store store)
    {
        var settings = Load(await EnvironmentAsync(store)) with { Migrate = false };

        var e = await Assert.ThrowsAsync<ConfigurationException>(() => ServerApp.PrepareStorageAsync(settings, CancellationToken.None));
        Assert.Contains("db migrate", e.Message, StringComparison.Ordinal);

        await DatabaseSetup.MigrateAsync(settings.Database, CancellationToken.None);
        Assert.False(await DatabaseSetup.HasPendingMigrationsAsync(settings.Database, CancellationToken.None));
        await ServerApp.PrepareStorageAsync(settings, CancellationToken.None);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task The_bootstrap_account_is_created_once_with_its_admin_api_key_in_a_0600_file(Store store)
    {
        var env = await EnvironmentAsync(store);
        env["CONJUR_ACCOUNT"] = "boot";
        var settings = Load(env);
        var keyFile = Path.Combine(_dataDir, "boot-admin-api-key");

        await ServerApp.PrepareStorageAsync(settings, CancellationToken.None);
        var apiKey = (await File.ReadAllTextAsync(keyFile)).Trim();
        File.Delete(keyFile);
        await ServerApp.PrepareStorageAsync(settings, CancellationToken.None);

        Assert.False(File.Exists(keyFile), "a second start must not mint or reveal another key");
        await using var db = DatabaseSetup.CreateContext(settings.Database);
        using var cipher = new DataKeyCipher(settings.Encryption.DataKey);
        var cred = await db.Credentials.SingleAsync(c => c.RoleId == "boot:user:admin");
        Assert.True(new CredentialStore(db, cipher, settings.PasswordHasher, TimeProvider.System).VerifyApiKey(cred, apiKey));
        Assert.Equal(1, await db.SigningKeys.CountAsync(k => k.Account == "boot"));
    }

    [Fact]
    public async Task The_bootstrap_key_file_is_written_owner_only()
    {
        var env = await EnvironmentAsync(Store.Sqlite);
        env["SECRETS_ACCOUNT"] = "perm";

        await ServerApp.PrepareStorageAsync(Load(env), CancellationToken.None);

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dataDir, "perm-admin-api-key")));
        }
    }

    [Fact]
    public async Task The_embedded_data_dir_is_created_owner_only()
    {
        var dataDir = Path.Combine(_dataDir, "fresh", "nested");

        var settings = SettingsLoader.Load(_ => null, dataDir, generateMissingDataKey: true);
        await ServerApp.PrepareStorageAsync(settings, CancellationToken.None);

        Assert.True(File.Exists(Path.Combine(dataDir, "default-admin-api-key")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dataDir));
        }
    }

    [Fact]
    public async Task The_sqlite_database_and_its_wal_files_are_owner_only()
    {
        var dataDir = Path.Combine(_dataDir, "db-mode");

        var settings = SettingsLoader.Load(_ => null, dataDir, generateMissingDataKey: true);
        await ServerApp.PrepareStorageAsync(settings, CancellationToken.None);

        var files = Directory.GetFiles(dataDir).Where(p => p.Contains(".db", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(files);
        if (!OperatingSystem.IsWindows())
        {
            foreach (var file in files)
            {
                Assert.Equal((file, UnixFileMode.UserRead | UnixFileMode.UserWrite), (file, File.GetUnixFileMode(file)));
            }
        }
    }

    private async Task<Dictionary<string, string>> EnvironmentAsync(Store store)
    {
        var env = new Dictionary<string, string> { ["SECRETS_DATA_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        if (store == Store.Postgres)
        {
            env["SECRETS_DATABASE"] = await PostgresServer.CreateDatabaseAsync(nameof(StartingUp));
        }
        else
        {
            env["SECRETS_DATABASE"] = "sqlite:" + Path.Combine(_dataDir, $"{Guid.NewGuid():N}.db");
        }

        return env;
    }

    private ServerSettings Load(Dictionary<string, string> env) =>
        SettingsLoader.Load(k => env.GetValueOrDefault(k), _dataDir, generateMissingDataKey: false);
}
