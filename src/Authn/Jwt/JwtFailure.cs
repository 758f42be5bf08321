namespace Secrets.Authn.Jwt;

/// <summary>
/// Why a JWT was refused. The Server writes the code to the audit record; clients only ever see a uniform 401, so
/// these names may be as precise as an operator needs (workload-identity.md 6.2).
/// </summary>
public enum JwtFailure
{
    /// <summary>No failure (the default of a successful result).</summary>
    None = 0,

    /// <summary>Longer than <see cref="JwtValidationOptions.MaxTokenBytes"/>; nothing was parsed.</summary>
    TooLarge,

    /// <summary>Not exactly three segments, bad base64url, not a JSON object, or otherwise not a compact JWS.</summary>
    Malformed,

    /// <summary>Five segments: a JWE (RFC 7516). Encrypted tokens are never decrypted.</summary>
    EncryptedTokenRefused,

    /// <summary>A JSON member name appears twice in the header or the payload (parsers disagree on which wins).</summary>
    DuplicateMember,

    /// <summary>A header member outside the allow-list (<c>crit</c>, <c>jku</c>, <c>x5u</c>, <c>jwk</c>, <c>x5c</c>,
    /// <c>cty</c>, <c>zip</c>, <c>enc</c>, <c>b64</c>, …).</summary>
    HeaderNotAllowed,

    /// <summary><c>alg</c> missing, <c>none</c>, symmetric, or outside the authenticator's allow-list.</summary>
    AlgorithmNotAllowed,

    /// <summary><c>typ</c> present and not one of the accepted values (e.g. <c>at+jwt</c>).</summary>
    TypeNotAllowed,

    /// <summary><c>kid</c> not a string, empty, longer than 256 characters, or with characters outside the kid charset.</summary>
    KidInvalid,

    /// <summary>No <c>kid</c>, and the key set does not have exactly one key.</summary>
    KidRequired,

    /// <summary>No key with the token's <c>kid</c>, even after the (rate-limited) refresh.</summary>
    UnknownKid,

    /// <summary>The key source has never obtained a usable key set (fetch failed, bad document), so nothing can verify.</summary>
    KeySourceUnavailable,

    /// <summary>The key's type, curve or declared <c>alg</c> does not fit the header <c>alg</c>.</summary>
    KeyAlgorithmMismatch,

    /// <summary>The signature does not verify with the selected key.</summary>
    SignatureInvalid,

    /// <summary><c>iss</c> missing, not a string, or not exactly the configured issuer.</summary>
    IssuerMismatch,

    /// <summary><c>aud</c> missing, empty, not a string or array of strings.</summary>
    AudienceMissing,

    /// <summary>No <c>aud</c> value equals (ordinal) a configured audience.</summary>
    AudienceMismatch,

    /// <summary><c>exp</c> missing.</summary>
    ExpiryMissing,

    /// <summary>A time claim (<c>exp</c>, <c>nbf</c>, <c>iat</c>) is not a JSON number.</summary>
    TimeClaimInvalid,

    /// <summary><c>exp</c> is in the past (beyond the clock skew).</summary>
    Expired,

    /// <summary><c>nbf</c> is in the future (beyond the clock skew).</summary>
    NotYetValid,

    /// <summary><c>iat</c> is in the future (beyond the clock skew).</summary>
    IssuedInFuture,

    /// <summary><c>exp − (iat ?? now)</c> exceeds <see cref="JwtValidationOptions.MaxLifetime"/>.</summary>
    LifetimeTooLong,

    /// <summary><c>sub</c> present but not a string.</summary>
    SubjectInvalid,
}
