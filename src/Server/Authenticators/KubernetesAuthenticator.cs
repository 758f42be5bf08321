using System.Globalization;
using Secrets.Authn.Jwt;
using Secrets.Authn.Keys;
using Secrets.Authn.Kubernetes;

namespace Secrets.Server.Authenticators;

/// <summary>How an <c>authn-k8s</c> instance checks a token's signature and liveness.</summary>
internal enum KubernetesMode
{
    /// <summary>Local verification with the cluster's keys only (no call; a deleted pod's token works until it expires).</summary>
    Jwks,

    /// <summary>The API server's TokenReview only; the token's claims are still checked first, without the signature.</summary>
    TokenReview,

    /// <summary>Both: local verification, then TokenReview (the default when an API server is known).</summary>
    JwksAndTokenReview,
}

/// <summary>
/// <c>authn-k8s</c> with projected service-account tokens (docs/authenticators.md): no sidecar and no certificate
/// injection. The pod sends its token; the server checks it with the cluster's keys and/or TokenReview, then the
/// host's <c>authn-k8s/…</c> annotations against the token's namespace, service account (and its UID) and pod.
/// </summary>
internal sealed class KubernetesAuthenticatorType : WorkloadAuthenticatorType
{
    public const string Name = "authn-k8s";

    private static readonly string[] KeySources = ["jwks-uri", "public-keys"];

    private static readonly string[] Settings =
        ["mode", "issuer", "audience", "jwks-uri", "public-keys", "kubernetes/api-url", "kubernetes/ca-cert", "kubernetes/service-account-token", "max-token-lifetime", "identity-path"];

    public override string Type => Name;

    public override ConfiguredInstance Configure(InstanceConfiguration c, AuthenticatorResources resources)
    {
        if (MissingValue(c, Settings) is { } missing)
        {
            return ConfiguredInstance.Invalid(c, missing);
        }

        if (c.Value("audience") is not { } audienceValue)
        {
            return ConfiguredInstance.Invalid(c, "CONJ00037E Missing value for resource: audience (required)");
        }

        var audiences = audienceValue.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var issuer = c.Value("issuer");

        // The API server: configured, or the in-cluster defaults when the server runs in a pod.
        var workload = resources.Workload;
        Uri? apiUrl = null;
        string? apiCa = c.Value("kubernetes/ca-cert");
        Func<CancellationToken, ValueTask<string?>>? reviewer = null;
        if (c.Value("kubernetes/api-url") is not null)
        {
            (apiUrl, var badApi) = HttpsUrl(c, "kubernetes/api-url", resources);
            if (apiUrl is null)
            {
                return ConfiguredInstance.Invalid(c, badApi!);
            }

            if (c.Value("kubernetes/service-account-token") is { } staticToken)
            {
                reviewer = _ => ValueTask.FromResult<string?>(staticToken);
            }
        }
        else if (workload.InClusterApi is { } inCluster)
        {
            apiUrl = inCluster;
            apiCa ??= workload.ReadInClusterCa();
        }

        if (apiUrl is not null && reviewer is null)
        {
            var file = workload.InClusterTokenFile(resources.Time);
            reviewer = file.ReadAsync;
        }

        KubernetesMode mode;
        switch (c.Value("mode"))
        {
            case null:
                mode = apiUrl is null ? KubernetesMode.Jwks : KubernetesMode.JwksAndTokenReview;
                break;
            case "jwks":
                mode = KubernetesMode.Jwks;
                break;
            case "token-review":
                mode = KubernetesMode.TokenReview;
                break;
            case "jwks+token-review":
                mode = KubernetesMode.JwksAndTokenReview;
                break;
            default:
                return ConfiguredInstance.Invalid(c, "CONJ00087E Invalid 'mode': use jwks, token-review or jwks+token-review");
        }

        if (mode != KubernetesMode.Jwks && apiUrl is null)
        {
            return ConfiguredInstance.Invalid(c, "CONJ00037E Missing value for resource: kubernetes/api-url (token-review needs an API server)");
        }

        var lifetime = KubernetesTokenOptions.DefaultMaxLifetime;
        if (c.Value("max-token-lifetime") is { } lifetimeText && !TryParseDuration(lifetimeText, out lifetime))
        {
            return ConfiguredInstance.Invalid(c, "CONJ00087E Invalid 'max-token-lifetime': use seconds, or a number with s, m or h");
        }

        IJwtKeySource? keys = null;
        if (mode != KubernetesMode.TokenReview)
        {
            var sources = KeySources.Where(c.Declares).ToList();
            if (sources.Count > 1)
            {
                return ConfiguredInstance.Invalid(c, "CONJ00086E The following cannot be defined simultaneously: jwks-uri, public-keys");
            }

            if (sources.Count == 0)
            {
                if (issuer is null || HttpsUrl(c, "issuer", resources).Url is null)
                {
                    return ConfiguredInstance.Invalid(c, "CONJ00086E One of the following must be defined: jwks-uri, public-keys, or an https issuer for discovery");
                }

                keys = resources.Discovery(issuer, apiCa);
            }
            else if (sources[0] == "public-keys")
            {
                (keys, var badKeys) = PublicKeys(c);
                if (keys is null)
                {
                    return ConfiguredInstance.Invalid(c, badKeys!);
                }
            }
            else
            {
                var (jwksUri, badJwksUri) = HttpsUrl(c, "jwks-uri", resources);
                if (jwksUri is null)
                {
                    return ConfiguredInstance.Invalid(c, badJwksUri!);
                }

                keys = resources.JwksUri(jwksUri, apiCa);
            }
        }

        ServiceAccountTokenValidator validator;
        try
        {
            validator = new ServiceAccountTokenValidator(
                new KubernetesTokenOptions { Issuer = issuer, Audiences = audiences, MaxLifetime = lifetime }, resources.Time);
        }
        catch (ArgumentException)
        {
            return ConfiguredInstance.Invalid(c, "CONJ00087E Invalid 'audience': it must be this server's own audience, not the API server's");
        }

        TokenReviewClient? review = null;
        if (mode != KubernetesMode.Jwks)
        {
            review = new TokenReviewClient(resources.Client(apiCa), apiUrl!, new TokenReviewOptions { ReviewerToken = reviewer!, AllowHttp = workload.AllowHttp });
        }

        return new ConfiguredInstance(c, new KubernetesAuthenticator(c.ServiceId, mode, validator, keys, review, audiences, c.Value("identity-path")), null);
    }

