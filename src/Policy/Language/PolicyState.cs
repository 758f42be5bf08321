using Secrets.Policy.Store;

namespace Secrets.Policy.Language;

/// <summary>
/// The account's current rows, as the Server reads them from the database before a load: an in-memory index
/// keyed by primary key, so that existence checks and diffs are O(1) per row (tens of thousands of rows build in
/// milliseconds). Immutable once built.
/// </summary>
public sealed class PolicyState
{
    private readonly Lazy<Dictionary<string, List<string>>> _resourcesByOwner;

    private PolicyState(
        Dictionary<string, RoleRow> roles,
        Dictionary<string, ResourceRow> resources,
        Dictionary<(string RoleId, string MemberId), MembershipRow> memberships,
        Dictionary<(string ResourceId, string Privilege, string RoleId), PermissionRow> permissions,
        Dictionary<(string ResourceId, string Name), AnnotationRow> annotations,
        Dictionary<string, CredentialRestrictionRow> restrictions)
    {
        RoleIndex = roles;
        ResourceIndex = resources;
        MembershipIndex = memberships;
        PermissionIndex = permissions;
        AnnotationIndex = annotations;
        RestrictionIndex = restrictions;
        _resourcesByOwner = new(BuildOwnerIndex);
    }

    /// <summary>A state with no rows.</summary>
    public static PolicyState Empty { get; } = Create();

    internal Dictionary<string, RoleRow> RoleIndex { get; }

    internal Dictionary<string, ResourceRow> ResourceIndex { get; }

    internal Dictionary<(string RoleId, string MemberId), MembershipRow> MembershipIndex { get; }

    internal Dictionary<(string ResourceId, string Privilege, string RoleId), PermissionRow> PermissionIndex { get; }

    internal Dictionary<(string ResourceId, string Name), AnnotationRow> AnnotationIndex { get; }

    internal Dictionary<string, CredentialRestrictionRow> RestrictionIndex { get; }

    /// <summary>All role rows.</summary>
    public IReadOnlyCollection<RoleRow> Roles => RoleIndex.Values;

    /// <summary>All resource rows.</summary>
    public IReadOnlyCollection<ResourceRow> Resources => ResourceIndex.Values;

    /// <summary>All explicit membership rows (ownership memberships are derived, not stored).</summary>
    public IReadOnlyCollection<MembershipRow> Memberships => MembershipIndex.Values;

    /// <summary>All permission rows.</summary>
    public IReadOnlyCollection<PermissionRow> Permissions => PermissionIndex.Values;

    /// <summary>All annotation rows.</summary>
    public IReadOnlyCollection<AnnotationRow> Annotations => AnnotationIndex.Values;

    /// <summary>All credential restriction rows.</summary>
    public IReadOnlyCollection<CredentialRestrictionRow> CredentialRestrictions => RestrictionIndex.Values;

    /// <summary>
    /// Builds a state from rows. Rows with the same primary key replace earlier ones (the key of a membership
    /// is role+member, of a permission resource+privilege+role, of an annotation resource+name).
    /// </summary>
    /// <returns>The indexed state.</returns>
    public static PolicyState Create(
        IEnumerable<RoleRow>? roles = null,
        IEnumerable<ResourceRow>? resources = null,
        IEnumerable<MembershipRow>? memberships = null,
        IEnumerable<PermissionRow>? permissions = null,
        IEnumerable<AnnotationRow>? annotations = null,
        IEnumerable<CredentialRestrictionRow>? credentialRestrictions = null)
    {
        var state = new PolicyState(
            new(StringComparer.Ordinal),
            new(StringComparer.Ordinal),
            [],
            [],
            [],
            new(StringComparer.Ordinal));
        state.Add(new PolicyRows(
            [.. roles ?? []],
            [.. resources ?? []],
            [.. memberships ?? []],
            [.. permissions ?? []],
            [.. annotations ?? []],
            [.. credentialRestrictions ?? []]));
        return state;
    }

    /// <summary>True when a role with this full id exists.</summary>
    public bool RoleExists(string roleId) => RoleIndex.ContainsKey(roleId);

    /// <summary>True when a resource with this full id exists.</summary>
    public bool ResourceExists(string resourceId) => ResourceIndex.ContainsKey(resourceId);

