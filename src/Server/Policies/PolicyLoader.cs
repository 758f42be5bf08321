using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Secrets.Policy.Authorization;
using Secrets.Policy.Language;
using Secrets.Policy.Store;
using Secrets.Server.Audit;
using Secrets.Server.Authentication;
using Secrets.Server.Authorization;
using Secrets.Server.Configuration;
using Secrets.Server.Crypto;
using Secrets.Server.Data;
using Secrets.Server.Http;

namespace Secrets.Server.Policies;

/// <summary>
/// Serialises policy loads of one account. In one process a semaphore does it; across processes sharing a
/// PostgreSQL database a transaction-scoped advisory lock does it too. A load that cannot get the lock within
/// <see cref="Wait"/> answers 409 policy_conflict with Retry-After (spec 2.5), so nothing is ever half-applied.
/// </summary>
internal sealed class PolicyLocks
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(3);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    public SemaphoreSlim For(string account) => _locks.GetOrAdd(account, _ => new SemaphoreSlim(1, 1));

    public static long AdvisoryKey(string account) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("secrets policy load " + account)), 0);
}

/// <summary>Parse → resolve → plan (pure, src/Policy) → apply in one transaction → version → audit.</summary>
internal sealed partial class PolicyLoader(
    SecretsDbContext db,
    AuthorizationCache authz,
    RootPolicy root,
    CredentialStore credentials,
    DataKeyCipher cipher,
    AuditLog audit,
    PolicyLocks locks,
    LimitsOptions limits,
    ServerSettings settings,
    TimeProvider time,
    AccountStateCache states,
    ResolvedPolicyCache resolvedPolicies,
    ILogger<PolicyLoader> logger)
{
    public async Task<PolicyLoadOutcome> LoadAsync(PolicyLoadRequest r, CancellationToken ct)
    {
        var snapshot = await root.SnapshotWithRootAsync(r.Account, ct);
        if (Authorize(r, snapshot) is { } denied)
        {
            return denied;
        }

        if (r.BodyError is { } bodyError)
        {
            return Reject(r, StorableText.Error(bodyError));
        }

        var gate = locks.For(r.Account);
        if (!await gate.WaitAsync(PolicyLocks.Wait, ct))
        {
            return new PolicyLoadOutcome.Conflict(RetryAfter());
        }

        try
        {
            return await LoadLockedAsync(r, snapshot, ct);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Spec 2.5: invisible policy → hidden (404); visible without the privilege → forbidden (403, audited); null when allowed.</summary>
    private PolicyLoadOutcome? Authorize(PolicyLoadRequest r, AuthorizationSnapshot snapshot)
    {
        var callerRole = r.Caller.RoleId;
        var decision = snapshot.Decide(callerRole, r.PolicyId, s => r.Mode switch
        {
            PolicyLoadMode.Add => s.IsAllowed(callerRole, "create", r.PolicyId),
            PolicyLoadMode.Update => s.IsAllowed(callerRole, "update", r.PolicyId),
            _ => s.HasPrivilegeOnBranch(callerRole, "update", r.PolicyId),
        });
        if (decision == AccessDecision.Forbidden)
        {
            audit.Write(PolicyEvents.Failed(r, "Forbidden"));
        }

        return decision switch
        {
            AccessDecision.Allowed => null,
            AccessDecision.Forbidden => new PolicyLoadOutcome.Forbidden(),
            _ => new PolicyLoadOutcome.Hidden(),
        };
    }

    private async Task<PolicyLoadOutcome> LoadLockedAsync(PolicyLoadRequest r, AuthorizationSnapshot snapshot, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!await TryAdvisoryLockAsync(r.Account, ct))
        {
            return new PolicyLoadOutcome.Conflict(RetryAfter());
        }

        // The decision above was taken before waiting for the lock. A load that committed meanwhile, here or on
        // another node, may have taken the caller's rights away: decide again on the rows this load will change.
        var current = await AuthorizationVersion.ReadAsync(db, ct);
        if (current != snapshot.Version)
        {
            snapshot = await authz.BuildAsync(db, r.Account, current, ct);
            if (Authorize(r, snapshot) is { } denied)
            {
                return denied;
            }
        }

        r.Phases.Mark("lock and authorize");
        var state = states.Get(r.Account, current);
        if (state is null)
        {
            state = await AccountStateCache.ReadAsync(db, r.Account, ct);
            states.Set(r.Account, current, state);
        }

        r.Phases.Mark("state");
        var ownerId = state.Resources.FirstOrDefault(x => x.ResourceId == r.PolicyId)?.OwnerId;
        if (ownerId is null)
        {
            return new PolicyLoadOutcome.Hidden();
        }

        var resolved = resolvedPolicies.ParseAndResolve(r.Text, r.TextSha256, r.Account, r.Identifier, ownerId, settings.PolicyOptions, out var overCap);
        if (resolved is null)
        {
            // Refused before the text is expanded, planned or written (issue 8, Medium 5): a dry run too.
            var tooLarge = new PolicyLoadOutcome.TooLarge(overCap!);
            audit.Write(PolicyEvents.Failed(r, tooLarge.Message));
            return tooLarge;
        }

        if (!resolved.Succeeded)
        {
            return Reject(r, resolved.Error);
        }

        r.Phases.Mark("parse and resolve");
        var caller = new PolicyCaller(r.Caller.RoleId, snapshot);
        var result = PolicyPlanner.Plan(resolved.Value, r.Mode, state, settings.PolicyOptions, caller);
        if (!result.Succeeded)
        {
            return Reject(r, result.Error);
        }

        r.Phases.Mark("plan");
        var plan = result.Value;
        if (!MayDelete(plan, caller))
        {
            audit.Write(PolicyEvents.Failed(r, "Forbidden"));
            return new PolicyLoadOutcome.Forbidden();
        }

        if ((StorableText.Check(plan) ?? HostFactories.EnrolledHosts.CheckDeclarations(resolved.Value, state)) is { } unstorable)
        {
            return Reject(r, unstorable);
        }

        if (r.DryRun)
        {
            await tx.RollbackAsync(ct);
            audit.Write(PolicyEvents.Validated(r));
            return new PolicyLoadOutcome.Validated(PlanReport.Valid(r.Caller.RoleId, plan, state, snapshot));
        }

        var now = time.GetUtcNow().UtcDateTime;
        IReadOnlyDictionary<string, string> createdRoles;
        try
        {
            createdRoles = await PlanWriter.ApplyAsync(db, credentials, cipher, plan, r.Account, now, limits.SecretsVersionLimit, ct);
        }
        catch
        {
            // The transaction rolls back; whatever went wrong, the next load re-reads the rows.
            states.Forget(r.Account);
            throw;
        }

        r.Phases.Mark("write rows");
        var version = await WriteVersionAsync(r, now, ct);
        if (plan.Inserts.Count + plan.Updates.Count + plan.Deletes.Count == 0)
        {
            // Nothing the role graph or the planner sees changed (a reload of the same text): the cached snapshot
            // and rows stay valid, so no version bump that would make every node rebuild them.
            await tx.CommitAsync(ct);
        }
        else
        {
            var next = await AuthorizationVersion.BumpAndCommitAsync(db, tx, authz.Versions, ct);

            // Our rows plus our plan are the next state only if no other write moved the version in between
            // (role membership and host-factory writes do not take the policy lock).
            if (next == current + 1)
            {
                states.Set(r.Account, next, state.Apply(plan));
                authz.Prebuild(r.Account, next);
            }
        }

        r.Phases.Mark("version and commit");

        if (audit.Enabled)
        {
            foreach (var e in PolicyEvents.ForLoad(r, plan, version))
            {
                audit.Write(e);
            }
        }

        r.Phases.Mark("audit");
        if (logger.IsEnabled(LogLevel.Debug))
        {
            LogPhases(logger, r.PolicyId, r.Mode, plan.Inserts.Count, plan.Updates.Count, plan.Deletes.Count, r.Phases.ToString());
        }

        return new PolicyLoadOutcome.Loaded(new PolicyLoadResponse(
            createdRoles.ToDictionary(k => k.Key, v => new CreatedRole(v.Key, v.Value), StringComparer.Ordinal),
            version,
            plan.Warnings.Count > 0 ? plan.Warnings : null));
    }

    /// <summary>
    /// Deleting a record needs what PUT needs for it (spec 2.5): <c>update</c> on its resource, for every record the
    /// load deletes, whether named by <c>!delete</c>, left out of a PUT, or reached by the owner cascade. A role
    /// without a resource (<c>!role</c>) needs <c>update</c> on the policy that defined it. The planner has already
    /// dropped <c>!delete</c> of records the caller cannot see; a cascade that reaches one fails the whole load.
    /// Head 403 as for PUT, naming nothing.
    /// </summary>
    private static bool MayDelete(PolicyPlan plan, PolicyCaller caller)
    {
        var snapshot = caller.Snapshot;
        foreach (var resource in plan.Deletes.Resources)
        {
            if (!snapshot.IsAllowed(caller.RoleId, "update", resource.ResourceId))
            {
                return false;
            }
        }

        foreach (var role in plan.Deletes.Roles)
        {
            if (!snapshot.ResourceExists(role.RoleId)
                && (role.PolicyId is not { } definedBy || !snapshot.IsAllowed(caller.RoleId, "update", definedBy)))
            {
                return false;
            }
        }

        return true;
    }

    [LoggerMessage(EventId = 2000, Level = LogLevel.Debug, Message = "Loaded {PolicyId} ({Mode}): {Inserts} inserts, {Updates} updates, {Deletes} deletes; {Phases}")]
    private static partial void LogPhases(ILogger logger, string policyId, PolicyLoadMode mode, int inserts, int updates, int deletes, string phases);

    private static int RetryAfter() => RandomNumberGenerator.GetInt32(1, 9);

    /// <summary>A failed load: audited as "Failed to load policy: …" (spec 4.9), answered as a 422 body or dry-run report.</summary>
    private PolicyLoadOutcome.Rejected Reject(PolicyLoadRequest r, PolicyError error)
    {
        audit.Write(PolicyEvents.Failed(r, error.Message));
        return new PolicyLoadOutcome.Rejected(error, r.DryRun ? PlanReport.Invalid(r.Identifier, error) : null);
    }

    /// <summary>Cross-process exclusion on PostgreSQL (SQLite has one writer at a time and one process).</summary>
    private async Task<bool> TryAdvisoryLockAsync(string account, CancellationToken ct)
    {
        if (!db.Database.IsNpgsql())
        {
            return true;
        }

        // Elapsed real time, like the semaphore's wait: an injected clock (frozen in tests) must not make it endless.
        var started = Stopwatch.GetTimestamp();
        var key = PolicyLocks.AdvisoryKey(account);
        while (true)
        {
            var got = await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock({key}) AS \"Value\"").SingleAsync(ct);
            if (got)
            {
                return true;
            }

            if (Stopwatch.GetElapsedTime(started) >= PolicyLocks.Wait)
            {
                return false;
            }

            await Task.Delay(50, ct);
        }
    }

    private async Task<int> WriteVersionAsync(PolicyLoadRequest r, DateTime now, CancellationToken ct)
    {
        var latest = await db.PolicyVersions.Where(v => v.ResourceId == r.PolicyId).MaxAsync(v => (int?)v.Version, ct) ?? 0;
        var version = latest + 1;
        db.PolicyVersions.Add(new PolicyVersionEntity
        {
            ResourceId = r.PolicyId,
            Version = version,
            Account = r.Account,
            RoleId = r.Caller.RoleId,
            PolicyText = r.Text,
            PolicySha256 = r.TextSha256,
            ClientIp = r.ClientIp,
            CreatedAt = now,
            FinishedAt = time.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(ct);
        var keepFrom = version - limits.PolicyVersionLimit;
        await db.PolicyVersions.Where(v => v.ResourceId == r.PolicyId && v.Version <= keepFrom).ExecuteDeleteAsync(ct);
        return version;
    }
}

/// <summary>Wall-clock time of the phases of one load, for the debug log (docs/performance.md).</summary>
internal sealed class LoadPhases
{
    private readonly List<(string Name, double Ms)> _phases = [];
    private long _last = Stopwatch.GetTimestamp();

    public void Mark(string name)
    {
        var now = Stopwatch.GetTimestamp();
        _phases.Add((name, Stopwatch.GetElapsedTime(_last, now).TotalMilliseconds));
        _last = now;
    }

    public override string ToString() =>
        string.Join(", ", _phases.Select(p => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{p.Name} {p.Ms:F0} ms")));
}
