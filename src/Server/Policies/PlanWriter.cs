using Microsoft.EntityFrameworkCore;
using Secrets.Policy.Language;
using Secrets.Policy.Store;
using Secrets.Server.Authn;
using Secrets.Server.Crypto;
using Secrets.Server.Data;
using Secrets.Server.Secrets;

namespace Secrets.Server.Policies;

/// <summary>
/// Writes a <see cref="PolicyPlan"/> inside the caller's transaction: deletes, then inserts, then updates (an
/// update may point an owner at a role the same load inserts). Keys never overlap between the three sets, so the
/// order changes nothing but foreign-key validity. Rows that the database's cascades remove with a deleted role
/// or resource (secrets, credentials, dependent rows the plan did not list) go with it.
/// </summary>
internal static class PlanWriter
{
    /// <summary>Applies the plan; returns the API keys of the users and hosts it created, by role id.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> ApplyAsync(
        SecretsDbContext db, CredentialStore credentials, DataKeyCipher cipher, PolicyPlan plan, string account, DateTime now, CancellationToken ct)
    {
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            await DeleteAsync(db, plan.Deletes, ct);
            var created = await InsertAsync(db, credentials, plan, account, now, ct);
            await UpdateAsync(db, plan.Updates, now, ct);
            await WritePublicKeysAsync(db, cipher, plan.PublicKeys, account, now, ct);
            return created;
        }
        finally
        {
            db.ChangeTracker.AutoDetectChangesEnabled = true;
            db.ChangeTracker.Clear();
        }
    }

    private static async Task DeleteAsync(SecretsDbContext db, PolicyRows rows, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return;
        }

        // Dependent rows first, one statement per chunk; cascades cover what the plan did not list.
        foreach (var chunk in rows.Annotations.Chunk(200))
        {
            foreach (var a in chunk)
            {
                await db.Annotations.Where(x => x.ResourceId == a.ResourceId && x.Name == a.Name).ExecuteDeleteAsync(ct);
            }
        }

        foreach (var p in rows.Permissions)
        {
            await db.Permissions.Where(x => x.ResourceId == p.ResourceId && x.Privilege == p.Privilege && x.RoleId == p.RoleId).ExecuteDeleteAsync(ct);
        }

        foreach (var m in rows.Memberships)
        {
            await db.RoleMemberships.Where(x => x.RoleId == m.RoleId && x.MemberId == m.MemberId).ExecuteDeleteAsync(ct);
        }

        foreach (var chunk in rows.Resources.Select(r => r.ResourceId).Chunk(500))
        {
            await db.Resources.Where(x => chunk.Contains(x.ResourceId)).ExecuteDeleteAsync(ct);
        }

        foreach (var chunk in rows.Roles.Select(r => r.RoleId).Chunk(500))
        {
            await db.Roles.Where(x => chunk.Contains(x.RoleId)).ExecuteDeleteAsync(ct);
        }
    }

    private static async Task<IReadOnlyDictionary<string, string>> InsertAsync(
        SecretsDbContext db, CredentialStore credentials, PolicyPlan plan, string account, DateTime now, CancellationToken ct)
    {
        var rows = plan.Inserts;
        foreach (var r in rows.Roles)
        {
            db.Roles.Add(new RoleEntity { RoleId = r.RoleId, Account = account, PolicyId = r.PolicyId, CreatedAt = now });
        }

        foreach (var r in rows.Resources)
        {
            db.Resources.Add(new ResourceEntity
            {
                ResourceId = r.ResourceId,
                Account = account,
                Kind = KindOf(r.ResourceId),
                OwnerId = r.OwnerId,
                PolicyId = r.PolicyId,
                CreatedAt = now,
            });
        }

        foreach (var m in rows.Memberships)
        {
            db.RoleMemberships.Add(new RoleMembershipEntity { RoleId = m.RoleId, MemberId = m.MemberId, Account = account, AdminOption = m.AdminOption, PolicyId = m.PolicyId });
        }

        foreach (var p in rows.Permissions)
        {
            db.Permissions.Add(new PermissionEntity { ResourceId = p.ResourceId, Privilege = p.Privilege, RoleId = p.RoleId, Account = account, PolicyId = p.PolicyId });
        }

        foreach (var a in rows.Annotations)
        {
            db.Annotations.Add(new AnnotationEntity { ResourceId = a.ResourceId, Name = a.Name, Value = a.Value, Account = account, PolicyId = a.PolicyId });
        }

        var restrictions = rows.CredentialRestrictions.ToDictionary(r => r.RoleId, r => string.Join(',', r.RestrictedTo), StringComparer.Ordinal);
        var created = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var roleId in plan.CreatedRoleIds)
        {
            var (_, key) = credentials.Create(roleId, account, restrictions.GetValueOrDefault(roleId, ""));
            created[roleId] = key;
        }

        db.ChangeTracker.DetectChanges();
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        return created;
    }

    private static async Task UpdateAsync(SecretsDbContext db, PolicyRowUpdates updates, DateTime now, CancellationToken ct)
    {
        foreach (var u in updates.Resources)
        {
            var after = u.After;
            await db.Resources.Where(x => x.ResourceId == after.ResourceId)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.OwnerId, after.OwnerId), ct);
        }

        foreach (var u in updates.Memberships)
        {
            var after = u.After;
            await db.RoleMemberships.Where(x => x.RoleId == after.RoleId && x.MemberId == after.MemberId)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.AdminOption, after.AdminOption), ct);
        }

        foreach (var u in updates.Annotations)
        {
            var after = u.After;
            await db.Annotations.Where(x => x.ResourceId == after.ResourceId && x.Name == after.Name)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Value, after.Value), ct);
        }

        foreach (var u in updates.CredentialRestrictions)
        {
            var value = string.Join(',', u.After.RestrictedTo);
            var roleId = u.After.RoleId;
            await db.Credentials.Where(x => x.RoleId == roleId)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.RestrictedTo, value).SetProperty(x => x.UpdatedAt, now), ct);
        }
    }

    /// <summary>Public keys become secret versions of their public_key resource, when they differ from the latest.</summary>
    private static async Task WritePublicKeysAsync(SecretsDbContext db, DataKeyCipher cipher, IReadOnlyList<PublicKeyValue> keys, string account, DateTime now, CancellationToken ct)
    {
        foreach (var key in keys)
        {
            await SecretVersions.AddAsync(db, cipher, account, key.ResourceId, System.Text.Encoding.UTF8.GetBytes(key.Value), now, versionLimit: 20, ct);
        }
    }

    public static string KindOf(string fullId)
    {
        var first = fullId.IndexOf(':', StringComparison.Ordinal);
        var second = fullId.IndexOf(':', first + 1);
        return fullId[(first + 1)..second];
    }
}
