using System.Text.Json;

namespace Secrets.Authn.Jwt;

/// <summary>Why an <c>authn-jwt</c> configuration value is unusable (the status endpoint names it).</summary>
public enum JwtClaimConfigError
{
    /// <summary>Valid.</summary>
    None = 0,

    /// <summary><c>token-app-property</c> is not a valid claim path, or names a reserved claim.</summary>
    TokenAppPropertyInvalid,

    /// <summary>An <c>enforced-claims</c> entry is empty, not a claim path, reserved, or repeated.</summary>
    EnforcedClaimsInvalid,

    /// <summary>A <c>claim-aliases</c> entry is not <c>annotation:claim</c>, the annotation name contains <c>/</c>,
    /// a name is not a valid path or is reserved.</summary>
    ClaimAliasesInvalid,

    /// <summary>An annotation name or a claim appears twice in <c>claim-aliases</c>.</summary>
    ClaimAliasesDuplicate,
}

/// <summary>Why a token's claims do not grant the identity or satisfy the host's restrictions.</summary>
public enum JwtClaimFailure
{
    /// <summary>Accepted.</summary>
    None = 0,

    /// <summary>The <c>token-app-property</c> claim is missing.</summary>
    IdentityClaimMissing,

    /// <summary>The <c>token-app-property</c> claim is not a non-empty string.</summary>
    IdentityClaimInvalid,

    /// <summary><c>token-app-property</c> is set and the URL also names a host (spec 7.3 step 4: exactly one source).</summary>
    IdentityInUrlNotAllowed,

    /// <summary>No <c>token-app-property</c> and no host id in the URL.</summary>
    IdentityMissing,

    /// <summary>The host has no <c>authn-jwt/&lt;service-id&gt;/…</c> annotation (<c>CONJ00099E</c>).</summary>
    NoRestrictions,

    /// <summary>An <c>enforced-claims</c> claim has no annotation on the host (<c>CONJ00057E</c>).</summary>
    EnforcedClaimMissing,

    /// <summary>An annotation name is not a valid claim path.</summary>
    AnnotationNameInvalid,

    /// <summary>An annotation targets a reserved claim (<c>iss exp nbf iat jti aud</c>).</summary>
    AnnotationReservedClaim,

    /// <summary>An annotation names a claim that has an alias; the alias must be used.</summary>
    AnnotationBypassesAlias,

    /// <summary>An annotation has an empty value.</summary>
    AnnotationValueEmpty,

    /// <summary>The claim an annotation restricts is not in the token.</summary>
    ClaimMissing,

    /// <summary>The claim is not the string the annotation requires.</summary>
    ClaimMismatch,
}

/// <summary>
/// The parsed claim rules of one <c>authn-jwt</c> instance (conjur-api.md 7.3): how the host is named and which
/// host annotations restrict it. Pure functions, no I/O.
/// </summary>
public sealed class JwtClaimRules
{
    /// <summary>The annotation prefix of every <c>authn-jwt</c> instance.</summary>
    public const string AnnotationPrefix = "authn-jwt/";

    private JwtClaimRules(string? tokenAppProperty, string? identityPath, IReadOnlyList<string> enforced, IReadOnlyDictionary<string, string> aliases)
    {
        TokenAppProperty = tokenAppProperty;
        IdentityPath = identityPath;
        EnforcedClaims = enforced;
        ClaimAliases = aliases;
    }

    /// <summary>The claim path that names the host, or null when the URL names it.</summary>
    public string? TokenAppProperty { get; }

    /// <summary>The policy branch the token's hosts live under (<c>identity-path</c>), or null.</summary>
    public string? IdentityPath { get; }

    /// <summary>Claims every host must restrict (<c>enforced-claims</c>).</summary>
    public IReadOnlyList<string> EnforcedClaims { get; }

    /// <summary>Annotation name → claim path (<c>claim-aliases</c>).</summary>
    public IReadOnlyDictionary<string, string> ClaimAliases { get; }

    /// <summary>
    /// Parses the variables (each null when the variable does not exist). <paramref name="enforcedClaims"/> is a
    /// comma-separated list of claim paths; <paramref name="claimAliases"/> a comma-separated list of
    /// <c>annotation:claim</c> pairs. Whitespace around entries is ignored.
    /// </summary>
    public static JwtClaimConfigError TryCreate(
        string? tokenAppProperty,
        string? identityPath,
        string? enforcedClaims,
        string? claimAliases,
        out JwtClaimRules? rules)
    {
        rules = null;
        if (tokenAppProperty is not null
            && (!JwtClaimPaths.IsValid(tokenAppProperty) || JwtClaimPaths.ReservedClaims.Contains(tokenAppProperty)))
        {
            return JwtClaimConfigError.TokenAppPropertyInvalid;
        }

        var enforced = new List<string>();
        if (enforcedClaims is not null)
        {
            foreach (var raw in enforcedClaims.Split(','))
            {
                var claim = raw.Trim();
                if (!JwtClaimPaths.IsValid(claim) || JwtClaimPaths.ReservedClaims.Contains(claim) || enforced.Contains(claim))
                {
                    return JwtClaimConfigError.EnforcedClaimsInvalid;
                }

                enforced.Add(claim);
            }
        }

        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        if (claimAliases is not null)
        {
            var targets = new HashSet<string>(StringComparer.Ordinal);
            foreach (var raw in claimAliases.Split(','))
            {
                var pair = raw.Split(':');
                if (pair.Length != 2)
                {
                    return JwtClaimConfigError.ClaimAliasesInvalid;
                }

                var alias = pair[0].Trim();
                var claim = pair[1].Trim();
                if (!JwtClaimPaths.IsValid(alias) || alias.Contains('/', StringComparison.Ordinal) || !JwtClaimPaths.IsValid(claim)
                    || JwtClaimPaths.ReservedClaims.Contains(alias) || JwtClaimPaths.ReservedClaims.Contains(claim))
                {
                    return JwtClaimConfigError.ClaimAliasesInvalid;
                }

                if (!aliases.TryAdd(alias, claim) || !targets.Add(claim))
                {
                    return JwtClaimConfigError.ClaimAliasesDuplicate;
                }
            }
        }

        rules = new JwtClaimRules(tokenAppProperty, identityPath, enforced, aliases);
        return JwtClaimConfigError.None;
    }

