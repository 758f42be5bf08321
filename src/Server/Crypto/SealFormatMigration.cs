using Microsoft.EntityFrameworkCore;
using Secrets.Server.Accounts;
using Secrets.Server.Data;

namespace Secrets.Server.Crypto;

/// <summary>
/// Moves every sealed row to the current envelope format at start-up (issue 8, docs/decisions.md): secret versions,
/// host-factory tokens, signing keys, password hashes and the data-key canary written in format 1 are opened with
/// their old binding and sealed again in format 2. It runs after the canary check, before the server answers, and
/// records <c>seal_format = 2</c> in server_state once done, so later starts skip the scan and the serving cipher
/// refuses format 1 from then on. Re-sealing is idempotent, so two nodes starting at once do no harm.
/// </summary>
internal static class SealFormatMigration
{
    public const string Key = "seal_format";
    private const int Batch = 500;

    /// <summary>Re-seals what is left in format 1; returns how many rows were re-sealed.</summary>
    public static async Task<int> RunAsync(SecretsDbContext db, DataKeyCipher cipher, CancellationToken ct)
    {
        if (await db.ServerState.AsNoTracking().AnyAsync(s => s.Key == Key && s.Number >= DataKeyCipher.CurrentFormat, ct))
        {
            return 0;
        }

        var count = 0;
        count += await ResealAsync(db, db.Secrets.OrderBy(s => s.ResourceId).ThenBy(s => s.Version), s => s.Value, (s, v) => s.Value = v,
            s => cipher.SealSecret(cipher.OpenSecret(s.Value, s.Account, s.ResourceId, s.Version), s.Account, s.ResourceId, s.Version), ct);
        count += await ResealAsync(db, db.HostFactoryTokens.OrderBy(t => t.TokenSha256), t => t.Token, (t, v) => t.Token = v,
            t => cipher.SealHostFactoryToken(
                System.Text.Encoding.UTF8.GetString(cipher.OpenHostFactoryToken(t.Token, t.TokenSha256, t.ResourceId, t.Expiration, t.Cidr)),
                t.TokenSha256,
                t.ResourceId,
                t.Expiration,
                t.Cidr), ct);
        count += await ResealAsync(db, db.SigningKeys.OrderBy(k => k.Id), k => k.PrivateKey, (k, v) => k.PrivateKey = v,
            k => cipher.Encrypt(cipher.Decrypt(k.PrivateKey, SigningKeyEntity.IdFor(k.Account)), SigningKeyEntity.IdFor(k.Account)), ct);
        count += await ResealAsync(db, db.Credentials.Where(c => c.EncryptedPasswordHash != null).OrderBy(c => c.RoleId), c => c.EncryptedPasswordHash!, (c, v) => c.EncryptedPasswordHash = v,
            c => cipher.Encrypt(cipher.Decrypt(c.EncryptedPasswordHash!, c.RoleId), c.RoleId), ct);
        count += await ResealAsync(db, db.ServerState.Where(s => s.Key == DataKeyCanary.Key).OrderBy(s => s.Key), s => s.Blob!, (s, v) => s.Blob = v,
            s => cipher.Encrypt(cipher.Decrypt(s.Blob!, DataKeyCanary.Aad), DataKeyCanary.Aad), ct);

        try
        {
            db.ServerState.Add(new ServerStateEntity { Key = Key, Number = DataKeyCipher.CurrentFormat });
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another node finished first.
            db.ChangeTracker.Clear();
        }

        return count;
    }

    private static async Task<int> ResealAsync<T>(
        SecretsDbContext db, IQueryable<T> rows, Func<T, byte[]> sealedOf, Action<T, byte[]> set, Func<T, byte[]> reseal, CancellationToken ct)
        where T : class
    {
        var count = 0;
        for (var skip = 0; ; skip += Batch)
        {
            var page = await rows.Skip(skip).Take(Batch).ToListAsync(ct);
            foreach (var row in page.Where(r => DataKeyCipher.FormatOf(sealedOf(r)) == DataKeyCipher.LegacyFormat))
            {
                set(row, reseal(row));
                count++;
            }

            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
            if (page.Count < Batch)
            {
                return count;
            }
        }
    }
}
