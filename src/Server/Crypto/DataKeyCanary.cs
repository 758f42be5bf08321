using Microsoft.EntityFrameworkCore;
using Secrets.Server.Authorization;
using Secrets.Server.Configuration;
using Secrets.Server.Data;

namespace Secrets.Server.Crypto;

/// <summary>A known value sealed with the data key at first start; a different key fails here, at start-up, not later with garbage.</summary>
internal static class DataKeyCanary
{
    public const string Key = "data_key_canary";
    public const string Aad = "server_state:data_key_canary";
    private static readonly byte[] Expected = "secrets data key canary v1"u8.ToArray();

    public static async Task VerifyOrCreateAsync(SecretsDbContext db, DataKeyCipher cipher, CancellationToken ct)
    {
        var row = await db.ServerState.AsNoTracking().SingleOrDefaultAsync(s => s.Key == Key, ct);
        if (row is null)
        {
            try
            {
                db.ServerState.Add(new ServerStateEntity { Key = Key, Blob = cipher.Encrypt(Expected, Aad) });
                db.ServerState.Add(new ServerStateEntity { Key = AuthorizationVersion.Key, Number = 1 });
                await db.SaveChangesAsync(ct);
                return;
            }
            catch (DbUpdateException e) when (StoreAvailability.Classify(e) is null)
            {
                // Another node initialised the same empty database at the same moment: verify its canary instead.
                db.ChangeTracker.Clear();
                row = await db.ServerState.AsNoTracking().SingleAsync(s => s.Key == Key, ct);
            }
        }

        if (row.Blob is null || !cipher.TryDecrypt(row.Blob, Aad, out var plain) || !plain.AsSpan().SequenceEqual(Expected))
        {
            throw new ConfigurationException(
                "the data key does not match this database (the stored canary does not decrypt). "
                + "Start with the data key this database was created with (SECRETS_DATA_KEY / CONJUR_DATA_KEY / SECRETS_DATA_KEY_FILE).");
        }
    }
}
