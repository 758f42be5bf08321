using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Secrets.Authn.Credentials;
using Secrets.Server.Crypto;
using Secrets.Server.Data;

namespace Secrets.Server.HostFactories;

/// <summary>
/// Host-factory tokens at rest (spec 2.8, 10): the row key is the lowercase hex SHA-256 of the token, the token itself
/// is sealed with the data key (bound to that hash, the factory, the expiry and the CIDRs: <see cref="SealedRows"/>), so the
/// database alone never yields a usable token, and a row whose factory, expiry or CIDRs were changed does not open.
/// </summary>
internal sealed class HostFactoryTokenStore(SecretsDbContext db, DataKeyCipher cipher)
{
    /// <summary>Longer than any token we issue (56 characters at most) by a wide margin; longer input is not hashed.</summary>
    private const int MaxTokenLength = 256;

    /// <summary>Adds <paramref name="count"/> fresh tokens to the context and returns them (the only time they are seen). Caller saves.</summary>
    public IReadOnlyList<string> Issue(string account, string factoryId, DateTime expiration, IReadOnlyList<string> cidrs, int count)
    {
        // The token is bound to its factory, expiry and CIDRs (SealedRows): a row re-pointed, extended or widened fails.
        var stored = SealedRows.StoredExpiration(expiration);
        var cidr = string.Join(',', cidrs);
        var tokens = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var token = HostFactoryTokens.Generate();
            var sha = Hashes.Sha256Hex(token);
            db.HostFactoryTokens.Add(new HostFactoryTokenEntity
            {
                TokenSha256 = sha,
                Token = cipher.SealHostFactoryToken(token, sha, factoryId, stored, cidr),
                ResourceId = factoryId,
                Account = account,
                Cidr = cidr,
                Expiration = stored,
            });
            tokens.Add(token);
        }

        return tokens;
    }

    /// <summary>
    /// The row of <paramref name="presented"/>, or null. The hash only finds the row; the sealed token is the authority
    /// (as Conjur's <c>HostFactoryToken.from_token</c> compares the decrypted token), compared in constant time. The
    /// lookup itself leaks nothing useful by its timing: its key is a hash of the secret, not the secret.
    /// </summary>
    public async Task<HostFactoryTokenEntity?> FindAsync(string presented, CancellationToken ct)
    {
        if (presented.Length is 0 or > MaxTokenLength)
        {
            return null;
        }

        var sha = Hashes.Sha256Hex(presented);
        var row = await db.HostFactoryTokens.SingleOrDefaultAsync(t => t.TokenSha256 == sha, ct);
        if (row is null)
        {
            return null;
        }

        // A row that does not decrypt means a wrong data key or tampering: Decrypt throws, the pipeline answers 422 data_key_invalid.
        var stored = cipher.OpenHostFactoryToken(row.Token, row.TokenSha256, row.ResourceId, row.Expiration, row.Cidr);
        return CryptographicOperations.FixedTimeEquals(stored, Encoding.UTF8.GetBytes(presented)) ? row : null;
    }
}
