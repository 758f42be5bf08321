using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Secrets.Authn.Keys;
using Secrets.Authn.Kubernetes;
using Secrets.Authn.Tests.Infrastructure;

namespace Secrets.Authn.Tests.Kubernetes;

/// <summary>
/// TokenReview against a fake API server (real Kestrel on 127.0.0.1): the answer must say <c>authenticated</c>, with
/// no error, an audience we asked for, a service-account username and a UID that match the token. Covers the
/// TokenReview rows of the matrix (workload-identity.md 6.5) and the <c>token-review</c> mode order (cheap checks and
/// host restrictions first, counted calls).
/// </summary>
public sealed class ReviewingTokensWithTheApiServer : KubernetesFixture, IAsyncLifetime
{
    private const string ReviewPath = "/apis/authentication.k8s.io/v1/tokenreviews";

    private FakeHttpServer _api = null!;
    private HttpClient _http = null!;
    private Func<JsonElement, object> _answer = null!;
    private JsonElement _lastRequest;
    private string? _lastBearer;

    public async Task InitializeAsync()
    {
        _api = await FakeHttpServer.StartAsync();
        _answer = request => Review(audiences: [.. request.GetProperty("spec").GetProperty("audiences").EnumerateArray().Select(a => a.GetString()!)]);
        _api.On(ReviewPath, async context =>
        {
            _lastBearer = context.Request.Headers.Authorization;
            _lastRequest = (await JsonDocument.ParseAsync(context.Request.Body)).RootElement.Clone();
            context.Response.StatusCode = 201;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(_answer(_lastRequest)));
        });
        _http = new HttpClient(TrustedHttp.CreateHandler(null));
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task An_authenticated_review_for_our_audience_confirms_the_token()
    {
        var token = Token();
        var identity = Validator.ReadForTokenReview(token).Identity!;

        var review = await Client().ReviewAsync(token, [Audience], CancellationToken.None);

        Assert.True(review.Succeeded, review.Failure.ToString());
        Assert.Equal(ServiceAccountFailure.None, review.Confirms(identity));
        Assert.Equal("system:serviceaccount:app-ns:app-sa", review.Username);
        Assert.Equal(SaUid, review.Uid);
        Assert.Equal("my-pod", review.PodName);
        Assert.Equal("Bearer reviewer-token", _lastBearer);
        Assert.Equal("TokenReview", _lastRequest.GetProperty("kind").GetString());
        Assert.Equal("authentication.k8s.io/v1", _lastRequest.GetProperty("apiVersion").GetString());
        Assert.Equal(token, _lastRequest.GetProperty("spec").GetProperty("token").GetString());
        Assert.Equal(Audience, _lastRequest.GetProperty("spec").GetProperty("audiences")[0].GetString());
    }

    [Fact]
    public async Task Not_authenticated_is_refused()
    {
        _answer = _ => Review(authenticated: false);
        Assert.Equal(ServiceAccountFailure.ReviewNotAuthenticated, (await ReviewAsync()).Failure);

        _answer = _ => new { kind = "TokenReview", status = new { user = new { } } };
        Assert.Equal(ServiceAccountFailure.ReviewNotAuthenticated, (await ReviewAsync()).Failure);
    }

    [Fact]
    public async Task An_error_in_the_review_is_refused()
    {
        _answer = _ => Review(error: "[invalid bearer token, service account token has been invalidated]");
        Assert.Equal(ServiceAccountFailure.ReviewError, (await ReviewAsync()).Failure);
    }

    [Fact]
    public async Task An_audience_mismatch_is_refused()
    {
        _answer = _ => Review(audiences: []);
        Assert.Equal(ServiceAccountFailure.ReviewAudienceMismatch, (await ReviewAsync()).Failure);

        _answer = _ => Review(audiences: [ApiServerAudience]);
        Assert.Equal(ServiceAccountFailure.ReviewAudienceMismatch, (await ReviewAsync()).Failure);

        _answer = _ => Review(omitAudiences: true);
        Assert.Equal(ServiceAccountFailure.ReviewAudienceMismatch, (await ReviewAsync()).Failure);
    }

    [Fact]
    public async Task A_uid_mismatch_is_refused()
    {
        // The service account was deleted and recreated with the same name: the token names the old UID.
        _answer = _ => Review(uid: "00000000-0000-0000-0000-000000000001");
        var review = await ReviewAsync();

        Assert.True(review.Succeeded);
        Assert.Equal(ServiceAccountFailure.ReviewUidMismatch, review.Confirms(Validator.ReadForTokenReview(Token()).Identity!));
    }

    [Fact]
    public async Task Another_service_account_or_pod_in_the_answer_is_refused()
    {
        var identity = Validator.ReadForTokenReview(Token()).Identity!;

        _answer = _ => Review(username: "system:serviceaccount:app-ns:other");
        Assert.Equal(ServiceAccountFailure.ReviewIdentityMismatch, (await ReviewAsync()).Confirms(identity));

        _answer = _ => Review(pod: "other-pod");
        Assert.Equal(ServiceAccountFailure.ReviewPodMismatch, (await ReviewAsync()).Confirms(identity));
    }

