using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Secrets.Authn.Network;
using Secrets.Policy.Authorization;
using Secrets.Policy.Store;
using Secrets.Server.Authentication;
using Secrets.Server.Crypto;
using Secrets.Server.Data;
using Secrets.Server.Http;

namespace Secrets.Server.Resources;

/// <summary>
/// Renders resource objects (spec 2.6) for a page of ids. Every detail table is read once per chunk of ids, never
/// once per resource, so a page of 1000 costs a handful of queries whatever its kinds.
/// </summary>
/// <remarks>
/// The id lists are sent as ONE parameter (<c>EF.Parameter</c>: a JSON array read with <c>json_each</c> on SQLite,
/// an array with <c>= ANY</c> on PostgreSQL). EF Core 10's default expands a list into one parameter per id, which
/// costs a statement preparation per distinct list length and made a 5000-resource page ten times slower.
/// </remarks>
internal static class ResourceDetails
{
    /// <summary>Ids per query: bounds the size of one statement and of one result set.</summary>
    private const int ChunkSize = 1000;

    /// <summary>
    /// The resource objects of <paramref name="ids"/>, in the given order, as <paramref name="callerRoleId"/> may see
    /// them. An id whose row vanished since the snapshot was taken (a concurrent policy load) is skipped.
    /// </summary>
    public static async Task<IReadOnlyList<ResourceJson>> LoadAsync(
        SecretsDbContext db, DataKeyCipher cipher, AuthorizationSnapshot snapshot, string callerRoleId, IReadOnlyList<string> ids, CancellationToken ct)
    {
        var result = new List<ResourceJson>(ids.Count);
        foreach (var chunk in ids.Chunk(ChunkSize))
        {
            result.AddRange(await LoadChunkAsync(db, cipher, snapshot, callerRoleId, chunk, ct));
        }

        return result;
    }

    /// <summary>
    /// Whether <paramref name="roleId"/> may see the live tokens of <paramref name="factoryId"/>: only with
    /// <c>execute</c> (the privilege that creates tokens) or <c>update</c> (the one that revokes them). A token lets
    /// its bearer enroll hosts into the factory's layers and so fetch their secrets; <c>read</c> alone must not hand
    /// that out. Conjur shows them to anyone who can see the factory (docs/decisions.md).
    /// </summary>
    public static bool MayShowTokens(AuthorizationSnapshot snapshot, string roleId, string factoryId) =>
        snapshot.IsAllowed(roleId, "execute", factoryId) || snapshot.IsAllowed(roleId, "update", factoryId);

