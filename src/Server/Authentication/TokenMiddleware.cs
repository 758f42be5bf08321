using Microsoft.EntityFrameworkCore;
using Secrets.Policy.Store;
using Secrets.Server.Authorization;
using Secrets.Server.Data;
using Secrets.Server.Http;

namespace Secrets.Server.Authentication;

/// <summary>The access-token check every route runs through unless it opts out (<see cref="TokenAuthentication"/>).</summary>
internal static class TokenMiddleware
{
    /// <summary>
    /// Validates `Authorization: Token token="…"` before the handler runs, with the exact 401/403 texts of spec 1.2.
    /// Runs after routing so that an unknown path is a 404, not a 401.
    /// </summary>
    public static void UseTokenAuthentication(this WebApplication app)
    {
        app.UseRouting();
        var tokens = app.Services.GetRequiredService<TokenService>();
        app.Use(async (ctx, next) =>
        {
            var endpoint = ctx.GetEndpoint();

            // Issue 8 (medium 6), for every route in one place: an id in the path or in an id parameter of the query may not
            // have a `.` or `..` segment.
            // Purely syntactic, so answering it before the token check reveals nothing.
            if (endpoint is not null && (PathSegments.HasDotSegment(ctx) || PathSegments.QueryIdWithDotSegment(ctx) is not null))
            {
                await Errors.DotSegmentInId().ExecuteAsync(ctx);
                return;
            }

            var use = endpoint?.Metadata.GetMetadata<TokenUseMetadata>()?.Use ?? (endpoint is null ? TokenUse.Ignored : TokenUse.Required);
            if (use == TokenUse.Ignored)
            {
                await next(ctx);
                return;
            }

            var header = ctx.Request.Headers.Authorization.ToString();
            if (use == TokenUse.Optional && !header.StartsWith("Token", StringComparison.OrdinalIgnoreCase))
            {
                await next(ctx);
                return;
            }

            var outcome = tokens.Verify(header, ClientAddresses.Get(ctx));
            if (outcome.Error is { } error)
            {
                await error.ExecuteAsync(ctx);
                return;
            }

            var caller = outcome.Caller!;

            // Issue 8: the token speaks for the role its `sub` parses to only when that role's login is exactly the
            // `sub` and the role may hold a token at all. A token issued before this rule to the user `user/admin`
            // (sub `user/admin`, which parses to the user `admin`) is refused here.
            if (!FullId.CanHoldCredentials(caller.RoleId) || !FullId.TryGetLogin(caller.RoleId, out var login)
                || !string.Equals(login, caller.Login, StringComparison.Ordinal))
            {
                await Errors.InvalidToken().ExecuteAsync(ctx);
                return;
            }

            // A valid token for a role that no longer exists: head 403 (spec 1.2). The snapshot answers (and is then
            // reused by the handler's decisions), so this costs no query of its own.
            var db = ctx.RequestServices.GetRequiredService<SecretsDbContext>();
            var snapshot = await ctx.RequestServices.GetRequiredService<RequestSnapshots>().GetAsync(db, caller.Account, ctx.RequestAborted);
            if (!snapshot.RoleExists(caller.RoleId)
                && !await db.Roles.AsNoTracking().AnyAsync(r => r.RoleId == caller.RoleId, ctx.RequestAborted))
            {
                await Errors.Forbidden().ExecuteAsync(ctx);
                return;
            }

            ctx.SetCaller(caller);
            await next(ctx);
        });
    }
}