    [Theory]
    [InlineData("system:node:node-1")]
    [InlineData("system:serviceaccount:app-ns")]
    [InlineData("admin")]
    [InlineData("")]
    public async Task A_username_that_is_not_a_service_account_is_refused(string username)
    {
        _answer = _ => Review(username: username);
        Assert.Equal(ServiceAccountFailure.ReviewIdentityMismatch, (await ReviewAsync()).Failure);
    }

    [Fact]
    public async Task A_missing_uid_is_refused()
    {
        _answer = _ => Review(uid: "");
        Assert.Equal(ServiceAccountFailure.ReviewIdentityMismatch, (await ReviewAsync()).Failure);
    }

    [Theory]
    [InlineData(401, ServiceAccountFailure.ReviewerUnauthorized)]
    [InlineData(403, ServiceAccountFailure.ReviewerUnauthorized)]
    [InlineData(500, ServiceAccountFailure.ReviewHttpStatus)]
    [InlineData(302, ServiceAccountFailure.ReviewHttpStatus)]
    public async Task A_non_success_status_is_refused(int status, ServiceAccountFailure expected)
    {
        _api.OnJson(ReviewPath, () => "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"Unauthorized\",\"code\":" + status + "}", status);
        Assert.Equal(expected, (await ReviewAsync()).Failure);
    }

    [Theory]
    [InlineData("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\"}")]
    [InlineData("{\"kind\":\"TokenReview\"}")]
    [InlineData("{\"kind\":\"TokenReview\",\"status\":{\"authenticated\":true,\"authenticated\":false}}")]
    [InlineData("not json")]
    [InlineData("[]")]
    public async Task A_body_that_is_not_a_token_review_is_refused(string body)
    {
        _api.OnJson(ReviewPath, () => body);
        Assert.Equal(ServiceAccountFailure.ReviewInvalidResponse, (await ReviewAsync()).Failure);
    }

    [Fact]
    public async Task A_slow_api_server_times_out()
    {
        _api.On(ReviewPath, async context =>
            await Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default));
        var clock = Stopwatch.StartNew();

