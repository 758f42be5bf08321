using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Crypto;
using Secrets.Server.Data;

namespace Secrets.Server.Variables;

/// <summary>Secret versions (spec 6.1): 1-based, immutable, the latest N kept, an unchanged value adds no version.</summary>
internal static class SecretVersions
{
    /// <summary>
    /// Stores <paramref name="value"/> as a new version of <paramref name="resourceId"/> unless it equals the latest
    /// version, then deletes versions beyond <paramref name="versionLimit"/>. Returns the latest version number.
    /// Runs inside the caller's transaction when there is one (callers that have none must open one: the insert and
    /// the retention delete are two statements).
    /// </summary>
    public static async Task<int> AddAsync(
        SecretsDbContext db, DataKeyCipher cipher, string account, string resourceId, byte[] value, DateTime now, int versionLimit, CancellationToken ct)
    {
        var latest = await db.Secrets.AsNoTracking()
            .Where(s => s.ResourceId == resourceId)
            .OrderByDescending(s => s.Version)
            .Select(s => new { s.Version, s.Value })
            .FirstOrDefaultAsync(ct);

        // Spec 6.1 (≥1.22): writing the current value again creates no version. Compared in constant time so the
        // comparison itself says nothing about how much of a guess matched.
        if (latest is not null && CryptographicOperations.FixedTimeEquals(cipher.OpenSecret(latest.Value, account, resourceId, latest.Version), value))
        {
            return latest.Version;
        }

        var version = (latest?.Version ?? 0) + 1;
        db.Secrets.Add(new SecretEntity
        {
            ResourceId = resourceId,
            Version = version,
            Account = account,
            Value = cipher.SealSecret(value, account, resourceId, version),
            CreatedAt = now,
        });
        await db.SaveChangesAsync(ct);
        // Other nodes drop their cached copy when this transaction commits (SecretValueCache).
        await SecretValueCache.NotifyChangedAsync(db, resourceId, ct);

        // Retention (SECRETS_VERSION_LIMIT): version numbers keep increasing, old numbers disappear for good.
        var keepFrom = version - versionLimit;
        if (keepFrom > 0)
        {
            await db.Secrets.Where(s => s.ResourceId == resourceId && s.Version <= keepFrom).ExecuteDeleteAsync(ct);
        }

        return version;
    }
}
