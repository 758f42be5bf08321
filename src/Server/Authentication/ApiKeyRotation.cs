using Microsoft.AspNetCore.Http.HttpResults;
using Secrets.Policy.Authorization;
using Secrets.Policy.Store;
using Secrets.Server.Accounts;
using Secrets.Server.Audit;
using Secrets.Server.Authorization;
using Secrets.Server.Data;
using Secrets.Server.Http;

namespace Secrets.Server.Authentication;

/// <summary>
/// <c>PUT /authn/{account}/api_key?role=…</c> with an access token: rotating ANOTHER role's API key (spec 2.1, 5.3).
/// The caller must see the target's resource and hold <c>update</c> on it. The refusals, in order:
/// <list type="number">
/// <item>a <c>role</c> that is not an id → 422 (Conjur's make_full_id);</item>
/// <item>a target that does not exist (including in an unknown account) or that the caller cannot see → 404 with the
/// same CONJ00123E body either way (spec 5.2: invisible is indistinguishable from absent);</item>
/// <item>no <c>update</c> on it → head 403, also for a group/layer/policy (so a caller with only <c>read</c> learns
/// nothing about applicability);</item>
/// <item>a role without credentials by nature (group, layer, policy, host_factory) → 405 CONJ00126E;</item>
/// <item>a host that does not use an API key → 405.</item>
/// </list>
/// Success: 200 text/plain with the new key; the old key fails from this moment. Every outcome is audited under
/// <c>api-key</c> (spec 8.2) without the key.
/// </summary>
internal static class ApiKeyRotation
{
    /// <summary>The request's services the rotation uses, handed over by the PUT handler.</summary>
    internal sealed record Services(SecretsDbContext Db, RequestSnapshots Authz, CredentialStore Credentials, AuditLog Audit);

    public static async Task<Results<ContentHttpResult, ConjurError>> RotateOtherAsync(Services services, Caller caller, string roleParam, string? account, CancellationToken ct)
    {
        var (db, authz, credentials, audit) = services;
        if (account is null || !AccountName.IsValid(account))
        {
            return Errors.RouteNotFound();
        }

        var targetId = RoleParams.FromParam(account, roleParam);
        if (targetId is null)
        {
            audit.Write(AuthnEvents.Rotate(caller.RoleId, roleParam, false, $"Expected at least 2 tokens in {roleParam}"));
            return Errors.RoleIdInvalid(roleParam);
        }

        // The caller's account snapshot: a role of another account (or of no account at all) is simply not in it.
        var snapshot = await authz.GetAsync(db, caller.Account, ct);
        var decision = snapshot.DecideOnRole(caller.RoleId, "update", targetId);
        if (Errors.For(decision, () => Errors.RotationTargetNotFound(targetId, caller.RoleId)) is { } denied)
        {
            // Conjur's audit texts keep the three refusals apart; the answer does not.
            var reason = decision switch
            {
                AccessDecision.Absent => $"CONJ00123E Resource '{targetId}' requested by role '{caller.RoleId}' not found",
                AccessDecision.Hidden => $"CONJ00125E The requested resource '{targetId}' is not visible to Role '{caller.RoleId}'",
                _ => $"CONJ00124E Role '{caller.RoleId}' has insufficient privileges over the resource",
            };
            audit.Write(AuthnEvents.Rotate(caller.RoleId, targetId, false, reason));
            return denied;
        }

        var kind = FullId.KindOf(targetId);
        if (kind is not ("user" or "host"))
        {
            audit.Write(AuthnEvents.Rotate(caller.RoleId, targetId, false, $"CONJ00126E Role '{targetId}' is not applicable for key rotation"));
            return Errors.NotApplicableForRotation(targetId);
        }

        var cred = await credentials.FindAsync(targetId, ct);
        string key;
        if (cred is not null && (cred.ApiKeySeed is not null || kind == "user"))
        {
            key = credentials.Rotate(cred);
        }
        else if (cred is null && kind == "user")
        {
            // Conjur's ensure_credentials: a user always has an API key; one without a credentials row gets one now.
            (_, key) = credentials.Create(targetId, FullId.AccountOf(targetId));
        }
        else
        {
            audit.Write(AuthnEvents.Rotate(caller.RoleId, targetId, false, "Operation is not supported for host since it does not use api-key for authentication"));
            return Errors.ApiKeyNotUsed();
        }

        await db.SaveChangesAsync(ct);
        audit.Write(AuthnEvents.Rotate(caller.RoleId, targetId, true, null));
        return TypedResults.Content(key, "text/plain");
    }
}
