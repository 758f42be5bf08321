using Microsoft.EntityFrameworkCore;
using Secrets.Authn.Credentials;
using Secrets.Authn.Tokens;
using Secrets.Server.Authentication;
using Secrets.Server.Crypto;
using Secrets.Server.Data;

namespace Secrets.Server.Accounts;

internal sealed record CreatedAccount(string Account, string AdminApiKey, string PublicKeyPem);

/// <summary>
/// Accounts (spec 5.4): an account exists when its token-signing key exists. Creating one creates the role and
/// resource <c>account:user:admin</c> (owning itself), its credentials and the signing key, in one transaction.
/// </summary>
internal sealed class AccountService(SecretsDbContext db, DataKeyCipher cipher, PasswordHasher passwords, TimeProvider time)
{
    public static string AdminRoleId(string account) => account + ":user:admin";

    public Task<bool> ExistsAsync(string account, CancellationToken ct) =>
        db.SigningKeys.AnyAsync(k => k.Account == account, ct);

    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken ct) =>
        await db.SigningKeys.AsNoTracking().OrderBy(k => k.Account).Select(k => k.Account).ToListAsync(ct);

    public async Task<CreatedAccount> CreateAsync(string account, string? password, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var admin = AdminRoleId(account);
        using var key = TokenSigningKey.Create();

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.SigningKeys.Add(new SigningKeyEntity
        {
            Id = SigningKeyEntity.IdFor(account),
            Account = account,
            PrivateKey = cipher.Encrypt(key.ExportPkcs8(), SigningKeyEntity.IdFor(account)),
            Fingerprint = key.Kid,
            CreatedAt = now,
        });
        db.Roles.Add(new RoleEntity { RoleId = admin, Account = account, CreatedAt = now });
        db.Resources.Add(new ResourceEntity { ResourceId = admin, Account = account, Kind = "user", OwnerId = admin, CreatedAt = now });
        var store = new CredentialStore(db, cipher, passwords, time);
        var (cred, apiKey) = store.Create(admin, account);
        if (password is not null)
        {
            store.SetPassword(cred, password);
        }

        await db.SaveChangesAsync(ct);
        await Authorization.AuthorizationVersion.BumpAndCommitAsync(db, tx, versions: null, ct);
        return new CreatedAccount(account, apiKey, key.VerificationKey.ExportPem());
    }

    /// <summary>Deletes every row of the account in one transaction. Returns false when it does not exist.</summary>
    public async Task<bool> DeleteAsync(string account, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!await db.SigningKeys.AnyAsync(k => k.Account == account, ct))
        {
            return false;
        }

        await db.Permissions.Where(x => x.Account == account).ExecuteDeleteAsync(ct);
        await db.Annotations.Where(x => x.Account == account).ExecuteDeleteAsync(ct);
        await db.RoleMemberships.Where(x => x.Account == account).ExecuteDeleteAsync(ct);
        await db.Secrets.Where(x => x.Account == account).ExecuteDeleteAsync(ct);
        await db.PolicyVersions.Where(x => x.Account == account).ExecuteDeleteAsync(ct);
        await db.HostFactoryTokens.Where(x => x.Account == account).ExecuteDeleteAsync(ct);
        await db.Credentials.Where(x => x.Account == account).ExecuteDeleteAsync(ct);
        var prefix = account + ":";
        await db.AuthenticatorConfigs.Where(x => x.ResourceId.StartsWith(prefix)).ExecuteDeleteAsync(ct);
        await db.Resources.Where(x => x.Account == account).ExecuteDeleteAsync(ct);
        await db.Roles.Where(x => x.Account == account).ExecuteDeleteAsync(ct);
        await db.SigningKeys.Where(x => x.Account == account).ExecuteDeleteAsync(ct);
        await Authorization.AuthorizationVersion.BumpAndCommitAsync(db, tx, versions: null, ct);
        return true;
    }
}
