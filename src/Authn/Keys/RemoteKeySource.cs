using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Secrets.Authn.Jwt;

namespace Secrets.Authn.Keys;

/// <summary>
/// The keys of one issuer, fetched over HTTP from a JWKS URL or found through OIDC discovery
/// (<c>&lt;issuer&gt;/.well-known/openid-configuration</c> → <c>jwks_uri</c>).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Single flight: concurrent requests that need a refresh wait for one fetch instead of starting their own.</item>
/// <item>Rate limit: at most one fetch attempt per <see cref="RemoteKeySourceOptions.MinRefreshInterval"/>, whatever
/// triggers it (unknown <c>kid</c>, stale set, earlier failure), so random kids cannot flood the issuer (row 25).</item>
/// <item>Synchronous refresh on an unknown <c>kid</c>: the request that sees a newly rotated key waits for the
/// refresh and then succeeds (row 26), unlike IdentityModel's background refresh.</item>
/// <item>Last known good: a failed fetch never discards the keys already held, however long the outage (row 27);
/// keys only disappear when a successful fetch no longer lists them.</item>
/// <item>A fetch is bounded by a timeout and a body cap and is never cancelled by the request that started it, so a
/// client disconnecting cannot waste the rate-limited attempt.</item>
/// </list>
/// </remarks>
public sealed class RemoteKeySource : IJwtKeySource, IDisposable
{
    private static readonly JsonDocumentOptions Strict = new() { MaxDepth = 16, AllowDuplicateProperties = false };

    private readonly HttpClient _http;
    private readonly RemoteKeySourceOptions _options;
    private readonly TimeProvider _time;
    private readonly Uri? _jwksUri;
    private readonly string? _issuer;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private volatile Snapshot? _current;
    private DateTimeOffset? _lastAttempt;
    private volatile int _lastError;
    private int _fetchCount;

    private RemoteKeySource(HttpClient http, RemoteKeySourceOptions options, TimeProvider time, Uri? jwksUri, string? issuer)
    {
        _http = http;
        _options = options;
        _time = time;
        _jwksUri = jwksUri;
        _issuer = issuer;
    }

    /// <summary>The last fetch error (<see cref="KeyFetchError.None"/> after a success).</summary>
    public KeyFetchError LastError => (KeyFetchError)_lastError;

    /// <summary>How many fetch attempts were made (each counts discovery and JWKS as one).</summary>
    public int FetchCount => Volatile.Read(ref _fetchCount);

    /// <summary>When the keys now held were fetched; null when none were fetched yet.</summary>
    public DateTimeOffset? FetchedAt => _current?.FetchedAt;

    /// <summary>A source for a fixed JWKS URL (<c>jwks-uri</c>).</summary>
    /// <exception cref="ArgumentException">Not an absolute https URL (http only with <see cref="RemoteKeySourceOptions.AllowHttp"/>).</exception>
    public static RemoteKeySource ForJwksUri(Uri jwksUri, HttpClient http, RemoteKeySourceOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(jwksUri);
        Validate(http, options, timeProvider);
        if (!IsAllowedUrl(jwksUri, options))
        {
            throw new ArgumentException("The JWKS URL must be an absolute https URL.", nameof(jwksUri));
        }

        return new RemoteKeySource(http, options, timeProvider, jwksUri, null);
    }

    /// <summary>
    /// A source found by OIDC discovery from <paramref name="issuer"/> (<c>provider-uri</c>, or a Kubernetes issuer).
    /// The discovery document's <c>issuer</c> must equal <paramref name="issuer"/> exactly (OpenID Connect Discovery
    /// §4.3), and its <c>jwks_uri</c> must be https.
    /// </summary>
    /// <exception cref="ArgumentException">The issuer is not an absolute https URL without query or fragment.</exception>
    public static RemoteKeySource ForDiscovery(string issuer, HttpClient http, RemoteKeySourceOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        Validate(http, options, timeProvider);
        if (!Uri.TryCreate(issuer, UriKind.Absolute, out var uri) || !IsAllowedUrl(uri, options)
            || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw new ArgumentException("The issuer must be an absolute https URL without query or fragment.", nameof(issuer));
        }

        return new RemoteKeySource(http, options, timeProvider, null, issuer);
    }

    /// <inheritdoc />
    public async ValueTask<JwtKeyLookup> GetKeysAsync(string? kid, CancellationToken cancellationToken)
    {
        var snapshot = _current;
        if (snapshot is null || _time.GetUtcNow() - snapshot.FetchedAt >= _options.RefreshInterval)
        {
            snapshot = await RefreshAsync(snapshot, cancellationToken);
        }

        if (snapshot is not null && kid is not null && !snapshot.HasKid(kid))
        {
            // A key we have not seen may have been published since the last fetch (rotation).
            snapshot = await RefreshAsync(snapshot, cancellationToken);
        }

        return snapshot is null ? new JwtKeyLookup([], Available: false) : new JwtKeyLookup(snapshot.Select(kid), Available: true);
    }

