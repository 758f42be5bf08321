using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Secrets.Authn.Jwt;
using Secrets.Authn.Network;
using Secrets.Policy.Store;
using Secrets.Server.Audit;
using Secrets.Server.Authentication;
using Secrets.Server.Authorization;
using Secrets.Server.Configuration;
using Secrets.Server.Data;
using Secrets.Server.Http;

namespace Secrets.Server.Authenticators;

/// <summary>
/// The one authenticate pipeline of every workload authenticator (spec 7.1, issue 11), in Conjur's order:
/// <list type="number">
/// <item>the account exists;</item>
/// <item>the instance is enabled (CONJUR_AUTHENTICATORS, or the database flag set with PATCH);</item>
/// <item>the webservice <c>conjur/&lt;type&gt;/&lt;service-id&gt;</c> exists;</item>
/// <item>the authenticator validates the credential (the type's code, pure, in src/Authn);</item>
/// <item>the role it names exists;</item>
/// <item>the role holds <c>authenticate</c> on the webservice (else 403);</item>
/// <item>the client address is within the role's <c>restricted_to</c>;</item>
/// <item>the host's annotations hold (and only then a counted confirmation such as TokenReview);</item>
/// <item>an access token is issued whose lifetime never exceeds the credential's own expiry.</item>
/// </list>
/// Every attempt is audited with the real reason, the authenticator, the service, the credential's <c>kid</c> and
/// <c>iss</c> and a SHA-256 of it (never the credential). Clients see an empty 401 for every failure but the 403 of
/// step 6 and the 400 of a request with no credential.
/// </summary>
internal static class AuthenticatePipeline
{
    /// <summary>The largest body read: the token cap (16 KiB) form-encoded, with room for other fields.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>The authenticators on this pipeline, their administration and their services.</summary>
    public static IServiceCollection AddWorkloadAuthenticators(this IServiceCollection services) =>
        services
            .AddSingleton<WorkloadAuthenticatorType, JwtAuthenticatorType>()
            .AddSingleton<WorkloadAuthenticatorType, KubernetesAuthenticatorType>()
            .AddSingleton<AuthenticatorResources>()
            .AddSingleton<AuthenticatorInstances>();

    public static IEndpointRouteBuilder MapWorkloadAuthenticatorEndpoints(this IEndpointRouteBuilder app)
    {
        foreach (var type in new[] { JwtAuthenticatorType.Name, KubernetesAuthenticatorType.Name })
        {
            var byCredential = app.MapGroup($"/{type}/{{serviceId}}/{{account}}").TokenIgnored().ServesCredentials();
            byCredential.MapPost("/authenticate", (HttpContext ctx, [AsParameters] Services s, CancellationToken ct) =>
                AuthenticateAsync(ctx, type, PathSegments.At(ctx, 1), PathSegments.At(ctx, 2), null, s, ct));
            byCredential.MapPost("/{id}/authenticate", (HttpContext ctx, [AsParameters] Services s, CancellationToken ct) =>
                AuthenticateAsync(ctx, type, PathSegments.At(ctx, 1), PathSegments.At(ctx, 2), PathSegments.At(ctx, 3), s, ct));

            app.MapGet($"/{type}/{{serviceId}}/{{account}}/status", (HttpContext ctx, [AsParameters] Services s, CancellationToken ct) =>
                StatusAsync(ctx, type, PathSegments.At(ctx, 1), PathSegments.At(ctx, 2), s, ct)).TokenRequired();
        }

        return app;
    }

    /// <summary>What the pipeline uses, bound from the request's services as one parameter ([AsParameters]).</summary>
    internal sealed record Services(
        SecretsDbContext Db, RequestSnapshots Authz, AuthenticatorInstances Instances, KeyRing Keys, TokenService Tokens, ServerSettings Settings, AuditLog Audit);

