using Secrets.Policy.Store;

namespace Secrets.Policy.Authorization;

public sealed partial class AuthorizationSnapshot
{
    /// <summary>
    /// Compiles the role graph once so that every later question is answered from arrays (spec 5; Vault's
    /// "compile once, evaluate many").
    /// </summary>
    /// <param name="roles">Every role (<c>roles</c> table).</param>
    /// <param name="resources">Every resource with its owner (<c>resources</c> table).</param>
    /// <param name="memberships">
    /// The explicit memberships (<c>role_memberships</c> without ownership rows). The ownership memberships are
    /// derived here: wherever a resource id is also a role id, the owner holds that role with
    /// <c>admin_option</c> and <c>ownership</c> (spec 4.5).
    /// </param>
    /// <param name="permissions">Every permission (<c>permissions</c> table).</param>
    /// <param name="version">An opaque version of the stored state this snapshot reflects, for cache invalidation.</param>
    /// <returns>An immutable snapshot, safe to share between threads.</returns>
    /// <remarks>
    /// Rows that reference an unknown role or resource (a membership of or for an unknown role, a permission on
    /// an unknown resource or for an unknown role, a resource whose owner is not a role) are ignored, as the
    /// database's cascading foreign keys would have removed them. Duplicate memberships (same role, member) and
    /// permissions (same resource, privilege, role) count once; the first row wins.
    /// </remarks>
    /// <exception cref="ArgumentException">Two resource rows have the same id.</exception>
    public static AuthorizationSnapshot Build(
        IEnumerable<RoleRow> roles,
        IEnumerable<ResourceRow> resources,
        IEnumerable<MembershipRow> memberships,
        IEnumerable<PermissionRow> permissions,
        long version)
    {
        ArgumentNullException.ThrowIfNull(roles);
        ArgumentNullException.ThrowIfNull(resources);
        ArgumentNullException.ThrowIfNull(memberships);
        ArgumentNullException.ThrowIfNull(permissions);
        return new AuthorizationSnapshot(roles, resources, memberships, permissions, version);
    }

    private AuthorizationSnapshot(
        IEnumerable<RoleRow> roles,
        IEnumerable<ResourceRow> resources,
        IEnumerable<MembershipRow> memberships,
        IEnumerable<PermissionRow> permissions,
        long version)
    {
        Version = version;

        // Roles and resources are numbered in ordinal id order, so any ascending run of numbers is also an
        // ascending run of ids: sorted answers come for free.
        var distinctRoles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in roles)
        {
            distinctRoles.Add(row.RoleId);
        }

        _roleIds = new string[distinctRoles.Count];
        distinctRoles.CopyTo(_roleIds);
        Array.Sort(_roleIds, StringComparer.Ordinal);
        _roleIndex = CreateIndex(_roleIds);
        var roleCount = _roleIds.Length;

        var resourceRows = new List<ResourceRow>();
        foreach (var row in resources)
        {
            if (_roleIndex.ContainsKey(row.OwnerId))
            {
                resourceRows.Add(row);
            }
        }

        resourceRows.Sort(static (a, b) => string.CompareOrdinal(a.ResourceId, b.ResourceId));
        var resourceCount = resourceRows.Count;
        _resourceIds = new string[resourceCount];
        _owner = new int[resourceCount];
        var resourcePolicy = new string?[resourceCount];
        for (var i = 0; i < resourceCount; i++)
        {
            var row = resourceRows[i];
            if (i > 0 && string.Equals(row.ResourceId, _resourceIds[i - 1], StringComparison.Ordinal))
            {
                throw new ArgumentException($"Resource '{row.ResourceId}' appears more than once.", nameof(resources));
            }

            _resourceIds[i] = row.ResourceId;
            _owner[i] = _roleIndex[row.OwnerId];
            resourcePolicy[i] = row.PolicyId;
        }

        _resourceIndex = CreateIndex(_resourceIds);
        _ownedBy = Adjacency.Create(roleCount, _owner, Sequence(resourceCount));

        _roleResource = new int[roleCount];
        for (var r = 0; r < roleCount; r++)
        {
            _roleResource[r] = _resourceIndex.TryGetValue(_roleIds[r], out var x) ? x : -1;
        }