    /// <summary>The resource row with this full id, or null.</summary>
    public ResourceRow? FindResource(string resourceId) => ResourceIndex.GetValueOrDefault(resourceId);

    /// <summary>True when a role or a resource with this full id exists anywhere in the account.</summary>
    public bool Exists(string id) => RoleIndex.ContainsKey(id) || ResourceIndex.ContainsKey(id);

    /// <summary>
    /// The state after <paramref name="plan"/>: deletes, then updates, then inserts, the order the Server applies
    /// them in. Used for dry-run "after" views and tests.
    /// </summary>
    /// <returns>A new state; this one is unchanged.</returns>
    public PolicyState Apply(PolicyPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var next = new PolicyState(
            new(RoleIndex, StringComparer.Ordinal),
            new(ResourceIndex, StringComparer.Ordinal),
            new(MembershipIndex),
            new(PermissionIndex),
            new(AnnotationIndex),
            new(RestrictionIndex, StringComparer.Ordinal));

        foreach (var row in plan.Deletes.Roles)
        {
            next.RoleIndex.Remove(row.RoleId);
        }

        foreach (var row in plan.Deletes.Resources)
        {
            next.ResourceIndex.Remove(row.ResourceId);
        }

        foreach (var row in plan.Deletes.Memberships)
        {
            next.MembershipIndex.Remove((row.RoleId, row.MemberId));
        }

        foreach (var row in plan.Deletes.Permissions)
        {
            next.PermissionIndex.Remove((row.ResourceId, row.Privilege, row.RoleId));
        }

        foreach (var row in plan.Deletes.Annotations)
        {
            next.AnnotationIndex.Remove((row.ResourceId, row.Name));
        }

        foreach (var row in plan.Deletes.CredentialRestrictions)
        {
            next.RestrictionIndex.Remove(row.RoleId);
        }

        foreach (var update in plan.Updates.Resources)
        {
            next.ResourceIndex[update.After.ResourceId] = update.After;
        }

        foreach (var update in plan.Updates.Memberships)
        {
            next.MembershipIndex[(update.After.RoleId, update.After.MemberId)] = update.After;
        }

        foreach (var update in plan.Updates.Annotations)
        {
            next.AnnotationIndex[(update.After.ResourceId, update.After.Name)] = update.After;
        }

        foreach (var update in plan.Updates.CredentialRestrictions)
        {
            // No networks is no restriction: stored as an empty restricted_to, which reads back as no row.
            if (update.After.RestrictedTo.Count == 0)
            {
                next.RestrictionIndex.Remove(update.After.RoleId);
            }
            else
            {
                next.RestrictionIndex[update.After.RoleId] = update.After;
            }
        }

        next.Add(plan.Inserts);
        return next;
    }

    private void Add(PolicyRows rows)
    {
        foreach (var row in rows.Roles)
        {
            RoleIndex[row.RoleId] = row;
        }

        foreach (var row in rows.Resources)
        {
            ResourceIndex[row.ResourceId] = row;
        }

        foreach (var row in rows.Memberships)
        {
            MembershipIndex[(row.RoleId, row.MemberId)] = row;
        }

        foreach (var row in rows.Permissions)
        {
            PermissionIndex[(row.ResourceId, row.Privilege, row.RoleId)] = row;
        }

        foreach (var row in rows.Annotations)
        {
            AnnotationIndex[(row.ResourceId, row.Name)] = row;
        }

        foreach (var row in rows.CredentialRestrictions)
        {
            RestrictionIndex[row.RoleId] = row;
        }
    }

    /// <summary>Resources owned by a role; the index is built on first use (only cascading deletes need it).</summary>
    internal IReadOnlyList<string> ResourcesOwnedBy(string roleId) =>
        _resourcesByOwner.Value.TryGetValue(roleId, out var owned) ? owned : [];

    private Dictionary<string, List<string>> BuildOwnerIndex()
    {
        var index = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var resource in ResourceIndex.Values)
        {
            if (!index.TryGetValue(resource.OwnerId, out var owned))
            {
                index[resource.OwnerId] = owned = [];
            }

            owned.Add(resource.ResourceId);
        }

        return index;
    }
}
