using System.Text;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Secrets.Authn.Credentials;
using Secrets.Authn.Network;
using Secrets.Authn.Tokens;
using Secrets.Policy.Store;
using Secrets.Server.Accounts;
using Secrets.Server.Audit;
using Secrets.Server.Authorization;
using Secrets.Server.Configuration;
using Secrets.Server.Data;
using Secrets.Server.Http;

namespace Secrets.Server.Authentication;

/// <summary>The built-in `authn` authenticator and identity endpoints (spec 2.1).</summary>
internal static class AuthnEndpoints
{
    /// <summary>
    /// The process's password hasher (made with the settings, <see cref="ServerSettings.PasswordHasher"/>), the
    /// signing keys, token issuing and checking, and the credentials store.
    /// </summary>
    public static IServiceCollection AddAuthn(this IServiceCollection services, PasswordHasher passwords) =>
        services
            .AddSingleton(passwords)
            .AddSingleton<KeyRing>()
            .AddSingleton<TokenService>()
            .AddScoped<CredentialStore>();

    public static IEndpointRouteBuilder MapAuthnEndpoints(this IEndpointRouteBuilder app)
    {
        // Authenticated by the credentials they carry (Basic auth, the API key in the body), never by a token.
        var byCredentials = app.MapGroup("/authn/{account}").TokenIgnored().ServesCredentials();
        byCredentials.MapGet("/login", Login);
        byCredentials.MapPost("/{login}/authenticate", Authenticate);

        // Basic auth for one's own credentials, or an access token to rotate another role's key.
        var byCredentialsOrToken = app.MapGroup("/authn/{account}").TokenOptional();
        byCredentialsOrToken.MapPut("/password", ChangePassword);
        byCredentialsOrToken.MapPut("/api_key", RotateApiKey).ServesCredentials();

        app.MapGet("/whoami", WhoAmI).TokenRequired();
        return app;
    }

    /// <summary>GET /authn/{account}/login: Basic auth with a password or the API key → the role's API key.</summary>
    internal static async Task<Results<ContentHttpResult, ConjurError>> Login(
        HttpContext ctx, CredentialStore credentials, AuditLog audit, CancellationToken ct)
    {
        var account = PathSegments.At(ctx, 1);
        if (PathSegments.ContainsSlash(account))
        {
            return Errors.RouteNotFound();
        }
        var (basic, roleId, cred, ok) = await credentials.VerifyBasicAsync(ctx.Request.Headers.Authorization.ToString(), account, ct);
        var foreignRole = ctx.Request.Query.ContainsKey("role") && !RoleParamNamesSelf(ctx.Request.Query["role"].ToString(), account, roleId);

        var client = ClientAddresses.Get(ctx);
        var ipOk = cred is not null && Restrictions.Allows(cred.RestrictedTo, client);
        if (cred is null || roleId is null || !ok || foreignRole || !ipOk)
        {
            var reason = basic is null ? "CONJ00001E Basic authentication required"
                : cred is null ? $"CONJ00007E '{basic.Value.Login}' not found"
                : foreignRole ? "Operation attempted against foreign user"
                : !ok ? "CONJ00002E Invalid credentials"
                : $"CONJ00010E IP address {client} is not authorized";
            audit.Write(AuthnEvents.Login(roleId, success: false, reason));
            return Errors.Unauthorized();
        }

        audit.Write(AuthnEvents.Login(roleId, success: true, null));
        return TypedResults.Content(credentials.CurrentApiKey(cred) ?? "", "text/plain");
    }

