using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Secrets.Policy.Authorization;
using Secrets.Policy.Store;
using Secrets.Server.Accounts;
using Secrets.Server.Audit;
using Secrets.Server.Authentication;
using Secrets.Server.Authorization;
using Secrets.Server.Data;
using Secrets.Server.Http;
using Secrets.Server.Resources;

namespace Secrets.Server.Roles;

/// <summary>
/// <c>/roles/{account}/{kind}/{identifier}</c> (spec 2.7): show, <c>?graph</c>, <c>?all</c>, <c>?memberships</c>,
/// <c>?members</c>, and adding/removing a member. A role is addressable only when the caller can see the resource
/// with the same id (spec 5.2); otherwise it is reported absent (404), exactly like a role that does not exist.
/// </summary>
internal static class RoleEndpoints
{
    private static readonly HashSet<string> RoleKinds = new(["user", "host", "layer", "group", "policy", "host_factory"], StringComparer.Ordinal);

    public static IEndpointRouteBuilder MapRoleEndpoints(this IEndpointRouteBuilder app)
    {
        var roles = app.MapGroup("/roles").TokenRequired();
        roles.MapGet("/{account}/{kind}/{**identifier}", Get);
        roles.MapPost("/{account}/{kind}/{**identifier}", AddMember);
        roles.MapDelete("/{account}/{kind}/{**identifier}", RemoveMember);
        return app;
    }

    /// <summary>GET: the selector present wins in Conjur's order, graph &gt; all &gt; memberships &gt; members &gt; show (keys, not values, count).</summary>
    internal static async Task<Results<
        ConjurError,
        JsonHttpResult<List<EdgeJson>>,
        Results<JsonHttpResult<List<string>>, JsonHttpResult<CountJson>, ConjurError>,
        Results<JsonHttpResult<List<GrantJson>>, JsonHttpResult<CountJson>, ConjurError>,
        Results<JsonHttpResult<RoleJson>, ConjurError>>> Get(HttpContext ctx, SecretsDbContext db, RequestSnapshots authz, AuditLog audit, CancellationToken ct)
    {
        if (Address(ctx) is not { } role)
        {
            return Errors.RouteNotFound();
        }

        var caller = ctx.RequiredCaller();
        var snapshot = await authz.GetAsync(db, caller.Account, ct);
        if (Errors.For(snapshot.DecideOnRole(caller.RoleId, null, role.Id), role.NotFound) is { } notFound)
        {
            return notFound;
        }

        if (QueryParams.Has(ctx, "graph"))
        {
            return TypedResults.Json(snapshot.Graph(role.Id, caller.RoleId).Select(e => new EdgeJson(e.Parent, e.Child)).ToList(), WireJson.Options);
        }

        if (QueryParams.Has(ctx, "all"))
        {
            return All(ctx, snapshot, role);
        }

        if (QueryParams.Has(ctx, "memberships"))
        {
            return await MembershipsAsync(ctx, db, snapshot, audit, role, caller, ct);
        }

        if (QueryParams.Has(ctx, "members"))
        {
            return await MembersAsync(ctx, db, snapshot, audit, role, caller, ct);
        }

        return await ShowAsync(db, snapshot, role, ct);
    }

    internal static async Task<Results<JsonHttpResult<RoleJson>, ConjurError>> ShowAsync(
        SecretsDbContext db, AuthorizationSnapshot snapshot, ResourceRef role, CancellationToken ct)
    {
        var row = await db.Roles.AsNoTracking()
            .Where(r => r.RoleId == role.Id)
            .Select(r => new { r.CreatedAt, r.PolicyId })
            .SingleOrDefaultAsync(ct);
        if (row is null)
        {
            return role.NotFound();
        }

        var members = snapshot.Members(role.Id).Select(GrantJson.From).ToList();
        return TypedResults.Json(new RoleJson(JsonTimes.Format(row.CreatedAt), role.Id, row.PolicyId, members), WireJson.Options);
    }

