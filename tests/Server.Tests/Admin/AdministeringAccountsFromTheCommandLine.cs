using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Authentication;
using Secrets.Server.Configuration;
using Secrets.Server.Crypto;
using Secrets.Server.Data;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Admin;

/// <summary>The admin commands (spec 9.1, conjurctl's equivalents), run through the command line in process.</summary>
[Collection(nameof(ProcessWideState))]
public abstract class AdministeringAccountsFromTheCommandLine : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("secrets-admin-").FullName;

    protected abstract Store Store { get; }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        try
        {
            Directory.Delete(_dataDir, true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Accounts_are_created_listed_and_deleted()
    {
        var env = await EnvironmentAsync();

        var created = await Run(env, null, "account", "create", "acme");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.StartsWith("Created new account 'acme'", created.Stdout, StringComparison.Ordinal);
        Assert.Matches("^API key for admin: [0-9a-hjkmnp-tv-z]{8,56}$", created.LastStdoutLine);
        var acmeKey = created.LastStdoutLine["API key for admin: ".Length..];

        var again = await Run(env, null, "account", "create", "acme");
        Assert.True(again.ExitCode != 0, again.ToString());
        Assert.Contains("error: account 'acme' already exists", again.Stderr, StringComparison.Ordinal);

        const string password = "Beta-Admin-Password-1";
        var withPassword = await Run(env, password + "\n", "account", "create", "--password-from-stdin", "beta");
        Assert.True(withPassword.ExitCode == 0, withPassword.ToString());
        var betaKey = withPassword.LastStdoutLine["API key for admin: ".Length..];
        Assert.DoesNotContain(password, withPassword.Stdout + withPassword.Stderr, StringComparison.Ordinal);

        var listed = await Run(env, null, "account", "list");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Equal(["acme", "beta"], listed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        // What the commands printed is what the database accepts.
        await WithStoreAsync(env, async (db, store) =>
        {
            var acme = await db.Credentials.SingleAsync(c => c.RoleId == "acme:user:admin");
            var beta = await db.Credentials.SingleAsync(c => c.RoleId == "beta:user:admin");
            Assert.True(store.VerifyApiKey(acme, acmeKey));
            Assert.False(store.VerifyApiKey(beta, acmeKey));
            Assert.True(store.VerifyApiKey(beta, betaKey));
            Assert.True(store.VerifyPassword(beta, password));
            Assert.False(store.VerifyPassword(acme, password));
        });

        var deleted = await Run(env, null, "account", "delete", "acme");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Equal("Deleted account 'acme'", deleted.LastStdoutLine);
        await WithStoreAsync(env, async (db, _) =>
        {
            Assert.False(await db.Roles.AnyAsync(r => r.Account == "acme"));
            Assert.False(await db.Credentials.AnyAsync(c => c.Account == "acme"));
            Assert.False(await db.SigningKeys.AnyAsync(k => k.Account == "acme"));
            Assert.True(await db.SigningKeys.AnyAsync(k => k.Account == "beta"));
        });
    }

    [Fact]
    public async Task Serve_with_no_migrate_refuses_a_database_with_pending_migrations_until_db_migrate_ran()
    {
        var env = await EnvironmentAsync();

        var refused = await Run(env, null, "serve", "--no-migrate", "--urls", "http://127.0.0.1:0");
        Assert.True(refused.ExitCode != 0, refused.ToString());
        Assert.Contains("error: the database schema is not up to date: run `db migrate` first", refused.Stderr, StringComparison.Ordinal);

        var migrated = await Run(env, null, "db", "migrate");
        Assert.True(migrated.ExitCode == 0, migrated.ToString());
        Assert.StartsWith("Migrations applied to ", migrated.LastStdoutLine, StringComparison.Ordinal);
        await WithStoreAsync(env, async (db, _) => Assert.Empty(await db.Database.GetPendingMigrationsAsync()));
    }

    private Task<CommandResult> Run(IReadOnlyDictionary<string, string> env, string? stdin, params string[] args) =>
        AdminCli.RunAsync(env, stdin, [.. args, "--data-dir", _dataDir]);

    /// <summary>SQLite: a data key from `data-key generate` in SECRETS_DATA_KEY. PostgreSQL: SECRETS_DATABASE as an Npgsql connection string.</summary>
    private async Task<Dictionary<string, string>> EnvironmentAsync()
    {
        var env = new Dictionary<string, string> { ["SECRETS_DATA_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        if (Store == Store.Postgres)
        {
            env["SECRETS_DATABASE"] = await PostgresServer.CreateDatabaseAsync(GetType().Name);
        }

        return env;
    }

    private async Task WithStoreAsync(IReadOnlyDictionary<string, string> env, Func<SecretsDbContext, CredentialStore, Task> action)
    {
        var settings = SettingsLoader.Load(k => env.GetValueOrDefault(k), _dataDir, generateMissingDataKey: false);
        await using var db = DatabaseSetup.CreateContext(settings.Database);
        using var cipher = new DataKeyCipher(settings.Encryption.DataKey);
        await action(db, new CredentialStore(db, cipher, settings.PasswordHasher, TimeProvider.System));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}

public sealed class AdministeringAccountsFromTheCommandLineOnSqlite : AdministeringAccountsFromTheCommandLine
{
    protected override Store Store => Store.Sqlite;
}

public sealed class AdministeringAccountsFromTheCommandLineOnPostgres : AdministeringAccountsFromTheCommandLine
{
    protected override Store Store => Store.Postgres;
}

/// <summary>Admin commands refused before they touch a database (a database that is never created proves it).</summary>
[Collection(nameof(ProcessWideState))]
public sealed class RefusingBadAdminCommands : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("secrets-admin-bad-").FullName;

    public void Dispose() => Directory.Delete(_dataDir, true);

    [Theory]
    [InlineData("")]
    [InlineData("my org")]
    [InlineData("my:org")]
    [InlineData("my/org")]
    public async Task An_invalid_account_name_exits_non_zero(string name)
    {
        var result = await RunWithoutDatabaseAsync(null, "account", "create", name);

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains($"error: invalid account name '{name}'", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("API key", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_weak_password_from_stdin_is_refused_before_anything_is_created()
    {
        var result = await RunWithoutDatabaseAsync("weak\n", "account", "create", "--password-from-stdin", "gamma");

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("CONJ00046E", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("API key", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Data_key_generate_prints_a_fresh_base64_key_of_32_bytes()
    {
        var first = await AdminCli.RunAsync(new Dictionary<string, string>(), null, "data-key", "generate");
        var second = await AdminCli.RunAsync(new Dictionary<string, string>(), null, "data-key", "generate");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(32, Convert.FromBase64String(first.Stdout.Trim()).Length);
        Assert.Equal(1, first.Stdout.Count(c => c == '\n'));
        Assert.NotEqual(first.Stdout, second.Stdout);
    }

    private async Task<CommandResult> RunWithoutDatabaseAsync(string? stdin, params string[] args)
    {
        var env = new Dictionary<string, string> { ["SECRETS_DATA_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        var result = await AdminCli.RunAsync(env, stdin, [.. args, "--data-dir", _dataDir]);
        Assert.False(File.Exists(Path.Combine(_dataDir, "secrets.db")), "the command must not open the database");
        return result;
    }
}