    /// <summary>
    /// The login the token authenticates as (spec 7.3 step 4): with <c>token-app-property</c>,
    /// <c>host/&lt;identity-path&gt;/&lt;claim value&gt;</c> with repeated slashes collapsed, and no id in the URL;
    /// without it, the URL's id (<paramref name="urlLogin"/>), which is required.
    /// </summary>
    public JwtClaimFailure ResolveLogin(JsonElement claims, string? urlLogin, out string? login)
    {
        login = null;
        if (TokenAppProperty is null)
        {
            if (string.IsNullOrEmpty(urlLogin))
            {
                return JwtClaimFailure.IdentityMissing;
            }

            login = urlLogin;
            return JwtClaimFailure.None;
        }

        if (!string.IsNullOrEmpty(urlLogin))
        {
            return JwtClaimFailure.IdentityInUrlNotAllowed;
        }

        if (!JwtClaimPaths.TryResolve(claims, TokenAppProperty, out var value))
        {
            return JwtClaimFailure.IdentityClaimMissing;
        }

        if (value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 } name)
        {
            return JwtClaimFailure.IdentityClaimInvalid;
        }

        var joined = string.IsNullOrEmpty(IdentityPath) ? $"host/{name}" : $"host/{IdentityPath}/{name}";
        var collapsed = new System.Text.StringBuilder(joined.Length);
        foreach (var c in joined)
        {
            if (c != '/' || collapsed.Length == 0 || collapsed[^1] != '/')
            {
                collapsed.Append(c);
            }
        }

        login = collapsed.ToString();
        return JwtClaimFailure.None;
    }

    /// <summary>
    /// Checks the host's annotations <c>authn-jwt/&lt;service-id&gt;/&lt;claim-path&gt;</c> (only the
    /// service-specific form counts for <c>authn-jwt</c>) against the verified claims (spec 7.3 step 6): at least
    /// one; every enforced claim covered; names valid, not reserved, aliases used where defined; values non-empty and
    /// equal (ordinal) to the claim, which must be a string.
    /// </summary>
    public JwtClaimFailure CheckRestrictions(string serviceId, IReadOnlyDictionary<string, string> annotations, JsonElement claims)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceId);
        ArgumentNullException.ThrowIfNull(annotations);

        var prefix = AnnotationPrefix + serviceId + "/";
        var restricted = new List<(string Claim, string Value)>();
        var aliasTargets = new HashSet<string>(ClaimAliases.Values, StringComparer.Ordinal);
        foreach (var (annotation, value) in annotations.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (!annotation.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = annotation[prefix.Length..];
            if (!JwtClaimPaths.IsValid(name))
            {
                return JwtClaimFailure.AnnotationNameInvalid;
            }

            if (JwtClaimPaths.ReservedClaims.Contains(name))
            {
                return JwtClaimFailure.AnnotationReservedClaim;
            }

            string claim;
            if (ClaimAliases.TryGetValue(name, out var target))
            {
                claim = target;
            }
            else if (aliasTargets.Contains(name))
            {
                return JwtClaimFailure.AnnotationBypassesAlias;
            }
            else
            {
                claim = name;
            }

            if (string.IsNullOrEmpty(value))
            {
                return JwtClaimFailure.AnnotationValueEmpty;
            }

            restricted.Add((claim, value));
        }

        if (restricted.Count == 0)
        {
            return JwtClaimFailure.NoRestrictions;
        }

        foreach (var enforced in EnforcedClaims)
        {
            if (!restricted.Any(r => r.Claim == enforced))
            {
                return JwtClaimFailure.EnforcedClaimMissing;
            }
        }

        foreach (var (claim, expected) in restricted)
        {
            if (!JwtClaimPaths.TryResolve(claims, claim, out var actual))
            {
                return JwtClaimFailure.ClaimMissing;
            }

            if (actual.ValueKind != JsonValueKind.String || !string.Equals(actual.GetString(), expected, StringComparison.Ordinal))
            {
                return JwtClaimFailure.ClaimMismatch;
            }
        }

        return JwtClaimFailure.None;
    }
}
