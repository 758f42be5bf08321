using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Secrets.Server.Data;

namespace Secrets.Server.Authorization;

/// <summary>
/// Where a request learns the current authorization version (server_state.authz_version), which says whether the
/// cached role graph may still be used (spec 5, issue 3: "a version counter checked per request, or PostgreSQL
/// LISTEN/NOTIFY with a fallback").
/// <list type="bullet">
/// <item>SQLite: read per request, with a prepared statement on an open connection (microseconds).</item>
/// <item>PostgreSQL: every bump sends <c>NOTIFY secrets_authz</c> in its transaction; a listener on each node keeps
/// the latest value in memory, so requests need no round trip. A node's own writes are observed right after their
/// commit, so a caller never sees a decision older than its own last write on that node. A write on another node
/// arrives with its notification (delivered at commit, typically well under a millisecond). While the listener is
/// not connected, and until it has read the counter once, every request reads the counter from the database
/// (the fallback); the listener also re-reads it every few seconds in case a notification was lost.</item>
/// </list>
/// </summary>
internal sealed class AuthorizationVersions(HotReads reads)
{
    public const string Channel = "secrets_authz";
    private long _known;
    private volatile bool _live;

    /// <summary>True while a listener delivers every change (PostgreSQL only).</summary>
    public bool Live => _live;

    /// <summary>The current version: from memory while the listener is live, else from the database.</summary>
    public Task<long> CurrentAsync(CancellationToken ct) => _live ? Task.FromResult(Volatile.Read(ref _known)) : reads.AuthorizationVersionAsync(ct);

    /// <summary>A version known to be committed (by this node's own write, a notification, or a read).</summary>
    public void Observe(long version)
    {
        var current = Volatile.Read(ref _known);
        while (version > current)
        {
            var seen = Interlocked.CompareExchange(ref _known, version, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    internal void SetLive(bool live) => _live = live;

    internal Task<long> ReadFromDatabaseAsync(CancellationToken ct) => reads.AuthorizationVersionAsync(ct);
}

/// <summary>The bump every change to roles, resources, memberships, permissions or annotations makes in its transaction.</summary>
internal static class AuthorizationVersion
{
    public const string Key = "authz_version";

    /// <summary>
    /// Increments the counter inside the caller's transaction and returns the new value. On PostgreSQL the
    /// notification goes out with the commit (and not at all on rollback).
    /// </summary>
    public static async Task<long> BumpAsync(SecretsDbContext db, CancellationToken ct)
    {
        var version = (await db.Database
            .SqlQuery<long>($"UPDATE server_state SET number = number + 1 WHERE key = {Key} RETURNING number AS \"Value\"")
            .ToListAsync(ct)).Single();
        if (db.Database.IsNpgsql())
        {
            var payload = version.ToString(CultureInfo.InvariantCulture);
            await db.Database.ExecuteSqlAsync($"SELECT pg_notify({AuthorizationVersions.Channel}, {payload})", ct);
        }

        return version;
    }

    /// <summary>Bump, commit, then let this node's requests see the new version at once (a caller's own write).</summary>
    public static async Task<long> BumpAndCommitAsync(SecretsDbContext db, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction tx, AuthorizationVersions? versions, CancellationToken ct)
    {
        var version = await BumpAsync(db, ct);
        await tx.CommitAsync(ct);
        versions?.Observe(version);
        return version;
    }

    // Read inside a transaction (policy loads re-check under their lock): compiled once per provider (a compiled
    // query is bound to the model it first ran with, and the SQLite and PostgreSQL contexts have different models).
    private static readonly CompiledPerProvider<Func<SecretsDbContext, CancellationToken, Task<long>>> Read = new(() =>
        EF.CompileAsyncQuery((SecretsDbContext db, CancellationToken ct) =>
            db.ServerState.Where(s => s.Key == Key).Select(s => s.Number).FirstOrDefault()));

    public static Task<long> ReadAsync(SecretsDbContext db, CancellationToken ct) => Read.For(db)(db, ct);
}

/// <summary>
/// PostgreSQL only: LISTEN secrets_authz on a dedicated connection and feed <see cref="AuthorizationVersions"/>.
/// Reconnects with a delay after any failure; the versions source falls back to per-request reads meanwhile.
/// </summary>
internal sealed partial class AuthorizationVersionListener(
    AuthorizationVersions versions, Variables.SecretValueCache values, DatabaseTarget target, TimeProvider time, ILogger<AuthorizationVersionListener> logger)
    : BackgroundService
{
    /// <summary>The listener connection's application_name (visible in pg_stat_activity).</summary>
    public const string ListenerName = "secrets-authz-listener";

    private static readonly TimeSpan Resync = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Reminder = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(target.ConnectionString) { Pooling = false, KeepAlive = 10, CommandTimeout = 5, Timeout = 5, ApplicationName = ListenerName };
        var down = false;
        var lastWarned = 0L;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(builder.ConnectionString);
                connection.Notification += (_, e) =>
                {
                    if (e.Channel == Variables.SecretValueCache.Channel)
                    {
                        values.Invalidate(e.Payload);
                    }
                    else if (long.TryParse(e.Payload, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
                    {
                        versions.Observe(version);
                    }
                };
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {AuthorizationVersions.Channel}; LISTEN {Variables.SecretValueCache.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Listening first, then reading: a commit in between is in the read or in a notification.
                await ResyncAsync(connection, stoppingToken);
                values.Clear();
                versions.SetLive(true);
                if (down)
                {
                    LogListenerBack(logger);
                    down = false;
                }

                while (!stoppingToken.IsCancellationRequested)
                {
                    if (!await connection.WaitAsync(Resync, stoppingToken))
                    {
                        await ResyncAsync(connection, stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                versions.SetLive(false);

                // One warning when the listener goes down, then one reminder a minute while it stays down (issue 9:
                // an outage must not flood the log with a line a second).
                if (!down || time.GetElapsedTime(lastWarned) >= Reminder)
                {
                    LogListenerDown(logger, ex.GetType().Name);
                    lastWarned = time.GetTimestamp();
                }

                down = true;
                try
                {
                    await Task.Delay(RetryDelay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            finally
            {
                versions.SetLive(false);
                values.Clear();
            }
        }
    }

    private async Task ResyncAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var read = new NpgsqlCommand(HotReads.VersionSql, connection);
        versions.Observe((long)(await read.ExecuteScalarAsync(ct) ?? 0L));
    }

    [LoggerMessage(EventId = 3000, Level = LogLevel.Warning, Message = "Authorization change listener disconnected ({Reason}); reading the version per request until it reconnects")]
    private static partial void LogListenerDown(ILogger logger, string reason);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Authorization change listener reconnected")]
    private static partial void LogListenerBack(ILogger logger);
}
