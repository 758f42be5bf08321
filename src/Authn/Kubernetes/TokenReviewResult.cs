namespace Secrets.Authn.Kubernetes;

/// <summary>The API server's answer to a TokenReview, after the client-side checks.</summary>
public sealed class TokenReviewResult
{
    internal TokenReviewResult(ServiceAccountFailure failure, string? username = null, string? uid = null, string? podName = null, string? podUid = null)
    {
        Failure = failure;
        Username = username;
        Uid = uid;
        PodName = podName;
        PodUid = podUid;
    }

    /// <summary>True when the review authenticated the token for one of our audiences, as a service account.</summary>
    public bool Succeeded => Failure == ServiceAccountFailure.None;

    /// <summary>Why the review did not succeed.</summary>
    public ServiceAccountFailure Failure { get; }

    /// <summary><c>status.user.username</c>: <c>system:serviceaccount:&lt;ns&gt;:&lt;name&gt;</c>.</summary>
    public string? Username { get; }

    /// <summary><c>status.user.uid</c>: the service account's UID.</summary>
    public string? Uid { get; }

    /// <summary><c>status.user.extra["authentication.kubernetes.io/pod-name"]</c>, if given.</summary>
    public string? PodName { get; }

    /// <summary><c>status.user.extra["authentication.kubernetes.io/pod-uid"]</c>, if given.</summary>
    public string? PodUid { get; }

    /// <summary>
    /// Cross-checks the review with the token's own claims (Vault: "JWT names/UIDs/namespaces did not match"):
    /// the username must be the token's <c>sub</c>, the UID its service-account UID, and a pod the review names
    /// must be the token's pod. Returns <see cref="ServiceAccountFailure.None"/> when they agree.
    /// </summary>
    public ServiceAccountFailure Confirms(ServiceAccountIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (!Succeeded)
        {
            return Failure;
        }

        if (!string.Equals(Username, identity.Subject, StringComparison.Ordinal))
        {
            return ServiceAccountFailure.ReviewIdentityMismatch;
        }

        if (!string.Equals(Uid, identity.ServiceAccountUid, StringComparison.Ordinal))
        {
            return ServiceAccountFailure.ReviewUidMismatch;
        }

        if ((PodName is not null && !string.Equals(PodName, identity.PodName, StringComparison.Ordinal))
            || (PodUid is not null && !string.Equals(PodUid, identity.PodUid, StringComparison.Ordinal)))
        {
            return ServiceAccountFailure.ReviewPodMismatch;
        }

        return ServiceAccountFailure.None;
    }
}
