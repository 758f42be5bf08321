namespace Secrets.Authn.Kubernetes;

/// <summary>Limits and credential of a <see cref="TokenReviewClient"/>.</summary>
public sealed record TokenReviewOptions
{
    /// <summary>The reviewer's bearer token (<c>kubernetes/service-account-token</c>, or the server's own mounted
    /// token, see <see cref="ServiceAccountTokenFile"/>); called on every review so a rotating token is re-read.</summary>
    public required Func<CancellationToken, ValueTask<string?>> ReviewerToken { get; init; }

    /// <summary>The limit on one review: 5 s by default.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The cap on the response body: 64 KiB by default.</summary>
    public int MaxResponseBytes { get; init; } = 64 * 1024;

    /// <summary>Allows an <c>http://</c> API URL. For tests only.</summary>
    public bool AllowHttp { get; init; }
}
