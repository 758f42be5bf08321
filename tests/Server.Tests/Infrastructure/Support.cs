using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Secrets.Server.Accounts;
using Secrets.Server.Authentication;
using Secrets.Server.Authorization;
using Secrets.Server.Crypto;
using Secrets.Server.Data;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Infrastructure;

/// <summary>
/// Users and hosts written straight into the database. Roles other than an account's admin cannot be created over
/// HTTP until the policy engine lands (another issue); until then these tests create the role, its resource and its
/// credentials the way a policy load will, through <see cref="CredentialStore"/>.
/// </summary>
internal static class DirectRoles
{
    /// <summary>Creates <c>account:kind:identifier</c> owned by the account's admin; returns its API key ("" without credentials).</summary>
    public static Task<string> CreateAsync(
        ServerFixture f,
        string kind,
        string identifier,
        string? password = null,
        string restrictedTo = "",
        DateTime? expiration = null,
        bool withCredentials = true,
        string account = ServerFixture.Account) =>
        f.WithDbAsync(async db =>
        {
            var roleId = $"{account}:{kind}:{identifier}";
            var now = f.Time.GetUtcNow().UtcDateTime;
            db.Roles.Add(new RoleEntity { RoleId = roleId, Account = account, CreatedAt = now });
            db.Resources.Add(new ResourceEntity { ResourceId = roleId, Account = account, Kind = kind, OwnerId = AccountService.AdminRoleId(account), CreatedAt = now });
            var apiKey = "";
            if (withCredentials)
            {
                using var cipher = new DataKeyCipher(f.Settings.Encryption.DataKey);
                var store = new CredentialStore(db, cipher, f.Settings.PasswordHasher, f.Time);
                var (cred, key) = store.Create(roleId, account, restrictedTo);
                cred.Expiration = expiration;
                if (password is not null)
                {
                    store.SetPassword(cred, password);
                }

                apiKey = key;
            }

            await db.SaveChangesAsync();

            // As a policy load does: every node's cached role graph must see the change. The server observes it at once,
            // as it would its own write (a write through another node would arrive with its notification).
            f.Services.GetRequiredService<AuthorizationVersions>().Observe(await AuthorizationVersion.BumpAsync(db, CancellationToken.None));
            return apiKey;
        });

    public static Task<string> CreateUserAsync(ServerFixture f, string login, string? password = null, string restrictedTo = "") =>
        CreateAsync(f, "user", login, password, restrictedTo);

    public static Task<string> CreateHostAsync(ServerFixture f, string identifier, string restrictedTo = "") =>
        CreateAsync(f, "host", identifier, restrictedTo: restrictedTo);

    /// <summary>Deletes a role as a policy `delete` will (credentials and owned resources go with it).</summary>
    public static Task DeleteAsync(ServerFixture f, string roleId) =>
        f.WithDbAsync(async db =>
        {
            await db.Credentials.Where(c => c.RoleId == roleId).ExecuteDeleteAsync();
            await db.Resources.Where(r => r.ResourceId == roleId).ExecuteDeleteAsync();
            var deleted = await db.Roles.Where(r => r.RoleId == roleId).ExecuteDeleteAsync();
            f.Services.GetRequiredService<AuthorizationVersions>().Observe(await AuthorizationVersion.BumpAsync(db, CancellationToken.None));
            return deleted;
        });
}

/// <summary>
/// Builds access tokens by hand (ES256 over the JSON serialization, spec 3.2 with the Authn library's DECISION), with
/// our own code rather than the server's, so tests can present tokens the server would never issue.
/// </summary>
internal static class TokenForge
{
    /// <summary>The account's signing key, decrypted from the database as the server's key ring does.</summary>
    public static async Task<ECDsa> AccountKeyAsync(ServerFixture f, string account = ServerFixture.Account)
    {
        var row = await f.WithDbAsync(db => db.SigningKeys.AsNoTracking().SingleAsync(k => k.Account == account));
        using var cipher = new DataKeyCipher(f.Settings.Encryption.DataKey);
        var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(cipher.Decrypt(row.PrivateKey, SigningKeyEntity.IdFor(account)), out _);
        return key;
    }

    public static string Kid(ECDsa key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));

    public static string Header(ECDsa key) => $"{{\"alg\":\"ES256\",\"kid\":\"{Kid(key)}\"}}";

    /// <summary>Claims JSON: iat, sub, exp, and whatever members <paramref name="extra"/> adds (e.g. <c>"cidr":["10.0.0.0/8"]</c>).</summary>
    public static string Claims(DateTimeOffset issuedAt, string sub, TimeSpan? ttl = null, string? extra = null)
    {
        var iat = issuedAt.ToUnixTimeSeconds();
        var exp = iat + (long)(ttl ?? TimeSpan.FromSeconds(480)).TotalSeconds;
        return $"{{\"iat\":{iat},\"sub\":{JsonSerializer.Serialize(sub)},\"exp\":{exp}{(extra is null ? "" : "," + extra)}}}";
    }

    public static string Sign(ECDsa key, string headerJson, string claimsJson)
    {
        var protectedPart = UrlSafe(Encoding.UTF8.GetBytes(headerJson));
        var payloadPart = UrlSafe(Encoding.UTF8.GetBytes(claimsJson));
        var signature = LowS(key.SignData(Encoding.ASCII.GetBytes($"{protectedPart}.{payloadPart}"), HashAlgorithmName.SHA256));
        return $"{{\"protected\":\"{protectedPart}\",\"payload\":\"{payloadPart}\",\"signature\":\"{UrlSafe(signature)}\"}}";
    }

    /// <summary>The P-256 group order n.</summary>
    public static readonly System.Numerics.BigInteger Order = new(
        Convert.FromHexString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"), isUnsigned: true, isBigEndian: true);

    /// <summary>The server accepts only the low-s form of a signature (r, s ≤ n/2); this returns it.</summary>
    public static byte[] LowS(byte[] signature)
    {
        var s = new System.Numerics.BigInteger(signature.AsSpan(32), isUnsigned: true, isBigEndian: true);
        return s <= Order >> 1 ? signature : WithS(signature, Order - s);
    }

    /// <summary>The other signature of the same bytes, (r, n − s).</summary>
    public static byte[] Twin(byte[] signature) =>
        WithS(signature, Order - new System.Numerics.BigInteger(signature.AsSpan(32), isUnsigned: true, isBigEndian: true));

    private static byte[] WithS(byte[] signature, System.Numerics.BigInteger s)
    {
        var result = new byte[64];
        signature.AsSpan(0, 32).CopyTo(result);
        s.TryWriteBytes(result.AsSpan(64 - s.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        return result;
    }

    public static string UrlSafe(byte[] bytes) => Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');

    public static byte[] FromUrlSafe(string text) => Convert.FromBase64String(text.Replace('-', '+').Replace('_', '/'));

    /// <summary>The three fields of a token JSON.</summary>
    public static (string Protected, string Payload, string Signature) Fields(string tokenJson)
    {
        using var doc = JsonDocument.Parse(tokenJson);
        var root = doc.RootElement;
        return (root.GetProperty("protected").GetString()!, root.GetProperty("payload").GetString()!, root.GetProperty("signature").GetString()!);
    }

    public static JsonElement DecodedPayload(string tokenJson) =>
        JsonDocument.Parse(FromUrlSafe(Fields(tokenJson).Payload)).RootElement.Clone();

    public static JsonElement DecodedHeader(string tokenJson) =>
        JsonDocument.Parse(FromUrlSafe(Fields(tokenJson).Protected)).RootElement.Clone();
}
