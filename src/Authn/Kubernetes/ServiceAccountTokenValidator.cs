using System.Text.Json;
using System.Text.RegularExpressions;
using Secrets.Authn.Jwt;

namespace Secrets.Authn.Kubernetes;

/// <summary>
/// Validates projected (bound) Kubernetes service-account tokens: the strict JWT checks with the cluster's keys and
/// our audience, then the Kubernetes rules (workload-identity.md 1.1, 6.3): no legacy secret-based token, no
/// API-server audience, <c>sub</c> exactly <c>system:serviceaccount:&lt;ns&gt;:&lt;name&gt;</c> agreeing with the
/// <c>kubernetes.io</c> claims, a service-account UID, not past <c>warnafter</c>, lifetime at most 24 h by default.
/// </summary>
public sealed partial class ServiceAccountTokenValidator
{
    /// <summary>The issuer of legacy secret-based tokens (<c>pkg/serviceaccount/legacy.go</c>).</summary>
    public const string LegacyIssuer = "kubernetes/serviceaccount";

    private readonly KubernetesTokenOptions _options;
    private readonly TimeProvider _time;
    private readonly StrictJwtValidator _jwt;

    /// <summary>Creates a validator for one cluster.</summary>
    public ServiceAccountTokenValidator(KubernetesTokenOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (options.Issuer is { } issuer && options.Audiences.Contains(issuer, StringComparer.Ordinal))
        {
            // kube-apiserver's --api-audiences defaults to the issuer: accepting it accepts every default token.
            throw new ArgumentException("The issuer is the API server's default audience; configure our own.", nameof(options));
        }

        _options = options;
        _time = timeProvider;
        _jwt = new StrictJwtValidator(
            new JwtValidationOptions
            {
                Issuer = options.Issuer,
                Audiences = options.Audiences,
                Algorithms = options.Algorithms,
                ClockSkew = options.ClockSkew,
                MaxLifetime = options.MaxLifetime,
                RequireIssuedAt = true,
            },
            timeProvider);
    }

    /// <summary>
    /// <c>jwks</c> mode (and the first step of <c>jwks+token-review</c>): verifies the signature with the cluster's
    /// keys, then the claims and the Kubernetes rules.
    /// </summary>
    public async ValueTask<ServiceAccountResult> ValidateAsync(string? token, IJwtKeySource keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (!JwtToken.TryParse(token, _jwt.Options.MaxTokenBytes, out var parsed, out var parseFailure))
        {
            return Fail(ServiceAccountFailure.Jwt, parseFailure, null);
        }

        if (IsLegacy(parsed!))
        {
            return Fail(ServiceAccountFailure.LegacyToken, JwtFailure.None, parsed);
        }

        var result = await _jwt.ValidateAsync(parsed!, keys, cancellationToken);
        return Read(result, parsed!);
    }

    /// <summary>
    /// <c>token-review</c> mode: every check except the signature, which the API server's TokenReview makes. The
    /// identity returned is a <b>claim</b> until <see cref="TokenReviewResult.Confirms"/> says the review agrees; it
    /// exists so that host restrictions can be checked before the (counted, rate-limited) review call.
    /// </summary>
    public ServiceAccountResult ReadForTokenReview(string? token)
    {
        if (!JwtToken.TryParse(token, _jwt.Options.MaxTokenBytes, out var parsed, out var parseFailure))
        {
            return Fail(ServiceAccountFailure.Jwt, parseFailure, null);
        }

        if (IsLegacy(parsed!))
        {
            return Fail(ServiceAccountFailure.LegacyToken, JwtFailure.None, parsed);
        }

        return Read(_jwt.CheckWithoutSignature(parsed!), parsed!);
    }

