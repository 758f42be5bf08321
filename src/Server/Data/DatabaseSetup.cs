using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql;
using Secrets.Server.Configuration;

namespace Secrets.Server.Data;

internal static class DatabaseSetup
{
    /// <summary>Registers the provider's context, a scoped <see cref="SecretsDbContext"/> and a factory for singletons.</summary>
    public static IServiceCollection AddSecretsDatabase(this IServiceCollection services, DatabaseTarget target)
    {
        services.AddSingleton(target);
        // Also used by tests that compose only part of the server (no logging, no clock registered).
        services.AddSingleton(sp => new StoreAvailability(
            sp.GetService<ILogger<StoreAvailability>>() ?? Microsoft.Extensions.Logging.Abstractions.NullLogger<StoreAvailability>.Instance,
            sp.GetService<TimeProvider>() ?? TimeProvider.System));
        services.AddSingleton<StoreAvailabilityInterceptor>();
        services.AddSingleton<MigrationsApplied>();
        if (target.Provider == DatabaseProvider.Sqlite)
        {
            services.AddPooledDbContextFactory<SqliteSecretsDbContext>((sp, o) =>
            {
                ConfigureSqlite(o, target);
                o.AddInterceptors(sp.GetRequiredService<StoreAvailabilityInterceptor>());
            });
            services.AddSingleton<ISecretsDbFactory>(sp => new SecretsDbFactory<SqliteSecretsDbContext>(
                sp.GetRequiredService<IDbContextFactory<SqliteSecretsDbContext>>()));
        }
        else
        {
            services.AddPooledDbContextFactory<PostgresSecretsDbContext>((sp, o) =>
            {
                ConfigurePostgres(o, target.ConnectionString);
                o.AddInterceptors(sp.GetRequiredService<StoreAvailabilityInterceptor>());
            });
            services.AddSingleton<ISecretsDbFactory>(sp => new SecretsDbFactory<PostgresSecretsDbContext>(
                sp.GetRequiredService<IDbContextFactory<PostgresSecretsDbContext>>()));
        }

        services.AddScoped(sp => sp.GetRequiredService<ISecretsDbFactory>().Create());
        services.AddSingleton(_ => HotReads.Create(target));
        if (target.Provider == DatabaseProvider.Postgres)
        {
            // One LISTEN connection per node, for every IStoreChangeSubscriber the features register.
            services.AddHostedService<StoreChangeListener>();
        }

        return services;
    }

    /// <summary>
    /// Registers a singleton that must hear of other nodes' writes (<see cref="StoreChangeListener"/>, PostgreSQL
    /// only; on SQLite the subscription is never used).
    /// </summary>
    public static IServiceCollection AddStoreChangeSubscriber<T>(this IServiceCollection services)
        where T : class, IStoreChangeSubscriber =>
        services.AddSingleton<T>().AddSingleton<IStoreChangeSubscriber>(sp => sp.GetRequiredService<T>());

    public static void ConfigureSqlite(DbContextOptionsBuilder o, string connectionString) =>
        QuietFailures(o.UseSqlite(connectionString, s => s.MigrationsHistoryTable("__ef_migrations")));

    private static void ConfigureSqlite(DbContextOptionsBuilder o, DatabaseTarget target)
    {
        ConfigureSqlite(o, target.ConnectionString);
        if (target.SqliteMaxPageCount is { } pages)
        {
            o.AddInterceptors(new SqlitePageQuota(pages));
        }
    }

    public static void ConfigurePostgres(DbContextOptionsBuilder o, string connectionString) =>
        QuietFailures(o.UseNpgsql(connectionString, s => s.MigrationsHistoryTable("__ef_migrations")));

    /// <summary>
    /// EF logs every failed command, query, save and transaction at error level with the stack trace, before the
    /// exception reaches the one exception handler, which logs it again (a bug) or counts it as an outage
    /// (StoreAvailability). One place logs: EF's copies go to debug level.
    /// </summary>
    private static void QuietFailures(DbContextOptionsBuilder o) =>
        o.ConfigureWarnings(w => w.Log(
            (Microsoft.EntityFrameworkCore.Diagnostics.RelationalEventId.CommandError, LogLevel.Debug),
            (Microsoft.EntityFrameworkCore.Diagnostics.RelationalEventId.ConnectionError, LogLevel.Debug),
            (Microsoft.EntityFrameworkCore.Diagnostics.RelationalEventId.TransactionError, LogLevel.Debug),
            (Microsoft.EntityFrameworkCore.Diagnostics.CoreEventId.SaveChangesFailed, LogLevel.Debug),
            (Microsoft.EntityFrameworkCore.Diagnostics.CoreEventId.QueryIterationFailed, LogLevel.Debug)));

    /// <summary>Creates a short-lived context outside DI (admin commands, start-up).</summary>
    public static SecretsDbContext CreateContext(DatabaseTarget target)
    {
        if (target.Provider == DatabaseProvider.Sqlite)
        {
            var o = new DbContextOptionsBuilder<SqliteSecretsDbContext>();
            ConfigureSqlite(o, target);
            return new SqliteSecretsDbContext(o.Options);
        }

        var p = new DbContextOptionsBuilder<PostgresSecretsDbContext>();
        ConfigurePostgres(p, target.ConnectionString);
        return new PostgresSecretsDbContext(p.Options);
    }

