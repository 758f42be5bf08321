using Secrets.Authn.Jwt;

namespace Secrets.Authn.Kubernetes;

/// <summary>What one <c>authn-k8s</c> instance accepts.</summary>
public sealed record KubernetesTokenOptions
{
    /// <summary>The default maximum token lifetime: 24 h, so the 1-year "extended" default token fails.</summary>
    public static readonly TimeSpan DefaultMaxLifetime = TimeSpan.FromHours(24);

    /// <summary>
    /// Audiences kube-apiserver uses by default (<c>--api-audiences</c> defaults to the issuer, and these are the
    /// in-cluster service names). A token that carries any of them, or its own issuer, is refused, and so is a
    /// configuration that lists one as ours.
    /// </summary>
    public static readonly IReadOnlySet<string> WellKnownApiServerAudiences = new HashSet<string>(StringComparer.Ordinal)
    {
        "https://kubernetes.default.svc",
        "https://kubernetes.default.svc.cluster.local",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "https://kubernetes.default",
        "kubernetes",
        "api",
    };

    private readonly IReadOnlyList<string> _audiences = [];

    /// <summary>The cluster's service-account issuer; required in the modes that check signatures locally.</summary>
    public string? Issuer { get; init; }

    /// <summary>Our audiences (required, and none of them an API-server audience or the issuer).</summary>
    /// <exception cref="ArgumentException">Empty, or an API-server audience.</exception>
    public required IReadOnlyList<string> Audiences
    {
        get => _audiences;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Count == 0 || value.Any(string.IsNullOrEmpty))
            {
                throw new ArgumentException("At least one non-empty audience is required.", nameof(Audiences));
            }

            if (value.Any(WellKnownApiServerAudiences.Contains))
            {
                throw new ArgumentException("The API server's audience must not be accepted.", nameof(Audiences));
            }

            _audiences = [.. value];
        }
    }

    /// <summary>More audiences of this cluster's API server to refuse (its <c>--api-audiences</c>).</summary>
    public IReadOnlyList<string> ApiServerAudiences { get; init; } = [];

    /// <summary>The longest accepted <c>exp − iat</c> (default 24 h; <c>max-token-lifetime</c>).</summary>
    public TimeSpan MaxLifetime { get; init; } = DefaultMaxLifetime;

    /// <summary>Tolerance for the time claims (default 30 s).</summary>
    public TimeSpan ClockSkew { get; init; } = JwtValidationOptions.DefaultClockSkew;

    /// <summary>Accepted algorithms (default all nine RS/PS/ES; clusters sign with RS256 or ES256/384/512).</summary>
    public IReadOnlySet<string> Algorithms { get; init; } = JwtAlgorithms.All;
}
