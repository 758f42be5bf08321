using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Secrets.Policy.Authorization;
using Secrets.Policy.Store;

namespace Secrets.Policy.Language;

/// <summary>
/// The `?dryRun=true` report (spec 2.5): what a load would create, update (before and after) and delete, computed
/// from the same plan the real load applies.
/// </summary>
/// <remarks>
/// Mirrors Conjur 1.24 (cyberark/conjur app/domain/data_objects/primitive_factory.rb, data_objects/mapper.rb,
/// app/db/repository/policy_repository.rb, app/domain/command_handler/policy_diff.rb and the cucumber feature
/// cucumber/api/features/policy_dry_run.feature), where the report is a row diff of the tables before and after
/// the load:
/// <list type="bullet">
/// <item>Only records of the kinds user, host, group, layer, policy ("roles") and variable, webservice
/// ("resources") are reported: Conjur's mapper drops host_factory and public_key records.</item>
/// <item>A role item is <c>identifier, id, type, owner, policy, permissions, annotations, members, memberships,
/// restricted_to</c>: <c>permissions</c> maps a privilege to the resources the role may use with it; <c>members</c>
/// are the roles holding it and <c>memberships</c> the roles it holds, including the ownership memberships
/// (an owner is a member of the role it owns), which this server derives instead of storing.</item>
/// <item>A resource item is <c>identifier, id, type, owner, policy, permitted, annotations</c>: <c>permitted</c> maps a
/// privilege to the roles that have it.</item>
/// <item>Created/deleted: records that exist only after/before the load. Updated: records present on both sides
/// whose rows (as resource, role, member, annotation owner or restriction) differ.</item>
/// <item>Row order inside an item is the tables' primary-key order; an "after" item lists its unchanged rows first
/// and the new ones after them (Conjur builds it as an ordered set union). Items are roles then resources, each by
/// id, and in "after" the records whose own row changed (an owner change) come after the others.</item>
/// <item>Where we differ (issue 8, Medium 2; docs/decisions.md): Conjur lists a record the caller cannot see as
/// <c>{"identifier":"acct:kind:[REDACTED]","type":"kind"}</c> and keeps censored ids in the lists of a visible item,
/// which tells the caller that hidden records exist and how many. Here a hidden record is never an item, the lists
/// of a visible item (members, memberships, permissions, permitted) leave hidden ids out, and a visible record whose
/// only change is a row naming a hidden one is not reported as updated. Only the owner and policy of a visible item
/// stay censored as <c>acct:kind:[REDACTED]</c>: every record has them, so saying they are hidden reveals nothing.</item>
/// <item>The report is bounded: each of created, updated and deleted lists at most <see cref="MaxItems"/> items
/// (with <c>"total"</c> beside <c>items</c> when there were more), and every list inside an item at most
/// <see cref="MaxItems"/> entries.</item>
/// </list>
/// Not confirmed from the source (see docs/decisions.md): how Conjur computes the caller's visible set (here: visible
/// before the load; records the load creates are the caller's own), and the collation of the ordering (here
/// ordinal, where PostgreSQL may use the database collation).
/// </remarks>
public static class PlanReport
{
    private const string Redacted = "[REDACTED]";

    /// <summary>The most items per section, and entries per list inside an item.</summary>
    public const int MaxItems = 1000;

    private static readonly HashSet<string> RoleKinds = new(StringComparer.Ordinal) { "user", "host", "group", "layer", "policy" };
    private static readonly HashSet<string> ResourceKinds = new(StringComparer.Ordinal) { "variable", "webservice" };

