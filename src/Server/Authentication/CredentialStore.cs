using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Secrets.Authn.Credentials;
using Secrets.Authn.Network;
using Secrets.Policy.Store;
using Secrets.Server.Crypto;
using Secrets.Server.Data;

namespace Secrets.Server.Authentication;

/// <summary>
/// Credentials of users and hosts: API keys and passwords.
///
/// API keys. The database never holds an API key, neither plain nor encrypted. Each credential row holds a random
/// 32-byte seed; the key is HMAC-SHA256(K_derive, role id ‖ 0 ‖ seed) in Conjur's API-key alphabet, and the row also
/// holds HMAC-SHA256(K_hash, key) for constant-time verification. K_derive and K_hash are derived from the data key
/// (HKDF), so a stolen database without the data key yields no key and cannot be used to test guesses. Deriving
/// (rather than only hashing a random key) lets `GET /authn/{account}/login` return the role's current key, as
/// Conjur clients expect, without rotating it. Rotation draws a new seed.
///
/// Passwords are Argon2id PHC strings, encrypted at rest with the role id as associated data.
/// Verification of an unknown role still does the same work (dummy HMAC / dummy Argon2) so that the time of a
/// failure does not tell whether the role exists.
/// </summary>
internal sealed class CredentialStore(SecretsDbContext db, DataKeyCipher cipher, PasswordHasher passwords, TimeProvider time)
{
    // A random value per process: no presented key hashes to it, and nothing about it is fixed in the code.
    private static readonly byte[] DummyHash = RandomNumberGenerator.GetBytes(32);

    public Task<CredentialEntity?> FindAsync(string roleId, CancellationToken ct) =>
        db.Credentials.SingleOrDefaultAsync(c => c.RoleId == roleId, ct);

    /// <summary>
    /// The API-key check of <c>authenticate</c>, shaped so that its time does not tell whether the role exists
    /// (issue 8: a wrong key for an existing role cost ~30 µs more than for an unknown one: a found row was
    /// materialised, tracked and checked, a missing one was not). One statement always returns exactly one row of
    /// the same columns: the role's, or a dummy one (the per-process random hash, no expiry, no restriction) when
    /// the role is unknown. The same checks then run on that row: one HMAC and one 32-byte constant-time comparison, the
    /// expiry test and the <c>restricted_to</c> test, combined without short-circuits. Only the row's
    /// <c>found</c> flag tells the two apart, and it is read last. <c>bench/Micro</c>
    /// (<c>AuthenticateTimingBenchmarks</c>, <c>authn-timing</c>) measures the two side by side.
    /// </summary>
    public async Task<ApiKeyCheck> CheckApiKeyAsync(string? roleId, string presented, IPAddress? client, CancellationToken ct)
    {
        var id = roleId ?? "";
        var rows = await db.Database.SqlQuery<CredentialCheckRow>($"""
            SELECT api_key_hash AS "ApiKeyHash", expiration AS "Expiration", restricted_to AS "RestrictedTo", 1 AS "Found"
            FROM credentials WHERE role_id = {id}
            UNION ALL
            SELECT {DummyHash}, NULL, '', 0
            ORDER BY "Found" DESC
            LIMIT 1
            """).ToListAsync(ct);
        var row = rows[0];
        var keyOk = cipher.ApiKeyHasher.Verify(presented, row.ApiKeyHash ?? DummyHash)
            & !(row.Expiration is { } exp && exp <= time.GetUtcNow().UtcDateTime);
        var ipOk = Restrictions.Allows(row.RestrictedTo, client);
        var found = row.Found == 1;
        return new ApiKeyCheck(found, found & keyOk, found & ipOk, found ? row.RestrictedTo : "");
    }

    /// <summary>
    /// HTTP Basic against <paramref name="account"/> (login, password change, own-key rotation): parses the header,
    /// finds the role's credentials and accepts the secret as its API key or its password. Both checks always run,
    /// even for an unknown login or a bad header, so the time of a failure tells nothing.
    /// </summary>
    public async Task<((string Login, string Secret)? Basic, string? RoleId, CredentialEntity? Credential, bool Verified)> VerifyBasicAsync(
        string authorizationHeader, string? account, CancellationToken ct)
    {
        var basic = BasicCredentials.Parse(authorizationHeader);
        var roleId = account is not null && basic is not null && AccountName.IsValid(account)
            ? FullId.FromLogin(account, basic.Value.Login)
            : null;
        var cred = roleId is not null ? await FindAsync(roleId, ct) : null;
        var presented = basic?.Secret ?? "";
        var verified = VerifyApiKey(cred, presented) | VerifyPassword(cred, presented);
        return (basic, roleId, cred, verified);
    }