        (_privileges, _permissionRoles, _permissionPrivileges, _anyPermissionRoles, _permittedOn) =
            CompilePermissions(permissions, roleCount, resourceCount);
        (_grants, _membersOf, _membershipsOf, _children, _parents) = CompileGrants(memberships, resourcePolicy);
        (_branchOrder, _accountLength, _identifierStart) = CompileBranchIndex(_resourceIds);
        _held = new RoleSet?[roleCount];
    }

    private (Dictionary<string, int> Privileges, Adjacency Roles, Adjacency Privilege, Adjacency AnyRoles, Adjacency PermittedOn)
        CompilePermissions(IEnumerable<PermissionRow> permissions, int roleCount, int resourceCount)
    {
        var privileges = new Dictionary<string, int>(StringComparer.Ordinal);
        var entries = new List<(int Resource, int Privilege, int Role)>();
        foreach (var row in permissions)
        {
            if (!_resourceIndex.TryGetValue(row.ResourceId, out var resource) ||
                !_roleIndex.TryGetValue(row.RoleId, out var role))
            {
                continue;
            }

            if (!privileges.TryGetValue(row.Privilege, out var privilege))
            {
                privilege = privileges.Count;
                privileges.Add(row.Privilege, privilege);
            }

            entries.Add((resource, privilege, role));
        }

        // (resource, privilege, role) ascending, duplicates dropped: per resource, the holders of one privilege
        // form an ascending run that can be binary-searched.
        entries.Sort();
        var count = Deduplicate(entries);
        var resources = new int[count];
        var privilegeOf = new int[count];
        var roles = new int[count];
        for (var i = 0; i < count; i++)
        {
            (resources[i], privilegeOf[i], roles[i]) = entries[i];
        }

        // The distinct roles with any permission on each resource (visibility), ascending.
        var pairs = new List<(int Resource, int Role)>(count);
        for (var i = 0; i < count; i++)
        {
            pairs.Add((resources[i], roles[i]));
        }

        pairs.Sort();
        var pairCount = Deduplicate(pairs);
        var pairResources = new int[pairCount];
        var pairRoles = new int[pairCount];
        for (var i = 0; i < pairCount; i++)
        {
            (pairResources[i], pairRoles[i]) = pairs[i];
        }

        return (
            privileges,
            Adjacency.Create(resourceCount, resources, roles),
            Adjacency.Create(resourceCount, resources, privilegeOf),
            Adjacency.Create(resourceCount, pairResources, pairRoles),
            Adjacency.Create(roleCount, pairRoles, pairResources));
    }

    private (RoleGrant[] Grants, Adjacency MembersOf, Adjacency MembershipsOf, Adjacency Children, Adjacency Parents)
        CompileGrants(IEnumerable<MembershipRow> memberships, string?[] resourcePolicy)
    {
        var roleCount = _roleIds.Length;
        var entries = new List<GrantEntry>();
        foreach (var row in memberships)
        {
            if (_roleIndex.TryGetValue(row.RoleId, out var role) && _roleIndex.TryGetValue(row.MemberId, out var member))
            {
                entries.Add(new GrantEntry(role, member, Ownership: false, entries.Count, row.AdminOption, row.PolicyId));
            }
        }

        // Spec 4.5: owning a resource that is also a role makes the owner a member of it, with admin option.
        for (var x = 0; x < _resourceIds.Length; x++)
        {
            if (_roleIndex.TryGetValue(_resourceIds[x], out var owned))
            {
                entries.Add(new GrantEntry(owned, _owner[x], Ownership: true, entries.Count, AdminOption: true, resourcePolicy[x]));
            }
        }

        // (role, member, ownership, input order): like the role_memberships primary key, an explicit and an
        // ownership grant of the same pair are two rows; a repeated explicit row counts once (the first wins).
        entries.Sort(static (a, b) => a.CompareTo(b));
        var grants = new List<RoleGrant>(entries.Count);
        var grantRoles = new List<int>(entries.Count);
        var grantMembers = new List<int>(entries.Count);
        var edgeRoles = new List<int>(entries.Count);
        var edgeMembers = new List<int>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (i > 0 && entries[i - 1].SameKey(entry))
            {
                continue;
            }

            grants.Add(new RoleGrant(_roleIds[entry.Role], _roleIds[entry.Member], entry.AdminOption, entry.Ownership, entry.PolicyId));
            grantRoles.Add(entry.Role);
            grantMembers.Add(entry.Member);
            if (edgeRoles.Count == 0 || edgeRoles[^1] != entry.Role || edgeMembers[^1] != entry.Member)
            {
                edgeRoles.Add(entry.Role);
                edgeMembers.Add(entry.Member);
            }
        }

        var grantNumbers = Sequence(grants.Count);

        // Counting sorts are stable, so grouping the (role, member)-ordered grants by member orders each member's
        // grants by role: both listings come out sorted by "the other id", as spec 2.7 lists them.
        return (
            [.. grants],
            Adjacency.Create(roleCount, grantRoles.ToArray(), grantNumbers),
            Adjacency.Create(roleCount, grantMembers.ToArray(), grantNumbers),
            Adjacency.Create(roleCount, edgeRoles.ToArray(), edgeMembers.ToArray()),
            Adjacency.Create(roleCount, edgeMembers.ToArray(), edgeRoles.ToArray()));
    }

    private static (int[] Order, int[] AccountLength, int[] IdentifierStart) CompileBranchIndex(string[] resourceIds)
    {
        var accountLength = new int[resourceIds.Length];
        var identifierStart = new int[resourceIds.Length];
        var wellFormed = new List<int>(resourceIds.Length);
        for (var x = 0; x < resourceIds.Length; x++)
        {
            if (TrySplitFullId(resourceIds[x], out accountLength[x], out identifierStart[x]))
            {
                wellFormed.Add(x);
            }
        }

        // Ordered by (account, identifier) regardless of kind, so "every resource of the account whose identifier
        // starts with P/" is one contiguous run.
        var order = wellFormed.ToArray();
        Array.Sort(order, (a, b) =>
        {
            var byAccount = resourceIds[a].AsSpan(0, accountLength[a]).SequenceCompareTo(resourceIds[b].AsSpan(0, accountLength[b]));
            return byAccount != 0
                ? byAccount
                : resourceIds[a].AsSpan(identifierStart[a]).SequenceCompareTo(resourceIds[b].AsSpan(identifierStart[b]));
        });
        return (order, accountLength, identifierStart);
    }

    /// <summary>Splits <c>account:kind:identifier</c> on its first two colons.</summary>
    private static bool TrySplitFullId(string id, out int accountLength, out int identifierStart)
    {
        accountLength = id.IndexOf(':', StringComparison.Ordinal);
        var kindEnd = accountLength < 0 ? -1 : id.IndexOf(':', accountLength + 1);
        identifierStart = kindEnd + 1;
        return kindEnd > 0;
    }

    /// <summary>
    /// Id → number. A plain dictionary: never written after construction, so concurrent reads are safe, and it
    /// builds many times faster than a FrozenDictionary for no measurable lookup gain on these keys.
    /// </summary>
    private static Dictionary<string, int> CreateIndex(string[] ids)
    {
        var index = new Dictionary<string, int>(ids.Length, StringComparer.Ordinal);
        for (var i = 0; i < ids.Length; i++)
        {
            index.Add(ids[i], i);
        }

        return index;
    }

    private static int[] Sequence(int count)
    {
        var numbers = new int[count];
        for (var i = 0; i < count; i++)
        {
            numbers[i] = i;
        }

        return numbers;
    }

    /// <summary>Removes adjacent duplicates from a sorted list in place; returns the new length.</summary>
    private static int Deduplicate<T>(List<T> sorted)
        where T : IEquatable<T>
    {
        var kept = 0;
        for (var i = 0; i < sorted.Count; i++)
        {
            if (kept == 0 || !sorted[kept - 1].Equals(sorted[i]))
            {
                sorted[kept++] = sorted[i];
            }
        }

        sorted.RemoveRange(kept, sorted.Count - kept);
        return kept;
    }

    private readonly record struct GrantEntry(int Role, int Member, bool Ownership, int Order, bool AdminOption, string? PolicyId)
    {
        public bool SameKey(GrantEntry other) => Role == other.Role && Member == other.Member && Ownership == other.Ownership;

        public int CompareTo(GrantEntry other)
        {
            var c = Role.CompareTo(other.Role);
            if (c == 0)
            {
                c = Member.CompareTo(other.Member);
            }

            if (c == 0)
            {
                c = Ownership.CompareTo(other.Ownership);
            }

            return c != 0 ? c : Order.CompareTo(other.Order);
        }
    }
}
