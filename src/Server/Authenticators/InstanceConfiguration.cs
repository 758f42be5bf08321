using System.Collections.Concurrent;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Secrets.Policy.Authorization;
using Secrets.Server.Authorization;
using Secrets.Server.Crypto;
using Secrets.Server.Data;
using Secrets.Server.Variables;

namespace Secrets.Server.Authenticators;

/// <summary>
/// One authenticator instance as policy configures it (spec 7.1): the variables of the branch
/// <c>conjur/&lt;type&gt;/&lt;service-id&gt;</c>, named relative to it (<c>audience</c>, <c>kubernetes/api-url</c>), each
/// with its latest value decrypted, or null when the variable exists without a value; and the database's
/// enabled flag (PATCH).
/// </summary>
internal sealed record InstanceConfiguration(
    string Account, string Type, string ServiceId, bool EnabledInDatabase, IReadOnlyDictionary<string, string?> Variables)
{
    /// <summary>The instance id of spec 7.1 and of CONJUR_AUTHENTICATORS: <c>authn-jwt/github</c>.</summary>
    public string Instance => $"{Type}/{ServiceId}";

    public string WebserviceId => WebserviceOf(Account, Type, ServiceId);

    public static string WebserviceOf(string account, string type, string serviceId) => $"{account}:webservice:conjur/{type}/{serviceId}";

    /// <summary>Whether the variable is declared in policy (with or without a value).</summary>
    public bool Declares(string name) => Variables.ContainsKey(name);

    /// <summary>The value, trimmed (values are often set from files with a final newline); null when unset or blank.</summary>
    public string? Value(string name) => Variables.GetValueOrDefault(name)?.Trim() is { Length: > 0 } v ? v : null;

    /// <summary>Reads the variables and the flag from the store (the secret values through the data key).</summary>
    /// <remarks>
    /// The variables come from the snapshot's sorted ids (no prefix scan of the resources table); their values are
    /// primary-key reads of exactly those ids.
    /// </remarks>
    public static async Task<InstanceConfiguration> ReadAsync(
        SecretsDbContext db, AuthorizationSnapshot snapshot, DataKeyCipher cipher, string account, string type, string serviceId, CancellationToken ct)
    {
        var webservice = WebserviceOf(account, type, serviceId);
        var prefix = $"{account}:variable:conjur/{type}/{serviceId}/";
        var declared = snapshot.ResourcesWithPrefix(prefix);
        var rows = declared.Count == 0 ? [] : await db.Secrets.AsNoTracking()
            .Where(s => declared.Contains(s.ResourceId))
            .Select(s => new { s.ResourceId, s.Version, s.Value })
            .ToListAsync(ct);
        var versions = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            versions[row.ResourceId] = Math.Max(row.Version, versions.GetValueOrDefault(row.ResourceId));
        }

        var variables = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var id in declared.Where(id => id.Length > prefix.Length))
        {
            variables[id[prefix.Length..]] = null;
        }

        foreach (var row in rows.Where(r => versions.GetValueOrDefault(r.ResourceId) == r.Version && variables.ContainsKey(r.ResourceId[prefix.Length..])))
        {
            var plain = cipher.OpenSecret(row.Value, account, row.ResourceId, row.Version);
            variables[row.ResourceId[prefix.Length..]] = new UTF8Encoding(false, false).GetString(plain);
        }

        var enabled = await db.AuthenticatorConfigs.AsNoTracking().AnyAsync(c => c.ResourceId == webservice && c.Enabled, ct);
        return new InstanceConfiguration(account, type, serviceId, enabled, variables);
    }
}

/// <summary>
/// The node's configured authenticator instances, built from <see cref="InstanceConfiguration"/> by their type
/// (<see cref="WorkloadAuthenticatorType"/>). An instance is kept only while the node's change listener is live
/// (PostgreSQL), and only as long as nothing it was read from may have changed: the authorization version (the
/// webservice, the variables, permissions and annotations) and the secret-value generation, which moves with every
/// new secret version and with every PATCH of an enabled flag, on any node (both notify <c>secrets_values</c>). When
/// the listener is not live (SQLite, or PostgreSQL while it reconnects) every request reads the configuration again:
/// a few indexed rows and an AES-GCM open per variable. The expensive parts (remote key sets with their caches, HTTP
/// clients) live in <see cref="AuthenticatorResources"/> and survive a rebuild.
/// </summary>
internal sealed class AuthenticatorInstances(
    IEnumerable<WorkloadAuthenticatorType> types, SecretValueCache values, AuthorizationVersions versions, DataKeyCipher cipher, AuthenticatorResources resources)
{
    private const int MaxEntries = 1_000;
    private readonly Dictionary<string, WorkloadAuthenticatorType> _types = types.ToDictionary(t => t.Type, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The types this server implements (the <c>installed</c> list of GET /authenticators).</summary>
    public IEnumerable<string> Types => _types.Keys;

    public bool Implements(string type) => _types.ContainsKey(type);

    /// <summary>The instance, configured or with the reason its configuration is unusable.</summary>
    public async Task<ConfiguredInstance> GetAsync(SecretsDbContext db, AuthorizationSnapshot snapshot, string account, string type, string serviceId, CancellationToken ct)
    {
        var authorizationVersion = snapshot.Version;
        var key = $"{account}:{type}/{serviceId}";
        var live = versions.Live;
        var generation = values.Generation;
        if (live && _entries.TryGetValue(key, out var kept) && kept.AuthorizationVersion == authorizationVersion && kept.Generation == generation)
        {
            return kept.Instance;
        }

        var configuration = await InstanceConfiguration.ReadAsync(db, snapshot, cipher, account, type, serviceId, ct);

        // Without a live listener the configuration is read per request, but the same values build the same
        // instance: reuse it (parsed keys, claim rules) instead of building it again.
        var fingerprint = Fingerprint(configuration);
        if (_built.TryGetValue(key, out var same) && same.Fingerprint == fingerprint)
        {
            return same.Instance;
        }

        var instance = _types[type].Configure(configuration, resources);
        if (_built.Count >= MaxEntries)
        {
            _built.Clear();
        }

        _built[key] = (fingerprint, instance);
        if (live)
        {
            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }

            // Kept with the generation read before the configuration: a write in between makes it stale at once.
            _entries[key] = new Entry(instance, authorizationVersion, generation);
        }

        return instance;
    }

    private sealed record Entry(ConfiguredInstance Instance, long AuthorizationVersion, long Generation);

    private readonly ConcurrentDictionary<string, (string Fingerprint, ConfiguredInstance Instance)> _built = new(StringComparer.Ordinal);

    /// <summary>A SHA-256 over the flag and every (name, value), length-prefixed, so no two configurations share it.</summary>
    private static string Fingerprint(InstanceConfiguration c)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        void Add(string? text)
        {
            var bytes = text is null ? [] : Encoding.UTF8.GetBytes(text);
            hash.AppendData(BitConverter.GetBytes(text is null ? -1 : bytes.Length));
            hash.AppendData(bytes);
        }

        Add(c.EnabledInDatabase ? "1" : "0");
        foreach (var (name, value) in c.Variables.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            Add(name);
            Add(value);
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
