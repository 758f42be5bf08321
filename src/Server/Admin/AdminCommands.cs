using System.CommandLine;
using System.Security.Cryptography;
using Secrets.Authn.Credentials;
using Secrets.Policy.Store;
using Secrets.Server.Accounts;
using Secrets.Server.Authentication;
using Secrets.Server.Configuration;
using Secrets.Server.Crypto;
using Secrets.Server.Data;

namespace Secrets.Server.Admin;

/// <summary>
/// The server's command line: serve, account create|delete|list, data-key generate, db migrate.
/// Configuration comes from the environment (README "Configuration"); --data-dir and --urls override it.
/// Exit codes: 0 success, 1 a failure explained on stderr, 2 a usage error.
/// </summary>
internal static class AdminCommands
{
    public static RootCommand Build()
    {
        var dataDir = new Option<string?>("--data-dir") { Description = "Data directory (embedded SQLite database, generated data key). Default: $SECRETS_DATA_DIR, else $XDG_DATA_HOME/secrets-server, else ~/.local/share/secrets-server", Recursive = true };
        var urls = new Option<string?>("--urls") { Description = "Listen address(es), ';'-separated. Default: http://127.0.0.1:8080 (or $SECRETS_URLS)" };
        var noMigrate = new Option<bool>("--no-migrate") { Description = "Do not apply pending migrations (fail if any are pending); run `db migrate` separately" };

        var exe = ExecutableName();
        var root = new RootCommand($"Secrets server: a Conjur-compatible secrets manager.\nExample: {exe} serve --urls http://127.0.0.1:8080");
        root.Options.Add(dataDir);
        root.Options.Add(urls);
        root.Options.Add(noMigrate);

        var serve = new Command("serve", ServeDescription(exe)) { urls, noMigrate };
        serve.SetAction((pr, ct) => GuardedAsync(() => ServeAsync(pr.GetValue(dataDir), pr.GetValue(urls), pr.GetValue(noMigrate), ct)));
        root.Subcommands.Add(serve);
        root.SetAction((pr, ct) => GuardedAsync(() => ServeAsync(pr.GetValue(dataDir), pr.GetValue(urls), pr.GetValue(noMigrate), ct)));

        var account = new Command("account", "Manage accounts.");
        var createName = new Argument<string>("name") { Description = "Account name (no space, ':' or '/')" };
        var passwordFromStdin = new Option<bool>("--password-from-stdin") { Description = "Read a password for the admin user from standard input" };
        var create = new Command("create", "Create an account, its admin user and token-signing key; prints the admin API key.\nExample: account create myorg") { createName, passwordFromStdin };
        create.SetAction((pr, ct) => GuardedAsync(async () =>
        {
            string? password = null;
            if (pr.GetValue(passwordFromStdin))
            {
                password = (await Console.In.ReadLineAsync(ct))?.TrimEnd('\r');
                if (string.IsNullOrEmpty(password) || !PasswordPolicy.IsCompliant(password))
                {
                    await Console.Error.WriteLineAsync("error: " + PasswordPolicy.ComplexityMessage);
                    return 1;
                }
            }

            var name = pr.GetValue(createName)!;
            if (!AccountName.IsValid(name))
            {
                await Console.Error.WriteLineAsync($"error: invalid account name '{name}': it may not be empty or contain a space, ':' or '/'");
                return 1;
            }

            var (settings, db, cipher) = await OpenAsync(pr.GetValue(dataDir), ct);
            await using (db)
            using (cipher)
            {
                var service = new AccountService(db, cipher, settings.PasswordHasher, settings.Time);
                if (await service.ExistsAsync(name, ct))
                {
                    await Console.Error.WriteLineAsync($"error: account '{name}' already exists");
                    return 1;
                }

                var created = await service.CreateAsync(name, password, ct);
                Console.Out.WriteLine($"Created new account '{name}'");
                Console.Out.WriteLine($"Token-Signing Public Key: {created.PublicKeyPem.ReplaceLineEndings(" ")}");
                Console.Out.WriteLine($"API key for admin: {created.AdminApiKey}");
                return 0;
            }
        }));
        account.Subcommands.Add(create);

        var deleteName = new Argument<string>("name") { Description = "Account name" };
        var delete = new Command("delete", "Delete an account and everything in it.\nExample: account delete myorg") { deleteName };
        delete.SetAction((pr, ct) => GuardedAsync(async () =>
        {
            var (settings, db, cipher) = await OpenAsync(pr.GetValue(dataDir), ct);
            await using (db)
            using (cipher)
            {
                var name = pr.GetValue(deleteName)!;
                if (!await new AccountService(db, cipher, settings.PasswordHasher, settings.Time).DeleteAsync(name, ct))
                {
                    await Console.Error.WriteLineAsync($"error: account '{name}' does not exist");
                    return 1;
                }

                Console.Out.WriteLine($"Deleted account '{name}'");
                return 0;
            }
        }));
        account.Subcommands.Add(delete);

        var list = new Command("list", "List accounts.\nExample: account list");
        list.SetAction((pr, ct) => GuardedAsync(async () =>
        {
            var (settings, db, cipher) = await OpenAsync(pr.GetValue(dataDir), ct);
            await using (db)
            using (cipher)
            {
                foreach (var name in await new AccountService(db, cipher, settings.PasswordHasher, settings.Time).ListAsync(ct))
                {
                    Console.Out.WriteLine(name);
                }

                return 0;
            }
        }));
        account.Subcommands.Add(list);
        root.Subcommands.Add(account);

        var dataKey = new Command("data-key", "Data key tools.");
        var generate = new Command("generate", "Print a fresh data key (base64 of 32 random bytes).\nExample: data-key generate > data-key && chmod 600 data-key");
        generate.SetAction(_ =>
        {
            Console.Out.WriteLine(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            return 0;
        });
        dataKey.Subcommands.Add(generate);
        root.Subcommands.Add(dataKey);

        var dbCommand = new Command("db", "Database tools.");
        var migrate = new Command("migrate", "Apply pending migrations and exit.\nExample: DATABASE_URL=postgres://u:p@db/secrets db migrate");
        migrate.SetAction((pr, ct) => GuardedAsync(async () =>
        {
            var settings = SettingsLoader.Load(Environment.GetEnvironmentVariable, pr.GetValue(dataDir), generateMissingDataKey: true);
            await DatabaseSetup.MigrateAsync(settings.Database, ct);
            Console.Out.WriteLine($"Migrations applied to {settings.Database.Describe()}");
            return 0;
        }));
        dbCommand.Subcommands.Add(migrate);
        root.Subcommands.Add(dbCommand);

        var healthUrl = new Option<string?>("--urls") { Description = "The server's listen address (the first one is probed). Default: $SECRETS_URLS, else http://127.0.0.1:8080" };
        var health = new Command("health", $"GET /health/ready of a running server: exit 0 when it is ready, 1 otherwise (for container health checks, no curl needed).\nExample: {exe} health --urls http://127.0.0.1:8080") { healthUrl };
        health.SetAction((pr, ct) => HealthAsync(pr.GetValue(healthUrl), ct));
        root.Subcommands.Add(health);
        return root;
    }

    private static string ServeDescription(string exe) => $"""
        Apply pending migrations, then serve the API.
        The store and the data key come from the environment (README "Configuration"):
          SECRETS_DATABASE (DATABASE_URL)      postgres://user:pass@host:5432/db, an Npgsql connection string, or sqlite:PATH;
                                               unset: the embedded SQLite in the data directory
          SECRETS_DATA_KEY (CONJUR_DATA_KEY)   base64 of 32 bytes (`{exe} data-key generate`); required with PostgreSQL,
                                               generated into the data directory for the embedded SQLite
          SECRETS_DATA_KEY_FILE                a file holding the data key instead
          SECRETS_ACCOUNT (CONJUR_ACCOUNT)     the account created at first start
          SECRETS_URLS, SECRETS_DATA_DIR       the defaults of --urls and --data-dir
        Examples:
          {exe} serve --urls http://127.0.0.1:8080
          SECRETS_DATA_KEY=$({exe} data-key generate) DATABASE_URL=postgres://secrets:secrets@127.0.0.1:5432/secrets {exe} serve --urls http://0.0.0.0:8080
        """;

    /// <summary>How the user started us: the apphost's name, or <c>dotnet Secrets.Server.dll</c> (the container's entry point).</summary>
    private static string ExecutableName()
    {
        var process = Path.GetFileNameWithoutExtension(Environment.ProcessPath ?? "Secrets.Server");
        return process == "dotnet" ? "dotnet Secrets.Server.dll" : process;
    }

    private static async Task<int> HealthAsync(string? urls, CancellationToken ct)
    {
        var configured = urls ?? SettingsLoader.First(Environment.GetEnvironmentVariable, "SECRETS_URLS") ?? "http://127.0.0.1:8080";
        if (!ListenAddresses.TryParse(configured, out var addresses, out var error))
        {
            await Console.Error.WriteLineAsync("error: " + error);
            return 2;
        }

        var target = ListenAddresses.ProbeUri(addresses[0]);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await client.GetAsync(new Uri(target, "/health/ready"), ct);
            if (response.IsSuccessStatusCode)
            {
                return 0;
            }

            await Console.Error.WriteLineAsync($"not ready: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            return 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"not ready: {target} does not answer ({e.Message})");
            return 1;
        }
    }

    private static async Task<int> ServeAsync(string? dataDir, string? urls, bool noMigrate, CancellationToken ct)
    {
        // The listen addresses first: a bad --urls or a port in use must fail before anything is written (data
        // directory, data key, database, bootstrap account).
        var listen = urls ?? SettingsLoader.First(Environment.GetEnvironmentVariable, "SECRETS_URLS") ?? "http://127.0.0.1:8080";
        if (!ListenAddresses.TryParse(listen, out var addresses, out var error) || !ListenAddresses.CanBind(addresses, out error))
        {
            await Console.Error.WriteLineAsync("error: " + error);
            return 1;
        }

        var settings = SettingsLoader.Load(Environment.GetEnvironmentVariable, dataDir, generateMissingDataKey: true) with
        {
            Migrate = !noMigrate,
            Urls = listen,
        };
        await using var app = await ServerApp.BuildAsync(settings, [], ct: ct);
        await app.StartAsync(ct);
        await Console.Error.WriteLineAsync($"Serving {settings.Urls} (database {settings.Database.Describe()})");
        await app.WaitForShutdownAsync(CancellationToken.None);
        return 0;
    }

    /// <summary>Admin commands work on the database directly: migrate, verify the data key, then act.</summary>
    private static async Task<(ServerSettings Settings, SecretsDbContext Db, DataKeyCipher Cipher)> OpenAsync(string? dataDir, CancellationToken ct)
    {
        var settings = SettingsLoader.Load(Environment.GetEnvironmentVariable, dataDir, generateMissingDataKey: true) with { BootstrapAccount = null };
        await ServerApp.PrepareStorageAsync(settings, ct);
        return (settings, DatabaseSetup.CreateContext(settings.Database), new DataKeyCipher(settings.Encryption.DataKey));
    }

    private static async Task<int> GuardedAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (ConfigurationException e)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message);
            return 1;
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or Microsoft.Data.Sqlite.SqliteException or IOException or TimeoutException)
        {
            // Connection strings and keys never reach this text: driver messages name hosts and files, not passwords.
            await Console.Error.WriteLineAsync($"error: {e.GetType().Name}: {e.Message}");
            return 1;
        }
        catch (UnauthorizedAccessException e)
        {
            await Console.Error.WriteLineAsync($"error: permission denied: {e.Message}");
            return 1;
        }
    }
}