    /// <summary>POST /authn/{account}/{login}/authenticate: raw-body API key → access token (JSON, or base64 on request).</summary>
    internal static async Task<Results<ContentHttpResult, ConjurError>> Authenticate(
        HttpContext ctx, CredentialStore credentials, TokenService tokens, AuditLog audit, CancellationToken ct)
    {
        var account = PathSegments.At(ctx, 1);
        if (PathSegments.ContainsSlash(account))
        {
            return Errors.RouteNotFound();
        }
        var login = PathSegments.At(ctx, 2);
        var roleId = account is not null && login is not null && AccountName.IsValid(account) ? FullId.FromLogin(account, login) : null;

        // The body is the raw API key whatever the Content-Type: never form-decode it (spec 2.1, 11.2).
        var (body, tooLarge) = await RawBody.ReadCredentialAsync(ctx.Request, ct);
        if (tooLarge)
        {
            return Errors.PayloadTooLarge(RawBody.MaxCredentialBytes);
        }

        var apiKey = body ?? "";
        var client = ClientAddresses.Get(ctx);
        var (found, keyOk, ipOk, restrictedTo) = await credentials.CheckApiKeyAsync(roleId, apiKey.Trim(), client, ct);

        if (!found || !keyOk || !ipOk || roleId is null || account is null)
        {
            var reason = !found ? $"CONJ00007E '{login}' not found"
                : !keyOk ? "CONJ00002E Invalid credentials"
                : $"CONJ00010E IP address {client} is not authorized";
            audit.Write(AuthnEvents.Authenticate(roleId, success: false, reason));
            return Errors.Unauthorized();
        }

        // The token carries the role's restriction as its cidr claim (spec 3.2): taken elsewhere, it does not work.
        var token = await tokens.IssueAsync(account, roleId, ct, Restrictions.Parse(restrictedTo));
        if (token is null)
        {
            // No signing key for the account, or a role whose login does not parse back to it (issue 8): say which.
            var why = FullId.CanHoldCredentials(roleId)
                ? $"CONJ00008E Account '{account}' is not defined in Conjur"
                : "CONJ00002E Invalid credentials: the role has no login that names it";
            audit.Write(AuthnEvents.Authenticate(roleId, success: false, why));
            return Errors.Unauthorized();
        }

        audit.Write(AuthnEvents.Authenticate(roleId, success: true, null));
        return TokenResponses.Write(ctx, token);
    }

    /// <summary>PUT /authn/{account}/password: Basic auth only; the body is the new password.</summary>
    internal static async Task<Results<NoContent, ConjurError>> ChangePassword(
        HttpContext ctx, CredentialStore credentials, SecretsDbContext db, AuditLog audit, RequestSnapshots authz, CancellationToken ct)
    {
        var account = PathSegments.At(ctx, 1);
        if (PathSegments.ContainsSlash(account))
        {
            return Errors.RouteNotFound();
        }
        if (ctx.GetCaller() is { } caller)
        {
            // Spec 2.1: an access token is not enough to change a password; naming another role is the plain 401.
            if (ctx.Request.Query.ContainsKey("role") && !RoleParamNamesSelf(ctx.Request.Query["role"].ToString(), account, caller.RoleId))
            {
                audit.Write(AuthnEvents.Password(caller.RoleId, false, "Operation attempted against foreign user"));
                return Errors.Unauthorized();
            }

            audit.Write(AuthnEvents.Password(caller.RoleId, false, "Credential strength is insufficient"));
            return Errors.CredentialStrengthInsufficient();
        }

        var (basic, roleId, cred, ok) = await credentials.VerifyBasicAsync(ctx.Request.Headers.Authorization.ToString(), account, ct);
        if (cred is null || roleId is null || !ok)
        {
            audit.Write(AuthnEvents.Password(roleId, false, "CONJ00002E Invalid credentials"));
            return Errors.Unauthorized();
        }

        // restricted_to binds every use of the credential, not only authenticate (issue 8).
        if (!Restrictions.Allows(cred.RestrictedTo, ClientAddresses.Get(ctx)))
        {
            audit.Write(AuthnEvents.Password(roleId, false, $"CONJ00010E IP address {ClientAddresses.Get(ctx)} is not authorized"));
            return Errors.Unauthorized();
        }

        if (ctx.Request.Query.ContainsKey("role") && !RoleParamNamesSelf(ctx.Request.Query["role"].ToString(), account, roleId))
        {
            audit.Write(AuthnEvents.Password(roleId, false, "Operation attempted against foreign user"));
            return Errors.Unauthorized();
        }

        if (FullId.KindOf(roleId) == "host")
        {
            audit.Write(AuthnEvents.Password(roleId, false, "Hosts can not have passwords"));
            return Errors.Forbidden();
        }

        var (body, tooLarge) = await RawBody.ReadCredentialAsync(ctx.Request, ct);
        if (tooLarge)
        {
            return Errors.PayloadTooLarge(RawBody.MaxCredentialBytes);
        }

        var password = body ?? "";
        if (!PasswordPolicy.IsCompliant(password))
        {
            audit.Write(AuthnEvents.Password(roleId, false, "CONJ00046E password does not meet the complexity requirements"));
            return Errors.PasswordComplexity();
        }

        credentials.SetPassword(cred, password);
        await db.SaveChangesAsync(ct);
        audit.Write(AuthnEvents.Password(roleId, true, null));
        return TypedResults.NoContent();
    }

