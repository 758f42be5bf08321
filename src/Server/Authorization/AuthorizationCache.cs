using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Secrets.Policy.Authorization;
using Secrets.Policy.Language;
using Secrets.Policy.Store;
using Secrets.Server.Data;
using Secrets.Server.Http;

namespace Secrets.Server.Authorization;

internal static class AuthorizationServices
{
    /// <summary>The authorization version, the per-account snapshots and the request's holder of them.</summary>
    public static IServiceCollection AddAuthorizationEngine(this IServiceCollection services) =>
        services
            .AddStoreChangeSubscriber<AuthorizationVersions>()
            .AddSingleton<AccountStateCache>()
            .AddSingleton<AuthorizationCache>()
            .AddScoped<RequestSnapshots>();
}

/// <summary>
/// One immutable <see cref="AuthorizationSnapshot"/> per account, rebuilt from the database when the
/// authorization version counter (server_state.authz_version) moved. Every change to roles, resources, memberships
/// or permissions bumps that counter in its own transaction, and every request reads it before deciding, so a
/// decision never uses a snapshot older than the caller's own last write — on this node or any other node that
/// shares the database. The counter is read before the rows: a write that lands in between makes the snapshot
/// newer than its version number says, which only causes one extra rebuild, never a stale decision.
/// </summary>
internal sealed class AuthorizationCache(AuthorizationVersions versions, AccountStateCache states)
{
    private readonly ConcurrentDictionary<string, AuthorizationSnapshot> _snapshots = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    /// <summary>Where the current version comes from (and where this node's writes report theirs).</summary>
    public AuthorizationVersions Versions => versions;

    /// <summary>
    /// The current snapshot of <paramref name="account"/>: the one held when it is at least the stored version, else a
    /// fresh build. Requests ask through their <see cref="RequestSnapshots"/>, which keeps the first answer.
    /// </summary>
    public async Task<AuthorizationSnapshot> GetCurrentAsync(SecretsDbContext db, string account, CancellationToken ct)
    {
        var version = await versions.CurrentAsync(ct);
        return _snapshots.TryGetValue(account, out var current) && current.Version >= version
            ? current
            : (await RefreshAsync(account, version, async () => await BuildAsync(db, account, version, ct), ct))!;
    }

    /// <summary>
    /// After a write that produced the account's rows at <paramref name="version"/> in memory: build the snapshot
    /// in the background, so the next request finds it instead of building it (it waits for this build if it comes first).
    /// </summary>
    public void Prebuild(string account, long version) =>
        _ = Task.Run(() => RefreshAsync(
            account,
            version,
            () => Task.FromResult(states.Get(account, version) is { } state ? FromState(state, version) : null),
            CancellationToken.None));

    /// <summary>
    /// One build at a time per account: the snapshot held when it is at least <paramref name="version"/>, else the one
    /// <paramref name="build"/> makes (kept; null when it cannot build one).
    /// </summary>
    private async Task<AuthorizationSnapshot?> RefreshAsync(string account, long version, Func<Task<AuthorizationSnapshot?>> build, CancellationToken ct)
    {
        var gate = _gates.GetOrAdd(account, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (_snapshots.TryGetValue(account, out var current) && current.Version >= version)
            {
                return current;
            }

            var snapshot = await build();
            if (snapshot is not null)
            {
                _snapshots[account] = snapshot;
            }

            return snapshot;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Builds a snapshot at <paramref name="version"/>: from this node's copy of the account's rows when it has them
    /// at exactly that version, else from the rows visible to <paramref name="db"/> (inside a transaction: including
    /// its own writes).
    /// </summary>
    public async Task<AuthorizationSnapshot> BuildAsync(SecretsDbContext db, string account, long version, CancellationToken ct)
    {
        return states.Get(account, version) is { } state ? FromState(state, version) : await BuildFromDatabaseAsync(db, account, version, ct);
    }

    /// <summary>Builds a snapshot from the rows visible to <paramref name="db"/>.</summary>
    public static async Task<AuthorizationSnapshot> BuildFromDatabaseAsync(SecretsDbContext db, string account, long version, CancellationToken ct)
    {
        var (roles, resources, memberships, permissions) = await AccountStateCache.ReadRoleGraphAsync(db, account, ct);
        return AuthorizationSnapshot.Build(roles, resources, memberships, permissions, version);
    }

    private static AuthorizationSnapshot FromState(PolicyState state, long version) =>
        AuthorizationSnapshot.Build(state.Roles, state.Resources, state.Memberships, state.Permissions, version);
}

/// <summary>
/// The snapshots one HTTP request decides with (scoped): the first answer per account is kept, so a request reads
/// the version counter once (the token check already asked for the caller's account) and every decision of a request
/// is taken before its writes.
/// </summary>
internal sealed class RequestSnapshots(AuthorizationCache cache)
{
    private Dictionary<string, AuthorizationSnapshot>? _byAccount;

    /// <summary>Where the current version comes from (and where this node's writes report theirs).</summary>
    public AuthorizationVersions Versions => cache.Versions;

    /// <summary>The snapshot of <paramref name="account"/> as of this request.</summary>
    public async Task<AuthorizationSnapshot> GetAsync(SecretsDbContext db, string account, CancellationToken ct)
    {
        if (_byAccount is not null && _byAccount.TryGetValue(account, out var memo))
        {
            return memo;
        }

        var snapshot = await cache.GetCurrentAsync(db, account, ct);
        (_byAccount ??= new Dictionary<string, AuthorizationSnapshot>(StringComparer.Ordinal))[account] = snapshot;
        return snapshot;
    }
}