    // Like the error envelope: quotes in messages stay quotes ("Unrecognized data type '!foo'"), not \u0027.
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The report of a dry run that would succeed: what <paramref name="plan"/> creates, updates and deletes, as <paramref name="callerRoleId"/> may see it.</summary>
    public static string Valid(string callerRoleId, PolicyPlan plan, PolicyState before, AuthorizationSnapshot snapshot)
    {
        var after = before.Apply(plan);
        var old = new Rows(before);
        var now = new Rows(after);

        // Records the caller cannot see (spec 5.2) existed before this load; created ones are the caller's own.
        bool Hidden(string id) => snapshot.Decide(callerRoleId, null, id) == AccessDecision.Hidden;

        var created = now.Resources.Keys.Where(id => !old.Resources.ContainsKey(id) && !Hidden(id));
        var deleted = old.Resources.Keys.Where(id => !now.Resources.ContainsKey(id) && !Hidden(id));
        var updated = Candidates(plan, before, after)
            .Where(id => old.Resources.ContainsKey(id) && now.Resources.ContainsKey(id) && !Hidden(id) && !old.Same(now, id))
            .ToHashSet(StringComparer.Ordinal);

        // A change the caller sees only as rows naming records it cannot see shows no difference: not reported.
        updated.RemoveWhere(id => Rank(id) >= 0
            && Item(id, old, null, Hidden).ToJsonString(Json) == Item(id, now, old, Hidden).ToJsonString(Json));

        var body = new JsonObject
        {
            ["status"] = "Valid YAML",
            ["created"] = Section(created, now, null, Hidden),
            ["updated"] = new JsonObject
            {
                ["before"] = Section(updated, old, null, Hidden),
                ["after"] = Section(updated, now, old, Hidden),
            },
            ["deleted"] = Section(deleted, old, null, Hidden),
        };
        return body.ToJsonString(Json);
    }

    /// <summary>The report of a dry run whose text is refused: Conjur's one-error shape, naming the loaded policy's identifier.</summary>
    public static string Invalid(string policyIdentifier, PolicyError error)
    {
        var line = error.Line ?? 0;
        var body = new JsonObject
        {
            ["status"] = "Invalid YAML",
            ["errors"] = new JsonArray(new JsonObject
            {
                ["line"] = line,
                ["column"] = error.Column ?? 0,
                ["message"] = error.Detail + "\n" + Advice(error),
                ["context"] = new JsonObject
                {
                    ["policy_id"] = policyIdentifier,
                    ["offending_lines"] = error.Line is null ? new JsonArray() : new JsonArray(line),
                },
            }),
        };
        return body.ToJsonString(Json);
    }

    private static string Advice(PolicyError error) => error.Code == PolicyErrorCode.ValidationFailed
        ? "Check the policy text."
        : "Review the policy statement at the line and column shown, and the policy language reference.";

    /// <summary>
    /// Ids whose rows may differ: what the plan touches, plus the owners gaining or losing an ownership membership
    /// (a created, deleted or re-owned role). The caller filters them with a real comparison.
    /// </summary>
    private static IEnumerable<string> Candidates(PolicyPlan plan, PolicyState before, PolicyState after)
    {
        foreach (var id in plan.UpdatedIds)
        {
            yield return id;
        }

        foreach (var x in plan.Inserts.Resources.Where(x => after.RoleExists(x.ResourceId)))
        {
            yield return x.OwnerId;
        }

        foreach (var x in plan.Deletes.Resources.Where(x => before.RoleExists(x.ResourceId)))
        {
            yield return x.OwnerId;
        }

        foreach (var x in plan.Updates.Resources)
        {
            yield return x.Before.OwnerId;
            yield return x.After.OwnerId;
        }
    }

    private static int Rank(string id) => RoleKinds.Contains(FullId.KindOf(id)) ? 0 : ResourceKinds.Contains(FullId.KindOf(id)) ? 1 : -1;

    /// <summary><c>{"items":[…]}</c>, at most <see cref="MaxItems"/> of them, with <c>"total"</c> when cut.</summary>
    private static JsonObject Section(IEnumerable<string> ids, Rows state, Rows? previous, Func<string, bool> hidden)
    {
        var array = new JsonArray();
        var reported = ids.Where(id => Rank(id) >= 0)
            .OrderBy(Rank)
            .ThenBy(id => previous is not null && previous.Resources[id] != state.Resources[id] ? 1 : 0)
            .ThenBy(id => id, StringComparer.Ordinal)
            .ToList();
        foreach (var id in reported.Take(MaxItems))
        {
            array.Add(Item(id, state, previous, hidden));
        }

        var section = new JsonObject { ["items"] = array };
        if (reported.Count > MaxItems)
        {
            section["total"] = reported.Count;
        }

        return section;
    }

