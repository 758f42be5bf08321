using System.Text.Json;

namespace Secrets.Authn.Jwt;

/// <summary>
/// Validates compact JWS tokens for one authenticator instance: shape and header pre-checks
/// (<see cref="JwtToken.TryParse"/>), the algorithm allow-list, key selection by <c>kid</c> from one issuer's
/// <see cref="IJwtKeySource"/>, the signature, then <c>iss</c>, <c>aud</c>, <c>exp</c>, <c>nbf</c>, <c>iat</c> and the
/// lifetime. Thread-safe and reusable; never throws for bad input.
/// </summary>
/// <remarks>
/// The signature is checked before any claim, so the failure code of a forged token never depends on what its
/// author wrote into the claims (the audit would otherwise record "expired" for a token nobody signed).
/// </remarks>
public sealed class StrictJwtValidator
{
    // The largest NumericDate a DateTimeOffset can hold (9999-12-31T23:59:59Z).
    private const double MaxNumericDate = 253_402_300_799;

    private readonly JwtValidationOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates a validator.</summary>
    /// <exception cref="ArgumentException">A clock skew outside [0, 5 min], a non-positive lifetime or size cap, or no
    /// supported algorithm.</exception>
    public StrictJwtValidator(JwtValidationOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentException("ClockSkew must be between 0 and 5 minutes.", nameof(options));
        }

        if (options.MaxLifetime is { } max && max <= TimeSpan.Zero)
        {
            throw new ArgumentException("MaxLifetime must be positive.", nameof(options));
        }

        if (options.MaxTokenBytes <= 0 || !options.Algorithms.Any(JwtAlgorithms.IsSupported))
        {
            throw new ArgumentException("A positive MaxTokenBytes and at least one supported algorithm are required.", nameof(options));
        }

