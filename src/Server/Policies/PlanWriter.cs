using Microsoft.EntityFrameworkCore;
using Secrets.Policy.Language;
using Secrets.Policy.Store;
using Secrets.Server.Authentication;
using Secrets.Server.Crypto;
using Secrets.Server.Data;
using Secrets.Server.Variables;

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
        SecretsDbContext db, CredentialStore credentials, DataKeyCipher cipher, PolicyPlan plan, string account, DateTime now, int secretsVersionLimit, CancellationToken ct)
    {
        await DeleteAsync(db, plan.Deletes, ct);
        var created = await InsertAsync(db, credentials, plan, account, now, ct);
        await UpdateAsync(db, plan.Updates, now, ct);
        await WritePublicKeysAsync(db, cipher, plan.PublicKeys, account, now, secretsVersionLimit, ct);
        return created;
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
        // Bulk paths (COPY / prepared INSERT): a large policy writes tens of thousands of rows. Parents first, as the
        // foreign keys require: roles, then resources (owned by roles), then the rows that point at both.
        var rows = plan.Inserts;
        await BulkInsert.RunAsync(db, "roles", ["role_id", "account", "policy_id", "created_at"], rows.Roles,
            r => [r.RoleId, account, r.PolicyId, now], ct);
        await BulkInsert.RunAsync(db, "resources", ["resource_id", "account", "kind", "owner_id", "policy_id", "created_at"], rows.Resources,
            r => [r.ResourceId, account, FullId.KindOf(r.ResourceId), r.OwnerId, r.PolicyId, now], ct);
        await BulkInsert.RunAsync(db, "role_memberships", ["role_id", "member_id", "account", "admin_option", "policy_id"], rows.Memberships,
            m => [m.RoleId, m.MemberId, account, m.AdminOption, m.PolicyId], ct);
        await BulkInsert.RunAsync(db, "permissions", ["resource_id", "privilege", "role_id", "account", "policy_id"], rows.Permissions,
            p => [p.ResourceId, p.Privilege, p.RoleId, account, p.PolicyId], ct);
        await BulkInsert.RunAsync(db, "annotations", ["resource_id", "name", "value", "account", "policy_id"], rows.Annotations,
            a => [a.ResourceId, a.Name, a.Value, account, a.PolicyId], ct);

        var restrictions = rows.CredentialRestrictions.ToDictionary(r => r.RoleId, r => string.Join(',', r.RestrictedTo), StringComparer.Ordinal);
        var created = new Dictionary<string, string>(StringComparer.Ordinal);
        var newCredentials = new List<CredentialEntity>(plan.CreatedRoleIds.Count);
        foreach (var roleId in plan.CreatedRoleIds)
        {
            // Issue 8: a role whose login does not parse back to it gets no credentials, whatever declared it.
            if (!FullId.CanHoldCredentials(roleId))
            {
                continue;
            }

            var (credential, key) = credentials.New(roleId, account, restrictions.GetValueOrDefault(roleId, ""));
            newCredentials.Add(credential);
            created[roleId] = key;
        }

        await BulkInsert.RunAsync(db, "credentials", ["role_id", "account", "api_key_hash", "api_key_seed", "encrypted_hash", "expiration", "restricted_to", "updated_at"], newCredentials,
            c => [c.RoleId, c.Account, c.ApiKeyHash, c.ApiKeySeed, null, null, c.RestrictedTo, c.UpdatedAt], ct);

        // The first restricted_to of a user or host that already exists (by any mode) is an inserted restriction row
        // too, but there are no new credentials to carry it: write it to the stored ones, or it would not apply.
        foreach (var (roleId, value) in restrictions)
        {
            if (!created.ContainsKey(roleId))
            {
                await db.Credentials.Where(x => x.RoleId == roleId)
                    .ExecuteUpdateAsync(s => s.SetProperty(x => x.RestrictedTo, value).SetProperty(x => x.UpdatedAt, now), ct);
            }
        }

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
    private static async Task WritePublicKeysAsync(SecretsDbContext db, DataKeyCipher cipher, IReadOnlyList<PublicKeyValue> keys, string account, DateTime now, int versionLimit, CancellationToken ct)
    {
        foreach (var key in keys)
        {
            await SecretVersions.AddAsync(db, cipher, account, key.ResourceId, System.Text.Encoding.UTF8.GetBytes(key.Value), now, versionLimit, ct);
        }
    }
}