    /// <summary><c>?all[&amp;filter[]=id…][&amp;count]</c>: every role held transitively, itself included, sorted.</summary>
    internal static Results<JsonHttpResult<List<string>>, JsonHttpResult<CountJson>, ConjurError> All(HttpContext ctx, AuthorizationSnapshot snapshot, ResourceRef role)
    {
        if (Filter(ctx, role.Account, out var filter) is { } bad)
        {
            return bad;
        }

        var ids = snapshot.AllRoles(role.Id).Where(id => filter is null || filter.Contains(id)).ToList();
        return QueryParams.Has(ctx, "count")
            ? TypedResults.Json(new CountJson(ids.Count), WireJson.Options)
            : TypedResults.Json(ids, WireJson.Options);
    }

    /// <summary><c>?memberships[&amp;kind][&amp;search][&amp;filter][&amp;count]</c>: the grants whose member is this role, sorted by role.</summary>
    internal static async Task<Results<JsonHttpResult<List<GrantJson>>, JsonHttpResult<CountJson>, ConjurError>> MembershipsAsync(
        HttpContext ctx, SecretsDbContext db, AuthorizationSnapshot snapshot, AuditLog audit, ResourceRef role, Caller caller, CancellationToken ct)
    {
        var parameters = ListParameters(ctx, role, "count", "search", "kind", "filter");
        if (Filter(ctx, role.Account, out var filter) is { } bad)
        {
            audit.Write(RoleEvents.Memberships(caller.RoleId, parameters, bad.Message));
            return bad;
        }

        var grants = snapshot.Memberships(role.Id).Where(g => filter is null || filter.Contains(g.RoleId));
        var selected = await SelectAsync(ctx, db, role.Account, grants, g => g.RoleId, ct);
        if (selected.Error is { } error)
        {
            audit.Write(RoleEvents.Memberships(caller.RoleId, parameters, error.Message));
            return error;
        }

        audit.Write(RoleEvents.Memberships(caller.RoleId, parameters, null));
        return QueryParams.Has(ctx, "count")
            ? TypedResults.Json(new CountJson(selected.Grants.Count), WireJson.Options)
            : TypedResults.Json(selected.Grants.Select(GrantJson.From).ToList(), WireJson.Options);
    }

    /// <summary>
    /// <c>?members[&amp;kind][&amp;search][&amp;limit][&amp;offset][&amp;count]</c>: the grants of this role, ordered by member
    /// id; a count counts every match (paging applies to the list only, as in Conjur).
    /// </summary>
    internal static async Task<Results<JsonHttpResult<List<GrantJson>>, JsonHttpResult<CountJson>, ConjurError>> MembersAsync(
        HttpContext ctx, SecretsDbContext db, AuthorizationSnapshot snapshot, AuditLog audit, ResourceRef role, Caller caller, CancellationToken ct)
    {
        var parameters = ListParameters(ctx, role, "count", "kind", "search", "limit", "offset");

        // Conjur reads these with to_i; the resource listing's validation (spec 9) is applied instead of turning
        // garbage into 0.
        if (Paging.TryParse(ctx, out var paging) is { } badPaging)
        {
            audit.Write(RoleEvents.Members(caller.RoleId, parameters, badPaging.Message));
            return badPaging;
        }

        var selected = await SelectAsync(ctx, db, role.Account, snapshot.Members(role.Id), g => g.MemberId, ct);
        if (selected.Error is { } error)
        {
            audit.Write(RoleEvents.Members(caller.RoleId, parameters, error.Message));
            return error;
        }

        audit.Write(RoleEvents.Members(caller.RoleId, parameters, null));
        return QueryParams.Has(ctx, "count")
            ? TypedResults.Json(new CountJson(selected.Grants.Count), WireJson.Options)
            : TypedResults.Json(paging.Apply(selected.Grants).Select(GrantJson.From).ToList(), WireJson.Options);
    }

