namespace Secrets.Authn.Jwt;

/// <summary>
/// What one authenticator instance accepts. Immutable; built once from the authenticator's configuration and
/// shared by every validation.
/// </summary>
public sealed record JwtValidationOptions
{
    /// <summary>The default token size cap: 16 KiB (workload-identity.md 6.2).</summary>
    public const int DefaultMaxTokenBytes = 16 * 1024;

    /// <summary>The default clock skew: 30 s (not the 5 minutes of IdentityModel; pitfall row 8).</summary>
    public static readonly TimeSpan DefaultClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>The default maximum lifetime: 24 h.</summary>
    public static readonly TimeSpan DefaultMaxLifetime = TimeSpan.FromHours(24);

    private readonly IReadOnlyList<string> _audiences = [];

    /// <summary>
    /// The expected <c>iss</c>, compared ordinally (no trailing-slash or case normalisation). Null disables the
    /// check: only for JWT-SVIDs, whose keys are selected by the trust domain of <c>sub</c> instead.
    /// </summary>
    public string? Issuer { get; init; }

    /// <summary>
    /// This server's audiences; a token must carry at least one of them in <c>aud</c> (ordinal). Required: an
    /// empty list is refused when the options are built, so the audience check cannot be switched off.
    /// </summary>
    /// <exception cref="ArgumentException">Empty, or with an empty value.</exception>
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

            _audiences = [.. value];
        }
    }

    /// <summary>Accepted <c>alg</c> values; a subset of <see cref="JwtAlgorithms.All"/> (anything else is ignored).</summary>
    public IReadOnlySet<string> Algorithms { get; init; } = JwtAlgorithms.All;

    /// <summary>Accepted <c>typ</c> values (case-insensitive); see <see cref="JwtHeaderRules.DefaultTypes"/>.</summary>
    public IReadOnlySet<string> Types { get; init; } = JwtHeaderRules.DefaultTypes;

    /// <summary>Whether a token without <c>typ</c> is accepted (true by default: Kubernetes tokens have none).</summary>
    public bool AllowMissingType { get; init; } = true;

    /// <summary>Tolerance for <c>exp</c>, <c>nbf</c> and <c>iat</c>; at most 5 minutes.</summary>
    public TimeSpan ClockSkew { get; init; } = DefaultClockSkew;

    /// <summary>The longest accepted <c>exp − (iat ?? now)</c>; null for no limit.</summary>
    public TimeSpan? MaxLifetime { get; init; } = DefaultMaxLifetime;

    /// <summary>Whether <c>iat</c> must be present (false: it is checked only when present).</summary>
    public bool RequireIssuedAt { get; init; }

    /// <summary>The token size cap, in characters of the compact form.</summary>
    public int MaxTokenBytes { get; init; } = DefaultMaxTokenBytes;
}
