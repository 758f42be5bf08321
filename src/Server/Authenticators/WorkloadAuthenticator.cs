using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Secrets.Authn.Jwt;
using Secrets.Authn.Keys;
using Secrets.Server.Configuration;

namespace Secrets.Server.Authenticators;

/// <summary>
/// One authenticator type (<c>authn-jwt</c>, <c>authn-k8s</c>): turns an instance's configuration into a
/// <see cref="WorkloadAuthenticator"/>, or into the reason it cannot (which the status endpoint names).
/// </summary>
internal abstract class WorkloadAuthenticatorType
{
    public abstract string Type { get; }

    public abstract ConfiguredInstance Configure(InstanceConfiguration configuration, AuthenticatorResources resources);

    /// <summary><c>CONJ00037E</c> for the first of <paramref name="names"/> declared without a value, else null.</summary>
    protected static string? MissingValue(InstanceConfiguration c, IEnumerable<string> names) =>
        names.FirstOrDefault(n => c.Declares(n) && c.Value(n) is null) is { } name
            ? $"CONJ00037E Missing value for resource: {c.Account}:variable:conjur/{c.Type}/{c.ServiceId}/{name}"
            : null;

    /// <summary>The static keys of <c>public-keys</c> (Conjur's <c>{"type":"jwks","value":…}</c>), or why they do not parse.</summary>
    protected static (IJwtKeySource? Keys, string? Error) PublicKeys(InstanceConfiguration c) =>
        StaticKeySource.FromConjurPublicKeys(c.Value("public-keys")!) is { } keys
            ? (keys, null)
            : (null, "CONJ00120E Failed to parse 'public-keys': the value must be {\"type\":\"jwks\",\"value\":{\"keys\":[…]}} with at least one RSA or EC key");

    /// <summary>The URL of variable <paramref name="name"/>, https unless SECRETS_AUTHN_ALLOW_HTTP, or why it is not one.</summary>
    protected static (Uri? Url, string? Error) HttpsUrl(InstanceConfiguration c, string name, AuthenticatorResources resources) =>
        Uri.TryCreate(c.Value(name), UriKind.Absolute, out var url)
            && (url.Scheme == Uri.UriSchemeHttps || (url.Scheme == Uri.UriSchemeHttp && resources.Workload.AllowHttp))
            ? (url, null)
            : (null, $"CONJ00087E Failed to parse '{name}': an https URL is required");
}

/// <summary>An instance of a type: its configuration, and the authenticator built from it or why none could be.</summary>
internal sealed record ConfiguredInstance(InstanceConfiguration Configuration, WorkloadAuthenticator? Authenticator, string? ConfigurationError)
{
    public static ConfiguredInstance Invalid(InstanceConfiguration configuration, string error) => new(configuration, null, error);
}

/// <summary>
/// The authenticator-specific steps of the authenticate pipeline (<see cref="AuthenticatePipeline"/>): validate the
/// credential (step 4), check the host's annotations (step 8), and, for what is expensive or counted (a Kubernetes
/// TokenReview), confirm only after every cheap check passed.
/// </summary>
internal abstract class WorkloadAuthenticator
{
    /// <summary>Step 4: the credential → the login it proves, or the reason it does not.</summary>
    public abstract ValueTask<CredentialCheck> ValidateAsync(string credential, string? urlLogin, CancellationToken ct);

    /// <summary>Step 8: the host's annotations against the validated credential; null when they hold.</summary>
    public abstract string? CheckRestrictions(CredentialCheck check, IReadOnlyDictionary<string, string> annotations);

    /// <summary>After every other check: a confirmation that costs a call (TokenReview); null when confirmed.</summary>
    public virtual ValueTask<string?> ConfirmAsync(CredentialCheck check, string credential, CancellationToken ct) => ValueTask.FromResult<string?>(null);

    /// <summary>The status check (spec 2.3): null when the instance can authenticate now, else what is wrong.</summary>
    public abstract ValueTask<string?> StatusAsync(CancellationToken ct);