    private static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        var unit = text[^1] switch { 's' => 1, 'm' => 60, 'h' => 3600, _ => 0 };
        var digits = unit == 0 ? text : text[..^1];
        if (unit == 0)
        {
            unit = 1;
        }

        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0 || n > 366L * 24 * 3600)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(n * unit);
        return true;
    }
}

internal sealed class KubernetesAuthenticator(
    string serviceId, KubernetesMode mode, ServiceAccountTokenValidator validator, IJwtKeySource? keys, TokenReviewClient? review,
    IReadOnlyList<string> audiences, string? identityPath) : WorkloadAuthenticator
{
    public override async ValueTask<CredentialCheck> ValidateAsync(string credential, string? urlLogin, CancellationToken ct)
    {
        var result = mode == KubernetesMode.TokenReview ? validator.ReadForTokenReview(credential) : await validator.ValidateAsync(credential, keys!, ct);
        if (!result.Succeeded)
        {
            var why = result.Failure == ServiceAccountFailure.Jwt ? $"Jwt.{result.JwtFailure}" : result.Failure.ToString();
            return CredentialCheck.Fail($"CONJ00035E The service-account token was refused: {why}", result.Kid, result.UnverifiedIssuer);
        }

        var identity = result.Identity!;
        var login = !string.IsNullOrEmpty(urlLogin) ? urlLogin
            : string.IsNullOrEmpty(identityPath) ? $"host/{identity.HostIdSuffix}"
            : $"host/{identityPath.Trim('/')}/{identity.HostIdSuffix}";
        return new CredentialCheck(null, login, identity.ExpiresAt, result.Kid, identity.Issuer, identity);
    }

    public override string? CheckRestrictions(CredentialCheck check, IReadOnlyDictionary<string, string> annotations)
    {
        var failure = KubernetesHostRestrictions.Check(serviceId, annotations, (ServiceAccountIdentity)check.State!);
        return failure == ServiceAccountFailure.None ? null : $"CONJ00049E Resource restriction is invalid or not met: {failure}";
    }

    public override async ValueTask<string?> ConfirmAsync(CredentialCheck check, string credential, CancellationToken ct)
    {
        if (review is null)
        {
            return null;
        }

        var result = await review.ReviewAsync(credential, audiences, ct);
        var failure = result.Confirms((ServiceAccountIdentity)check.State!);
        return failure == ServiceAccountFailure.None ? null : $"CONJ00035E TokenReview refused the token: {failure}";
    }

    public override ValueTask<string?> StatusAsync(CancellationToken ct) => KeyStatusAsync(keys, "the cluster's keys", ct);
}