    /// <summary>
    /// Fetches now unless a fetch is already running or the last attempt is younger than
    /// <see cref="RemoteKeySourceOptions.MinRefreshInterval"/>; for the status endpoint and warm-up. Returns the error
    /// of the latest attempt.
    /// </summary>
    public async ValueTask<KeyFetchError> RefreshAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(_current, cancellationToken);
        return LastError;
    }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();

    private async ValueTask<Snapshot?> RefreshAsync(Snapshot? seen, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Someone else refreshed while we waited: use their result (single flight).
            if (!ReferenceEquals(_current, seen))
            {
                return _current;
            }

            var now = _time.GetUtcNow();
            if (_lastAttempt is { } last && now - last < _options.MinRefreshInterval)
            {
                return _current;
            }

            _lastAttempt = now;
            Interlocked.Increment(ref _fetchCount);
            var (keys, error) = await FetchAsync();
            _lastError = (int)error;
            if (keys is not null)
            {
                _current = new Snapshot(keys, _time.GetUtcNow());
            }

            return _current;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<(IReadOnlyList<JwtKey>? Keys, KeyFetchError Error)> FetchAsync()
    {
        // The fetch has its own deadline and ignores the caller's cancellation (see the remarks).
        using var timeout = new CancellationTokenSource(_options.Timeout);
        try
        {
            var jwksUri = _jwksUri;
            if (jwksUri is null)
            {
                var discoveryUri = new Uri(_issuer!.TrimEnd('/') + "/.well-known/openid-configuration");
                var (discovery, discoveryError) = await GetAsync(discoveryUri, timeout.Token);
                if (discovery is null)
                {
                    return (null, discoveryError);
                }

                var (found, findError) = ReadDiscovery(discovery);
                if (found is null)
                {
                    return (null, findError);
                }

                jwksUri = found;
            }

            var (body, error) = await GetAsync(jwksUri, timeout.Token);
            if (body is null)
            {
                return (null, error);
            }

            return JwksDocument.TryParse(body, out var keys) ? (keys, KeyFetchError.None) : (null, KeyFetchError.InvalidJwks);
        }
        catch (OperationCanceledException)
        {
            // No caller token reaches the fetch, so any cancellation is a deadline (ours or the HttpClient's).
            return (null, KeyFetchError.Timeout);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return (null, KeyFetchError.Unreachable);
        }
    }

    private (Uri? JwksUri, KeyFetchError Error) ReadDiscovery(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body, Strict);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("issuer", out var issuer) || issuer.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("jwks_uri", out var jwks) || jwks.ValueKind != JsonValueKind.String)
            {
                return (null, KeyFetchError.InvalidDiscoveryDocument);
            }

            if (!string.Equals(issuer.GetString(), _issuer, StringComparison.Ordinal))
            {
                return (null, KeyFetchError.IssuerMismatch);
            }

            return Uri.TryCreate(jwks.GetString(), UriKind.Absolute, out var uri) && IsAllowedUrl(uri, _options)
                ? (uri, KeyFetchError.None)
                : (null, KeyFetchError.InsecureJwksUri);
        }
        catch (JsonException)
        {
            return (null, KeyFetchError.InvalidDiscoveryDocument);
        }
    }

    private async Task<(byte[]? Body, KeyFetchError Error)> GetAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (_options.BearerToken is { } bearer && await bearer(cancellationToken) is { Length: > 0 } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (null, KeyFetchError.HttpStatus);
        }

        var body = await BoundedBody.ReadAsync(response.Content, _options.MaxResponseBytes, cancellationToken);
        return body is null ? (null, KeyFetchError.TooLarge) : (body, KeyFetchError.None);
    }

    private static void Validate(HttpClient http, RemoteKeySourceOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (options.MaxResponseBytes <= 0 || options.Timeout <= TimeSpan.Zero || options.MinRefreshInterval < TimeSpan.Zero
            || options.RefreshInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("Invalid key source limits.", nameof(options));
        }
    }

    private static bool IsAllowedUrl(Uri uri, RemoteKeySourceOptions options) =>
        uri.IsAbsoluteUri && string.IsNullOrEmpty(uri.UserInfo)
        && (uri.Scheme == Uri.UriSchemeHttps || (options.AllowHttp && uri.Scheme == Uri.UriSchemeHttp));

    private sealed class Snapshot(IReadOnlyList<JwtKey> keys, DateTimeOffset fetchedAt)
    {
        public DateTimeOffset FetchedAt { get; } = fetchedAt;

        public bool HasKid(string kid) => keys.Any(k => string.Equals(k.Kid, kid, StringComparison.Ordinal));

        public IReadOnlyList<JwtKey> Select(string? kid) =>
            kid is null ? keys : [.. keys.Where(k => string.Equals(k.Kid, kid, StringComparison.Ordinal))];
    }
}