    internal static async Task<Results<ContentHttpResult, ConjurError>> AuthenticateAsync(
        HttpContext ctx, string type, string? serviceId, string? account, string? urlLogin, Services s, CancellationToken ct)
    {
        if (serviceId is null || account is null || PathSegments.ContainsSlash(serviceId) || PathSegments.ContainsSlash(account))
        {
            return Errors.RouteNotFound();
        }

        var attempt = new Attempt(s.Audit, type, InstanceConfiguration.WebserviceOf(account, type, serviceId));

        // The credential: jwt=… form-decoded whatever the Content-Type (the Kubernetes clients send text/plain),
        // or for authn-k8s the Authorization: Bearer a pod can send as it is.
        var (credential, tooLarge) = await ReadCredentialAsync(ctx, type, ct);
        if (tooLarge)
        {
            return Errors.PayloadTooLarge(MaxBodyBytes);
        }

        attempt.Credential = credential;

        // 1. The account.
        if (!AccountName.IsValid(account) || s.Keys.SigningKey(account) is null)
        {
            return attempt.Fail(Errors.Unauthorized(), $"CONJ00008E Account '{account}' is not defined in Conjur");
        }

        var snapshot = await s.Authz.GetAsync(s.Db, account, ct);
        var instance = await s.Instances.GetAsync(s.Db, snapshot, account, type, serviceId, ct);
        var configuration = instance.Configuration;

        // 2. Enabled: statically, or by the database flag (PATCH), which every node reads through the same cache.
        if (!s.Settings.Authenticators.Contains(configuration.Instance, StringComparer.Ordinal) && !configuration.EnabledInDatabase)
        {
            return attempt.Fail(Errors.Unauthorized(), $"CONJ00004E '{configuration.Instance}' is not enabled");
        }

        // 3. The webservice.
        if (!snapshot.ResourceExists(configuration.WebserviceId))
        {
            return attempt.Fail(Errors.Unauthorized(), $"CONJ00005E Webservice '{configuration.Instance}' not found");
        }

        if (string.IsNullOrEmpty(credential))
        {
            return attempt.Fail(Errors.BadRequest(), "CONJ00009E The request has no credential (jwt)");
        }

        if (instance.Authenticator is not { } authenticator)
        {
            return attempt.Fail(Errors.Unauthorized(), instance.ConfigurationError!);
        }

        // 4. The credential.
        var check = await authenticator.ValidateAsync(credential, string.IsNullOrEmpty(urlLogin) ? null : urlLogin, ct);
        attempt.Kid = check.Kid;
        attempt.Issuer = check.Issuer;
        if (check.Failure is { } invalid)
        {
            return attempt.Fail(Errors.Unauthorized(), invalid);
        }

        // 5. The role.
        var roleId = FullId.FromLogin(account, check.Login!);
        attempt.RoleId = roleId;
        if (roleId is null || !FullId.CanHoldCredentials(roleId) || !snapshot.RoleExists(roleId))
        {
            return attempt.Fail(Errors.Unauthorized(), $"CONJ00007E '{check.Login}' not found");
        }

        // 6. The privilege.
        if (!snapshot.IsAllowed(roleId, "authenticate", configuration.WebserviceId))
        {
            return attempt.Fail(Errors.Forbidden(), $"CONJ00006E '{roleId}' does not have 'authenticate' privilege on {configuration.WebserviceId}");
        }

        // 7. restricted_to.
        var client = ClientAddresses.Get(ctx);
        var restrictedTo = await s.Db.Credentials.AsNoTracking().Where(c => c.RoleId == roleId).Select(c => c.RestrictedTo).FirstOrDefaultAsync(ct) ?? "";
        if (!Restrictions.Allows(restrictedTo, client))
        {
            return attempt.Fail(Errors.Unauthorized(), $"CONJ00010E IP address {client} is not authorized");
        }

        // 8. The host's annotations, then the confirmation that costs a call.
        var annotations = await s.Db.Annotations.AsNoTracking().Where(a => a.ResourceId == roleId)
            .ToDictionaryAsync(a => a.Name, a => a.Value, StringComparer.Ordinal, ct);
        if (authenticator.CheckRestrictions(check, annotations) is { } restricted)
        {
            return attempt.Fail(Errors.Unauthorized(), restricted);
        }

        if (await authenticator.ConfirmAsync(check, credential, ct) is { } unconfirmed)
        {
            return attempt.Fail(Errors.Unauthorized(), unconfirmed);
        }

        // 9. The token, capped by the credential's expiry.
        var token = await s.Tokens.IssueAsync(account, roleId, ct, Restrictions.Parse(restrictedTo), check.ExpiresAt);
        if (token is null)
        {
            return attempt.Fail(Errors.Unauthorized(), "CONJ00016E The credential expires before a token could be issued");
        }

        attempt.Succeed();
        return TokenResponses.Write(ctx, token);
    }

