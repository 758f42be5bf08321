using Microsoft.AspNetCore.Http.HttpResults;
using Secrets.Authn.Network;
using Secrets.Policy.Language;
using Secrets.Policy.Store;
using Secrets.Server.Audit;
using Secrets.Server.Authentication;
using Secrets.Server.Authorization;
using Secrets.Server.Data;
using Secrets.Server.Http;

namespace Secrets.Server.HostFactories;

/// <summary>Host factory (spec 2.8): token creation and revocation with an access token, host enrollment with a token.</summary>
internal static class HostFactoryEndpoints
{
    public static IServiceCollection AddHostFactories(this IServiceCollection services) =>
        services.AddScoped<HostFactoryTokenStore>().AddScoped<HostEnrollment>();

    public static IEndpointRouteBuilder MapHostFactoryEndpoints(this IEndpointRouteBuilder app)
    {
        var tokens = app.MapGroup("").TokenRequired();
        tokens.MapPost("/host_factory_tokens", CreateTokens).ServesCredentials();
        tokens.MapDelete("/host_factory_tokens/{token}", RevokeToken);

        // Authenticated by the host-factory token itself, never by an access token (spec 1.2).
        var factories = app.MapGroup("/host_factories").TokenIgnored();
        factories.MapPost("/hosts", CreateHost).ServesCredentials();
        return app;
    }

    /// <summary>
    /// POST /host_factory_tokens: needs <c>execute</c> on the factory (invisible → 404, visible only → 403, spec 5.2,
    /// 5.3); then the kind, expiration, count and CIDRs are checked (all 422).
    /// </summary>
    internal static async Task<Results<JsonHttpResult<IReadOnlyList<TokenResponse>>, ConjurError>> CreateTokens(
        HttpContext ctx, SecretsDbContext db, RequestSnapshots authz, HostFactoryTokenStore tokens, AuditLog audit, TimeProvider time, CancellationToken ct)
    {
        var caller = ctx.RequiredCaller();
        var (p, failure) = await RequestParams.ReadAsync(ctx.Request, ct);
        if (p is null)
        {
            return BodyError(failure);
        }

        string? factoryId = null;
        ConjurError Fail(ConjurError e)
        {
            audit.Write(HostFactoryEvents.TokensCreateFailed(caller.RoleId, factoryId, Reason(e)));
            return e;
        }

        var factoryParam = p.Single("host_factory");
        if (string.IsNullOrEmpty(factoryParam))
        {
            return Fail(Errors.ParameterMissing("host_factory"));
        }

        if (!FullId.TryParse(factoryParam, out var parts))
        {
            return Fail(Errors.InvalidHostFactoryId(factoryParam));
        }

        var (account, kind, identifier) = parts;
        factoryId = factoryParam;
        if (PolicyResolver.HasDotSegment(identifier))
        {
            return Fail(Errors.DotSegmentInId());
        }

        // Authorization before anything about the factory is revealed: a resource of another account is simply absent.
        var snapshot = await authz.GetAsync(db, caller.Account, ct);
        var denied = account == caller.Account
            ? Errors.For(snapshot.Decide(caller.RoleId, "execute", factoryId), () => Errors.RecordNotFound(account, kind, identifier))
            : Errors.RecordNotFound(account, kind, identifier);
        if (denied is not null)
        {
            return Fail(denied);
        }

        if (kind != "host_factory")
        {
            return Fail(Errors.InvalidResourceKind(kind));
        }

        var expirationParam = p.Single("expiration");
        if (string.IsNullOrWhiteSpace(expirationParam))
        {
            return Fail(Errors.ParameterMissing("expiration"));
        }

        if (!HostFactoryInput.TryParseExpiration(expirationParam, out var expiration))
        {
            return Fail(Errors.InvalidExpiration(expirationParam));
        }

        if (expiration <= time.GetUtcNow().UtcDateTime)
        {
            return Fail(Errors.ExpirationNotInFuture());
        }

        if (!HostFactoryInput.TryParseCount(p.Single("count"), out var count))
        {
            return Fail(Errors.InvalidCount(HostFactoryInput.MaxCount));
        }

        if (!HostFactoryInput.TryNormalizeCidrs(p.List("cidr"), out var cidrs, out var invalidCidr))
        {
            return Fail(Errors.InvalidCidr(invalidCidr!));
        }

        // All tokens of the request in one SaveChanges, which is one transaction: all or none.
        var issued = tokens.Issue(account, factoryId, expiration, cidrs, count);
        await db.SaveChangesAsync(ct);
        audit.Write(HostFactoryEvents.TokensCreated(caller.RoleId, factoryId, count, expiration));

        var wireExpiration = HostFactoryInput.FormatExpiration(expiration);
        IReadOnlyList<TokenResponse> body = issued.Select(t => new TokenResponse(wireExpiration, cidrs, t)).ToList();
        return TypedResults.Json(body);
    }