    /// <summary>
    /// PUT /authn/{account}/api_key: rotate one's own key with Basic auth. Rotating another role's key with an access
    /// token needs the authorization engine (the core issue); until then that path answers 403.
    /// </summary>
    internal static async Task<Results<ContentHttpResult, ConjurError>> RotateApiKey(
        HttpContext ctx, CredentialStore credentials, SecretsDbContext db, AuditLog audit, RequestSnapshots authz, CancellationToken ct)
    {
        var account = PathSegments.At(ctx, 1);
        if (PathSegments.ContainsSlash(account))
        {
            return Errors.RouteNotFound();
        }
        var roleParam = ctx.Request.Query.ContainsKey("role") ? ctx.Request.Query["role"].ToString() : null;

        if (ctx.GetCaller() is { } caller)
        {
            if (roleParam is null || RoleParamNamesSelf(roleParam, account, caller.RoleId))
            {
                audit.Write(AuthnEvents.Rotate(caller.RoleId, caller.RoleId, false, "Credential strength is insufficient"));
                return Errors.CredentialStrengthInsufficient();
            }

            return await ApiKeyRotation.RotateOtherAsync(new(db, authz, credentials, audit), caller, roleParam, account, ct);
        }

        var (basic, roleId, cred, ok) = await credentials.VerifyBasicAsync(ctx.Request.Headers.Authorization.ToString(), account, ct);
        if (cred is null || roleId is null || !ok)
        {
            audit.Write(AuthnEvents.Rotate(roleId, roleId, false, "CONJ00002E Invalid credentials"));
            return Errors.Unauthorized();
        }

        if (!Restrictions.Allows(cred.RestrictedTo, ClientAddresses.Get(ctx)))
        {
            audit.Write(AuthnEvents.Rotate(roleId, roleId, false, $"CONJ00010E IP address {ClientAddresses.Get(ctx)} is not authorized"));
            return Errors.Unauthorized();
        }

        if (roleParam is not null && !RoleParamNamesSelf(roleParam, account, roleId))
        {
            audit.Write(AuthnEvents.Rotate(roleId, roleId, false, "Operation attempted against foreign user"));
            return Errors.ForeignUser();
        }

        var key = credentials.Rotate(cred);
        await db.SaveChangesAsync(ct);
        audit.Write(AuthnEvents.Rotate(roleId, roleId, true, null));
        return TypedResults.Content(key, "text/plain");
    }