    /// <summary>
    /// <c>POST ?members&amp;member=&lt;id&gt;</c>: grant the role to a member (spec 2.7). Needs <c>create</c> on the
    /// role's policy — Conjur's <c>resource.policy</c>, the policy whose load created the role (its policy_id) —
    /// then an existing member. 204 also when the explicit membership already exists (nothing is written or audited).
    /// </summary>
    internal static async Task<Results<NoContent, ConjurError>> AddMember(
        HttpContext ctx, SecretsDbContext db, RequestSnapshots authz, AuditLog audit, CancellationToken ct)
    {
        var target = await AuthorizeMemberChangeAsync(ctx, db, authz, "create", ct);
        if (target.Error is { } refused)
        {
            return refused;
        }

        var (role, memberId, snapshot, caller) = (target.Role!, target.MemberId!, target.Snapshot!, target.Caller!);
        if (!snapshot.RoleExists(memberId))
        {
            return Errors.RecordNotFound(memberId);
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await db.RoleMemberships.AnyAsync(m => m.RoleId == role.Id && m.MemberId == memberId, ct))
        {
            return TypedResults.NoContent();
        }

        db.RoleMemberships.Add(new RoleMembershipEntity { RoleId = role.Id, MemberId = memberId, Account = role.Account, AdminOption = false, PolicyId = null });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (Data.StoreAvailability.Classify(e) is null)
        {
            // A concurrent grant of the same membership (primary key) or a concurrent deletion of either role
            // (foreign key): the first means done, the second means the member is gone.
            await tx.RollbackAsync(ct);
            db.ChangeTracker.Clear();
            var exists = await db.RoleMemberships.AsNoTracking().AnyAsync(m => m.RoleId == role.Id && m.MemberId == memberId, ct);
            return exists ? TypedResults.NoContent() : Errors.RecordNotFound(memberId);
        }

        // Spec 5 / ServerApp: a membership change moves the authorization version in the same transaction.
        await AuthorizationVersion.BumpAndCommitAsync(db, tx, authz.Versions, ct);
        audit.Write(RoleEvents.Added(caller.RoleId, role.Id, memberId));
        return TypedResults.NoContent();
    }

    /// <summary>
    /// <c>DELETE ?members&amp;member=&lt;id&gt;</c>: revoke an explicit membership (spec 2.7); needs <c>update</c> on the
    /// role's policy. An ownership membership is derived from the owner and cannot be removed here: like a member
    /// that is not one, it answers 404.
    /// </summary>
    internal static async Task<Results<NoContent, ConjurError>> RemoveMember(
        HttpContext ctx, SecretsDbContext db, RequestSnapshots authz, AuditLog audit, CancellationToken ct)
    {
        var target = await AuthorizeMemberChangeAsync(ctx, db, authz, "update", ct);
        if (target.Error is { } refused)
        {
            return refused;
        }

        var (role, memberId, caller) = (target.Role!, target.MemberId!, target.Caller!);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var deleted = await db.RoleMemberships.Where(m => m.RoleId == role.Id && m.MemberId == memberId).ExecuteDeleteAsync(ct);
        if (deleted == 0)
        {
            await tx.RollbackAsync(ct);
            return Errors.RecordNotFound(memberId);
        }

        await AuthorizationVersion.BumpAndCommitAsync(db, tx, authz.Versions, ct);
        audit.Write(RoleEvents.Removed(caller.RoleId, role.Id, memberId));
        return TypedResults.NoContent();
    }