    private static async Task<List<ResourceJson>> LoadChunkAsync(
        SecretsDbContext db, DataKeyCipher cipher, AuthorizationSnapshot snapshot, string callerRoleId, string[] ids, CancellationToken ct)
    {
        var rows = await db.Resources.AsNoTracking()
            .Where(r => EF.Parameter(ids).Contains(r.ResourceId))
            .Select(r => new { r.ResourceId, r.OwnerId, r.PolicyId, r.CreatedAt })
            .ToDictionaryAsync(r => r.ResourceId, StringComparer.Ordinal, ct);

        var permissions = (await db.Permissions.AsNoTracking()
                .Where(p => EF.Parameter(ids).Contains(p.ResourceId))
                .Select(p => new { p.ResourceId, p.Privilege, p.RoleId, p.PolicyId })
                .ToListAsync(ct))
            .ToLookup(p => p.ResourceId, p => p, StringComparer.Ordinal);

        var annotations = (await db.Annotations.AsNoTracking()
                .Where(a => EF.Parameter(ids).Contains(a.ResourceId))
                .Select(a => new { a.ResourceId, a.Name, a.Value, a.PolicyId })
                .ToListAsync(ct))
            .ToLookup(a => a.ResourceId, a => a, StringComparer.Ordinal);

        var byKind = ids.ToLookup(FullId.KindOf, StringComparer.Ordinal);

        var variables = byKind["variable"].ToArray();
        var secrets = variables.Length == 0 ? null : (await db.Secrets.AsNoTracking()
                .Where(s => EF.Parameter(variables).Contains(s.ResourceId))
                .Select(s => new { s.ResourceId, s.Version, s.ExpiresAt })
                .ToListAsync(ct))
            .ToLookup(s => s.ResourceId, s => s, StringComparer.Ordinal);

        var policies = byKind["policy"].ToArray();
        var versions = policies.Length == 0 ? null : (await db.PolicyVersions.AsNoTracking()
                .Where(v => EF.Parameter(policies).Contains(v.ResourceId))
                .ToListAsync(ct))
            .ToLookup(v => v.ResourceId, v => v, StringComparer.Ordinal);

        // Only the factories whose tokens the caller may see are read: the others show an empty list.
        var factories = byKind["host_factory"].Where(id => MayShowTokens(snapshot, callerRoleId, id)).ToArray();
        var tokens = factories.Length == 0 ? null : (await db.HostFactoryTokens.AsNoTracking()
                .Where(t => EF.Parameter(factories).Contains(t.ResourceId))
                .ToListAsync(ct))
            .ToLookup(t => t.ResourceId, t => t, StringComparer.Ordinal);

        var actors = byKind["user"].Concat(byKind["host"]).ToArray();
        var restrictions = actors.Length == 0 ? null : await db.Credentials.AsNoTracking()
            .Where(c => EF.Parameter(actors).Contains(c.RoleId))
            .Select(c => new { c.RoleId, c.RestrictedTo })
            .ToDictionaryAsync(c => c.RoleId, c => c.RestrictedTo, StringComparer.Ordinal, ct);

        var result = new List<ResourceJson>(ids.Length);
        foreach (var id in ids)
        {
            if (!rows.TryGetValue(id, out var row))
            {
                continue;
            }

            var kind = FullId.KindOf(id);
            result.Add(new ResourceJson(
                JsonTimes.Format(row.CreatedAt),
                id,
                row.OwnerId,
                row.PolicyId,
                permissions[id]
                    .OrderBy(p => p.RoleId, StringComparer.Ordinal)
                    .ThenBy(p => p.Privilege, StringComparer.Ordinal)
                    .Select(p => new ResourcePermissionJson(p.Privilege, p.RoleId, p.PolicyId))
                    .ToList(),
                annotations[id]
                    .OrderBy(a => a.Name, StringComparer.Ordinal)
                    .Select(a => new ResourceAnnotationJson(a.Name, a.Value, a.PolicyId))
                    .ToList())
            {
                Secrets = kind == "variable"
                    ? secrets![id].OrderBy(s => s.Version)
                        .Select(s => new SecretVersionJson(s.Version, s.ExpiresAt is { } e ? JsonTimes.Format(e) : null))
                        .ToList()
                    : null,
                PolicyVersions = kind == "policy"
                    ? versions![id].OrderBy(v => v.Version)
                        .Select(v => new PolicyVersionJson(
                            v.Version,
                            JsonTimes.Format(v.CreatedAt),
                            v.FinishedAt is { } f ? JsonTimes.Format(f) : null,
                            v.PolicyText,
                            v.PolicySha256,
                            v.ClientIp,
                            v.ResourceId,
                            v.RoleId))
                        .ToList()
                    : null,

                // Conjur shows a factory's tokens to whoever can see the factory (its Resource#as_json); we show
                // them only to holders of execute or update (MayShowTokens), others get an empty list. The listing
                // is the only place besides token creation where they appear, and they are never audited.
                Tokens = kind == "host_factory"
                    ? tokens is null ? [] : tokens[id].OrderBy(t => t.Expiration).ThenBy(t => t.TokenSha256, StringComparer.Ordinal)
                        .Select(t => new HostFactoryTokenJson(
                            FormatExpiration(t.Expiration),
                            Restrictions.Parse(t.Cidr),
                            System.Text.Encoding.UTF8.GetString(cipher.OpenHostFactoryToken(t.Token, t.TokenSha256, t.ResourceId, t.Expiration, t.Cidr))))
                        .ToList()
                    : null,
                Layers = kind == "host_factory"
                    ? snapshot.Memberships(id).Select(g => g.RoleId).Where(r => FullId.KindOf(r) == "layer")
                        .Distinct(StringComparer.Ordinal).ToList()
                    : null,
                RestrictedTo = kind is "user" or "host"
                    ? Restrictions.Parse(restrictions!.GetValueOrDefault(id, ""))
                    : null,
            });
        }

        return result;
    }

    private static string FormatExpiration(DateTime utc) =>
        DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