    /// <summary>For the status: remote keys that were never fetched are fetched now (rate-limited), and a failure named.</summary>
    protected static async ValueTask<string?> KeyStatusAsync(IJwtKeySource? keys, string what, CancellationToken ct)
    {
        if (keys is not RemoteKeySource remote)
        {
            return null;
        }

        var error = remote.FetchedAt is null ? await remote.RefreshAsync(ct) : KeyFetchError.None;
        return error == KeyFetchError.None ? null : $"CONJ00087E Failed to fetch {what}: {error}";
    }
}

/// <summary>
/// The outcome of step 4. <see cref="Failure"/> (null on success) goes to the audit record only, as do
/// <see cref="Kid"/> and <see cref="Issuer"/> (unverified on failure). <see cref="State"/> is what the type needs for
/// its later steps (the verified claims, the service-account identity).
/// </summary>
internal sealed record CredentialCheck(string? Failure, string? Login, DateTimeOffset ExpiresAt, string? Kid, string? Issuer, object? State)
{
    public static CredentialCheck Fail(string failure, string? kid = null, string? issuer = null) => new(failure, null, default, kid, issuer, null);
}

/// <summary>
/// What authenticator instances share across rebuilds of their configuration, keyed by what makes them different:
/// remote key sets (a JWKS URL or OIDC discovery, each with its cache, single-flight refresh and last-known-good
/// set) and HTTP clients per trusted CA. A changed variable value makes a new key; old entries are few and are
/// dropped when the map grows past its cap.
/// </summary>
internal sealed class AuthenticatorResources(ServerSettings settings) : IDisposable
{
    private const int MaxEntries = 256;
    private readonly ConcurrentDictionary<string, Lazy<RemoteKeySource>> _keySources = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<HttpClient>> _clients = new(StringComparer.Ordinal);

    public TimeProvider Time => settings.Time;

    public WorkloadIdentitySettings Workload => settings.WorkloadIdentity;

    public RemoteKeySourceOptions KeySourceOptions => new() { AllowHttp = settings.WorkloadIdentity.AllowHttp };

    /// <summary>An HTTP client that trusts <paramref name="caPem"/> (only), or the system roots when null.</summary>
    public HttpClient Client(string? caPem)
    {
        var key = caPem is null ? "" : Fingerprint(caPem);
        Trim(_clients);
        return _clients.GetOrAdd(key, _ => new Lazy<HttpClient>(() => new HttpClient(TrustedHttp.CreateHandler(caPem)) { Timeout = Timeout.InfiniteTimeSpan })).Value;
    }

    public RemoteKeySource JwksUri(Uri uri, string? caPem) =>
        KeySource($"jwks|{uri}|{(caPem is null ? "" : Fingerprint(caPem))}", () => RemoteKeySource.ForJwksUri(uri, Client(caPem), KeySourceOptions, Time));

    public RemoteKeySource Discovery(string issuer, string? caPem) =>
        KeySource($"oidc|{issuer}|{(caPem is null ? "" : Fingerprint(caPem))}", () => RemoteKeySource.ForDiscovery(issuer, Client(caPem), KeySourceOptions, Time));

    private RemoteKeySource KeySource(string key, Func<RemoteKeySource> create)
    {
        Trim(_keySources);
        return _keySources.GetOrAdd(key, _ => new Lazy<RemoteKeySource>(create)).Value;
    }

    private static void Trim<T>(ConcurrentDictionary<string, Lazy<T>> map)
    {
        // Entries are not disposed when dropped: an instance being used right now may still hold one.
        if (map.Count >= MaxEntries)
        {
            map.Clear();
        }
    }

    public static string Fingerprint(string value) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    public void Dispose()
    {
        foreach (var source in _keySources.Values.Where(l => l.IsValueCreated))
        {
            source.Value.Dispose();
        }

        foreach (var client in _clients.Values.Where(l => l.IsValueCreated))
        {
            client.Value.Dispose();
        }
    }
}
