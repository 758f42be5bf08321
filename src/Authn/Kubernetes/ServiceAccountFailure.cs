namespace Secrets.Authn.Kubernetes;

/// <summary>
/// Why a Kubernetes service-account token was refused, for the audit record (clients see a uniform 401). When the
/// value is <see cref="Jwt"/>, the JWT-level reason is in the result's <c>JwtFailure</c>.
/// </summary>
public enum ServiceAccountFailure
{
    /// <summary>No failure.</summary>
    None = 0,

    /// <summary>The strict JWT validation failed; see the accompanying <see cref="Jwt.JwtFailure"/>.</summary>
    Jwt,

    /// <summary>A legacy secret-based token (issuer <c>kubernetes/serviceaccount</c>, flat claims, or no
    /// <c>kubernetes.io</c> object): never expires and cannot be bound to a pod.</summary>
    LegacyToken,

    /// <summary>The token's <c>aud</c> also names the API server (its issuer or a well-known API audience), so it is
    /// a general cluster credential rather than one minted for us.</summary>
    ApiServerAudience,

    /// <summary><c>sub</c> is not exactly <c>system:serviceaccount:&lt;namespace&gt;:&lt;name&gt;</c> with valid names.</summary>
    SubjectInvalid,

    /// <summary>The <c>kubernetes.io</c> claims disagree with <c>sub</c>, or are not the expected shape.</summary>
    ClaimsMismatch,

    /// <summary><c>kubernetes.io.serviceaccount.uid</c> missing or empty.</summary>
    ServiceAccountUidMissing,

    /// <summary>Past <c>kubernetes.io.warnafter</c>: an "extended" default token used after its real lifetime.</summary>
    StaleToken,

    /// <summary>The host has no <c>authn-k8s/namespace</c> restriction (one is required).</summary>
    RestrictionMissing,

    /// <summary>A host restriction this server cannot check without Kubernetes API reads
    /// (<c>namespace-label-selector</c>, <c>deployment</c>, <c>stateful-set</c>, <c>deployment-config</c>) or an unknown
    /// name: refused rather than ignored.</summary>
    RestrictionUnsupported,

    /// <summary>A host restriction annotation with an empty value.</summary>
    RestrictionInvalid,

    /// <summary>A host restriction does not match the token's namespace, service account, UID or pod.</summary>
    RestrictionMismatch,

    /// <summary>TokenReview: the API server could not be reached (connection or TLS failure).</summary>
    ReviewUnreachable,

    /// <summary>TokenReview: no answer within the timeout.</summary>
    ReviewTimeout,

    /// <summary>TokenReview: 401/403, i.e. our reviewer credential is not accepted or lacks <c>system:auth-delegator</c>.</summary>
    ReviewerUnauthorized,

    /// <summary>TokenReview: another non-success status.</summary>
    ReviewHttpStatus,

    /// <summary>TokenReview: the body is too large or not a TokenReview.</summary>
    ReviewInvalidResponse,

    /// <summary>TokenReview: <c>status.authenticated</c> is not true.</summary>
    ReviewNotAuthenticated,

    /// <summary>TokenReview: <c>status.error</c> is not empty.</summary>
    ReviewError,

    /// <summary>TokenReview: <c>status.audiences</c> does not contain one of the audiences we asked for.</summary>
    ReviewAudienceMismatch,

    /// <summary>TokenReview: <c>status.user.username</c> is not a service-account name, or names another one.</summary>
    ReviewIdentityMismatch,

    /// <summary>TokenReview: <c>status.user.uid</c> differs from the token's service-account UID (the account was
    /// deleted and recreated).</summary>
    ReviewUidMismatch,

    /// <summary>TokenReview: the pod name or UID in <c>status.user.extra</c> differs from the token's.</summary>
    ReviewPodMismatch,
}
