using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Secrets.Authn.Network;
using Secrets.Authn.Tokens;
using Secrets.Authn.Wire;
using Secrets.Server.Accounts;
using Secrets.Server.Configuration;
using Secrets.Server.Crypto;
using Secrets.Server.Data;
using Secrets.Server.Http;

namespace Secrets.Server.Authn;

/// <summary>
/// The accounts' token-signing keys, decrypted once and kept in memory. A key this node has not seen (an account
/// created through another node sharing the database) is loaded on first use; unknown key ids reload the ring at
/// most once a second so that tokens with random key ids cannot turn into a database load.
/// </summary>
internal sealed class KeyRing(ISecretsDbFactory dbFactory, DataKeyCipher cipher, TimeProvider time) : IDisposable
{
    private readonly ConcurrentDictionary<string, TokenSigningKey> _byAccount = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TrustedTokenKey> _byKid = new(StringComparer.Ordinal);
    private static readonly TimeSpan FullReloadInterval = TimeSpan.FromSeconds(30);
    private readonly Lock _reloadGate = new();
    private long _lastReloadTicks = long.MinValue;

    public TokenSigningKey? SigningKey(string account)
    {
        if (_lastReloadTicks != long.MinValue && time.GetElapsedTime(_lastReloadTicks) > FullReloadInterval)
        {
            Reload(force: false);
        }

        if (_byAccount.TryGetValue(account, out var key))
        {
            return key;
        }

        Reload(force: true);
        return _byAccount.GetValueOrDefault(account);
    }

    public TrustedTokenKey? ByKid(string kid)
    {
        // Keys of accounts deleted through another node must stop verifying: re-read the whole ring now and then.
        if (_lastReloadTicks != long.MinValue && time.GetElapsedTime(_lastReloadTicks) > FullReloadInterval)
        {
            Reload(force: false);
        }

        if (_byKid.TryGetValue(kid, out var key))
        {
            return key;
        }

        Reload(force: false);
        return _byKid.GetValueOrDefault(kid);
    }

    private void Reload(bool force)
    {
        lock (_reloadGate)
        {
            var now = time.GetTimestamp();
            if (!force && _lastReloadTicks != long.MinValue && time.GetElapsedTime(_lastReloadTicks, now) < TimeSpan.FromSeconds(1))
            {
                return;
            }

            _lastReloadTicks = now;
            using var db = dbFactory.Create();
            var rows = db.SigningKeys.AsNoTracking().ToList();
            var current = rows.Select(r => r.Fingerprint).ToHashSet(StringComparer.Ordinal);
            foreach (var gone in _byKid.Where(k => !current.Contains(k.Key)).ToList())
            {
                _byKid.TryRemove(gone.Key, out _);
                if (_byAccount.TryGetValue(gone.Value.Account, out var signing) && signing.Kid == gone.Key)
                {
                    _byAccount.TryRemove(gone.Value.Account, out _);
                }
            }

            foreach (var row in rows)
            {
                if (_byKid.ContainsKey(row.Fingerprint))
                {
                    continue;
                }

                var key = TokenSigningKey.ImportPkcs8(cipher.Decrypt(row.PrivateKey, AccountService.SigningKeyId(row.Account)));
                _byAccount[row.Account] = key;
                _byKid[key.Kid] = new TrustedTokenKey(row.Account, key.VerificationKey);
            }
        }
    }

    public void Dispose()
    {
        foreach (var key in _byAccount.Values)
        {
            key.Dispose();
        }
    }
}

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
    /// token's cidr claim; entries that do not parse could never match and are left out.
    /// </summary>
    public Task<string?> IssueAsync(string account, string roleId, CancellationToken ct, IReadOnlyList<string>? cidrs = null)
    {
        _ = ct;
        var key = keys.SigningKey(account);
        if (key is null || !global::Secrets.Authn.Roles.RoleIds.CanHoldCredentials(roleId)
            || !global::Secrets.Authn.Roles.RoleIds.TryGetLogin(roleId, out var login))
        {
            return Task.FromResult<string?>(null);
        }

        var ttl = login.StartsWith("host/", StringComparison.Ordinal) ? options.HostTtl : options.UserTtl;
        if (ttl < TimeSpan.FromSeconds(1))
        {
            ttl = TimeSpan.FromSeconds(1);
        }

        var claim = cidrs?.Where(c => CidrRestriction.TryParse(c, out _)).ToList();
        return Task.FromResult<string?>(AccessTokens.Issue(key, login, time.GetUtcNow(), ttl, claim));
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

/// <summary>The authenticate response: token JSON, or its Base64 when Accept-Encoding lists base64 (spec 2.1).</summary>
internal static class TokenResponses
{
    public static ContentHttpResult Write(HttpContext ctx, string tokenJson)
    {
        if (AcceptEncoding.ListsBase64(ctx.Request.Headers.AcceptEncoding.ToString()))
        {
            ctx.Response.Headers.ContentEncoding = "base64";
            return TypedResults.Content(AccessTokens.ToBase64(tokenJson), "text/plain");
        }

        return TypedResults.Content(tokenJson, "application/json");
    }
}

/// <summary>restricted_to enforcement at authentication (spec 4.2).</summary>
internal static class Restrictions
{
    public static IReadOnlyList<string> Parse(string stored) =>
        stored.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static bool Allows(string stored, IPAddress? client)
    {
        var cidrs = Parse(stored);
        return cidrs.Count == 0 || (client is not null && CidrRestriction.IsAllowed(client, cidrs));
    }
}

internal static class ClientAddressMiddleware
{
    /// <summary>Resolves the client address once per request (X-Forwarded-For only behind trusted proxies, spec 1.3).</summary>
    public static void UseClientAddress(this WebApplication app)
    {
        var network = app.Services.GetRequiredService<NetworkOptions>();
        var trusted = network.ToTrustedProxies();
        app.Use((ctx, next) =>
        {
            var forwarded = ctx.Request.Headers["X-Forwarded-For"];
            ClientAddresses.Set(ctx, ClientAddress.Resolve(ctx.Connection.RemoteIpAddress, forwarded.Count == 0 ? null : string.Join(',', forwarded.ToArray()), trusted));
            return next(ctx);
        });
    }
}