    /// <summary>Creates (and adds to the context) fresh credentials; returns the new API key.</summary>
    public (CredentialEntity Credential, string ApiKey) Create(string roleId, string account, string restrictedTo = "")
    {
        var (cred, key) = New(roleId, account, restrictedTo);
        db.Credentials.Add(cred);
        return (cred, key);
    }

    /// <summary>Fresh credentials, not attached to the context (for bulk inserts); returns the new API key.</summary>
    public (CredentialEntity Credential, string ApiKey) New(string roleId, string account, string restrictedTo = "")
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var key = Derive(roleId, seed);
        var cred = new CredentialEntity
        {
            RoleId = roleId,
            Account = account,
            ApiKeySeed = seed,
            ApiKeyHash = cipher.ApiKeyHasher.Hash(key),
            RestrictedTo = restrictedTo,
            UpdatedAt = time.GetUtcNow().UtcDateTime,
        };
        return (cred, key);
    }

    /// <summary>Draws a new seed: the old key stops working immediately. Caller saves.</summary>
    public string Rotate(CredentialEntity cred)
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var key = Derive(cred.RoleId, seed);
        cred.ApiKeySeed = seed;
        cred.ApiKeyHash = cipher.ApiKeyHasher.Hash(key);
        cred.UpdatedAt = time.GetUtcNow().UtcDateTime;
        return key;
    }

    /// <summary>The role's current API key (for login), or null when it has none.</summary>
    public string? CurrentApiKey(CredentialEntity cred) => cred.ApiKeySeed is { } seed ? Derive(cred.RoleId, seed) : null;

    /// <summary>Constant-time API-key check; a null credential still pays for one HMAC and one comparison.</summary>
    public bool VerifyApiKey(CredentialEntity? cred, string presented)
    {
        // An unknown role compares against a fixed value: the same work (one HMAC, one 32-byte comparison) as a known one.
        var ok = cipher.ApiKeyHasher.Verify(presented, cred?.ApiKeyHash ?? DummyHash);
        return ok && cred is not null && !IsExpired(cred);
    }

    /// <summary>Password check (Argon2id); a role without a password, or no role, runs the dummy verification.</summary>
    public bool VerifyPassword(CredentialEntity? cred, string presented)
    {
        if (cred?.EncryptedPasswordHash is not { } encrypted)
        {
            passwords.VerifyDummy(presented);
            return false;
        }

        var phc = cipher.DecryptString(encrypted, cred.RoleId);
        return passwords.Verify(presented, phc) && !IsExpired(cred);
    }

    public void SetPassword(CredentialEntity cred, string password)
    {
        cred.EncryptedPasswordHash = cipher.EncryptString(passwords.Hash(password), cred.RoleId);
        cred.UpdatedAt = time.GetUtcNow().UtcDateTime;
    }

    private bool IsExpired(CredentialEntity cred) => cred.Expiration is { } exp && exp <= time.GetUtcNow().UtcDateTime;

    private string Derive(string roleId, byte[] seed)
    {
        var role = Encoding.UTF8.GetBytes(roleId);
        var input = new byte[role.Length + 1 + seed.Length];
        role.CopyTo(input, 0);
        seed.CopyTo(input, role.Length + 1);
        return ApiKeys.Encode(HMACSHA256.HashData(cipher.ApiKeyDerivationKey, input));
    }

}

/// <summary>The outcome of <see cref="CredentialStore.CheckApiKeyAsync"/>: whether the role has credentials, both checks, its restriction.</summary>
internal sealed record ApiKeyCheck(bool Found, bool KeyMatches, bool AddressAllowed, string RestrictedTo);

/// <summary>The one row <see cref="CredentialStore.CheckApiKeyAsync"/> reads: the role's credential, or the dummy.</summary>
internal sealed record CredentialCheckRow(byte[]? ApiKeyHash, DateTime? Expiration, string RestrictedTo, int Found);
