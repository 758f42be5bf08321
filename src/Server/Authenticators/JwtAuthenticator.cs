using System.Text.Json;
using Secrets.Authn.Jwt;
using Secrets.Authn.Keys;

namespace Secrets.Server.Authenticators;

/// <summary>
/// Conjur's <c>authn-jwt</c> (spec 7.3; docs/authenticators.md): any issuer's JWT (GitHub Actions, GitLab, a
/// Kubernetes service-account token) against keys from <c>jwks-uri</c>, <c>provider-uri</c> (OIDC discovery) or
/// <c>public-keys</c>. Unlike Conjur, the <c>audience</c> variable is required (workload-identity.md 0.1), and
/// RS, PS and ES algorithms are accepted; <c>none</c> and HS* never are.
/// </summary>
internal sealed class JwtAuthenticatorType : WorkloadAuthenticatorType
{
    public const string Name = "authn-jwt";

    private static readonly string[] KeySources = ["jwks-uri", "provider-uri", "public-keys"];

    private static readonly string[] Settings =
        ["jwks-uri", "provider-uri", "public-keys", "ca-cert", "issuer", "audience", "token-app-property", "identity-path", "enforced-claims", "claim-aliases"];

    public override string Type => Name;

    public override ConfiguredInstance Configure(InstanceConfiguration c, AuthenticatorResources resources)
    {
        var sources = KeySources.Where(c.Declares).ToList();
        if (sources.Count == 0)
        {
            return ConfiguredInstance.Invalid(c, "CONJ00086E One of the following must be defined: jwks-uri, public-keys, or provider-uri");
        }

        if (sources.Count > 1)
        {
            return ConfiguredInstance.Invalid(c, $"CONJ00086E The following cannot be defined simultaneously: {string.Join(", ", sources)}");
        }

        if (MissingValue(c, Settings) is { } missing)
        {
            return ConfiguredInstance.Invalid(c, missing);
        }

        if (c.Declares("ca-cert") && sources[0] == "public-keys")
        {
            return ConfiguredInstance.Invalid(c, "CONJ00154E ca-cert is only valid with jwks-uri or provider-uri");
        }

        var audience = c.Value("audience");
        if (audience is null)
        {
            // A deliberate difference from Conjur: without an audience, a token issued to any other relying party
            // of the same issuer would be accepted (workload-identity.md rule 0.1).
            return ConfiguredInstance.Invalid(c, "CONJ00037E Missing value for resource: audience (required by this server)");
        }

        var ca = c.Value("ca-cert");
        IJwtKeySource keys;
        string? issuer = c.Value("issuer");
        switch (sources[0])
        {
            case "public-keys":
                if (issuer is null)
                {
                    return ConfiguredInstance.Invalid(c, "CONJ00037E Missing value for resource: issuer (required with public-keys)");
                }

                var (fromValue, badKeys) = PublicKeys(c);
                if (fromValue is null)
                {
                    return ConfiguredInstance.Invalid(c, badKeys!);
                }

                keys = fromValue;
                break;
            case "jwks-uri":
                var (jwksUri, badJwksUri) = HttpsUrl(c, "jwks-uri", resources);
                if (jwksUri is null)
                {
                    return ConfiguredInstance.Invalid(c, badJwksUri!);
                }

                issuer ??= jwksUri.Host;
                keys = resources.JwksUri(jwksUri, ca);
                break;
            default:
                var provider = c.Value("provider-uri")!;
                if (HttpsUrl(c, "provider-uri", resources).Error is { } badProvider)
                {
                    return ConfiguredInstance.Invalid(c, badProvider);
                }

                issuer ??= provider;
                keys = resources.Discovery(provider, ca);
                break;
        }

        var rulesError = JwtClaimRules.TryCreate(c.Value("token-app-property"), c.Value("identity-path"), c.Value("enforced-claims"), c.Value("claim-aliases"), out var rules);
        if (rulesError != JwtClaimConfigError.None)
        {
            return ConfiguredInstance.Invalid(c, $"CONJ00098E Invalid claim configuration: {rulesError}");
        }

        var validator = new StrictJwtValidator(new JwtValidationOptions { Issuer = issuer, Audiences = [audience] }, resources.Time);
        return new ConfiguredInstance(c, new JwtAuthenticator(c.ServiceId, validator, keys, rules!), null);
    }
}

internal sealed class JwtAuthenticator(string serviceId, StrictJwtValidator validator, IJwtKeySource keys, JwtClaimRules rules) : WorkloadAuthenticator
{
    public override async ValueTask<CredentialCheck> ValidateAsync(string credential, string? urlLogin, CancellationToken ct)
    {
        var result = await validator.ValidateAsync(credential, keys, ct);
        if (!result.Succeeded)
        {
            return CredentialCheck.Fail($"CONJ00035E The JWT was refused: {result.Failure}", result.Kid, result.UnverifiedIssuer);
        }

        var jwt = result.Jwt!;
        var identity = rules.ResolveLogin(jwt.Claims, urlLogin, out var login);
        if (identity != JwtClaimFailure.None)
        {
            return CredentialCheck.Fail($"CONJ00098E The JWT names no identity: {identity}", result.Kid, jwt.Issuer);
        }

        return new CredentialCheck(null, login, jwt.ExpiresAt, result.Kid, jwt.Issuer, jwt.Claims);
    }

    public override string? CheckRestrictions(CredentialCheck check, IReadOnlyDictionary<string, string> annotations)
    {
        var failure = rules.CheckRestrictions(serviceId, annotations, (JsonElement)check.State!);
        return failure switch
        {
            JwtClaimFailure.None => null,
            JwtClaimFailure.NoRestrictions => "CONJ00099E Role must have at least one relevant annotation",
            JwtClaimFailure.EnforcedClaimMissing => "CONJ00057E Role does not have the required constraints",
            _ => $"CONJ00049E Resource restriction is invalid or not met: {failure}",
        };
    }

    public override ValueTask<string?> StatusAsync(CancellationToken ct) => KeyStatusAsync(keys, "the JWKS", ct);
}
