using System.Text.Json;
using Secrets.Authn.Jwt;

namespace Secrets.Authn.Tests.Jwt;

/// <summary>
/// The <c>authn-jwt</c> claim rules of conjur-api.md 7.3 as table tests: nested claim paths, the identity from
/// <c>token-app-property</c> + <c>identity-path</c> or from the URL, <c>enforced-claims</c>, <c>claim-aliases</c> and the
/// host annotations <c>authn-jwt/&lt;service-id&gt;/&lt;claim&gt;</c>.
/// </summary>
public sealed class ApplyingAuthnJwtClaimRules
{
    private static readonly JsonElement Claims = JsonDocument.Parse("""
        {
          "sub": "system:serviceaccount:app-ns:default",
          "repository": "myorg/myrepo",
          "workflow": "deploy",
          "run_number": 12,
          "a/b": "top-level wins",
          "a": { "b": "nested" },
          "kubernetes.io": { "namespace": "app-ns", "serviceaccount": { "name": "default" } },
          "empty": "",
          "SUB": "admin"
        }
        """).RootElement;

    [Theory]
    [InlineData("repository", "myorg/myrepo")]
    [InlineData("kubernetes.io/namespace", "app-ns")]
    [InlineData("kubernetes.io/serviceaccount/name", "default")]
    [InlineData("a/b", "top-level wins")]
    [InlineData("sub", "system:serviceaccount:app-ns:default")]
    [InlineData("kubernetes.io/serviceaccount", null)]
    [InlineData("kubernetes.io/missing", null)]
    [InlineData("run_number", null)]
    [InlineData("Sub", null)]
    public void Claim_paths_resolve_nested_members_by_exact_name(string path, string? expected)
    {
        Assert.Equal(expected, JwtClaimPaths.ResolveString(Claims, path));
    }

    [Theory]
    [InlineData("sub", true)]
    [InlineData("kubernetes.io/serviceaccount/name", true)]
    [InlineData("$ref_1.x-y", true)]
    [InlineData("1abc", false)]
    [InlineData("a//b", false)]
    [InlineData("/a", false)]
    [InlineData("a/", false)]
    [InlineData("a b", false)]
    [InlineData("a\n", false)]
    [InlineData("", false)]
    public void Claim_path_names_follow_conjurs_pattern(string path, bool valid)
    {
        Assert.Equal(valid, JwtClaimPaths.IsValid(path));
    }

    [Theory]
    [InlineData("repository", null, null, "host/myorg/myrepo")]
    [InlineData("repository", "apps/github", null, "host/apps/github/myorg/myrepo")]
    [InlineData("repository", "/apps//github/", null, "host/apps/github/myorg/myrepo")]
    [InlineData("sub", "k8s", null, "host/k8s/system:serviceaccount:app-ns:default")]
    [InlineData(null, null, "host/apps/myapp", "host/apps/myapp")]
    public void The_login_comes_from_the_token_or_the_url(string? tokenAppProperty, string? identityPath, string? urlLogin, string expected)
    {
        Assert.Equal(JwtClaimConfigError.None, JwtClaimRules.TryCreate(tokenAppProperty, identityPath, null, null, out var rules));

        Assert.Equal(JwtClaimFailure.None, rules!.ResolveLogin(Claims, urlLogin, out var login));
        Assert.Equal(expected, login);
    }

    [Theory]
    [InlineData("repository", "host/x", JwtClaimFailure.IdentityInUrlNotAllowed)]
    [InlineData(null, null, JwtClaimFailure.IdentityMissing)]
    [InlineData("missing", null, JwtClaimFailure.IdentityClaimMissing)]
    [InlineData("empty", null, JwtClaimFailure.IdentityClaimInvalid)]
    [InlineData("run_number", null, JwtClaimFailure.IdentityClaimInvalid)]
    [InlineData("kubernetes.io", null, JwtClaimFailure.IdentityClaimInvalid)]
    public void A_login_that_cannot_be_resolved_is_refused(string? tokenAppProperty, string? urlLogin, JwtClaimFailure expected)
    {
        JwtClaimRules.TryCreate(tokenAppProperty, null, null, null, out var rules);

        Assert.Equal(expected, rules!.ResolveLogin(Claims, urlLogin, out var login));
        Assert.Null(login);
    }