    /// <summary>
    /// The checks both membership writes share, in Conjur's order: the <c>members</c> selector (else no such route),
    /// a visible role (404), the privilege on its policy (403), then the <c>member</c> parameter (422).
    /// </summary>
    private static async Task<MemberChange> AuthorizeMemberChangeAsync(
        HttpContext ctx, SecretsDbContext db, RequestSnapshots authz, string privilege, CancellationToken ct)
    {
        if (!QueryParams.Has(ctx, "members") || Address(ctx) is not { } role)
        {
            return new MemberChange(Errors.RouteNotFound());
        }

        var caller = ctx.RequiredCaller();
        var snapshot = await authz.GetAsync(db, caller.Account, ct);
        if (Errors.For(snapshot.DecideOnRole(caller.RoleId, null, role.Id), role.NotFound) is { } notFound)
        {
            return new MemberChange(notFound);
        }

        // A role created outside policy loads (the account's admin) has no policy: nobody may change its members here.
        var policyId = await db.Resources.AsNoTracking().Where(r => r.ResourceId == role.Id).Select(r => r.PolicyId).SingleOrDefaultAsync(ct);
        if (policyId is null || !snapshot.IsAllowed(caller.RoleId, privilege, policyId))
        {
            return new MemberChange(Errors.Forbidden());
        }

        if (QueryParams.Present(ctx, "member") is not { } member)
        {
            return new MemberChange(Errors.ParameterMissing("member"));
        }

        var memberId = RoleParams.FromParam(role.Account, member);
        return memberId is null
            ? new MemberChange(Errors.RoleIdInvalid(member))
            : new MemberChange(null, role, memberId, snapshot, caller);
    }

    /// <summary>The role of the path; null for a kind that is not a role kind or an empty identifier (no such route).</summary>
    private static ResourceRef? Address(HttpContext ctx)
    {
        var account = PathSegments.At(ctx, 1);
        var kind = PathSegments.At(ctx, 2);
        var identifier = PathSegments.Tail(ctx, 3);
        return account is null || kind is null || identifier is null || identifier.Length == 0
            || !AccountName.IsValid(account) || !RoleKinds.Contains(kind)
            ? null
            : new ResourceRef(account, kind, identifier);
    }

    /// <summary><c>filter[]</c>: role ids, <c>kind:id</c> completed with the account (Conjur's make_full_id); null when absent.</summary>
    private static ConjurError? Filter(HttpContext ctx, string account, out HashSet<string>? filter)
    {
        filter = null;
        var values = QueryParams.List(ctx, "filter");
        if (values.Count == 0)
        {
            return null;
        }

        filter = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            if (RoleParams.FromParam(account, value) is not { } id)
            {
                return Errors.RoleIdInvalid(value);
            }

            filter.Add(id);
        }

        return null;
    }

    /// <summary>The <c>kind</c> (one or a list) and <c>search</c> filters of the grant listings, on the id <paramref name="key"/> picks.</summary>
    private static async Task<(List<RoleGrant> Grants, ConjurError? Error)> SelectAsync(
        HttpContext ctx, SecretsDbContext db, string account, IEnumerable<RoleGrant> grants, Func<RoleGrant, string> key, CancellationToken ct)
    {
        var kinds = QueryParams.List(ctx, "kind");
        var selected = grants.Where(g => kinds.Count == 0 || kinds.Contains(FullId.KindOf(key(g)), StringComparer.Ordinal)).ToList();
        if (QueryParams.Present(ctx, "search") is not { } search)
        {
            return (selected, null);
        }

        var words = TextSearch.Words(search);
        if (words.Count > TextSearch.MaxWords)
        {
            return ([], Errors.SearchTooLong(TextSearch.MaxWords));
        }

        var candidates = selected.Select(key).Distinct(StringComparer.Ordinal).ToList();
        var matching = new HashSet<string>(await TextSearch.FilterAsync(db, account, candidates, words, ct), StringComparer.Ordinal);
        return (selected.Where(g => matching.Contains(key(g))).ToList(), null);
    }

    private static List<(string Name, string Value)> ListParameters(HttpContext ctx, ResourceRef role, params string[] names)
    {
        var parameters = AuditParameters.From(ctx, names);
        parameters.Insert(0, ("account", role.Account));
        parameters.Add(("role", role.Id));
        return parameters;
    }

    private sealed record MemberChange(
        ConjurError? Error,
        ResourceRef? Role = null,
        string? MemberId = null,
        AuthorizationSnapshot? Snapshot = null,
        Caller? Caller = null);
}
