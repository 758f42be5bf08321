using Secrets.Authn.Jwt;

namespace Secrets.Authn.Spiffe;

/// <summary>Why an SVID (JWT or X.509) was refused; the audit records it, clients see a uniform 401.</summary>
public enum SvidFailure
{
    /// <summary>No failure.</summary>
    None = 0,

    /// <summary>The strict JWT validator refused the token; see <see cref="JwtSvidResult.JwtFailure"/>.</summary>
    Jwt,

    /// <summary><c>sub</c> is missing, not a string, or not a valid SPIFFE ID.</summary>
    SubjectNotSpiffeId,

    /// <summary>The SPIFFE ID has no path (<c>spiffe://td</c>): it names a trust domain, not a workload.</summary>
    SpiffeIdWithoutPath,

    /// <summary>The SVID's trust domain is not one of the configured trust domains.</summary>
    UnknownTrustDomain,

    /// <summary>The trust domain's source never obtained a bundle (first fetch failed).</summary>
    BundleUnavailable,

    /// <summary>The trust domain's bundle has no authority of the kind needed: it trusts nothing.</summary>
    TrustDomainTrustsNothing,

    /// <summary>The leaf has no URI SAN.</summary>
    NoUriSan,

    /// <summary>The leaf has more than one URI SAN (X509-SVID.md §2: validators MUST reject it).</summary>
    MultipleUriSans,

    /// <summary>The leaf is a CA, or has <c>keyCertSign</c>/<c>cRLSign</c>.</summary>
    LeafIsCa,

    /// <summary>The leaf has no key usage extension, or it lacks <c>digitalSignature</c>.</summary>
    KeyUsageInvalid,

    /// <summary>The leaf has an extended key usage without the one its role needs (clientAuth or serverAuth).</summary>
    ExtendedKeyUsageInvalid,

    /// <summary>The leaf is past its <c>notAfter</c>.</summary>
    Expired,

    /// <summary>The leaf is before its <c>notBefore</c>.</summary>
    NotYetValid,

    /// <summary>No chain to a root of the trust domain's bundle (untrusted CA, missing intermediate, bad signature,
    /// an intermediate that is not a CA, a chain too long).</summary>
    ChainInvalid,

    /// <summary>The SPIFFE ID is not the one expected (an <c>https_spiffe</c> bundle endpoint).</summary>
    UnexpectedSpiffeId,
}

/// <summary>The limits of JWT-SVID validation for one authenticator instance.</summary>
public sealed record JwtSvidValidationOptions
{
    /// <summary>This server's audiences: required (a token must name one of them).</summary>
    public required IReadOnlyList<string> Audiences { get; init; }

    /// <summary>Tolerance for <c>exp</c>, <c>nbf</c> and <c>iat</c>.</summary>
    public TimeSpan ClockSkew { get; init; } = JwtValidationOptions.DefaultClockSkew;

    /// <summary>The longest accepted <c>exp − (iat ?? now)</c> (SPIRE's default JWT-SVID TTL is 5 minutes).</summary>
    public TimeSpan? MaxLifetime { get; init; } = JwtValidationOptions.DefaultMaxLifetime;

    /// <summary>The token size cap.</summary>
    public int MaxTokenBytes { get; init; } = JwtValidationOptions.DefaultMaxTokenBytes;
}

/// <summary>The outcome of a JWT-SVID validation.</summary>
public sealed class JwtSvidResult
{
    private JwtSvidResult(SvidFailure failure, JwtFailure jwtFailure, SpiffeId? id, ValidatedJwt? jwt, string? kid)
    {
        Failure = failure;
        JwtFailure = jwtFailure;
        SpiffeId = id;
        Jwt = jwt;
        Kid = kid;
    }

    /// <summary>True when the token is a valid JWT-SVID of a configured trust domain.</summary>
    public bool Succeeded => Failure == SvidFailure.None;

    /// <summary>Why the token was refused.</summary>
    public SvidFailure Failure { get; }

    /// <summary>The strict validator's code when <see cref="Failure"/> is <see cref="SvidFailure.Jwt"/>.</summary>
    public JwtFailure JwtFailure { get; }

    /// <summary>The SPIFFE ID: verified on success, as written (for the audit) on a failure after it was parsed.</summary>
    public SpiffeId? SpiffeId { get; }

    /// <summary>The verified token on success; its <see cref="ValidatedJwt.ExpiresAt"/> caps the access token.</summary>
    public ValidatedJwt? Jwt { get; }

    /// <summary>The header <c>kid</c>, when the header parsed.</summary>
    public string? Kid { get; }

    internal static JwtSvidResult Success(SpiffeId id, ValidatedJwt jwt) => new(SvidFailure.None, JwtFailure.None, id, jwt, jwt.Token.Kid);