    /// <summary>
    /// DELETE /host_factory_tokens/{token}: needs <c>update</c> on the token's factory (spec 5.3). An unknown token and
    /// the token of a factory the caller cannot see are the same 404, so the answer does not confirm a token exists.
    /// </summary>
    internal static async Task<Results<NoContent, ConjurError>> RevokeToken(
        HttpContext ctx, SecretsDbContext db, RequestSnapshots authz, HostFactoryTokenStore tokens, AuditLog audit, CancellationToken ct)
    {
        var caller = ctx.RequiredCaller();
        var presented = PathSegments.At(ctx, 1);
        var row = presented is null ? null : await tokens.FindAsync(presented, ct);
        if (row is null)
        {
            audit.Write(HostFactoryEvents.TokenRevokeFailed(caller.RoleId, null, "Host factory token not found"));
            return Errors.HostFactoryTokenNotFound();
        }

        var snapshot = await authz.GetAsync(db, caller.Account, ct);
        if (Errors.For(snapshot.Decide(caller.RoleId, "update", row.ResourceId), Errors.HostFactoryTokenNotFound) is { } denied)
        {
            audit.Write(HostFactoryEvents.TokenRevokeFailed(caller.RoleId, denied.StatusCode == 403 ? row.ResourceId : null, Reason(denied)));
            return denied;
        }

        db.HostFactoryTokens.Remove(row);
        await db.SaveChangesAsync(ct);
        audit.Write(HostFactoryEvents.TokenRevoked(caller.RoleId, row.ResourceId));
        return TypedResults.NoContent();
    }

    /// <summary>
    /// POST /host_factories/hosts: <c>Authorization: Token token="&lt;raw host-factory token&gt;"</c>. Every token
    /// failure (absent, unknown, expired, client outside the token's CIDRs) is the same empty 401 (spec 2.8); the
    /// reason goes to the audit record only.
    /// </summary>
    internal static async Task<Results<JsonHttpResult<HostResponse>, ConjurError>> CreateHost(
        HttpContext ctx, HostFactoryTokenStore tokens, HostEnrollment enrollment, AuditLog audit, TimeProvider time, CancellationToken ct)
    {
        var presented = HostFactoryInput.TokenFromHeader(ctx.Request.Headers.Authorization.ToString());
        var row = presented is null ? null : await tokens.FindAsync(presented, ct);
        var client = ClientAddresses.Get(ctx);
        string? reason = presented is null ? "Authorization missing"
            : row is null ? "Host factory token not found"
            : time.GetUtcNow().UtcDateTime >= row.Expiration ? "Host factory token expired"
            : !Restrictions.Allows(row.Cidr, client) ? $"IP address {client} is not allowed to use the host factory token"
            : null;
        if (reason is not null || row is null)
        {
            // The factory is named only when the token was genuine: it is not the caller's to learn otherwise.
            audit.Write(HostFactoryEvents.HostEnrollFailed(row?.ResourceId, null, reason ?? "Host factory token not found"));
            return Errors.Unauthorized();
        }

        var factoryId = row.ResourceId;
        var factoryKind = FullId.KindOf(factoryId);
        if (factoryKind != "host_factory")
        {
            audit.Write(HostFactoryEvents.HostEnrollFailed(factoryId, null, $"Invalid resource kind: {factoryKind}"));
            return Errors.InvalidResourceKind(factoryKind);
        }

        var (p, failure) = await RequestParams.ReadAsync(ctx.Request, ct);
        if (p is null)
        {
            return BodyError(failure);
        }

        var id = p.Single("id");
        if (string.IsNullOrEmpty(id))
        {
            audit.Write(HostFactoryEvents.HostEnrollFailed(factoryId, null, "param is missing or the value is empty: id"));
            return Errors.ParameterMissing("id");
        }

        var hostId = $"{row.Account}:host:{id}";
        if (!HostFactoryInput.IsAllowedHostId(id))
        {
            audit.Write(HostFactoryEvents.HostEnrollFailed(factoryId, hostId, $"Invalid id: {id}"));
            return Errors.InvalidHostId(id);
        }

        var annotations = p.Map("annotations");
        if (HostFactoryInput.FirstReservedAnnotation(annotations) is { } reserved)
        {
            audit.Write(HostFactoryEvents.HostEnrollFailed(factoryId, hostId, $"Reserved annotation: {reserved}"));
            return Errors.ReservedAnnotation(reserved);
        }

        var result = await enrollment.EnrollAsync(row.Account, factoryId, id, annotations, ct);
        switch (result.Outcome)
        {
            case EnrollmentOutcome.Forbidden:
                audit.Write(HostFactoryEvents.HostEnrollFailed(factoryId, hostId, "Forbidden: the host exists and is not owned by the host factory"));
                return Errors.Forbidden();
            case EnrollmentOutcome.Conflict:
                audit.Write(HostFactoryEvents.HostEnrollFailed(factoryId, hostId, "Concurrent enrollment of the same host, please retry"));
                return Errors.Conflict("host", hostId);
            default:
                audit.Write(HostFactoryEvents.HostEnrolled(factoryId, hostId, result.Outcome == EnrollmentOutcome.Rotated));
                return TypedResults.Json(result.Host!, statusCode: StatusCodes.Status201Created);
        }
    }

    private static ConjurError BodyError(RequestParams.Failure failure) =>
        failure == RequestParams.Failure.TooLarge ? Errors.PayloadTooLarge(RequestParams.MaxBodyBytes) : Errors.BadRequest();

    private static string Reason(ConjurError e) => e.Message ?? (e.StatusCode == 403 ? "Forbidden" : $"HTTP {e.StatusCode}");
}