    /// <summary>
    /// GET /{type}/{service-id}/{account}/status (spec 2.3): needs <c>read</c> on the webservice
    /// <c>conjur/&lt;type&gt;/&lt;service-id&gt;/status</c>; 404 when the instance's webservice is unknown; then checks
    /// the configuration (and that remote keys can be fetched) and answers Conjur's status JSON: 200
    /// <c>{"status":"ok"}</c>, or 500 <c>{"status":"error","error":"…"}</c> naming what is wrong.
    /// </summary>
    internal static async Task<Results<JsonHttpResult<StatusJson>, ConjurError>> StatusAsync(
        HttpContext ctx, string type, string? serviceId, string? account, Services s, CancellationToken ct)
    {
        if (serviceId is null || account is null || PathSegments.ContainsSlash(serviceId) || PathSegments.ContainsSlash(account))
        {
            return Errors.RouteNotFound();
        }

        var caller = ctx.RequiredCaller();
        var webservice = InstanceConfiguration.WebserviceOf(account, type, serviceId);
        var snapshot = await s.Authz.GetAsync(s.Db, account, ct);
        var statusWebservice = webservice + "/status";
        StatusJson Error(string message) => new("error", $"#<Errors::Authentication::StatusFailed: {message}>");

        if (caller.Account != account || !snapshot.ResourceExists(statusWebservice) || !snapshot.IsAllowed(caller.RoleId, "read", statusWebservice))
        {
            return TypedResults.Json(Error($"CONJ00006E '{caller.RoleId}' does not have 'read' privilege on {statusWebservice}"), WireJson.Options, statusCode: 403);
        }

        if (!snapshot.ResourceExists(webservice))
        {
            return TypedResults.Json(Error($"CONJ00005E Webservice '{type}/{serviceId}' not found"), WireJson.Options, statusCode: 404);
        }

        var instance = await s.Instances.GetAsync(s.Db, snapshot, account, type, serviceId, ct);
        var problem = instance.Authenticator is { } authenticator ? await authenticator.StatusAsync(ct) : instance.ConfigurationError;
        if (problem is null && !s.Settings.Authenticators.Contains(instance.Configuration.Instance, StringComparer.Ordinal) && !instance.Configuration.EnabledInDatabase)
        {
            problem = $"CONJ00004E '{instance.Configuration.Instance}' is not enabled";
        }

        return problem is null
            ? TypedResults.Json(new StatusJson("ok", null), WireJson.Options)
            : TypedResults.Json(Error(problem), WireJson.Options, statusCode: 500);
    }

    internal sealed record StatusJson(
        [property: System.Text.Json.Serialization.JsonPropertyName("status")] string Status,
        [property: System.Text.Json.Serialization.JsonPropertyName("error"), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Error);

    private static async Task<(string? Credential, bool TooLarge)> ReadCredentialAsync(HttpContext ctx, string type, CancellationToken ct)
    {
        var bytes = await RawBody.ReadBytesAsync(ctx.Request, MaxBodyBytes, ct);
        if (bytes is null)
        {
            return (null, true);
        }

        string? jwt = null;
        if (bytes.Length > 0)
        {
            try
            {
                var form = QueryHelpers.ParseQuery(new UTF8Encoding(false, true).GetString(bytes));
                if (form.TryGetValue("jwt", out var values))
                {
                    jwt = values.ToString().Trim();
                }
            }
            catch (DecoderFallbackException)
            {
                return (null, false);
            }
        }

        if (string.IsNullOrEmpty(jwt) && type == KubernetesAuthenticatorType.Name
            && ctx.Request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            jwt = header["Bearer ".Length..].Trim();
        }

        return (jwt, false);
    }

    /// <summary>One attempt's audit record: the outcome and everything known about it when it ended.</summary>
    private sealed class Attempt(AuditLog audit, string type, string webservice)
    {
        public string? Credential { get; set; }

        public string? RoleId { get; set; }

        public string? Kid { get; set; }

        public string? Issuer { get; set; }

        public ConjurError Fail(ConjurError error, string reason)
        {
            audit.Write(WorkloadAuthnEvents.Authenticate(type, webservice, RoleId, Kid, Issuer, Credential, success: false, reason));
            return error;
        }

        public void Succeed() => audit.Write(WorkloadAuthnEvents.Authenticate(type, webservice, RoleId, Kid, Issuer, Credential, success: true, null));
    }
}

internal static class WorkloadAuthnEvents
{
    private const int MaxEchoed = 256;

    /// <summary>
    /// Conjur's authenticate record (message id <c>authn</c>), with the credential described by its <c>kid</c>, its
    /// (unverified, on failure) <c>iss</c>, both cut to 256 characters, and a SHA-256 fingerprint: never itself.
    /// </summary>
    public static AuditEvent Authenticate(
        string type, string webservice, string? roleId, string? kid, string? issuer, string? credential, bool success, string? reason) =>
        AuditEvent.Create("authn", "authenticate", success,
            success
                ? $"{roleId} successfully authenticated with authenticator {type} service {webservice}"
                : $"{roleId ?? "unknown"} failed to authenticate with authenticator {type} service {webservice}: {reason}",
            SdElement.Of("subject", ("role", roleId ?? "not-found")),
            SdElement.Of("auth", ("user", roleId ?? "not-found"), ("authenticator", type), ("service", webservice)),
            SdElement.Of("credential",
                ("kid", Cut(kid)), ("iss", Cut(issuer)), ("sha256", string.IsNullOrEmpty(credential) ? "" : JwtToken.Fingerprint(credential))));

    private static string Cut(string? value) => value is null ? "" : value.Length <= MaxEchoed ? value : value[..MaxEchoed];
}
