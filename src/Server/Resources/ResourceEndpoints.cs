using Microsoft.AspNetCore.Http.HttpResults;
using Secrets.Policy.Authorization;
using Secrets.Policy.Store;
using Secrets.Server.Accounts;
using Secrets.Server.Audit;
using Secrets.Server.Authentication;
using Secrets.Server.Authorization;
using Secrets.Server.Configuration;
using Secrets.Server.Crypto;
using Secrets.Server.Data;
using Secrets.Server.Http;

namespace Secrets.Server.Resources;

/// <summary>
/// <c>GET /resources[/{account}[/{kind}[/{identifier}]]]</c> (spec 2.6): listing, show, <c>?check</c> and
/// <c>?permitted_roles</c>. Every answer comes from the account's authorization snapshot (spec 5), so visibility is
/// decided in memory and only the rows of the page being rendered are read.
/// </summary>
internal static class ResourceEndpoints
{
    /// <summary>Conjur tolerates this limit above the configured maximum, for legacy synchronizers (spec 2.6).</summary>
    private const int LegacySynchronizerLimit = 10000;

    public static IEndpointRouteBuilder MapResourceEndpoints(this IEndpointRouteBuilder app)
    {
        var resources = app.MapGroup("").TokenRequired();
        resources.MapGet("/resources", List);
        resources.MapGet("/resources/{account}", List);
        resources.MapGet("/resources/{account}/{kind}", List);
        resources.MapGet("/resources/{account}/{kind}/{**identifier}", Get);
        return app;
    }

    /// <summary>The listing: resources visible to the caller (or to the role it acts as), filtered, ordered by id, paged.</summary>
    internal static async Task<Results<JsonHttpResult<IReadOnlyList<ResourceJson>>, JsonHttpResult<CountJson>, ConjurError>> List(
        HttpContext ctx, SecretsDbContext db, RequestSnapshots authz, DataKeyCipher cipher, LimitsOptions limits, AuditLog audit, CancellationToken ct)
    {
        var caller = ctx.RequiredCaller();
        var segments = PathSegments.Decoded(ctx);
        var account = segments is { Length: > 1 } && segments[1].Length > 0 ? segments[1] : null;
        if (segments is null || (account is not null && !AccountName.IsValid(account)))
        {
            return Errors.RouteNotFound();
        }

        var kind = segments.Length > 2 && segments[2].Length > 0 ? segments[2] : QueryParams.Present(ctx, "kind");
        var parameters = AuditParameters.From(ctx, "kind", "limit", "offset", "search", "count", "acting_as", "role", "owner");
        if (account is not null)
        {
            parameters.Insert(0, ("account", account));
        }

        ConjurError Fail(ConjurError error, string reason)
        {
            audit.Write(ResourceEvents.List(caller.RoleId, parameters, reason));
            return error;
        }

        if (Paging.TryParse(ctx, out var paging) is { } badPaging)
        {
            return Fail(badPaging, badPaging.Message ?? "");
        }

        // Spec 2.6 / Conjur's index: a count ignores the page cap; otherwise no limit means the configured maximum
        // (0 = unlimited), an offset alone means 10, and a larger limit is refused except the legacy 10000.
        var countOnly = string.Equals(QueryParams.Present(ctx, "count"), "true", StringComparison.Ordinal);
        var max = limits.ResourceListLimitMax;
        if (!countOnly && max > 0)
        {
            if (paging.Limit is null && paging.Offset is null)
            {
                paging = paging with { Limit = max };
            }
            else if (paging.Limit is int limit && limit > max && limit != LegacySynchronizerLimit)
            {
                return Fail(Errors.LimitTooLarge(max), $"'Limit' parameter must not exceed {max}");
            }
        }

        var snapshot = await authz.GetAsync(db, caller.Account, ct);
        var listingAccount = account ?? caller.Account;

        string? ownerId = null;
        if (QueryParams.Present(ctx, "owner") is { } owner)
        {
            ownerId = RoleParams.FromParam(listingAccount, owner);
            if (ownerId is null)
            {
                return Fail(Errors.RoleIdInvalid(owner), $"Expected at least 2 tokens in {owner}");
            }

            if (!snapshot.RoleExists(ownerId))
            {
                var notFound = Errors.RecordNotFound(ownerId);
                return Fail(notFound, notFound.Message ?? "");
            }
        }

        // `role` (or `acting_as`, which the v5 API sends) must be a full role id the caller holds: head 403 otherwise.
        var viewer = caller.RoleId;
        if ((QueryParams.Present(ctx, "role") ?? QueryParams.Present(ctx, "acting_as")) is { } actingAs)
        {
            if (!snapshot.Holds(caller.RoleId, actingAs))
            {
                return Fail(Errors.Forbidden(), "The authenticated user lacks the necessary privilege");
            }

            viewer = actingAs;
        }

        var words = QueryParams.Present(ctx, "search") is { } search ? TextSearch.Words(search) : [];
        if (words.Count > TextSearch.MaxWords)
        {
            return Fail(Errors.SearchTooLong(TextSearch.MaxWords), $"'search' must not contain more than {TextSearch.MaxWords} words");
        }

        var ids = await VisibleAsync(db, snapshot, viewer, listingAccount, kind, ownerId, words, ct);
        audit.Write(ResourceEvents.List(caller.RoleId, parameters, null));
        if (countOnly)
        {
            return TypedResults.Json(new CountJson(paging.Apply(ids).Count()), WireJson.Options);
        }

        var page = paging.Apply(ids).ToList();
        var resources = await ResourceDetails.LoadAsync(db, cipher, snapshot, caller.RoleId, page, ct);
        return TypedResults.Json(resources, WireJson.Options);
    }

