using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Secrets.Authn.Network;
using Secrets.Authn.Tokens;
using Secrets.Authn.Wire;
using Secrets.Policy.Store;
using Secrets.Server.Accounts;
using Secrets.Server.Configuration;
using Secrets.Server.Crypto;
using Secrets.Server.Data;
using Secrets.Server.Http;

namespace Secrets.Server.Authentication;

internal sealed record TokenOutcome(Caller? Caller, ConjurError? Error);

/// <summary>Issues and verifies access tokens (spec 3) with the account's key and the configured lifetimes.</summary>
internal sealed class TokenService(KeyRing keys, TokenOptions options, TimeProvider time)
{
    private const int VerifiedCacheSize = 50_000;
    private readonly ConcurrentDictionary<string, VerifiedAccessToken> _verified = new(StringComparer.Ordinal);

    /// <summary>
    /// The token JSON for a role, or null when the account has no signing key or the role may not hold a token: its
    /// <c>sub</c> must parse back to exactly this role, a user or a host (issue 8: the user <c>user/admin</c> would
    /// otherwise get the <c>sub</c> of <c>admin</c>). <paramref name="cidrs"/> (the role's restricted_to) becomes the
    /// token's cidr claim; entries that do not parse could never match and are left out. <paramref name="notAfter"/>
    /// caps the lifetime at the expiry of the credential exchanged (a workload's JWT): null, also when that expiry
    /// is already past (the validator's clock skew allows it), so no token outlives what it was issued for.
    /// </summary>
    public Task<string?> IssueAsync(string account, string roleId, CancellationToken ct, IReadOnlyList<string>? cidrs = null, DateTimeOffset? notAfter = null)
    {
        _ = ct;
        var key = keys.SigningKey(account);
        if (key is null || !FullId.CanHoldCredentials(roleId)
            || !FullId.TryGetLogin(roleId, out var login))
        {
            return Task.FromResult<string?>(null);
        }

        var now = time.GetUtcNow();
        var ttl = login.StartsWith("host/", StringComparison.Ordinal) ? options.HostTtl : options.UserTtl;
        if (notAfter is { } cap && cap - now < ttl)
        {
            ttl = cap - now;
            if (ttl < TimeSpan.FromSeconds(1))
            {
                return Task.FromResult<string?>(null);
            }
        }

        if (ttl < TimeSpan.FromSeconds(1))
        {
            ttl = TimeSpan.FromSeconds(1);
        }

        var claim = cidrs?.Where(c => CidrRestriction.TryParse(c, out _)).ToList();
        return Task.FromResult<string?>(AccessTokens.Issue(key, login, now, ttl, claim));
    }

    public TokenOutcome Verify(string? header, IPAddress? client)
    {
        var now = time.GetUtcNow();

        // Clients reuse one token for minutes (8 by default), and an ECDSA verification costs a few hundred
        // microseconds: remember tokens that verified, keyed by a SHA-256 of the header (the cache holds no token),
        // and re-check what can change on every request: expiry and the client address against the cidr claim.
        var cacheKey = header is { Length: > 0 and <= 16 * 1024 } ? Hashes.Sha256Hex(header) : null;
        if (cacheKey is null || !_verified.TryGetValue(cacheKey, out var t) || t.ExpiresAt <= now || keys.ByKid(t.Kid) is null)
        {
            var result = AccessTokens.Verify(header, keys.ByKid, now);
            if (!result.Succeeded)
            {
                return new TokenOutcome(null, ConjurError.PlainText(401, result.ErrorMessage));
            }

            t = result.Token;
            if (cacheKey is not null)
            {
                if (_verified.Count >= VerifiedCacheSize)
                {
                    _verified.Clear();
                }

                _verified[cacheKey] = t;
            }
        }

        if (t.Cidrs.Count > 0 && (client is null || !CidrRestriction.IsAllowed(client, t.Cidrs)))
        {
            return new TokenOutcome(null, Errors.IpRejected());
        }

        return new TokenOutcome(new Caller(t.Account, t.RoleId, t.Subject, t.IssuedAt), null);
    }
}
