using Microsoft.EntityFrameworkCore;
using Secrets.Policy.Authorization;
using Secrets.Server.Authorization;
using Secrets.Server.Data;

namespace Secrets.Server.Policies;

/// <summary>Creates an account's <c>root</c> policy on first use of /policies, for the loader and the policy GET alike.</summary>
internal sealed class RootPolicy(SecretsDbContext db, AuthorizationCache authz, RequestSnapshots snapshots, TimeProvider time)
{
    /// <summary>
    /// The account's snapshot for a /policies request, after making sure `root` exists. The request's memoised
    /// snapshot (taken by the token check) predates a root created just now: then it is rebuilt once.
    /// </summary>
    public async Task<AuthorizationSnapshot> SnapshotWithRootAsync(string account, CancellationToken ct) =>
        await EnsureRootPolicyAsync(account, ct)
            ? await authz.BuildAsync(db, account, await AuthorizationVersion.ReadAsync(db, ct), ct)
            : await snapshots.GetAsync(db, account, ct);

    /// <summary>
    /// `root` exists once anyone touches /policies of an account whose admin exists (spec 2.5, 5.4). True when this
    /// call (or a concurrent one) created it, i.e. when snapshots taken earlier in the request do not know it.
    /// </summary>
    private async Task<bool> EnsureRootPolicyAsync(string account, CancellationToken ct)
    {
        var rootId = $"{account}:policy:root";
        var adminId = $"{account}:user:admin";
        if (await db.Resources.AsNoTracking().AnyAsync(x => x.ResourceId == rootId, ct)
            || !await db.Roles.AsNoTracking().AnyAsync(x => x.RoleId == adminId, ct))
        {
            return false;
        }

        var now = time.GetUtcNow().UtcDateTime;
        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            db.Roles.Add(new RoleEntity { RoleId = rootId, Account = account, CreatedAt = now });
            db.Resources.Add(new ResourceEntity { ResourceId = rootId, Account = account, Kind = "policy", OwnerId = adminId, CreatedAt = now });
            await db.SaveChangesAsync(ct);
            await AuthorizationVersion.BumpAndCommitAsync(db, tx, authz.Versions, ct);
        }
        catch (DbUpdateException e) when (StoreAvailability.Classify(e) is null)
        {
            // Another request created it first: fine.
            db.ChangeTracker.Clear();
        }

        return true;
    }
}