    /// <summary>
    /// Show, or the action selected by key presence (spec 1.1): <c>check</c> first, then <c>permitted_roles</c>,
    /// as Conjur's routes are ordered. An empty identifier (a trailing slash) is the kind's listing.
    /// </summary>
    internal static async Task<Results<
        ConjurError,
        Results<JsonHttpResult<IReadOnlyList<ResourceJson>>, JsonHttpResult<CountJson>, ConjurError>,
        Results<NoContent, ConjurError>,
        Results<JsonHttpResult<IReadOnlyList<string>>, ConjurError>,
        Results<JsonHttpResult<ResourceJson>, ConjurError>>> Get(
        HttpContext ctx, SecretsDbContext db, RequestSnapshots authz, DataKeyCipher cipher, LimitsOptions limits, AuditLog audit, CancellationToken ct)
    {
        var account = PathSegments.At(ctx, 1);
        var kind = PathSegments.At(ctx, 2);
        var identifier = PathSegments.Tail(ctx, 3);
        if (account is null || kind is null || identifier is null || !AccountName.IsValid(account) || kind.Length == 0)
        {
            return Errors.RouteNotFound();
        }

        if (identifier.Length == 0)
        {
            return await List(ctx, db, authz, cipher, limits, audit, ct);
        }

        var resource = new ResourceRef(account, kind, identifier);
        if (QueryParams.Has(ctx, "check"))
        {
            return await CheckAsync(ctx, db, authz, audit, resource, ct);
        }

        if (QueryParams.Has(ctx, "permitted_roles"))
        {
            return await PermittedRolesAsync(ctx, db, authz, resource, ct);
        }

        return await ShowAsync(ctx, db, authz, cipher, audit, resource, ct);
    }

    internal static async Task<Results<JsonHttpResult<ResourceJson>, ConjurError>> ShowAsync(
        HttpContext ctx, SecretsDbContext db, RequestSnapshots authz, DataKeyCipher cipher, AuditLog audit, ResourceRef resource, CancellationToken ct)
    {
        var caller = ctx.RequiredCaller();
        var snapshot = await authz.GetAsync(db, caller.Account, ct);
        var shown = snapshot.Decide(caller.RoleId, null, resource.Id) == AccessDecision.Allowed
            ? await ResourceDetails.LoadAsync(db, cipher, snapshot, caller.RoleId, [resource.Id], ct)
            : [];
        if (shown.Count == 0)
        {
            var notFound = resource.NotFound();
            audit.Write(ResourceEvents.Show(caller.RoleId, resource.Id, notFound.Message));
            return notFound;
        }

        audit.Write(ResourceEvents.Show(caller.RoleId, resource.Id, null));
        return TypedResults.Json(shown[0], WireJson.Options);
    }

