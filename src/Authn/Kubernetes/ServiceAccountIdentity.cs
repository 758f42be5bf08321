namespace Secrets.Authn.Kubernetes;

/// <summary>
/// Who a Kubernetes service-account token speaks for, read from its verified claims (or, in <c>token-review</c>
/// mode, from its unverified claims confirmed by the review).
/// </summary>
/// <param name="Subject"><c>system:serviceaccount:&lt;namespace&gt;:&lt;name&gt;</c>.</param>
/// <param name="Namespace">The service account's namespace (<c>authn-k8s/namespace</c>).</param>
/// <param name="ServiceAccountName">The service account's name (<c>authn-k8s/service-account</c>).</param>
/// <param name="ServiceAccountUid">The service account's UID (<c>authn-k8s/service-account-uid</c>): a deleted
/// and recreated account with the same name has another one.</param>
/// <param name="PodName">The pod the token is bound to (<c>authn-k8s/pod</c>), or null for a token not bound to a pod.</param>
/// <param name="PodUid">That pod's UID, or null.</param>
/// <param name="Issuer">The token's <c>iss</c>.</param>
/// <param name="ExpiresAt">The token's <c>exp</c>: an issued access token must not outlive it.</param>
/// <param name="JwtId">The token's <c>jti</c>, if any.</param>
public sealed record ServiceAccountIdentity(
    string Subject,
    string Namespace,
    string ServiceAccountName,
    string ServiceAccountUid,
    string? PodName,
    string? PodUid,
    string? Issuer,
    DateTimeOffset ExpiresAt,
    string? JwtId)
{
    /// <summary>The host id suffix used with <c>identity-path</c>: <c>&lt;namespace&gt;/&lt;service-account&gt;</c>.</summary>
    public string HostIdSuffix => $"{Namespace}/{ServiceAccountName}";
}
