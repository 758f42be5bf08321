using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Secrets.Server.Authorization;
using Secrets.Server.Data;

namespace Secrets.Server.Variables;

/// <summary>
/// PostgreSQL nodes only: the latest version of recently fetched secrets, still encrypted, so that a single fetch
/// needs no round trip. It is used only while the node's change listener is live (<see cref="AuthorizationVersions.Live"/>),
/// which also delivers <c>NOTIFY secrets_values, '&lt;resource id&gt;'</c> for every new secret version (sent in the
/// writing transaction, so at its commit). An entry is dropped by that notification or by this node's own write
/// (right after its commit), is ignored once the authorization version moved (deleted variables, changed mime-type
/// annotations), and the whole cache is dropped whenever the listener connects or disconnects (notifications may
/// have been missed). A read that raced with a write is not kept: every invalidation moves a generation counter,
/// and a value is kept only if no invalidation happened between the start of its read and the keeping.
/// SQLite never uses it: its reads are local and cheap, and another process on the same file would not notify.
/// </summary>
internal sealed class SecretValueCache(AuthorizationVersions versions) : IStoreChangeSubscriber
{
    public const string Channel = "secrets_values";
    private const int MaxEntries = 10_000;
    private const int MaxValueBytes = 64 * 1024;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _generation;

    /// <summary>The generation to pass to <see cref="Keep"/> for a read that starts now.</summary>
    public long Generation
    {
        get
        {
            lock (_gate)
            {
                return _generation;
            }
        }
    }

    /// <summary>
    /// PostgreSQL: tells every node, at the commit of <paramref name="db"/>'s transaction (or at once outside one), that
    /// what it keeps for <paramref name="resourceId"/> is stale: a secret version, or an authenticator's enabled flag.
    /// </summary>
    public static async Task NotifyChangedAsync(SecretsDbContext db, string resourceId, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_notify({Channel}, {resourceId})", ct);
        }
    }

    public bool TryGet(string resourceId, long authorizationVersion, out StoredSecret value)
    {
        if (versions.Live && _entries.TryGetValue(resourceId, out var entry) && entry.AuthorizationVersion == authorizationVersion)
        {
            value = entry.Value;
            return true;
        }

        value = null!;
        return false;
    }

    /// <summary>Keeps a value read from the database, unless anything was invalidated since <paramref name="generation"/>.</summary>
    public void Keep(string resourceId, long authorizationVersion, StoredSecret value, long generation)
    {
        if (!versions.Live || value.Value.Length > MaxValueBytes)
        {
            return;
        }

        lock (_gate)
        {
            // An invalidation since the read started: the value read may be the old one.
            if (_generation != generation)
            {
                return;
            }

            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }

            _entries[resourceId] = new Entry(value, authorizationVersion);
        }
    }

    public void Invalidate(string resourceId)
    {
        lock (_gate)
        {
            _generation++;
            _entries.TryRemove(resourceId, out _);
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _generation++;
            _entries.Clear();
        }
    }

    string IStoreChangeSubscriber.Channel => Channel;

    void IStoreChangeSubscriber.Notified(string payload) => Invalidate(payload);

    /// <summary>Connected: notifications may have been missed while not listening, so nothing kept may be trusted.</summary>
    Task IStoreChangeSubscriber.CatchUpAsync(NpgsqlConnection connection, bool connected, CancellationToken ct)
    {
        if (connected)
        {
            Clear();
        }

        return Task.CompletedTask;
    }

    void IStoreChangeSubscriber.Disconnected() => Clear();

    private sealed record Entry(StoredSecret Value, long AuthorizationVersion);
}
