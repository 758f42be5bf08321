using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Secrets.Authn.Keys;

namespace Secrets.Authn.Spiffe;

/// <summary>The two bundle endpoint profiles (SPIFFE_Federation.md §5). Never inferred from the URL, never mixed.</summary>
public enum SpiffeBundleProfile
{
    /// <summary><c>https_web</c>: a Web PKI server certificate, checked against the system roots or a configured CA.</summary>
    HttpsWeb,

    /// <summary><c>https_spiffe</c>: the server presents an X.509-SVID with the configured endpoint SPIFFE ID.</summary>
    HttpsSpiffe,
}

/// <summary>Why the last fetch of a bundle endpoint failed.</summary>
public enum SpiffeBundleFetchError
{
    /// <summary>The last fetch succeeded, or none was made yet.</summary>
    None = 0,

    /// <summary>No answer within <see cref="SpiffeBundleEndpointOptions.Timeout"/>.</summary>
    Timeout,

    /// <summary>Connection or TLS failure (for <c>https_spiffe</c>, a server SVID that is not the endpoint's).</summary>
    Unreachable,

    /// <summary>A status other than 200 (redirects are not followed).</summary>
    HttpStatus,

    /// <summary>The body exceeded <see cref="SpiffeBundleEndpointOptions.MaxResponseBytes"/>.</summary>
    TooLarge,

    /// <summary>The body is not a valid SPIFFE bundle.</summary>
    InvalidBundle,

    /// <summary>The bundle's <c>spiffe_sequence</c> is lower than the one held: it was ignored.</summary>
    SequenceRegressed,
}

/// <summary>Limits and schedule of a <see cref="SpiffeBundleEndpointSource"/>.</summary>
public sealed record SpiffeBundleEndpointOptions
{
    /// <summary>The cap on one response body: 1 MiB.</summary>
    public int MaxResponseBytes { get; init; } = SpiffeBundle.MaxBundleBytes;

