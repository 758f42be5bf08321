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

namespace Secrets.Server.Authentication;

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

                var key = TokenSigningKey.ImportPkcs8(cipher.Decrypt(row.PrivateKey, SigningKeyEntity.IdFor(row.Account)));
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
