using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Secrets.Authn.Network;
using Secrets.Policy.Language;
using Secrets.Policy.Store;
using Secrets.Server.Authentication;
using Secrets.Server.Data;

namespace Secrets.Server.Authorization;

/// <summary>
/// The rows of each account as the policy planner sees them (<see cref="PolicyState"/>), labelled with the
/// authorization version they were read at or produced for. A load reads all of an account's rows (tens of
/// thousands for a large account) only when the version moved since the last load on this node; after a
/// load, the state it planned against plus its plan is the next state, kept for the next load and for the
/// role-graph snapshot. An entry is used only for exactly its version, and every change to these rows moves the
/// version (in the same transaction), so an entry is never older than the database.
/// </summary>
internal sealed class AccountStateCache
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The state of <paramref name="account"/> at exactly <paramref name="version"/>, if this node has it.</summary>
    public PolicyState? Get(string account, long version) =>
        _entries.TryGetValue(account, out var entry) && entry.Version == version ? entry.State : null;

    /// <summary>Keeps <paramref name="state"/> as the state at <paramref name="version"/> (replacing an older one).</summary>
    public void Set(string account, long version, PolicyState state) =>
        _entries.AddOrUpdate(account, new Entry(version, state), (_, old) => old.Version > version ? old : new Entry(version, state));

    /// <summary>Drops what this node holds for <paramref name="account"/> (after a failed write, to be safe).</summary>
    public void Forget(string account) => _entries.TryRemove(account, out _);

    /// <summary>Reads every row of <paramref name="account"/> the planner needs from <paramref name="db"/>.</summary>
    public static async Task<PolicyState> ReadAsync(SecretsDbContext db, string account, CancellationToken ct)
    {
        var (roles, resources, memberships, permissions) = await ReadRoleGraphAsync(db, account, ct);
        var annotations = await db.Annotations.AsNoTracking().Where(x => x.Account == account).Select(x => new AnnotationRow(x.ResourceId, x.Name, x.Value, x.PolicyId)).ToListAsync(ct);
        var restrictions = (await db.Credentials.AsNoTracking().Where(x => x.Account == account && x.RestrictedTo != "").Select(x => new { x.RoleId, x.RestrictedTo }).ToListAsync(ct))
            .Select(x => new CredentialRestrictionRow(x.RoleId, Restrictions.Parse(x.RestrictedTo)));
        return PolicyState.Create(roles, resources, memberships, permissions, annotations, restrictions);
    }

    /// <summary>The rows the role graph is built from (the snapshot needs no annotations or restrictions).</summary>
    public static async Task<(List<RoleRow> Roles, List<ResourceRow> Resources, List<MembershipRow> Memberships, List<PermissionRow> Permissions)> ReadRoleGraphAsync(
        SecretsDbContext db, string account, CancellationToken ct)
    {
        var roles = await db.Roles.AsNoTracking().Where(x => x.Account == account).Select(x => new RoleRow(x.RoleId, x.PolicyId)).ToListAsync(ct);
        var resources = await db.Resources.AsNoTracking().Where(x => x.Account == account).Select(x => new ResourceRow(x.ResourceId, x.OwnerId, x.PolicyId)).ToListAsync(ct);
        var memberships = await db.RoleMemberships.AsNoTracking().Where(x => x.Account == account).Select(x => new MembershipRow(x.RoleId, x.MemberId, x.AdminOption, x.PolicyId)).ToListAsync(ct);
        var permissions = await db.Permissions.AsNoTracking().Where(x => x.Account == account).Select(x => new PermissionRow(x.ResourceId, x.Privilege, x.RoleId, x.PolicyId)).ToListAsync(ct);
        return (roles, resources, memberships, permissions);
    }

    private sealed record Entry(long Version, PolicyState State);
}
