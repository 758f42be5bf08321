using System.Globalization;
using Secrets.Policy.Language;
using Secrets.Server.Audit;

namespace Secrets.Server.Policies;

/// <summary>
/// Audit records of policy loads (spec 8.2): one per changed row, plus failures and dry runs. A load changing more than
/// <see cref="SummaryThreshold"/> rows gets one summary record per kind and operation instead (issue 8, Medium 5: a
/// million per-row records made the audit log grow by hundreds of megabytes for one request).
/// </summary>
internal static class PolicyEvents
{
    /// <summary>Loads changing at most this many rows are audited row by row.</summary>
    public const int SummaryThreshold = 1000;

    public static IEnumerable<AuditEvent> ForLoad(PolicyLoadRequest r, PolicyPlan plan, int version) =>
        plan.Inserts.Count + plan.Updates.Count + plan.Deletes.Count > SummaryThreshold
            ? Summary(r, plan, version)
            : ForPlan(r, plan, version);

    /// <summary>
    /// One record per (operation, kind) with a count, in the order of the per-row records: removals, additions,
    /// changes. The load's text is kept as a policy version, so what the rows were stays answerable.
    /// </summary>
    public static IEnumerable<AuditEvent> Summary(PolicyLoadRequest r, PolicyPlan plan, int version)
    {
        var user = r.Caller.RoleId;
        (string Operation, string Verb, string Kind, int Count)[] groups =
        [
            ("remove", "removed", "annotation", plan.Deletes.Annotations.Count),
            ("remove", "removed", "permission", plan.Deletes.Permissions.Count),
            ("remove", "removed", "membership", plan.Deletes.Memberships.Count),
            ("remove", "removed", "resource", plan.Deletes.Resources.Count),
            ("remove", "removed", "role", plan.Deletes.Roles.Count),
            ("add", "added", "role", plan.Inserts.Roles.Count),
            ("add", "added", "resource", plan.Inserts.Resources.Count),
            ("add", "added", "membership", plan.Inserts.Memberships.Count),
            ("add", "added", "permission", plan.Inserts.Permissions.Count),
            ("add", "added", "annotation", plan.Inserts.Annotations.Count),
            ("add", "added", "restricted_to", plan.Inserts.CredentialRestrictions.Count),
            ("change", "changed", "resource", plan.Updates.Resources.Count),
            ("change", "changed", "membership", plan.Updates.Memberships.Count),
            ("change", "changed", "annotation", plan.Updates.Annotations.Count),
            ("change", "changed", "restricted_to", plan.Updates.CredentialRestrictions.Count),
        ];
        foreach (var (operation, verb, kind, count) in groups)
        {
            if (count > 0)
            {
                var n = count.ToString(CultureInfo.InvariantCulture);
                yield return Notice(r, operation, version, $"{user} {verb} {n} {kind} rows in policy {r.PolicyId}", ("kind", kind), ("count", n));
            }
        }
    }

    public static AuditEvent Failed(PolicyLoadRequest r, string error) =>
        AuditEvent.Create("policy", r.Operation, false, $"Failed to load policy: {error}",
            SdElement.Of("auth", ("user", r.Caller.RoleId)),
            SdElement.Of("subject", ("policy", r.PolicyId)));

    public static AuditEvent Validated(PolicyLoadRequest r) =>
        Notice(r, "validate", 0, $"{r.Caller.RoleId} validated policy {r.PolicyId} (dry run)", ("policy", r.PolicyId));

    public static IEnumerable<AuditEvent> ForPlan(PolicyLoadRequest r, PolicyPlan plan, int version)
    {
        var user = r.Caller.RoleId;
        foreach (var x in plan.Deletes.Annotations)
        {
            yield return Notice(r, "remove", version, $"{user} removed annotation {x.Name} from {x.ResourceId}", ("annotation", x.Name), ("resource", x.ResourceId));
        }

        foreach (var x in plan.Deletes.Permissions)
        {
            yield return Notice(r, "remove", version, $"{user} removed permission of {x.RoleId} to {x.Privilege} on {x.ResourceId}", ("resource", x.ResourceId), ("role", x.RoleId), ("privilege", x.Privilege));
        }

        foreach (var x in plan.Deletes.Memberships)
        {
            yield return Notice(r, "remove", version, $"{user} removed membership of {x.MemberId} in {x.RoleId}", ("role", x.RoleId), ("member", x.MemberId));
        }

        foreach (var x in plan.Deletes.Resources)
        {
            yield return Notice(r, "remove", version, $"{user} removed resource {x.ResourceId}", ("resource", x.ResourceId));
        }

        foreach (var x in plan.Deletes.Roles)
        {
            yield return Notice(r, "remove", version, $"{user} removed role {x.RoleId}", ("role", x.RoleId));
        }

        foreach (var x in plan.Inserts.Roles)
        {
            yield return Notice(r, "add", version, $"{user} added role {x.RoleId}", ("role", x.RoleId));
        }

        foreach (var x in plan.Inserts.Resources)
        {
            yield return Notice(r, "add", version, $"{user} added resource {x.ResourceId}", ("resource", x.ResourceId));
        }

        foreach (var x in plan.Inserts.Memberships)
        {
            yield return Notice(r, "add", version, $"{user} added membership of {x.MemberId} in {x.RoleId}", ("role", x.RoleId), ("member", x.MemberId));
        }

        foreach (var x in plan.Inserts.Permissions)
        {
            yield return Notice(r, "add", version, $"{user} added permission of {x.RoleId} to {x.Privilege} on {x.ResourceId}", ("resource", x.ResourceId), ("role", x.RoleId), ("privilege", x.Privilege));
        }

        foreach (var x in plan.Inserts.Annotations)
        {
            yield return Notice(r, "add", version, $"{user} added annotation {x.Name} on {x.ResourceId}", ("annotation", x.Name), ("resource", x.ResourceId));
        }

        foreach (var x in plan.Updates.Resources)
        {
            yield return Notice(r, "change", version, $"{user} changed owner of {x.After.ResourceId} to {x.After.OwnerId}", ("resource", x.After.ResourceId));
        }

        foreach (var x in plan.Updates.Memberships)
        {
            yield return Notice(r, "change", version, $"{user} changed membership of {x.After.MemberId} in {x.After.RoleId}", ("role", x.After.RoleId), ("member", x.After.MemberId));
        }

        foreach (var x in plan.Updates.Annotations)
        {
            yield return Notice(r, "change", version, $"{user} changed annotation {x.After.Name} on {x.After.ResourceId}", ("annotation", x.After.Name), ("resource", x.After.ResourceId));
        }

        foreach (var x in plan.Updates.CredentialRestrictions)
        {
            yield return Notice(r, "change", version, $"{user} changed restricted_to of {x.After.RoleId}", ("role", x.After.RoleId));
        }
    }

    private static AuditEvent Notice(PolicyLoadRequest r, string operation, int version, string message, params (string Name, string Value)[] subject) =>
        new("policy", AuditEvent.FacilityAuthPriv, AuditEvent.SeverityNotice, operation, true,
            [
                SdElement.Of("auth", ("user", r.Caller.RoleId)),
                SdElement.Of("subject", subject),
                SdElement.Of("policy", ("id", r.PolicyId), ("version", version.ToString(CultureInfo.InvariantCulture))),
            ],
            message);
}