        _options = options;
        _time = timeProvider;
    }

    /// <summary>The options this validator enforces.</summary>
    public JwtValidationOptions Options => _options;

    /// <summary>Parses and validates <paramref name="token"/> with the keys of <paramref name="keys"/>.</summary>
    public ValueTask<JwtValidationResult> ValidateAsync(string? token, IJwtKeySource keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (!JwtToken.TryParse(token, _options.MaxTokenBytes, out var parsed, out var failure))
        {
            return ValueTask.FromResult(JwtValidationResult.Fail(failure, null));
        }

        return ValidateAsync(parsed!, keys, cancellationToken);
    }

    /// <summary>
    /// Validates a token already parsed by <see cref="JwtToken.TryParse"/> (with a size cap no larger than this
    /// validator's), for callers that pick the key source from the unverified token first (JWT-SVID: the trust
    /// domain of <c>sub</c>).
    /// </summary>
    public async ValueTask<JwtValidationResult> ValidateAsync(JwtToken token, IJwtKeySource keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(keys);

        var header = CheckHeader(token);
        if (header != JwtFailure.None)
        {
            return JwtValidationResult.Fail(header, token);
        }

        var signature = await VerifySignatureAsync(token, keys, cancellationToken);
        if (signature != JwtFailure.None)
        {
            return JwtValidationResult.Fail(signature, token);
        }

        return CheckClaims(token);
    }

    /// <summary>
    /// Runs every check except the signature. Only for Kubernetes <c>token-review</c> mode, where the API server
    /// verifies the signature and the identity is taken from its answer; the result must never be trusted alone.
    /// </summary>
    public JwtValidationResult CheckWithoutSignature(JwtToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var header = CheckHeader(token);
        return header != JwtFailure.None ? JwtValidationResult.Fail(header, token) : CheckClaims(token);
    }

    private JwtFailure CheckHeader(JwtToken token)
    {
        if (!_options.Algorithms.Contains(token.Algorithm))
        {
            return JwtFailure.AlgorithmNotAllowed;
        }

        if (token.Type is null ? !_options.AllowMissingType : !_options.Types.Contains(token.Type))
        {
            return JwtFailure.TypeNotAllowed;
        }

        return JwtFailure.None;
    }

    private static async ValueTask<JwtFailure> VerifySignatureAsync(JwtToken token, IJwtKeySource keys, CancellationToken cancellationToken)
    {
        var lookup = await keys.GetKeysAsync(token.Kid, cancellationToken);
        if (!lookup.Available)
        {
            return JwtFailure.KeySourceUnavailable;
        }

        IReadOnlyList<JwtKey> candidates = lookup.Keys;
        if (token.Kid is null)
        {
            // Without a kid, never try every key (pitfall row 12): only a set of exactly one key is unambiguous.
            if (candidates.Count != 1)
            {
                return JwtFailure.KidRequired;
            }
        }
        else
        {
            // A source may hand back more than asked for; only exact kid matches count.
            candidates = [.. candidates.Where(k => string.Equals(k.Kid, token.Kid, StringComparison.Ordinal))];
            if (candidates.Count == 0)
            {
                return JwtFailure.UnknownKid;
            }
        }

        var fitting = candidates.Where(k => k.Fits(token.Algorithm)).ToList();
        if (fitting.Count == 0)
        {
            return JwtFailure.KeyAlgorithmMismatch;
        }

        foreach (var key in fitting)
        {
            if (key.Verify(token.Algorithm, token.SigningInput, token.Signature))
            {
                return JwtFailure.None;
            }
        }

        return JwtFailure.SignatureInvalid;
    }

    private JwtValidationResult CheckClaims(JwtToken token)
    {
        var claims = token.Payload;

        // iss: exact, ordinal (RFC 8725 §3.8, pitfall row 23).
        string? issuer = null;
        if (claims.TryGetProperty("iss", out var issElement))
        {
            if (issElement.ValueKind != JsonValueKind.String)
            {
                return JwtValidationResult.Fail(JwtFailure.IssuerMismatch, token);
            }

            issuer = issElement.GetString();
        }

        if (_options.Issuer is not null && !string.Equals(issuer, _options.Issuer, StringComparison.Ordinal))
        {
            return JwtValidationResult.Fail(JwtFailure.IssuerMismatch, token);
        }

        // aud: required, a string or a non-empty array of strings, one of them ours (RFC 7519 §4.1.3, RFC 8725 §3.9).
        var audiences = ReadAudiences(claims);
        if (audiences is null)
        {
            return JwtValidationResult.Fail(JwtFailure.AudienceMissing, token);
        }

        if (!audiences.Any(a => _options.Audiences.Contains(a, StringComparer.Ordinal)))
        {
            return JwtValidationResult.Fail(JwtFailure.AudienceMismatch, token);
        }

        // Time claims: JSON numbers only (RFC 7519 §2 NumericDate; a string "exp" is refused, pitfall row 11).
        if (!claims.TryGetProperty("exp", out _))
        {
            return JwtValidationResult.Fail(JwtFailure.ExpiryMissing, token);
        }

        if (!TryReadTime(claims, "exp", out var exp) || !TryReadTime(claims, "nbf", out var nbf)
            || !TryReadTime(claims, "iat", out var iat))
        {
            return JwtValidationResult.Fail(JwtFailure.TimeClaimInvalid, token);
        }

        if (_options.RequireIssuedAt && iat is null)
        {
            return JwtValidationResult.Fail(JwtFailure.TimeClaimInvalid, token);
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
        var skew = _options.ClockSkew.TotalSeconds;
        if (now >= exp!.Value + skew)
        {
            return JwtValidationResult.Fail(JwtFailure.Expired, token);
        }

        if (nbf is { } notBefore && notBefore > now + skew)
        {
            return JwtValidationResult.Fail(JwtFailure.NotYetValid, token);
        }

        // A token issued in the future is a clock or forgery problem; IdentityModel does not check it (row 9).
        if (iat is { } issuedAt && issuedAt > now + skew)
        {
            return JwtValidationResult.Fail(JwtFailure.IssuedInFuture, token);
        }

        // Lifetime: exp − (iat ?? now), so a token without iat cannot claim a long life either (row 10).
        if (_options.MaxLifetime is { } maxLifetime && exp.Value - (iat ?? now) > maxLifetime.TotalSeconds)
        {
            return JwtValidationResult.Fail(JwtFailure.LifetimeTooLong, token);
        }

        string? subject = null;
        if (claims.TryGetProperty("sub", out var subElement))
        {
            if (subElement.ValueKind != JsonValueKind.String)
            {
                return JwtValidationResult.Fail(JwtFailure.SubjectInvalid, token);
            }

            subject = subElement.GetString();
        }

        var jti = claims.TryGetProperty("jti", out var jtiElement) && jtiElement.ValueKind == JsonValueKind.String
            ? jtiElement.GetString()
            : null;

        return JwtValidationResult.Success(new ValidatedJwt(
            token,
            issuer,
            subject,
            audiences,
            ToTime(exp.Value),
            iat is { } i ? ToTime(i) : null,
            nbf is { } n ? ToTime(n) : null,
            jti));
    }

    private static List<string>? ReadAudiences(JsonElement claims)
    {
        if (!claims.TryGetProperty("aud", out var aud))
        {
            return null;
        }

        if (aud.ValueKind == JsonValueKind.String)
        {
            return aud.GetString() is { Length: > 0 } single ? [single] : null;
        }

        if (aud.ValueKind != JsonValueKind.Array || aud.GetArrayLength() == 0)
        {
            return null;
        }

        var list = new List<string>();
        foreach (var item in aud.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            list.Add(item.GetString()!);
        }

        return list;
    }

    private static bool TryReadTime(JsonElement claims, string name, out double? value)
    {
        value = null;
        if (!claims.TryGetProperty(name, out var element))
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetDouble(out var seconds)
            || !double.IsFinite(seconds) || seconds < 0 || seconds > MaxNumericDate)
        {
            return false;
        }

        value = seconds;
        return true;
    }

    private static DateTimeOffset ToTime(double seconds) => DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Floor(seconds * 1000));
}