    private static JsonObject Item(string fullId, Rows state, Rows? previous, Func<string, bool> hidden)
    {
        var kind = FullId.KindOf(fullId);
        string? Show(string? id) => id is null ? null : hidden(id) ? Censor(id) : id;
        bool Shown(string id) => !hidden(id);

        var resource = state.Resources[fullId];
        var item = new JsonObject
        {
            ["identifier"] = fullId,
            ["id"] = FullId.IdentifierOf(fullId),
            ["type"] = kind,
            ["owner"] = Show(resource.OwnerId),
            ["policy"] = Show(resource.PolicyId),
        };
        if (RoleKinds.Contains(kind))
        {
            item["permissions"] = Privileges(Ordered(state.PermissionsOf(fullId).Where(p => Shown(p.ResourceId)), previous?.PermissionsOf(fullId), PermissionOrder), p => p.ResourceId);
            item["annotations"] = Annotations(Ordered(state.AnnotationsOf(fullId), previous?.AnnotationsOf(fullId), AnnotationOrder));
            item["members"] = Ids(Ordered(state.MembersOf(fullId).Where(m => Shown(m.MemberId)), previous?.MembersOf(fullId), EdgeOrder).Select(m => m.MemberId));
            item["memberships"] = Ids(Ordered(state.MembershipsOf(fullId).Where(m => Shown(m.RoleId)), previous?.MembershipsOf(fullId), EdgeOrder).Select(m => m.RoleId));
            item["restricted_to"] = Ids(state.RestrictionsOf(fullId));
        }
        else
        {
            item["permitted"] = Privileges(Ordered(state.PermittedOn(fullId).Where(p => Shown(p.RoleId)), previous?.PermittedOn(fullId), PermissionOrder), p => p.RoleId);
            item["annotations"] = Annotations(Ordered(state.AnnotationsOf(fullId), previous?.AnnotationsOf(fullId), AnnotationOrder));
        }

        return item;
    }

    /// <summary>PrimitiveFactory#censor_resource_id: the account and kind stay, the identifier goes.</summary>
    private static string Censor(string id)
    {
        return FullId.TryParse(id, out var parts) ? $"{parts.Account}:{parts.Kind}:{Redacted}" : Redacted;
    }

    /// <summary>
    /// The rows of an item in primary-key order; on the "after" side of an update, rows that were already there keep
    /// their place and new rows follow (Conjur: <c>(updated | created) - deleted</c> on ordered sets).
    /// </summary>
    private static List<T> Ordered<T>(IEnumerable<T> rows, IEnumerable<T>? previous, IComparer<T> order)
    {
        var sorted = rows.Order(order).ToList();
        if (previous is null)
        {
            return sorted;
        }

        var kept = previous.ToHashSet();
        return [.. sorted.Where(kept.Contains), .. sorted.Where(x => !kept.Contains(x))];
    }

    private static JsonObject Privileges(IEnumerable<PermissionRow> rows, Func<PermissionRow, string> target)
    {
        var result = new JsonObject();
        foreach (var row in rows)
        {
            if (result[row.Privilege] is not JsonArray list)
            {
                list = [];
                result[row.Privilege] = list;
            }

            if (list.Count < MaxItems)
            {
                list.Add(target(row));
            }
        }

        return result;
    }

    private static JsonObject Annotations(IEnumerable<AnnotationRow> rows)
    {
        var result = new JsonObject();
        foreach (var a in rows.Take(MaxItems))
        {
            result[a.Name] = a.Value;
        }

        return result;
    }

    private static JsonArray Ids(IEnumerable<string> ids) => new(ids.Take(MaxItems).Select(id => (JsonNode)id).ToArray());

    // Primary keys of Conjur's tables, in the order its diff queries sort them (resource_id, role_id, member_id first).
    private static readonly Comparer<PermissionRow> PermissionOrder = Comparer<PermissionRow>.Create((a, b) =>
        Chain(string.CompareOrdinal(a.ResourceId, b.ResourceId), string.CompareOrdinal(a.RoleId, b.RoleId), string.CompareOrdinal(a.Privilege, b.Privilege)));

