using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Secrets.Policy.Authorization;
using Secrets.Policy.Store;
using Secrets.Server.Audit;
using Secrets.Server.Authorization;
using Secrets.Server.Configuration;
using Secrets.Server.Data;
using Secrets.Server.Http;
using Secrets.Server.Variables;

namespace Secrets.Server.Authenticators;

/// <summary>
/// Authenticator administration (spec 2.3, 7.1): which authenticators exist, are configured in policy and are
/// enabled, and enabling or disabling one instance in the database.
/// </summary>
internal static class AuthenticatorEndpoints
{
    /// <summary>
    /// The authenticator types this server implements: <c>authn</c> and the types on the workload pipeline
    /// (<see cref="AuthenticatePipeline"/>). An instance of another type can be configured in policy (its
    /// webservice is just a resource), but it is not an authenticator here: PATCH answers 401, as Conjur does for a
    /// type it does not ship.
    /// </summary>
    public static readonly IReadOnlyList<string> Installed = ["authn", JwtAuthenticatorType.Name, KubernetesAuthenticatorType.Name];

    private const string WebservicePrefix = "conjur/";

    public static IEndpointRouteBuilder MapAuthenticatorEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/authenticators", List).TokenIgnored();

        // Conjur's routes constrain the first segment to authn-*; the handler answers any other with the
        // route-not-found 404, as an unmatched path.
        var admin = app.MapGroup("").TokenRequired();
        admin.MapPatch("/{authenticator}/{serviceId}/{account}", (HttpContext ctx, SecretsDbContext db, RequestSnapshots authz, SecretValueCache values, AuditLog audit, CancellationToken ct) =>
            Update(ctx, PathSegments.At(ctx, 0), PathSegments.At(ctx, 1), PathSegments.At(ctx, 2), db, authz, values, audit, ct));
        admin.MapPatch("/{authenticator}/{account}", (HttpContext ctx, SecretsDbContext db, RequestSnapshots authz, SecretValueCache values, AuditLog audit, CancellationToken ct) =>
            Update(ctx, PathSegments.At(ctx, 0), null, PathSegments.At(ctx, 1), db, authz, values, audit, ct));
        return app;
    }

    /// <summary>GET /authenticators: installed, configured and enabled instance ids, each sorted (spec 2.3).</summary>
    internal static async Task<JsonHttpResult<AuthenticatorsJson>> List(SecretsDbContext db, ServerSettings settings, CancellationToken ct)
    {
        // Conjur's configured_authenticators: every webservice under conjur/authn-, in any account, plus authn.
        var configured = await db.Resources.AsNoTracking()
            .Where(r => r.Kind == "webservice")
            .Select(r => r.ResourceId)
            .ToListAsync(ct);
        var configuredIds = configured
            .Select(FullId.IdentifierOf)
            .Where(id => id.StartsWith(WebservicePrefix + "authn-", StringComparison.Ordinal))
            .Select(id => id[WebservicePrefix.Length..])
            .Append("authn");

        var enabledInDb = await db.AuthenticatorConfigs.AsNoTracking().Where(c => c.Enabled).Select(c => c.ResourceId).ToListAsync(ct);
        var enabled = settings.Authenticators.Concat(enabledInDb.Select(FullId.IdentifierOf)
            .Where(id => id.StartsWith(WebservicePrefix, StringComparison.Ordinal))
            .Select(id => id[WebservicePrefix.Length..]));

        return TypedResults.Json(new AuthenticatorsJson(Sorted(Installed), Sorted(configuredIds), Sorted(enabled)), WireJson.Options);
    }

    /// <summary>
    /// PATCH /{authenticator}[/{service_id}]/{account} (spec 2.3): the caller needs <c>update</c> on the webservice
    /// <c>conjur/{authenticator}[/{service_id}]</c>. 204 on success; 401 when the account or the webservice does not
    /// exist or the type is not an authenticator of this server; 403 when not permitted. The body's
    /// <c>enabled</c> (form or JSON) is true only when it is <c>true</c>.
    /// </summary>
    internal static async Task<Results<NoContent, ConjurError>> Update(
        HttpContext ctx, string? authenticator, string? serviceId, string? account, SecretsDbContext db, RequestSnapshots authz, SecretValueCache values, AuditLog audit, CancellationToken ct)
    {
        if (authenticator is null || account is null || PathSegments.ContainsSlash(account) || PathSegments.ContainsSlash(serviceId)
            || (authenticator != "authn" && !authenticator.StartsWith("authn-", StringComparison.Ordinal)))
        {
            return Errors.RouteNotFound();
        }

        var caller = ctx.RequiredCaller();
        var instance = serviceId is null ? authenticator : $"{authenticator}/{serviceId}";
        var webservice = $"{account}:webservice:{WebservicePrefix}{instance}";
        var (parameters, failure) = await RequestParams.ReadAsync(ctx.Request, ct);
        if (parameters is null)
        {
            return failure == RequestParams.Failure.TooLarge ? Errors.PayloadTooLarge(RequestParams.MaxBodyBytes) : Errors.BadRequest();
        }

        ConjurError Fail(ConjurError error, string reason)
        {
            audit.Write(AuthenticatorEvents.Update(caller.RoleId, authenticator, webservice, false, reason));
            return error;
        }

        if (!AccountName.IsValid(account) || !await db.SigningKeys.AnyAsync(k => k.Account == account, ct))
        {
            return Fail(Errors.Unauthorized(), $"CONJ00008E Account '{account}' is not defined in Conjur");
        }

        if (!Installed.Contains(authenticator, StringComparer.Ordinal))
        {
            return Fail(Errors.Unauthorized(), $"CONJ00001E Authenticator '{authenticator}' is not implemented in Conjur");
        }

        if (!await db.Resources.AnyAsync(r => r.ResourceId == webservice, ct))
        {
            return Fail(Errors.Unauthorized(), $"CONJ00005E Webservice '{instance}' not found");
        }

        // Not a visibility question: the webservice exists (the 401 above says so to anyone), so anything short of
        // update is a 403, also for a caller of another account.
        var snapshot = await authz.GetAsync(db, caller.Account, ct);
        if (snapshot.Decide(caller.RoleId, "update", webservice) != AccessDecision.Allowed)
        {
            return Fail(Errors.Forbidden(), $"CONJ00006E '{caller.RoleId}' does not have 'update' privilege on {webservice}");
        }

        var enabled = parameters.Single("enabled") == "true";
        await SetEnabledAsync(db, webservice, enabled, ct);

        // Every node's configured instances are dropped (AuthenticatorInstances): others by the notification, this
        // one right away, so the caller's next authenticate on this node sees the flag.
        await SecretValueCache.NotifyChangedAsync(db, webservice, ct);
        values.Invalidate(webservice);
        audit.Write(AuthenticatorEvents.Update(caller.RoleId, authenticator, webservice, true, null));
        return TypedResults.NoContent();
    }

    /// <summary>Inserts or updates the row of the webservice; a concurrent insert of the same row becomes an update.</summary>
    private static async Task SetEnabledAsync(SecretsDbContext db, string webservice, bool enabled, CancellationToken ct)
    {
        if (await db.AuthenticatorConfigs.Where(c => c.ResourceId == webservice).ExecuteUpdateAsync(s => s.SetProperty(c => c.Enabled, enabled), ct) > 0)
        {
            return;
        }

        db.AuthenticatorConfigs.Add(new AuthenticatorConfigEntity { ResourceId = webservice, Enabled = enabled });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (StoreAvailability.Classify(e) is null)
        {
            db.ChangeTracker.Clear();
            await db.AuthenticatorConfigs.Where(c => c.ResourceId == webservice).ExecuteUpdateAsync(s => s.SetProperty(c => c.Enabled, enabled), ct);
        }
    }

    private static List<string> Sorted(IEnumerable<string> ids) => ids.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    internal sealed record AuthenticatorsJson(
        [property: JsonPropertyName("installed")] IReadOnlyList<string> Installed,
        [property: JsonPropertyName("configured")] IReadOnlyList<string> Configured,
        [property: JsonPropertyName("enabled")] IReadOnlyList<string> Enabled);
}

internal static class AuthenticatorEvents
{
    public static AuditEvent Update(string roleId, string authenticator, string webservice, bool success, string? reason) =>
        AuditEvent.Create("authn", "update-authenticator-configuration", success,
            success
                ? $"{roleId} successfully updated authenticator {authenticator} service {webservice}"
                : $"{roleId} failed to update authenticator {authenticator} service {webservice}: {reason}",
            SdElement.Of("subject", ("role", roleId)),
            SdElement.Of("auth", ("user", roleId), ("authenticator", authenticator), ("service", webservice)));
}
