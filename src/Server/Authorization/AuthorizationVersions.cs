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
internal sealed class AuthorizationVersions(HotReads reads) : IStoreChangeSubscriber
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

    string IStoreChangeSubscriber.Channel => Channel;

    void IStoreChangeSubscriber.Notified(string payload)
    {
        if (long.TryParse(payload, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            Observe(version);
        }
    }

    /// <summary>Reads the counter on the listener's connection, then serves it from memory (live).</summary>
    async Task IStoreChangeSubscriber.CatchUpAsync(NpgsqlConnection connection, bool connected, CancellationToken ct)
    {
        await using var read = new NpgsqlCommand(HotReads.VersionSql, connection);
        Observe((long)(await read.ExecuteScalarAsync(ct) ?? 0L));
        SetLive(true);
    }

    void IStoreChangeSubscriber.Disconnected() => SetLive(false);
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
