using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;
using Secrets.Authn.Credentials;
using Secrets.Server.Accounts;
using Secrets.Server.Audit;
using Secrets.Server.Authentication;
using Secrets.Server.Authenticators;
using Secrets.Server.Authorization;
using Secrets.Server.Configuration;
using Secrets.Server.Crypto;
using Secrets.Server.Data;
using Secrets.Server.HostFactories;
using Secrets.Server.Http;
using Secrets.Server.Policies;
using Secrets.Server.PublicKeys;
using Secrets.Server.Resources;
using Secrets.Server.Roles;
using Secrets.Server.Status;
using Secrets.Server.Variables;

namespace Secrets.Server;

/// <summary>The composition root: every service and every endpoint group is registered here, by hand.</summary>
internal static partial class ServerApp
{
    /// <summary>
    /// Prepares storage (migrations unless disabled, data-key canary, bootstrap account) and builds the web app.
    /// <paramref name="configure"/> lets tests swap the audit sink or time provider; it runs after our registrations.
    /// </summary>
    /// <summary>
    /// The certificate of the https URLs: required when one is given, loaded once here so that a bad pair stops
    /// start-up with a message naming the settings.
    /// </summary>
    private static ServerCertificate? HttpsCertificate(ServerSettings settings, string[] urls)
    {
        var https = urls.Any(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
        if (https && settings.Tls is null)
        {
            throw new ConfigurationException("an https URL needs SECRETS_TLS_CERT_FILE and SECRETS_TLS_KEY_FILE (PEM certificate and private key)");
        }

        if (!https || settings.Tls is null)
        {
            return null;
        }

        return ServerCertificate.Load(settings.Tls.CertFile, settings.Tls.KeyFile);
    }

    public static async Task<WebApplication> BuildAsync(ServerSettings settings, string[] args, Action<IServiceCollection>? configure = null, CancellationToken ct = default)
    {
        // The https certificate before anything is written: a missing or bad pair stops start-up here.
        var urls = settings.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries);
        var certificate = HttpsCertificate(settings, urls);
        await PrepareStorageAsync(settings, ct);

        // The first dummy verification computes its dummy hash; do it now so no login pays twice (timing parity).
        settings.PasswordHasher.VerifyDummy("warm-up");

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args });
        builder.WebHost.UseUrls(urls);
        if (certificate is not null)
        {
            // The slim builder leaves out Kestrel's https address support unless asked for.
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            if (certificate is not null)
            {
                certificate.Logger = k.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger<ServerCertificate>();
                k.ConfigureHttpsDefaults(https => https.ServerCertificateSelector = (_, _) => certificate.Current);
            }

            k.Limits.MaxRequestBodySize = settings.Limits.MaxRequestBodyBytes;
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        var services = builder.Services;
        services.AddSingleton(settings);
        services.AddSingleton(settings.Time);
        services.AddSingleton(settings.Tokens);
        services.AddSingleton(settings.Network);
        services.AddSingleton(settings.Limits);
        // Start-up (PrepareStorageAsync, above) has re-sealed every format-1 row: serving refuses that format.
        services.AddSingleton(_ => new DataKeyCipher(settings.Encryption.DataKey, acceptLegacy: false));
        services.AddSecretsDatabase(settings.Database);
        services.AddAudit(settings.Audit);
        services.AddAuthn(settings.PasswordHasher);
        services.AddScoped<AccountService>();
        services.AddAuthorizationEngine();
        services.AddVariables();
        services.AddPolicies();
        services.AddWorkloadAuthenticators();
        services.AddHostFactories();
        services.AddRouting();
        services.Configure<RouteOptions>(o => o.SuppressCheckForUnhandledSecurityMetadata = true);
        configure?.Invoke(services);

        var app = builder.Build();
        app.UseSecretsPipeline(settings.Limits.MaxRequestBodyBytes);
        app.UseClientAddress();
        app.UseTokenAuthentication();

        app.MapStatusEndpoints();
        app.MapAuthnEndpoints();
        app.MapPolicyEndpoints();
        app.MapResourceEndpoints();
        app.MapRoleEndpoints();
        app.MapSecretEndpoints();
        app.MapPublicKeyEndpoints();
        app.MapAuthenticatorEndpoints();
        app.MapWorkloadAuthenticatorEndpoints();

        // CONJUR_HOST_FACTORIES_ENABLED=false: the routes do not exist at all (spec 2.8, 9.1), so they answer 404.
        if (settings.Limits.HostFactoriesEnabled)
        {
            app.MapHostFactoryEndpoints();
        }

        // Anything unmatched: the Conjur envelope, never a framework page. The catch-all pattern matters: MapFallback's
        // default `{*path:nonfile}` skips paths that look like files (`/x.json`, `/favicon.ico`), which then got an
        // empty 404 from the host instead of the envelope.
        app.MapFallback("{**path}", (HttpContext ctx) => Errors.RouteNotFound()).TokenIgnored();
        return app;
    }

    /// <summary>Migrations (under EF's own lock), then the data-key canary, then the bootstrap account.</summary>
    public static async Task PrepareStorageAsync(ServerSettings settings, CancellationToken ct)
    {
        await DatabaseSetup.WaitForStoreAsync(settings.Database, settings.DatabaseWait, settings.Time, Console.Error, ct);
        if (settings.Migrate)
        {
            await DatabaseSetup.MigrateAsync(settings.Database, ct);
        }
        else if (await DatabaseSetup.HasPendingMigrationsAsync(settings.Database, ct))
        {
            throw new ConfigurationException("the database schema is not up to date: run `db migrate` first (or start without --no-migrate)");
        }

        using var cipher = new DataKeyCipher(settings.Encryption.DataKey);
        await using var db = DatabaseSetup.CreateContext(settings.Database);
        await DataKeyCanary.VerifyOrCreateAsync(db, cipher, ct);
        await SealFormatMigration.RunAsync(db, cipher, ct);

        if (settings.BootstrapAccount is { } account)
        {
            var accounts = new AccountService(db, cipher, settings.PasswordHasher, settings.Time);
            if (!await accounts.ExistsAsync(account, ct))
            {
                CreatedAccount created;
                try
                {
                    created = await accounts.CreateAsync(account, password: null, ct);
                }
                catch (DbUpdateException e) when (StoreAvailability.Classify(e) is null)
                {
                    // Another node bootstrapped the same account at the same moment; its key file is its own.
                    db.ChangeTracker.Clear();
                    if (await accounts.ExistsAsync(account, ct))
                    {
                        return;
                    }

                    throw;
                }

                FilePermissions.CreatePrivateDirectory(settings.DataDir);
                var keyFile = Path.Combine(settings.DataDir, $"{account}-admin-api-key");
                FilePermissions.WriteSecretFile(keyFile, created.AdminApiKey + "\n");
                Console.Error.WriteLine($"Created account '{account}'. The API key of its admin user is in {keyFile} (mode 0600).");
            }
        }
    }
}