    private static readonly Comparer<AnnotationRow> AnnotationOrder = Comparer<AnnotationRow>.Create((a, b) =>
        Chain(string.CompareOrdinal(a.ResourceId, b.ResourceId), string.CompareOrdinal(a.Name, b.Name)));

    private static readonly Comparer<Edge> EdgeOrder = Comparer<Edge>.Create((a, b) =>
        Chain(string.CompareOrdinal(a.RoleId, b.RoleId), string.CompareOrdinal(a.MemberId, b.MemberId), a.Ownership.CompareTo(b.Ownership)));

    private static int Chain(params int[] comparisons) => comparisons.FirstOrDefault(c => c != 0);

    /// <summary>A row of Conjur's role_memberships: explicit, or the ownership membership derived from a resource.</summary>
    private sealed record Edge(string RoleId, string MemberId, bool AdminOption, bool Ownership, string? PolicyId);

    /// <summary>One side of the diff, indexed by id.</summary>
    private sealed class Rows
    {
        private readonly ILookup<string, Edge> _members;
        private readonly ILookup<string, Edge> _memberships;
        private readonly ILookup<string, PermissionRow> _byRole;
        private readonly ILookup<string, PermissionRow> _byResource;
        private readonly ILookup<string, AnnotationRow> _annotations;
        private readonly Dictionary<string, IReadOnlyList<string>> _restrictions;

        public Rows(PolicyState state)
        {
            Resources = state.Resources.ToDictionary(x => x.ResourceId, StringComparer.Ordinal);

            // Conjur's triggers make an owner a member (admin option, ownership) of the role it owns.
            var edges = state.Memberships.Select(m => new Edge(m.RoleId, m.MemberId, m.AdminOption, false, m.PolicyId))
                .Concat(state.Resources.Where(x => state.RoleExists(x.ResourceId)).Select(x => new Edge(x.ResourceId, x.OwnerId, true, true, x.PolicyId)))
                .ToList();
            _members = edges.ToLookup(e => e.RoleId, StringComparer.Ordinal);
            _memberships = edges.ToLookup(e => e.MemberId, StringComparer.Ordinal);
            _byRole = state.Permissions.ToLookup(p => p.RoleId, StringComparer.Ordinal);
            _byResource = state.Permissions.ToLookup(p => p.ResourceId, StringComparer.Ordinal);
            _annotations = state.Annotations.ToLookup(a => a.ResourceId, StringComparer.Ordinal);
            _restrictions = state.CredentialRestrictions.ToDictionary(c => c.RoleId, c => c.RestrictedTo, StringComparer.Ordinal);
        }

        public Dictionary<string, ResourceRow> Resources { get; }

        public IEnumerable<Edge> MembersOf(string id) => _members[id];

        public IEnumerable<Edge> MembershipsOf(string id) => _memberships[id];

        public IEnumerable<PermissionRow> PermissionsOf(string roleId) => _byRole[roleId];

        public IEnumerable<PermissionRow> PermittedOn(string resourceId) => _byResource[resourceId];

        public IEnumerable<AnnotationRow> AnnotationsOf(string resourceId) => _annotations[resourceId];

        public IReadOnlyList<string> RestrictionsOf(string roleId) => _restrictions.TryGetValue(roleId, out var r) ? r : [];

        /// <summary>Whether every row naming <paramref name="id"/> is the same on both sides (Conjur's EXCEPT diff).</summary>
        public bool Same(Rows other, string id) =>
            Resources[id] == other.Resources[id]
            && SameSet(MembersOf(id), other.MembersOf(id))
            && SameSet(MembershipsOf(id), other.MembershipsOf(id))
            && SameSet(PermissionsOf(id), other.PermissionsOf(id))
            && SameSet(PermittedOn(id), other.PermittedOn(id))
            && SameSet(AnnotationsOf(id), other.AnnotationsOf(id))
            && RestrictionsOf(id).SequenceEqual(other.RestrictionsOf(id), StringComparer.Ordinal);

        private static bool SameSet<T>(IEnumerable<T> a, IEnumerable<T> b) => a.ToHashSet().SetEquals(b);
    }
}