    internal static JwtSvidResult Fail(SvidFailure failure, SpiffeId? id, string? kid, JwtFailure jwt = JwtFailure.None) => new(failure, jwt, id, null, kid);
}

/// <summary>
/// Validates JWT-SVIDs (JWT-SVID.md; workload-identity.md 3.2 and 6.3) on top of <see cref="StrictJwtValidator"/>:
/// <list type="number">
/// <item>the strict shape and header checks (three segments, no duplicate members, only <c>alg</c>/<c>kid</c>/<c>typ</c>,
/// so <c>crit</c> is refused; the nine asymmetric algorithms);</item>
/// <item><c>typ</c> absent, <c>JWT</c> or <c>JOSE</c>;</item>
/// <item>the unverified <c>sub</c> must be a SPIFFE ID with a path; its trust domain must be configured;</item>
/// <item>keys come only from the JWT authorities of <b>that</b> trust domain: a key of another configured trust domain
/// never verifies (no pooling); an unknown <c>kid</c> refreshes that bundle once;</item>
/// <item>a token without <c>kid</c> is accepted only when that bundle has exactly one JWT authority (the spec makes
/// <c>kid</c> optional, go-spiffe requires it; one key is unambiguous, several would mean trying them all);</item>
/// <item>then the signature, <c>aud</c> (required, one of ours), <c>exp</c> (required), <c>nbf</c>, <c>iat</c> and the
/// lifetime. <c>iss</c> is not required (SPIRE sets it only when configured) and not checked.</item>
/// </list>
/// </summary>
public sealed class JwtSvidValidator
{
    private static readonly IReadOnlySet<string> Types = JwtHeaderRules.DefaultTypes;

    private readonly StrictJwtValidator _jwt;

    /// <summary>Creates a validator.</summary>
    /// <exception cref="ArgumentException">No audience, or limits the strict validator refuses.</exception>
    public JwtSvidValidator(JwtSvidValidationOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        _jwt = new StrictJwtValidator(
            new JwtValidationOptions
            {
                Issuer = null,
                Audiences = options.Audiences,
                Types = Types,
                AllowMissingType = true,
                ClockSkew = options.ClockSkew,
                MaxLifetime = options.MaxLifetime,
                MaxTokenBytes = options.MaxTokenBytes,
            },
            timeProvider);
    }

    /// <summary>Validates <paramref name="token"/> against the bundles of <paramref name="trustDomains"/>; never throws for bad input.</summary>
    public async ValueTask<JwtSvidResult> ValidateAsync(string? token, SpiffeTrustDomains trustDomains, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trustDomains);
        if (!JwtToken.TryParse(token, _jwt.Options.MaxTokenBytes, out var parsed, out var shape))
        {
            return JwtSvidResult.Fail(SvidFailure.Jwt, null, null, shape);
        }

        // The trust domain of the unverified sub only chooses which bundle may verify the token; the identity is
        // trusted after the signature check with that bundle's key.
        if (!SpiffeId.TryParse(parsed!.UnverifiedSubject, out var id, out _))
        {
            return JwtSvidResult.Fail(SvidFailure.SubjectNotSpiffeId, null, parsed.Kid);
        }

        if (!id.HasPath)
        {
            return JwtSvidResult.Fail(SvidFailure.SpiffeIdWithoutPath, id, parsed.Kid);
        }

        var source = trustDomains.Find(id.TrustDomain);
        if (source is null)
        {
            return JwtSvidResult.Fail(SvidFailure.UnknownTrustDomain, id, parsed.Kid);
        }

        var bundle = await source.GetBundleAsync(cancellationToken);
        if (bundle is null)
        {
            return JwtSvidResult.Fail(SvidFailure.BundleUnavailable, id, parsed.Kid);
        }

        if (bundle.JwtAuthorities.Count == 0 && parsed.Kid is null)
        {
            // An empty keys array means the trust domain revoked everything (SPIFFE_Trust_Domain_and_Bundle.md §4.1.3).
            return JwtSvidResult.Fail(SvidFailure.TrustDomainTrustsNothing, id, parsed.Kid);
        }

        var result = await _jwt.ValidateAsync(parsed, new SpiffeJwtKeySource(source), cancellationToken);
        if (!result.Succeeded)
        {
            if (result.Failure is JwtFailure.UnknownKid && (await source.GetBundleAsync(cancellationToken))?.JwtAuthorities.Count == 0)
            {
                return JwtSvidResult.Fail(SvidFailure.TrustDomainTrustsNothing, id, parsed.Kid);
            }

            return JwtSvidResult.Fail(SvidFailure.Jwt, id, parsed.Kid, result.Failure);
        }

        // The strict validator read sub by exact name; it is the same string the ID was parsed from.
        return JwtSvidResult.Success(id, result.Jwt!);
    }
}