    /// <summary>The limit on one fetch: 5 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The shortest time between two fetch attempts, whatever triggers them (unknown <c>kid</c>, failures).</summary>
    public TimeSpan MinRefreshInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The poll interval when the bundle has no <c>spiffe_refresh_hint</c> (the spec suggests 5 minutes).</summary>
    public TimeSpan DefaultRefreshHint { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The refresh hint is clamped to at least this (a hint of 0 cannot make us poll in a loop).</summary>
    public TimeSpan MinRefreshHint { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The refresh hint is clamped to at most this (a huge hint cannot freeze a revoked key in place).</summary>
    public TimeSpan MaxRefreshHint { get; init; } = TimeSpan.FromHours(1);
}

/// <summary>
/// The bundle of one trust domain, fetched from its SPIFFE bundle endpoint (SPIFFE_Federation.md §5):
/// <list type="bullet">
/// <item>polled on the bundle's <c>spiffe_refresh_hint</c>, clamped to [<see cref="SpiffeBundleEndpointOptions.MinRefreshHint"/>,
/// <see cref="SpiffeBundleEndpointOptions.MaxRefreshHint"/>], and on an unknown <c>kid</c>; single flight, at most one
/// attempt per <see cref="SpiffeBundleEndpointOptions.MinRefreshInterval"/>;</item>
/// <item>a new bundle replaces the old one atomically; one whose <c>spiffe_sequence</c> is lower than the held one is
/// ignored (a replayed or stale answer);</item>
/// <item>the last good bundle is kept through any outage; after a failure the next attempt waits for the next
/// interval, not a tight retry;</item>
/// <item><c>https_spiffe</c>: the server's certificate must be an X.509-SVID with exactly the configured endpoint
/// SPIFFE ID, validated against the bootstrap bundle, or, when the endpoint serves its own trust domain, against the
/// newest bundle fetched (so its roots can roll). Host names are not used, and the system store is never consulted.</item>
/// </list>
/// The fetch is bounded by a timeout and a body cap, follows no redirect, and is never cancelled by the request that
/// started it.
/// </summary>
public sealed class SpiffeBundleEndpointSource : ISpiffeBundleSource, IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _url;
    private readonly SpiffeBundleEndpointOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private volatile SpiffeBundle? _current;
    private long _nextRefreshUtcTicks;
    private DateTimeOffset? _lastAttempt;
    private volatile int _lastError;
    private int _fetchCount;

    private SpiffeBundleEndpointSource(string trustDomain, Uri url, SpiffeBundleEndpointOptions options, TimeProvider time, Func<SpiffeBundleEndpointSource, HttpMessageHandler> handler)
    {
        TrustDomain = trustDomain;
        _url = url;
        _options = options;
        _time = time;
        _http = new HttpClient(handler(this), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <inheritdoc />
    public string TrustDomain { get; }

    /// <inheritdoc />
    public SpiffeBundle? Current => _current;

    /// <summary>The error of the latest attempt.</summary>
    public SpiffeBundleFetchError LastError => (SpiffeBundleFetchError)_lastError;

    /// <summary>How many fetch attempts were made.</summary>
    public int FetchCount => Volatile.Read(ref _fetchCount);

    /// <summary>An <c>https_web</c> source: TLS trust is the system store, or exactly the PEM CAs given.</summary>
    /// <exception cref="ArgumentException">An invalid trust domain, a URL that is not https (or has userinfo), bad limits.</exception>
    public static SpiffeBundleEndpointSource ForHttpsWeb(string trustDomain, Uri url, string? caCertificatesPem, SpiffeBundleEndpointOptions options, TimeProvider timeProvider)
    {
        Validate(trustDomain, url, options, timeProvider);
        return new SpiffeBundleEndpointSource(trustDomain, url, options, timeProvider, _ => TrustedHttp.CreateHandler(caCertificatesPem, options.Timeout));
    }

    /// <summary>
    /// An <c>https_spiffe</c> source. <paramref name="bootstrap"/> is the bundle of the endpoint's own trust domain
    /// (<paramref name="endpointId"/>'s), used to authenticate the server.
    /// </summary>
    /// <exception cref="ArgumentException">As for <see cref="ForHttpsWeb"/>, or a bootstrap bundle of another trust
    /// domain than the endpoint ID's, or one without X.509 authorities.</exception>
    public static SpiffeBundleEndpointSource ForHttpsSpiffe(string trustDomain, Uri url, SpiffeId endpointId, SpiffeBundle bootstrap, SpiffeBundleEndpointOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(endpointId);
        ArgumentNullException.ThrowIfNull(bootstrap);
        Validate(trustDomain, url, options, timeProvider);
        if (bootstrap.TrustDomain != endpointId.TrustDomain || bootstrap.X509Authorities.Count == 0)
        {
            throw new ArgumentException("The bootstrap bundle must hold X.509 roots of the endpoint ID's trust domain.", nameof(bootstrap));
        }

        var validator = new X509SvidValidator(timeProvider);
        return new SpiffeBundleEndpointSource(trustDomain, url, options, timeProvider, source =>
        {
            var handler = new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                ConnectTimeout = options.Timeout,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                AutomaticDecompression = DecompressionMethods.None,
            };
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                if (certificate is not X509Certificate2 leaf)
                {
                    return false;
                }

                // Self-serving endpoint: its newest fetched bundle, so its roots can roll (SPIFFE_Federation.md §5.2.1).
                var trust = endpointId.TrustDomain == source.TrustDomain && source._current is { X509Authorities.Count: > 0 } latest
                    ? latest
                    : bootstrap;
                var intermediates = chain?.ChainPolicy.ExtraStore.Cast<X509Certificate2>().ToList();
                var result = validator.Validate(leaf, intermediates, trust, SvidRole.Server);
                return result.Succeeded && result.Peer!.Id.Equals(endpointId);
            };
            return handler;
        });
    }

    /// <inheritdoc />
    public async ValueTask<SpiffeBundle?> GetBundleAsync(CancellationToken cancellationToken)
    {
        var snapshot = _current;
        if (snapshot is null || _time.GetUtcNow().UtcTicks >= Interlocked.Read(ref _nextRefreshUtcTicks))
        {
            snapshot = await RefreshAsync(snapshot, cancellationToken);
        }

        return snapshot;
    }

    /// <inheritdoc />
    public async ValueTask<SpiffeBundle?> RefreshAsync(SpiffeBundle? seen, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Someone refreshed while we waited: use their result (single flight).
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
            var (bundle, error) = await FetchAsync();
            if (bundle is not null && _current is { Sequence: { } held } && bundle.Sequence is { } got && got < held)
            {
                bundle = null;
                error = SpiffeBundleFetchError.SequenceRegressed;
            }

            if (bundle is not null)
            {
                _current = bundle;
            }

            _lastError = (int)error;
            // Success or failure, the next poll waits for the (clamped) hint of the bundle held: no tight retry.
            var hint = TimeSpan.FromTicks(Math.Clamp(
                (_current?.RefreshHint ?? _options.DefaultRefreshHint).Ticks, _options.MinRefreshHint.Ticks, _options.MaxRefreshHint.Ticks));
            Interlocked.Exchange(ref _nextRefreshUtcTicks, (_time.GetUtcNow() + hint).UtcTicks);
            return _current;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _http.Dispose();
        _gate.Dispose();
    }

    private async Task<(SpiffeBundle? Bundle, SpiffeBundleFetchError Error)> FetchAsync()
    {
        using var timeout = new CancellationTokenSource(_options.Timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, _url);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return (null, SpiffeBundleFetchError.HttpStatus);
            }

            var body = await BoundedBody.ReadAsync(response.Content, _options.MaxResponseBytes, timeout.Token);
            if (body is null)
            {
                return (null, SpiffeBundleFetchError.TooLarge);
            }

            return SpiffeBundle.TryParse(TrustDomain, body, out var bundle, out _)
                ? (bundle, SpiffeBundleFetchError.None)
                : (null, SpiffeBundleFetchError.InvalidBundle);
        }
        catch (OperationCanceledException)
        {
            return (null, SpiffeBundleFetchError.Timeout);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or AuthenticationException)
        {
            return (null, SpiffeBundleFetchError.Unreachable);
        }
    }

    private static void Validate(string trustDomain, Uri url, SpiffeBundleEndpointOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (!SpiffeId.IsValidTrustDomain(trustDomain))
        {
            throw new ArgumentException("Invalid trust domain.", nameof(trustDomain));
        }

        if (!url.IsAbsoluteUri || url.Scheme != Uri.UriSchemeHttps || !string.IsNullOrEmpty(url.UserInfo))
        {
            throw new ArgumentException("A bundle endpoint URL must be https without userinfo.", nameof(url));
        }

        if (options.MaxResponseBytes <= 0 || options.Timeout <= TimeSpan.Zero || options.MinRefreshInterval < TimeSpan.Zero
            || options.MinRefreshHint <= TimeSpan.Zero || options.MaxRefreshHint < options.MinRefreshHint)
        {
            throw new ArgumentException("Invalid bundle endpoint limits.", nameof(options));
        }
    }
}