        Assert.Equal(ServiceAccountFailure.ReviewTimeout, (await ReviewAsync(new TokenReviewOptions { ReviewerToken = Reviewer, AllowHttp = true, Timeout = TimeSpan.FromMilliseconds(300) })).Failure);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), clock.Elapsed.ToString());
    }

    [Fact]
    public async Task An_oversized_answer_is_refused()
    {
        _answer = _ => new { kind = "TokenReview", padding = new string('x', 100 * 1024), status = new { authenticated = true } };
        Assert.Equal(ServiceAccountFailure.ReviewInvalidResponse, (await ReviewAsync()).Failure);
    }

    [Fact]
    public async Task An_unreachable_api_server_is_a_failure_not_an_exception()
    {
        var closed = _api.BaseUri;
        await _api.DisposeAsync();
        var client = new TokenReviewClient(_http, closed, new TokenReviewOptions { ReviewerToken = Reviewer, AllowHttp = true });
        _api = await FakeHttpServer.StartAsync();

        Assert.Equal(ServiceAccountFailure.ReviewUnreachable, (await client.ReviewAsync(Token(), [Audience], CancellationToken.None)).Failure);
    }

    [Fact]
    public void The_api_url_must_be_https_unless_allowed_and_keeps_a_path_prefix()
    {
        Assert.Throws<ArgumentException>(() => new TokenReviewClient(_http, _api.BaseUri, new TokenReviewOptions { ReviewerToken = Reviewer }));
        Assert.Throws<ArgumentException>(() => new TokenReviewClient(_http, new Uri("https://u:p@api.example.test"), new TokenReviewOptions { ReviewerToken = Reviewer }));
        _ = new TokenReviewClient(_http, new Uri("https://rancher.example.test/k8s/clusters/c-1/"), new TokenReviewOptions { ReviewerToken = Reviewer });
    }

    [Fact]
    public async Task A_proxy_path_prefix_is_kept()
    {
        _api.On("/k8s/clusters/c-1" + ReviewPath, async context =>
        {
            var request = (await JsonDocument.ParseAsync(context.Request.Body)).RootElement;
            context.Response.StatusCode = 201;
            await context.Response.WriteAsync(JsonSerializer.Serialize(_answer(request)));
        });
        var client = new TokenReviewClient(_http, new Uri(_api.BaseUri, "k8s/clusters/c-1"), new TokenReviewOptions { ReviewerToken = Reviewer, AllowHttp = true });

        Assert.True((await client.ReviewAsync(Token(), [Audience], CancellationToken.None)).Succeeded);
        Assert.Equal(1, _api.Count("/k8s/clusters/c-1" + ReviewPath));
    }

    [Fact]
    public async Task In_token_review_mode_a_forged_token_is_caught_by_the_review()
    {
        // Token-review mode does not check the signature locally: the claims pass, the API server refuses.
        var parts = Token().Split('.');
        var forged = parts[0] + "." + parts[1] + "." + TestKey.Segment("not a signature");
        var local = Validator.ReadForTokenReview(forged);
        Assert.True(local.Succeeded);

        _answer = _ => Review(authenticated: false, audiences: []);
        var review = await Client().ReviewAsync(forged, [Audience], CancellationToken.None);
        Assert.Equal(ServiceAccountFailure.ReviewNotAuthenticated, review.Confirms(local.Identity!));

        // The cheap checks still run without a signature: a legacy, expired or foreign-audience token never
        // reaches the API server.
        Assert.Equal(ServiceAccountFailure.LegacyToken, Validator.ReadForTokenReview(Token(change: c => c.Remove("kubernetes.io"))).Failure);
        Assert.Equal(Secrets.Authn.Jwt.JwtFailure.AudienceMismatch, Validator.ReadForTokenReview(Token(change: c => c["aud"] = new[] { ApiServerAudience })).JwtFailure);
        Assert.Equal(Secrets.Authn.Jwt.JwtFailure.AlgorithmNotAllowed, Validator.ReadForTokenReview(TestKey.Segment("{\"alg\":\"none\"}") + "." + parts[1] + ".").JwtFailure);
    }

    [Fact]
    public async Task A_token_for_another_namespace_is_refused_before_any_review()
    {
        // The library steps in the pipeline's order: read the token, check the host's restrictions, and only then
        // spend a TokenReview call.
        var host = new Dictionary<string, string> { ["authn-k8s/namespace"] = "app-ns", ["authn-k8s/service-account"] = "app-sa" };
        var client = Client();

        async Task<ServiceAccountFailure> AuthenticateAsync(string token)
        {
            var local = Validator.ReadForTokenReview(token);
            if (!local.Succeeded)
            {
                return local.Failure;
            }

            var restriction = KubernetesHostRestrictions.Check("prod", host, local.Identity!);
            if (restriction != ServiceAccountFailure.None)
            {
                return restriction;
            }

            return (await client.ReviewAsync(token, [Audience], CancellationToken.None)).Confirms(local.Identity!);
        }

        Assert.Equal(ServiceAccountFailure.RestrictionMismatch, await AuthenticateAsync(Token(change: c =>
        {
            c["sub"] = "system:serviceaccount:other-ns:app-sa";
            KubernetesClaim(c)["namespace"] = "other-ns";
        })));
        Assert.Equal(ServiceAccountFailure.RestrictionMismatch, await AuthenticateAsync(Token(change: c =>
        {
            c["sub"] = "system:serviceaccount:app-ns:other-sa";
            KubernetesClaim(c)["serviceaccount"] = new Dictionary<string, string> { ["name"] = "other-sa", ["uid"] = SaUid };
        })));
        Assert.Equal(0, _api.Count(ReviewPath));

        Assert.Equal(ServiceAccountFailure.None, await AuthenticateAsync(Token()));
        Assert.Equal(1, _api.Count(ReviewPath));
    }

    private static ValueTask<string?> Reviewer(CancellationToken cancellationToken) => ValueTask.FromResult<string?>("reviewer-token");

    private TokenReviewClient Client(TokenReviewOptions? options = null) =>
        new(_http, _api.BaseUri, options ?? new TokenReviewOptions { ReviewerToken = Reviewer, AllowHttp = true });

    private ValueTask<TokenReviewResult> ReviewAsync(TokenReviewOptions? options = null) =>
        Client(options).ReviewAsync(Token(), [Audience], CancellationToken.None);

    private static Dictionary<string, object?> Review(
        bool authenticated = true,
        string[]? audiences = null,
        bool omitAudiences = false,
        string username = "system:serviceaccount:app-ns:app-sa",
        string uid = SaUid,
        string pod = "my-pod",
        string? error = null)
    {
        var status = new Dictionary<string, object?>
        {
            ["authenticated"] = authenticated,
            ["user"] = new Dictionary<string, object?>
            {
                ["username"] = username,
                ["uid"] = uid,
                ["groups"] = new[] { "system:serviceaccounts", "system:serviceaccounts:app-ns", "system:authenticated" },
                ["extra"] = new Dictionary<string, string[]>
                {
                    ["authentication.kubernetes.io/credential-id"] = ["JTI=aed34954-b33a-4142-b1ec-389d6bbb4936"],
                    ["authentication.kubernetes.io/pod-name"] = [pod],
                    ["authentication.kubernetes.io/pod-uid"] = [PodUid],
                },
            },
        };
        if (!omitAudiences)
        {
            status["audiences"] = audiences ?? [Audience];
        }

        if (error is not null)
        {
            status["error"] = error;
        }

        return new Dictionary<string, object?> { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "TokenReview", ["status"] = status };
    }
}
