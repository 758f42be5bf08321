using Microsoft.Extensions.Time.Testing;
using Secrets.Authn.Kubernetes;

namespace Secrets.Authn.Tests.Kubernetes;

/// <summary>
/// The <c>authn-k8s</c> host annotations checked against a token's identity: <c>namespace</c> (required),
/// <c>service-account</c>, <c>service-account-uid</c>, <c>pod</c>, service-specific over general, and the Conjur
/// restrictions that need API reads refused.
/// </summary>
public sealed class MatchingKubernetesHostRestrictions
{
    private static readonly ServiceAccountIdentity Identity = new(
        "system:serviceaccount:app-ns:app-sa", "app-ns", "app-sa", "uid-1", "my-pod", "pod-uid-1",
        "https://oidc.cluster.example.test", DateTimeOffset.UnixEpoch, null);

    private static readonly ServiceAccountIdentity NoPod = Identity with { PodName = null, PodUid = null };

    public static TheoryData<string, ServiceAccountFailure> Cases => new()
    {
        { "authn-k8s/namespace=app-ns", ServiceAccountFailure.None },
        { "authn-k8s/prod/namespace=app-ns", ServiceAccountFailure.None },
        { "authn-k8s/namespace=app-ns;authn-k8s/service-account=app-sa;authn-k8s/pod=my-pod;authn-k8s/service-account-uid=uid-1", ServiceAccountFailure.None },
        { "authn-k8s/namespace=other;authn-k8s/prod/namespace=app-ns", ServiceAccountFailure.None },
        { "authn-k8s/namespace=app-ns;authn-k8s/prod/namespace=other", ServiceAccountFailure.RestrictionMismatch },
        { "authn-k8s/namespace=other", ServiceAccountFailure.RestrictionMismatch },
        { "authn-k8s/namespace=APP-NS", ServiceAccountFailure.RestrictionMismatch },
        { "authn-k8s/namespace=app-ns;authn-k8s/service-account=other", ServiceAccountFailure.RestrictionMismatch },
        { "authn-k8s/namespace=app-ns;authn-k8s/service-account-uid=uid-2", ServiceAccountFailure.RestrictionMismatch },
        { "authn-k8s/namespace=app-ns;authn-k8s/pod=other-pod", ServiceAccountFailure.RestrictionMismatch },
        { "authn-k8s/service-account=app-sa", ServiceAccountFailure.RestrictionMissing },
        { "authn-k8s/staging/namespace=app-ns", ServiceAccountFailure.RestrictionMissing },
        { "authn-jwt/prod/namespace=app-ns", ServiceAccountFailure.RestrictionMissing },
        { "authn-k8s/namespace=app-ns;authn-k8s/deployment=web", ServiceAccountFailure.RestrictionUnsupported },
        { "authn-k8s/namespace-label-selector=team=a", ServiceAccountFailure.RestrictionUnsupported },
        { "authn-k8s/namespace=app-ns;authn-k8s/prod/colour=blue", ServiceAccountFailure.RestrictionUnsupported },
        { "authn-k8s/namespace=app-ns;authn-k8s/authentication-container-name=authenticator", ServiceAccountFailure.None },
        { "authn-k8s/namespace=", ServiceAccountFailure.RestrictionInvalid },
        { "authn-k8s/staging/deployment=web;authn-k8s/namespace=app-ns", ServiceAccountFailure.None },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Host_annotations_restrict_the_service_account(string annotations, ServiceAccountFailure expected)
    {
        var parsed = annotations.Split(';').Select(a => a.Split('=', 2)).ToDictionary(a => a[0], a => a[1]);

        Assert.Equal(expected, KubernetesHostRestrictions.Check("prod", parsed, Identity));
    }

    [Fact]
    public void A_pod_restriction_refuses_a_token_not_bound_to_a_pod()
    {
        var annotations = new Dictionary<string, string> { ["authn-k8s/namespace"] = "app-ns", ["authn-k8s/pod"] = "my-pod" };

        Assert.Equal(ServiceAccountFailure.RestrictionMismatch, KubernetesHostRestrictions.Check("prod", annotations, NoPod));
        Assert.Equal(ServiceAccountFailure.None, KubernetesHostRestrictions.Check("prod", annotations, Identity));
        Assert.True(KubernetesHostRestrictions.NeedsApiReads("deployment"));
    }

    [Fact]
    public async Task The_reviewer_token_file_is_re_read_after_a_minute()
    {
        var path = Path.Combine(Path.GetTempPath(), "sa-token-" + Guid.NewGuid().ToString("N"));
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        try
        {
            await File.WriteAllTextAsync(path, "first\n");
            var file = new ServiceAccountTokenFile(path, time);
            Assert.Equal("first", await file.ReadAsync(CancellationToken.None));

            await File.WriteAllTextAsync(path, "second");
            Assert.Equal("first", await file.ReadAsync(CancellationToken.None));
            time.Advance(ServiceAccountTokenFile.ReloadInterval);
            Assert.Equal("second", await file.ReadAsync(CancellationToken.None));

            File.Delete(path);
            time.Advance(ServiceAccountTokenFile.ReloadInterval);
            Assert.Null(await file.ReadAsync(CancellationToken.None));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
