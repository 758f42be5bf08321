using Secrets.Authn.Jwt;

namespace Secrets.Authn.Spiffe;

/// <summary>
/// Where the bundle of <b>one</b> trust domain comes from: a static variable, a bundle endpoint, or the Workload API.
/// Validators never pool sources: they ask <see cref="SpiffeTrustDomains"/> for the source of the trust domain the
/// SVID names, and use nothing else (SPIFFE_Federation.md §7.3).
/// </summary>
public interface ISpiffeBundleSource
{
    /// <summary>The trust domain whose bundle this source holds.</summary>
    string TrustDomain { get; }

    /// <summary>
    /// The bundle held now, without any I/O: what a synchronous caller (Kestrel's certificate callback) uses. Null
    /// while the source has never obtained a bundle.
    /// </summary>
    SpiffeBundle? Current { get; }

    /// <summary>The current bundle, refreshed first when it is due; null when none was ever obtained.</summary>
    ValueTask<SpiffeBundle?> GetBundleAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Asks for a refresh because <paramref name="seen"/> lacks something a credential needs (an unknown <c>kid</c>).
    /// Single-flight and rate-limited; returns the bundle held afterwards (possibly still <paramref name="seen"/>).
    /// </summary>
    ValueTask<SpiffeBundle?> RefreshAsync(SpiffeBundle? seen, CancellationToken cancellationToken);
}

/// <summary>A bundle that never changes (the <c>&lt;td&gt;/bundle</c> variable).</summary>
public sealed class StaticSpiffeBundleSource : ISpiffeBundleSource
{
    /// <summary>Wraps <paramref name="bundle"/>.</summary>
    public StaticSpiffeBundleSource(SpiffeBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        Current = bundle;
    }

    /// <inheritdoc />
    public string TrustDomain => Current.TrustDomain;

    /// <inheritdoc />
    public SpiffeBundle Current { get; }

    SpiffeBundle? ISpiffeBundleSource.Current => Current;

    /// <inheritdoc />
    public ValueTask<SpiffeBundle?> GetBundleAsync(CancellationToken cancellationToken) => ValueTask.FromResult<SpiffeBundle?>(Current);

    /// <inheritdoc />
    public ValueTask<SpiffeBundle?> RefreshAsync(SpiffeBundle? seen, CancellationToken cancellationToken) => ValueTask.FromResult<SpiffeBundle?>(Current);
}

/// <summary>
/// The trust domains one authenticator instance accepts (its <c>trust-domains</c> variable), each with its own bundle
/// source. Immutable; the Server builds a new one when the variables change.
/// </summary>
public sealed class SpiffeTrustDomains
{
    private readonly Dictionary<string, ISpiffeBundleSource> _sources;

    /// <summary>Creates the set.</summary>
    /// <exception cref="ArgumentException">No source, or two sources for one trust domain.</exception>
    public SpiffeTrustDomains(IEnumerable<ISpiffeBundleSource> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        _sources = new Dictionary<string, ISpiffeBundleSource>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            if (!_sources.TryAdd(source.TrustDomain, source))
            {
                throw new ArgumentException("A trust domain is configured twice.", nameof(sources));
            }
        }

        if (_sources.Count == 0)
        {
            throw new ArgumentException("At least one trust domain is required.", nameof(sources));
        }
    }

    /// <summary>The configured trust domains.</summary>
    public IReadOnlyCollection<string> Names => _sources.Keys;

    /// <summary>The source of <paramref name="trustDomain"/> (exact, ordinal), or null when it is not configured.</summary>
    public ISpiffeBundleSource? Find(string trustDomain) => _sources.GetValueOrDefault(trustDomain);
}

/// <summary>
/// The JWT authorities of one trust domain as the strict JWT validator's key source: an unknown <c>kid</c> triggers
/// one single-flight refresh of the bundle (a key published since the last fetch), then fails.
/// </summary>
public sealed class SpiffeJwtKeySource(ISpiffeBundleSource source) : IJwtKeySource
{
    /// <inheritdoc />
    public async ValueTask<JwtKeyLookup> GetKeysAsync(string? kid, CancellationToken cancellationToken)
    {
        var bundle = await source.GetBundleAsync(cancellationToken);
        if (bundle is not null && kid is not null && bundle.FindJwtAuthority(kid) is null)
        {
            bundle = await source.RefreshAsync(bundle, cancellationToken);
        }

        if (bundle is null)
        {
            return new JwtKeyLookup([], Available: false);
        }

        if (kid is null)
        {
            return new JwtKeyLookup(bundle.JwtAuthorities, Available: true);
        }

        return bundle.FindJwtAuthority(kid) is { } key ? new JwtKeyLookup([key], true) : new JwtKeyLookup([], true);
    }
}
