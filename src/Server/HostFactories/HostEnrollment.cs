using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Secrets.Authn.Network;
using Secrets.Policy.Store;
using Secrets.Server.Authentication;
using Secrets.Server.Data;
using Secrets.Server.Http;
using Secrets.Server.Resources;

namespace Secrets.Server.HostFactories;

internal enum EnrollmentOutcome
{
    Created,
    Rotated,

    /// <summary>The id is taken by a role or resource the factory does not own (spec 2.8: 403).</summary>
    Forbidden,

    /// <summary>Lost a race for the same new id twice in a row.</summary>
    Conflict,
}

internal sealed record EnrollmentResult(EnrollmentOutcome Outcome, string HostId, HostResponse? Host = null);

/// <summary>
/// Creates (or re-enrolls) a host on behalf of a host factory (spec 2.8), as Conjur's HostBuilder does: the host
/// <c>account:host:&lt;id&gt;</c> (the id is not namespaced by the factory's policy) is owned by the factory's role,
/// gets credentials, and becomes a member of every layer of the factory. An existing host owned by the same factory
/// has its API key rotated (its annotations are left alone). One transaction; the authorization version is bumped in
/// it whenever a role, resource or membership was written (ServerApp.cs, AuthorizationVersion).
/// </summary>
internal sealed class HostEnrollment(SecretsDbContext db, CredentialStore credentials, TimeProvider time, Authorization.AuthorizationVersions versions)
{
    public async Task<EnrollmentResult> EnrollAsync(
        string account, string factoryId, string identifier, IReadOnlyList<KeyValuePair<string, string>> annotations, CancellationToken ct)
    {
        var hostId = $"{account}:host:{identifier}";

        // Enrollments of one id are serialised (see EnrollOnceAsync), but a policy load may still create the same
        // host at the same moment; the loser's insert then fails on the primary key, and its second attempt sees the
        // host that won and treats it like any existing host.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                return await EnrollOnceAsync(account, factoryId, hostId, annotations, ct);
            }
            catch (DbUpdateException e) when (Data.StoreAvailability.Classify(e) is null)
            {
                db.ChangeTracker.Clear();
            }
        }

        return new EnrollmentResult(EnrollmentOutcome.Conflict, hostId);
    }

    private async Task<EnrollmentResult> EnrollOnceAsync(
        string account, string factoryId, string hostId, IReadOnlyList<KeyValuePair<string, string>> annotations, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (db.Database.IsNpgsql())
        {
            // PostgreSQL runs Read Committed: without this, an enrollment of the same id could commit between our
            // reads of the role and of the resource, and we would see half a host and answer 403. The lock serialises
            // enrollments of one id until commit. SQLite transactions already begin with the write lock (IMMEDIATE).
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({LockKey(hostId)})", ct);
        }

        var now = time.GetUtcNow().UtcDateTime;
        var layers = await LayersOfAsync(factoryId, ct);

        var roleExists = await db.Roles.AnyAsync(r => r.RoleId == hostId, ct);
        var resource = await db.Resources.SingleOrDefaultAsync(r => r.ResourceId == hostId, ct);
        string apiKey;
        EnrollmentOutcome outcome;
        if (roleExists || resource is not null)
        {
            // Only the factory's own hosts may be re-enrolled; anything else under that id is someone else's (Conjur:
            // Forbidden unless host.resource.owner == factory role).
            if (!roleExists || resource is null || !string.Equals(resource.OwnerId, factoryId, StringComparison.Ordinal))
            {
                return new EnrollmentResult(EnrollmentOutcome.Forbidden, hostId);
            }

            var cred = await credentials.FindAsync(hostId, ct);
            apiKey = cred is null ? credentials.Create(hostId, account).ApiKey : credentials.Rotate(cred);
            outcome = EnrollmentOutcome.Rotated;
        }
        else
        {
            db.Roles.Add(new RoleEntity { RoleId = hostId, Account = account, CreatedAt = now });
            resource = new ResourceEntity { ResourceId = hostId, Account = account, Kind = "host", OwnerId = factoryId, CreatedAt = now };
            db.Resources.Add(resource);
            foreach (var (name, value) in annotations)
            {
                db.Annotations.Add(new AnnotationEntity { ResourceId = hostId, Name = name, Value = value, Account = account });
            }

            apiKey = credentials.Create(hostId, account).ApiKey;
            outcome = EnrollmentOutcome.Created;
        }

        // Grant the layers the host is not yet in (all of them for a new host; on re-enrollment, layers added to the
        // factory since). No policy id: like Conjur's, these rows belong to no policy, so a policy replace keeps them.
        var current = await db.RoleMemberships.Where(m => m.MemberId == hostId).Select(m => m.RoleId).ToListAsync(ct);
        var missing = layers.Except(current, StringComparer.Ordinal).ToList();
        foreach (var layer in missing)
        {
            db.RoleMemberships.Add(new RoleMembershipEntity { RoleId = layer, MemberId = hostId, Account = account, AdminOption = false });
        }

        await db.SaveChangesAsync(ct);
        var host = await RenderAsync(resource, apiKey, ct);
        if (outcome == EnrollmentOutcome.Created || missing.Count > 0)
        {
            await Authorization.AuthorizationVersion.BumpAndCommitAsync(db, tx, versions, ct);
        }
        else
        {
            await tx.CommitAsync(ct);
        }

        return new EnrollmentResult(outcome, hostId, host);
    }

    /// <summary>
    /// The factory's layers: the layers its role is an explicit member of. A policy load makes the factory role a
    /// member of each layer listed in <c>layers:</c> (Policy/Language/PolicyResolver.DeclareHostFactory).
    /// </summary>
    private async Task<IReadOnlyList<string>> LayersOfAsync(string factoryId, CancellationToken ct)
    {
        var roles = await db.RoleMemberships.AsNoTracking().Where(m => m.MemberId == factoryId).Select(m => m.RoleId).ToListAsync(ct);
        return roles.Where(r => FullId.KindOf(r) == "layer").Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The resource as Conjur renders it (spec 2.6 show) plus the API key.</summary>
    private async Task<HostResponse> RenderAsync(ResourceEntity resource, string apiKey, CancellationToken ct)
    {
        var id = resource.ResourceId;
        var permissions = await db.Permissions.AsNoTracking().Where(p => p.ResourceId == id).ToListAsync(ct);
        var annotations = await db.Annotations.AsNoTracking().Where(a => a.ResourceId == id).ToListAsync(ct);
        var restrictedTo = await db.Credentials.AsNoTracking().Where(c => c.RoleId == id).Select(c => c.RestrictedTo).SingleOrDefaultAsync(ct) ?? "";
        return new HostResponse(
            JsonTimes.Format(resource.CreatedAt),
            id,
            resource.OwnerId,
            resource.PolicyId,
            permissions
                .OrderBy(p => p.Privilege, StringComparer.Ordinal).ThenBy(p => p.RoleId, StringComparer.Ordinal)
                .Select(p => new ResourcePermissionJson(p.Privilege, p.RoleId, p.PolicyId)).ToList(),
            annotations
                .OrderBy(a => a.Name, StringComparer.Ordinal)
                .Select(a => new ResourceAnnotationJson(a.Name, a.Value, a.PolicyId)).ToList(),
            Restrictions.Parse(restrictedTo),
            apiKey);
    }

    private static long LockKey(string hostId) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("secrets host enrollment " + hostId)), 0);
}