    /// <summary>
    /// <c>?check&amp;privilege=P[&amp;role=R]</c>: 204 when allowed, head 404 when not (spec 2.6). The order of the
    /// refusals is Conjur's: missing privilege (422), a role the caller does not hold (403), a resource the caller
    /// cannot see (404).
    /// </summary>
    internal static async Task<Results<NoContent, ConjurError>> CheckAsync(
        HttpContext ctx, SecretsDbContext db, RequestSnapshots authz, AuditLog audit, ResourceRef resource, CancellationToken ct)
    {
        var caller = ctx.RequiredCaller();
        var privilege = QueryParams.Present(ctx, "privilege");
        if (privilege is null)
        {
            return Errors.PrivilegeMissing();
        }

        var snapshot = await authz.GetAsync(db, caller.Account, ct);
        var roleId = QueryParams.Present(ctx, "role") ?? caller.RoleId;
        if (!snapshot.Holds(caller.RoleId, roleId))
        {
            audit.Write(ResourceEvents.Check(caller.RoleId, roleId, privilege, resource.Id, false, "The authenticated user lacks the necessary privilege"));
            return Errors.Forbidden();
        }

        if (Errors.For(snapshot.Decide(caller.RoleId, null, resource.Id), resource.NotFound) is { } notFound)
        {
            audit.Write(ResourceEvents.Check(caller.RoleId, roleId, privilege, resource.Id, false, notFound.Message));
            return notFound;
        }

        var allowed = snapshot.IsAllowed(roleId, privilege, resource.Id);
        audit.Write(ResourceEvents.Check(caller.RoleId, roleId, privilege, resource.Id, allowed));
        return allowed ? TypedResults.NoContent() : Errors.NotFound();
    }

    /// <summary><c>?permitted_roles&amp;privilege=P</c> (<c>permission</c> is an alias): the sorted ids of every role that has P.</summary>
    internal static async Task<Results<JsonHttpResult<IReadOnlyList<string>>, ConjurError>> PermittedRolesAsync(
        HttpContext ctx, SecretsDbContext db, RequestSnapshots authz, ResourceRef resource, CancellationToken ct)
    {
        var caller = ctx.RequiredCaller();
        var privilege = QueryParams.Present(ctx, "privilege") ?? QueryParams.Present(ctx, "permission");
        if (privilege is null)
        {
            return Errors.PrivilegeMissing();
        }

        var snapshot = await authz.GetAsync(db, caller.Account, ct);
        if (Errors.For(snapshot.Decide(caller.RoleId, null, resource.Id), resource.NotFound) is { } notFound)
        {
            return notFound;
        }

        return TypedResults.Json(snapshot.PermittedRoles(privilege, resource.Id), WireJson.Options);
    }

    /// <summary>
    /// The listing's candidates in id order: visible to <paramref name="viewer"/>, of the account (and kind), owned
    /// by a role the owner holds, matching the search.
    /// </summary>
    private static async Task<IReadOnlyList<string>> VisibleAsync(
        SecretsDbContext db, AuthorizationSnapshot snapshot, string viewer, string account, string? kind, string? ownerId, IReadOnlyList<string> words, CancellationToken ct)
    {
        // A kind with ':' would make the prefix reach into identifiers; no resource has such a kind.
        if (kind is not null && kind.Contains(':', StringComparison.Ordinal))
        {
            return [];
        }

        IReadOnlyList<string> ids = snapshot.VisibleResources(viewer, kind is null ? $"{account}:" : $"{account}:{kind}:");
        if (ownerId is not null)
        {
            // Conjur's `owner` filter: owned by the owner or by any role the owner holds (all_roles).
            var owners = new HashSet<string>(snapshot.AllRoles(ownerId), StringComparer.Ordinal);
            ids = ids.Where(id => snapshot.OwnerOf(id) is { } o && owners.Contains(o)).ToList();
        }

        return await TextSearch.FilterAsync(db, account, ids, words, ct);
    }
}

/// <summary>The resource named by a path: account, kind and the decoded identifier glob.</summary>
internal sealed record ResourceRef(string Account, string Kind, string Identifier)
{
    public string Id => $"{Account}:{Kind}:{Identifier}";

    public ConjurError NotFound() => Errors.RecordNotFound(Account, Kind, Identifier);
}
