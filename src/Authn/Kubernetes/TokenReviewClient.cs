using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Secrets.Authn.Kubernetes;

/// <summary>
/// Asks the Kubernetes API server whether a token is still valid
/// (<c>POST /apis/authentication.k8s.io/v1/tokenreviews</c>): the only check that notices a deleted pod or service
/// account before the token expires (workload-identity.md 1.4). The caller needs <c>system:auth-delegator</c>.
/// </summary>
public sealed class TokenReviewClient
{
    private static readonly JsonDocumentOptions Strict = new() { MaxDepth = 16, AllowDuplicateProperties = false };

    private readonly HttpClient _http;
    private readonly Uri _reviewUri;
    private readonly TokenReviewOptions _options;

    /// <summary>Creates a client for one API server.</summary>
    /// <param name="http">The client, built with the cluster CA (see <see cref="Keys.TrustedHttp.CreateHandler"/>).</param>
    /// <param name="apiServer">The API URL (<c>kubernetes/api-url</c>); a path prefix (a proxy) is kept.</param>
    /// <param name="options">Credential and limits.</param>
    /// <exception cref="ArgumentException">Not an absolute https URL (http only with <see cref="TokenReviewOptions.AllowHttp"/>).</exception>
    public TokenReviewClient(HttpClient http, Uri apiServer, TokenReviewOptions options)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(apiServer);
        ArgumentNullException.ThrowIfNull(options);
        if (!apiServer.IsAbsoluteUri || !string.IsNullOrEmpty(apiServer.UserInfo)
            || !(apiServer.Scheme == Uri.UriSchemeHttps || (options.AllowHttp && apiServer.Scheme == Uri.UriSchemeHttp)))
        {
            throw new ArgumentException("The Kubernetes API URL must be an absolute https URL.", nameof(apiServer));
        }

        _http = http;
        _options = options;
        _reviewUri = new Uri(apiServer.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/apis/authentication.k8s.io/v1/tokenreviews");
    }

    /// <summary>
    /// Reviews <paramref name="token"/> for <paramref name="audiences"/>. Succeeds only when the answer says
    /// <c>authenticated</c> with no <c>error</c>, its <c>status.audiences</c> contains one of ours (an empty list means
    /// "the API server's audience", which we refuse), and the user is a service account with a UID. Compare the
    /// result with the token's claims with <see cref="TokenReviewResult.Confirms"/>. Never throws for a bad answer.
    /// </summary>
    public async ValueTask<TokenReviewResult> ReviewAsync(string token, IReadOnlyList<string> audiences, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentNullException.ThrowIfNull(audiences);
        if (audiences.Count == 0)
        {
            throw new ArgumentException("Audiences are required.", nameof(audiences));
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _reviewUri)
            {
                Content = new ByteArrayContent(RequestBody(token, audiences)),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (await _options.ReviewerToken(timeout.Token) is { Length: > 0 } reviewer)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", reviewer);
            }

            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                return new TokenReviewResult(ServiceAccountFailure.ReviewerUnauthorized);
            }

            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Created))
            {
                return new TokenReviewResult(ServiceAccountFailure.ReviewHttpStatus);
            }

            var body = await Keys.BoundedBody.ReadAsync(response.Content, _options.MaxResponseBytes, timeout.Token);
            return body is null ? new TokenReviewResult(ServiceAccountFailure.ReviewInvalidResponse) : Read(body, audiences);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new TokenReviewResult(ServiceAccountFailure.ReviewTimeout);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return new TokenReviewResult(ServiceAccountFailure.ReviewUnreachable);
        }
    }

    private static byte[] RequestBody(string token, IReadOnlyList<string> audiences)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("apiVersion", "authentication.k8s.io/v1");
            writer.WriteString("kind", "TokenReview");
            writer.WriteStartObject("spec");
            writer.WriteString("token", token);
            writer.WriteStartArray("audiences");
            foreach (var audience in audiences)
            {
                writer.WriteStringValue(audience);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static TokenReviewResult Read(byte[] body, IReadOnlyList<string> audiences)
    {
        try
        {
            using var document = JsonDocument.Parse(body, Strict);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || String(root, "kind") != "TokenReview"
                || !root.TryGetProperty("status", out var status) || status.ValueKind != JsonValueKind.Object)
            {
                return new TokenReviewResult(ServiceAccountFailure.ReviewInvalidResponse);
            }

            if (status.TryGetProperty("error", out var error) && !(error.ValueKind == JsonValueKind.String && error.GetString()!.Length == 0))
            {
                return new TokenReviewResult(ServiceAccountFailure.ReviewError);
            }

            if (!status.TryGetProperty("authenticated", out var authenticated) || authenticated.ValueKind != JsonValueKind.True)
            {
                return new TokenReviewResult(ServiceAccountFailure.ReviewNotAuthenticated);
            }

            // The server must say which of our audiences the token is for; none (or an empty list) is refused.
            if (!status.TryGetProperty("audiences", out var granted) || granted.ValueKind != JsonValueKind.Array
                || !granted.EnumerateArray().Any(a => a.ValueKind == JsonValueKind.String && audiences.Contains(a.GetString()!, StringComparer.Ordinal)))
            {
                return new TokenReviewResult(ServiceAccountFailure.ReviewAudienceMismatch);
            }

            if (!status.TryGetProperty("user", out var user) || user.ValueKind != JsonValueKind.Object)
            {
                return new TokenReviewResult(ServiceAccountFailure.ReviewInvalidResponse);
            }

            var username = String(user, "username");
            var parts = username?.Split(':');
            if (parts is not { Length: 4 } || parts[0] != "system" || parts[1] != "serviceaccount"
                || parts[2].Length == 0 || parts[3].Length == 0 || String(user, "uid") is not { Length: > 0 } uid)
            {
                return new TokenReviewResult(ServiceAccountFailure.ReviewIdentityMismatch);
            }

            string? podName = null, podUid = null;
            if (user.TryGetProperty("extra", out var extra) && extra.ValueKind == JsonValueKind.Object)
            {
                podName = First(extra, "authentication.kubernetes.io/pod-name");
                podUid = First(extra, "authentication.kubernetes.io/pod-uid");
            }

            return new TokenReviewResult(ServiceAccountFailure.None, username, uid, podName, podUid);
        }
        catch (JsonException)
        {
            return new TokenReviewResult(ServiceAccountFailure.ReviewInvalidResponse);
        }
    }

    private static string? First(JsonElement extra, string name) =>
        extra.TryGetProperty(name, out var values) && values.ValueKind == JsonValueKind.Array && values.GetArrayLength() > 0
            && values[0].ValueKind == JsonValueKind.String
            ? values[0].GetString()
            : null;

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
