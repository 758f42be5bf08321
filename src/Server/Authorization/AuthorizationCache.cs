using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Secrets.Policy.Authorization;
using Secrets.Policy.Language;
using Secrets.Policy.Store;
using Secrets.Server.Data;
using Secrets.Server.Http;

namespace Secrets.Server.Authorization;

/// <summary>
/// One immutable <see cref="AuthorizationSnapshot"/> per account, rebuilt from the database when the
/// authorization version counter (server_state.authz_version) moved. Every change to roles, resources, memberships
/// or permissions bumps that counter in its own transaction, and every request reads it before deciding, so a
/// decision never uses a snapshot older than the caller's own last write — on this node or any other node that
/// shares the database. The counter is read before the rows: a write that lands in between makes the snapshot
/// newer than its version number says, which only causes one extra rebuild, never a stale decision.
/// </summary>
internal sealed class AuthorizationCache(IHttpContextAccessor http, AuthorizationVersions versions, AccountStateCache states)
{
    private const string RequestKey = "secrets.authz.";
    private readonly ConcurrentDictionary<string, AuthorizationSnapshot> _snapshots = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    /// <summary>
    /// The current snapshot of <paramref name="account"/>, as of this request. Within one HTTP request the first
    /// answer is reused (the token check already asked for the caller's account), so a request reads the version
    /// counter once: every decision of a request is taken before its writes.
    /// </summary>
    /// <summary>Where the current version comes from (and where this node's writes report theirs).</summary>
    public AuthorizationVersions Versions => versions;

    public async Task<AuthorizationSnapshot> GetAsync(SecretsDbContext db, string account, CancellationToken ct)
    {
        var items = http.HttpContext?.Items;
        if (items?[RequestKey + account] is AuthorizationSnapshot memo)
        {
            return memo;
        }

        var snapshot = await GetCurrentAsync(db, account, ct);
        if (items is not null)
        {
            items[RequestKey + account] = snapshot;
        }

        return snapshot;
    }

    private async Task<AuthorizationSnapshot> GetCurrentAsync(SecretsDbContext db, string account, CancellationToken ct)
    {
        var version = await versions.CurrentAsync(ct);
        if (_snapshots.TryGetValue(account, out var current) && current.Version >= version)
        {
            return current;
        }

        var gate = _gates.GetOrAdd(account, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (_snapshots.TryGetValue(account, out current) && current.Version >= version)
            {
                return current;
            }

            var snapshot = await BuildAsync(db, account, version, ct);
            _snapshots[account] = snapshot;
            return snapshot;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// After a write that produced the account's rows at <paramref name="version"/> in memory: build the snapshot
    /// in the background, so the next request finds it instead of building it (it waits for this build if it comes first).
    /// </summary>
    public void Prebuild(string account, long version)
    {
        _ = Task.Run(async () =>
        {
            var gate = _gates.GetOrAdd(account, _ => new SemaphoreSlim(1, 1));
            await gate.WaitAsync();
            try
            {
                if ((!_snapshots.TryGetValue(account, out var current) || current.Version < version) && states.Get(account, version) is { } state)
                {
                    _snapshots[account] = FromState(state, version);
                }
            }
            finally
            {
                gate.Release();
            }
        });
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
        var roles = await db.Roles.AsNoTracking().Where(r => r.Account == account)
            .Select(r => new RoleRow(r.RoleId, r.PolicyId)).ToListAsync(ct);
        var resources = await db.Resources.AsNoTracking().Where(r => r.Account == account)
            .Select(r => new ResourceRow(r.ResourceId, r.OwnerId, r.PolicyId)).ToListAsync(ct);
        var memberships = await db.RoleMemberships.AsNoTracking().Where(m => m.Account == account)
            .Select(m => new MembershipRow(m.RoleId, m.MemberId, m.AdminOption, m.PolicyId)).ToListAsync(ct);
        var permissions = await db.Permissions.AsNoTracking().Where(p => p.Account == account)
            .Select(p => new PermissionRow(p.ResourceId, p.Privilege, p.RoleId, p.PolicyId)).ToListAsync(ct);
        return AuthorizationSnapshot.Build(roles, resources, memberships, permissions, version);
    }

    private static AuthorizationSnapshot FromState(PolicyState state, long version) =>
        AuthorizationSnapshot.Build(state.Roles, state.Resources, state.Memberships, state.Permissions, version);
}

/// <summary>The decision order most endpoints share (spec 5.2): invisible → 404, visible without the privilege → 403.</summary>
internal static class Access
{
    /// <summary>Null when <paramref name="roleId"/> may <paramref name="privilege"/> the resource; otherwise the error to answer.</summary>
    public static ConjurError? Require(AuthorizationSnapshot snapshot, string roleId, string privilege, string resourceId, Func<ConjurError> notFound)
    {
        if (!snapshot.ResourceExists(resourceId) || !snapshot.IsVisible(resourceId, roleId))
        {
            return notFound();
        }

        return snapshot.IsAllowed(roleId, privilege, resourceId) ? null : Errors.Forbidden();
    }
}