    private ServiceAccountResult Read(JwtValidationResult result, JwtToken parsed)
    {
        if (!result.Succeeded)
        {
            return Fail(ServiceAccountFailure.Jwt, result.Failure, parsed);
        }

        var jwt = result.Jwt!;
        var apiAudiences = new HashSet<string>(KubernetesTokenOptions.WellKnownApiServerAudiences, StringComparer.Ordinal);
        apiAudiences.UnionWith(_options.ApiServerAudiences);
        if (jwt.Issuer is not null)
        {
            apiAudiences.Add(jwt.Issuer);
        }

        if (jwt.Audiences.Any(apiAudiences.Contains))
        {
            return Fail(ServiceAccountFailure.ApiServerAudience, JwtFailure.None, parsed);
        }

        // sub: exactly four ':'-separated parts (the API server's SplitUsername; Vault requires the same).
        var parts = jwt.Subject?.Split(':');
        if (parts is not { Length: 4 } || parts[0] != "system" || parts[1] != "serviceaccount"
            || !NamespacePattern().IsMatch(parts[2]) || !NamePattern().IsMatch(parts[3]))
        {
            return Fail(ServiceAccountFailure.SubjectInvalid, JwtFailure.None, parsed);
        }

        var k8s = jwt.Claims.GetProperty("kubernetes.io");
        if (String(k8s, "namespace") != parts[2]
            || !k8s.TryGetProperty("serviceaccount", out var serviceAccount) || serviceAccount.ValueKind != JsonValueKind.Object
            || String(serviceAccount, "name") != parts[3])
        {
            return Fail(ServiceAccountFailure.ClaimsMismatch, JwtFailure.None, parsed);
        }

        if (String(serviceAccount, "uid") is not { Length: > 0 } uid)
        {
            return Fail(ServiceAccountFailure.ServiceAccountUidMissing, JwtFailure.None, parsed);
        }

        string? podName = null, podUid = null;
        if (k8s.TryGetProperty("pod", out var pod))
        {
            podName = String(pod, "name");
            podUid = String(pod, "uid");
            if (pod.ValueKind != JsonValueKind.Object || podName is not { Length: > 0 } || podUid is not { Length: > 0 })
            {
                return Fail(ServiceAccountFailure.ClaimsMismatch, JwtFailure.None, parsed);
            }
        }

        // warnafter: the API server "extends" default tokens to a year but marks their real end (row 10).
        if (k8s.TryGetProperty("warnafter", out var warnAfter))
        {
            if (warnAfter.ValueKind != JsonValueKind.Number || !warnAfter.TryGetInt64(out var warnSeconds))
            {
                return Fail(ServiceAccountFailure.ClaimsMismatch, JwtFailure.None, parsed);
            }

            if (_time.GetUtcNow().ToUnixTimeSeconds() > warnSeconds)
            {
                return Fail(ServiceAccountFailure.StaleToken, JwtFailure.None, parsed);
            }
        }

        var identity = new ServiceAccountIdentity(jwt.Subject!, parts[2], parts[3], uid, podName, podUid, jwt.Issuer, jwt.ExpiresAt, jwt.JwtId);
        return new ServiceAccountResult(ServiceAccountFailure.None, JwtFailure.None, identity, parsed.Kid, parsed.UnverifiedIssuer);
    }

    private static bool IsLegacy(JwtToken token)
    {
        var claims = token.Payload;
        if (token.UnverifiedIssuer == LegacyIssuer || !claims.TryGetProperty("kubernetes.io", out var k8s)
            || k8s.ValueKind != JsonValueKind.Object)
        {
            return true;
        }

        // A legacy token's flat claims (kubernetes.io/serviceaccount/namespace, …/secret.name, …).
        foreach (var claim in claims.EnumerateObject())
        {
            if (claim.Name.StartsWith("kubernetes.io/", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static ServiceAccountResult Fail(ServiceAccountFailure failure, JwtFailure jwtFailure, JwtToken? token) =>
        new(failure, jwtFailure, null, token?.Kid, token?.UnverifiedIssuer);

    // RFC 1123 label (namespaces) and subdomain (service-account names), as Kubernetes validates them.
    [GeneratedRegex(@"^(?=.{1,63}\z)[a-z0-9]([-a-z0-9]*[a-z0-9])?\z", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex NamespacePattern();

    [GeneratedRegex(@"^(?=.{1,253}\z)[a-z0-9]([-a-z0-9.]*[a-z0-9])?\z", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex NamePattern();
}
