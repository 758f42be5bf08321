namespace Secrets.Authn.Keys;

/// <summary>Limits and schedule of a <see cref="RemoteKeySource"/>.</summary>
public sealed record RemoteKeySourceOptions
{
    /// <summary>The cap on one response body (discovery document or JWKS): 1 MiB by default.</summary>
    public int MaxResponseBytes { get; init; } = 1024 * 1024;

    /// <summary>The limit on one fetch (connect, headers and body): 5 s by default.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The shortest time between two fetch attempts of one source: an unknown <c>kid</c>, a stale set or a failed
    /// fetch cannot trigger more (30 s by default, Conjur's 10 refreshes per 5 minutes).
    /// </summary>
    public TimeSpan MinRefreshInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a fetched key set is used before it is refreshed on the next use (1 h by default).</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Allows <c>http://</c> URLs. For tests only; the Server never sets it from configuration.</summary>
    public bool AllowHttp { get; init; }

    /// <summary>
    /// An optional bearer token for the fetches (a Kubernetes API server serves its discovery endpoints only to
    /// authenticated callers by default); called on every fetch, so a rotating token file can be re-read.
    /// </summary>
    public Func<CancellationToken, ValueTask<string?>>? BearerToken { get; init; }
}