    /// <summary>
    /// Applies pending migrations. EF Core (9+) takes a database-wide migration lock around this itself
    /// (a lock table on SQLite, an advisory lock on PostgreSQL), so several nodes starting at once are safe.
    /// SQLite is switched to WAL so readers never wait for the writer.
    /// </summary>
    public static async Task MigrateAsync(DatabaseTarget target, CancellationToken ct)
    {
        if (target.Provider == DatabaseProvider.Sqlite)
        {
            var path = new SqliteConnectionStringBuilder(target.ConnectionString).DataSource;
            var dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(dir))
            {
                Directory.CreateDirectory(dir);
            }

            // SQLite would create the file with the process umask (usually 0644); it holds ciphertext, hashes and the
            // whole role graph, so it is created here, empty, readable by its owner only. SQLite gives its -wal and
            // -shm files the database file's permissions.
            if (path is not ("" or ":memory:") && !File.Exists(path) && !OperatingSystem.IsWindows())
            {
                using var created = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
        }

        await using var db = CreateContext(target);
        if (target.Provider == DatabaseProvider.Sqlite)
        {
            await db.Database.OpenConnectionAsync(ct);
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }

        await db.Database.MigrateAsync(ct);
    }

    /// <summary>
    /// Waits for a PostgreSQL that does not answer yet (Compose and Kubernetes start the server and the database
    /// together): attempts with a doubling delay (0.5 s up to 5 s) until <paramref name="timeout"/>, one line on
    /// <paramref name="log"/> per failed attempt. Only an unreachable store is waited for: a wrong password or a
    /// missing database fails at once. SQLite needs no wait.
    /// </summary>
    public static async Task WaitForStoreAsync(DatabaseTarget target, TimeSpan timeout, TimeProvider time, TextWriter log, CancellationToken ct)
    {
        if (target.Provider != DatabaseProvider.Postgres)
        {
            return;
        }

        var started = time.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(500);
        var connection = new NpgsqlConnectionStringBuilder(target.ConnectionString) { Pooling = false };
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var probe = new NpgsqlConnection(connection.ConnectionString);
                await probe.OpenAsync(ct);
                return;
            }
            catch (Exception e) when (StoreAvailability.Classify(e) == Data.StoreState.Unreachable)
            {
                var elapsed = time.GetElapsedTime(started);
                var reason = StoreAvailability.Reason(e);
                if (elapsed + delay > timeout)
                {
                    throw new Configuration.ConfigurationException(
                        $"the database {target.Describe()} did not answer within {timeout.TotalSeconds:0} s ({reason}); "
                        + "SECRETS_DATABASE_WAIT_SECONDS sets how long start-up waits for it");
                }

                await log.WriteLineAsync(
                    $"Waiting for the database {target.Describe()}: attempt {attempt} failed ({reason}), retrying in {delay.TotalSeconds:0.#} s");
                await Task.Delay(delay, time, ct);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    public static async Task<bool> HasPendingMigrationsAsync(DatabaseTarget target, CancellationToken ct)
    {
        await using var db = CreateContext(target);
        return (await db.Database.GetPendingMigrationsAsync(ct)).Any();
    }
}

/// <summary>Sets SECRETS_SQLITE_MAX_PAGE_COUNT on every connection EF opens (the pragma is per connection).</summary>
internal sealed class SqlitePageQuota(long pages) : Microsoft.EntityFrameworkCore.Diagnostics.DbConnectionInterceptor
{
    public override void ConnectionOpened(System.Data.Common.DbConnection connection, Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA max_page_count = {pages.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(System.Data.Common.DbConnection connection, Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA max_page_count = {pages.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>Creates contexts for code that outlives a request scope (snapshot cache, admin commands).</summary>
internal interface ISecretsDbFactory
{
    SecretsDbContext Create();
}

internal sealed class SecretsDbFactory<T>(IDbContextFactory<T> inner) : ISecretsDbFactory
    where T : SecretsDbContext
{
    public SecretsDbContext Create() => inner.CreateDbContext();
}

/// <summary>Used by <c>dotnet ef migrations add … --context SqliteSecretsDbContext</c>.</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteSecretsDbContext>
{
    public SqliteSecretsDbContext CreateDbContext(string[] args)
    {
        var o = new DbContextOptionsBuilder<SqliteSecretsDbContext>();
        DatabaseSetup.ConfigureSqlite(o, "Data Source=design-time.db");
        return new SqliteSecretsDbContext(o.Options);
    }
}

/// <summary>Used by <c>dotnet ef migrations add … --context PostgresSecretsDbContext</c>.</summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresSecretsDbContext>
{
    public PostgresSecretsDbContext CreateDbContext(string[] args)
    {
        var o = new DbContextOptionsBuilder<PostgresSecretsDbContext>();
        DatabaseSetup.ConfigurePostgres(o, "Host=localhost;Database=design_time;Username=design_time");
        return new PostgresSecretsDbContext(o.Options);
    }
}