    [Theory]
    [InlineData("exp", null, null, JwtClaimConfigError.TokenAppPropertyInvalid)]
    [InlineData("a//b", null, null, JwtClaimConfigError.TokenAppPropertyInvalid)]
    [InlineData(null, "workflow,", null, JwtClaimConfigError.EnforcedClaimsInvalid)]
    [InlineData(null, "workflow, workflow", null, JwtClaimConfigError.EnforcedClaimsInvalid)]
    [InlineData(null, "iat", null, JwtClaimConfigError.EnforcedClaimsInvalid)]
    [InlineData(null, null, "wf", JwtClaimConfigError.ClaimAliasesInvalid)]
    [InlineData(null, null, "w/f:workflow", JwtClaimConfigError.ClaimAliasesInvalid)]
    [InlineData(null, null, "wf:aud", JwtClaimConfigError.ClaimAliasesInvalid)]
    [InlineData(null, null, "wf:a:b", JwtClaimConfigError.ClaimAliasesInvalid)]
    [InlineData(null, null, "wf:workflow,wf:repository", JwtClaimConfigError.ClaimAliasesDuplicate)]
    [InlineData(null, null, "wf:workflow,w2:workflow", JwtClaimConfigError.ClaimAliasesDuplicate)]
    [InlineData("repository", " workflow , kubernetes.io/namespace ", "wf:workflow, ns:kubernetes.io/namespace", JwtClaimConfigError.None)]
    public void Configuration_values_are_checked(string? tokenAppProperty, string? enforced, string? aliases, JwtClaimConfigError expected)
    {
        Assert.Equal(expected, JwtClaimRules.TryCreate(tokenAppProperty, null, enforced, aliases, out var rules));
        Assert.Equal(expected == JwtClaimConfigError.None, rules is not null);
    }

    public static TheoryData<string, string?, string?, JwtClaimFailure> RestrictionCases => new()
    {
        { "authn-jwt/github/repository=myorg/myrepo", null, null, JwtClaimFailure.None },
        { "authn-jwt/github/repository=myorg/myrepo;authn-jwt/github/workflow=deploy", "workflow", null, JwtClaimFailure.None },
        { "authn-jwt/github/kubernetes.io/serviceaccount/name=default", null, null, JwtClaimFailure.None },
        { "authn-jwt/github/wf=deploy", "workflow", "wf:workflow", JwtClaimFailure.None },
        { "authn-jwt/other/repository=myorg/myrepo", null, null, JwtClaimFailure.NoRestrictions },
        { "authn-jwt/repository=myorg/myrepo", null, null, JwtClaimFailure.NoRestrictions },
        { "authn-k8s/github/repository=myorg/myrepo", null, null, JwtClaimFailure.NoRestrictions },
        { "authn-jwt/github/repository=myorg/myrepo", "workflow", null, JwtClaimFailure.EnforcedClaimMissing },
        { "authn-jwt/github/repository=myorg/other", null, null, JwtClaimFailure.ClaimMismatch },
        { "authn-jwt/github/repository=MYORG/MYREPO", null, null, JwtClaimFailure.ClaimMismatch },
        { "authn-jwt/github/run_number=12", null, null, JwtClaimFailure.ClaimMismatch },
        { "authn-jwt/github/missing=x", null, null, JwtClaimFailure.ClaimMissing },
        { "authn-jwt/github/repository=", null, null, JwtClaimFailure.AnnotationValueEmpty },
        { "authn-jwt/github/iss=https://issuer", null, null, JwtClaimFailure.AnnotationReservedClaim },
        { "authn-jwt/github/1bad=x", null, null, JwtClaimFailure.AnnotationNameInvalid },
        { "authn-jwt/github/workflow=deploy", null, "wf:workflow", JwtClaimFailure.AnnotationBypassesAlias },
        { "authn-jwt/github/SUB=admin", null, null, JwtClaimFailure.None },
        { "authn-jwt/github/sub=admin", null, null, JwtClaimFailure.ClaimMismatch },
    };

    [Theory]
    [MemberData(nameof(RestrictionCases))]
    public void Host_annotations_restrict_the_token(string annotations, string? enforced, string? aliases, JwtClaimFailure expected)
    {
        Assert.Equal(JwtClaimConfigError.None, JwtClaimRules.TryCreate(null, null, enforced, aliases, out var rules));
        var parsed = annotations.Split(';').Select(a => a.Split('=', 2)).ToDictionary(a => a[0], a => a[1]);

        Assert.Equal(expected, rules!.CheckRestrictions("github", parsed, Claims));
    }
}