    /// <summary>GET /whoami.</summary>
    internal static JsonHttpResult<WhoAmIResponse> WhoAmI(HttpContext ctx, AuditLog audit)
    {
        var caller = ctx.RequiredCaller();
        audit.Write(AuthnEvents.WhoAmI(caller.RoleId));
        return TypedResults.Json(new WhoAmIResponse(
            ClientAddresses.Get(ctx)?.ToString() ?? "",
            ctx.Request.Headers.UserAgent.ToString(),
            caller.Account,
            caller.Login,
            JsonTimes.Format(caller.IssuedAt)));
    }

    /// <summary>`?role=` may be `kind:id` or `account:kind:id`; true when it names the caller itself.</summary>
    internal static bool RoleParamNamesSelf(string role, string? account, string? roleId)
    {
        if (account is null || roleId is null)
        {
            return false;
        }

        var full = RoleParams.FromParam(account, role);
        return full is not null && string.Equals(full, roleId, StringComparison.Ordinal);
    }

    internal sealed record WhoAmIResponse(
        [property: JsonPropertyName("client_ip")] string ClientIp,
        [property: JsonPropertyName("user_agent")] string UserAgent,
        [property: JsonPropertyName("account")] string Account,
        [property: JsonPropertyName("username")] string Username,
        [property: JsonPropertyName("token_issued_at")] string TokenIssuedAt);
}

/// <summary>HTTP Basic credentials (login may not contain ':'; the secret may).</summary>
internal static class BasicCredentials
{
    public static (string Login, string Secret)? Parse(string header)
    {
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var i = decoded.IndexOf(':', StringComparison.Ordinal);

            // NUL is in no login and no key, and PostgreSQL refuses it in text: not credentials at all (401).
            return i <= 0 || decoded.Contains('\0', StringComparison.Ordinal) ? null : (decoded[..i], decoded[(i + 1)..]);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>The audit records of the authn endpoints (spec 8.2).</summary>
internal static class AuthnEvents
{
    public static AuditEvent Login(string? roleId, bool success, string? reason) =>
        Authn("login", roleId, success, success
            ? $"{roleId} successfully logged in with authenticator authn"
            : $"{roleId ?? "unknown"} failed to login with authenticator authn: {reason}");

    public static AuditEvent Authenticate(string? roleId, bool success, string? reason) =>
        Authn("authenticate", roleId, success, success
            ? $"{roleId} successfully authenticated with authenticator authn"
            : $"{roleId ?? "unknown"} failed to authenticate with authenticator authn: {reason}");

    public static AuditEvent Password(string? roleId, bool success, string? reason) =>
        AuditEvent.Create("password", "change", success,
            success ? $"{roleId} successfully changed their password" : $"{roleId ?? "unknown"} failed to change their password: {reason}",
            SdElement.Of("auth", ("user", roleId ?? "not-found")),
            SdElement.Of("subject", ("role", roleId ?? "not-found")));

    public static AuditEvent Rotate(string? caller, string? target, bool success, string? reason) =>
        AuditEvent.Create("api-key", "rotate", success,
            success
                ? caller == target ? $"{caller} successfully rotated their API key" : $"{caller} successfully rotated the api key for {target}"
                : $"{caller ?? "unknown"} failed to rotate the api key for {target ?? "unknown"}: {reason}",
            SdElement.Of("auth", ("user", caller ?? "not-found")),
            SdElement.Of("subject", ("role", target ?? "not-found")));

    public static AuditEvent WhoAmI(string roleId) =>
        new("identity-check", AuditEvent.FacilityAuth, AuditEvent.SeverityInfo, "check", true,
            [SdElement.Of("subject", ("role", roleId)), SdElement.Of("auth", ("user", roleId))],
            $"{roleId} checked its identity using whoami");

    private static AuditEvent Authn(string operation, string? roleId, bool success, string message) =>
        AuditEvent.Create("authn", operation, success, message,
            SdElement.Of("subject", ("role", roleId ?? "not-found")),
            SdElement.Of("auth", ("user", roleId ?? "not-found"), ("authenticator", "authn"), ("service", "")));
}
