using System.Numerics;

namespace Secrets.Policy.Authorization;

/// <summary>
/// An immutable, compiled view of the role graph (roles, resources and their owners, memberships, permissions)
/// that answers the authorization questions of spec 5 and the role/resource listings of spec 2.6 and 2.7, with the
/// semantics of Conjur's SQL helpers (<c>all_roles</c>, <c>is_role_allowed_to</c>, <c>is_resource_visible</c>,
/// <c>roles_that_can</c>, <c>role_graph</c>, <c>policy_permissions</c>).
/// </summary>
/// <remarks>
/// <para>
/// Default deny: an unknown role holds nothing and is allowed nothing; an unknown resource is visible to nobody.
/// There is no superuser and no privilege hierarchy: <c>update</c> does not imply <c>read</c> or
/// <c>execute</c>. Owning a resource grants every privilege on it, including custom ones.
/// </para>
/// <para>
/// Ids are full ids (<c>account:kind:identifier</c>) compared ordinally; every listing is sorted ordinally.
/// Build once per stored version with <see cref="Build"/>, share freely: all members are thread-safe. The set of
/// roles each role holds is computed on first use and cached for the lifetime of the snapshot.
/// </para>
/// </remarks>
public sealed partial class AuthorizationSnapshot
{
    private readonly string[] _roleIds;
    private readonly Dictionary<string, int> _roleIndex;
    private readonly int[] _roleResource;
    private readonly Adjacency _parents;
    private readonly Adjacency _children;
    private readonly RoleGrant[] _grants;
    private readonly Adjacency _membersOf;
    private readonly Adjacency _membershipsOf;
    private readonly RoleSet?[] _held;

    private readonly string[] _resourceIds;
    private readonly Dictionary<string, int> _resourceIndex;
    private readonly int[] _owner;
    private readonly Adjacency _ownedBy;
    private readonly Dictionary<string, int> _privileges;
    private readonly Adjacency _permissionRoles;
    private readonly Adjacency _permissionPrivileges;
    private readonly Adjacency _anyPermissionRoles;
    private readonly Adjacency _permittedOn;

    private readonly int[] _branchOrder;
    private readonly int[] _accountLength;
    private readonly int[] _identifierStart;

    /// <summary>A snapshot with no roles and no resources (version 0): everything is denied.</summary>
    public static AuthorizationSnapshot Empty { get; } = Build([], [], [], [], 0);

    /// <summary>The version given to <see cref="Build"/>.</summary>
    public long Version { get; }

    /// <summary>The number of roles.</summary>
    public int RoleCount => _roleIds.Length;

    /// <summary>The number of resources (whose owner is a known role).</summary>
    public int ResourceCount => _resourceIds.Length;

    /// <summary>Whether <paramref name="roleId"/> is a role.</summary>
    public bool RoleExists(string roleId)
    {
        ArgumentNullException.ThrowIfNull(roleId);
        return _roleIndex.ContainsKey(roleId);
    }

    /// <summary>Whether <paramref name="resourceId"/> is a resource. Existence says nothing about visibility.</summary>
    public bool ResourceExists(string resourceId)
    {
        ArgumentNullException.ThrowIfNull(resourceId);
        return _resourceIndex.ContainsKey(resourceId);
    }

    /// <summary>The owner of <paramref name="resourceId"/>, or <see langword="null"/> if there is no such resource.</summary>
    public string? OwnerOf(string resourceId)
    {
        ArgumentNullException.ThrowIfNull(resourceId);
        return _resourceIndex.TryGetValue(resourceId, out var x) ? _roleIds[_owner[x]] : null;
    }

    /// <summary>
    /// Every role <paramref name="roleId"/> holds transitively, including itself, through explicit and ownership
    /// memberships (<c>all_roles</c>; <c>GET /roles/…?all</c>), sorted. Empty for an unknown role.
    /// </summary>
    /// <remarks>Cached per role: repeated calls return the same read-only list.</remarks>
    public IReadOnlyList<string> AllRoles(string roleId)
    {
        ArgumentNullException.ThrowIfNull(roleId);
        return _roleIndex.TryGetValue(roleId, out var r) ? HeldBy(r).Names(_roleIds) : [];
    }

    /// <summary>
    /// Whether <paramref name="roleId"/> holds <paramref name="otherRoleId"/> (transitively; a role holds itself)
    /// — Conjur's <c>is_role_ancestor_of</c>, used for <c>role</c>/<c>acting_as</c> parameters. False if either is unknown.
    /// </summary>
    public bool Holds(string roleId, string otherRoleId)
    {
        ArgumentNullException.ThrowIfNull(roleId);
        ArgumentNullException.ThrowIfNull(otherRoleId);
        return _roleIndex.TryGetValue(roleId, out var r)
            && _roleIndex.TryGetValue(otherRoleId, out var other)
            && HeldBy(r).Contains(other);
    }

    /// <summary>
    /// Spec 5.2 <c>allowed(R, p, X)</c>: some role held by <paramref name="roleId"/> owns
    /// <paramref name="resourceId"/> or has a permission (<paramref name="resourceId"/>, <paramref name="privilege"/>).
    /// False for an unknown role or resource.
    /// </summary>
    public bool IsAllowed(string roleId, string privilege, string resourceId)
    {
        ArgumentNullException.ThrowIfNull(roleId);
        ArgumentNullException.ThrowIfNull(privilege);
        ArgumentNullException.ThrowIfNull(resourceId);
        return _resourceIndex.TryGetValue(resourceId, out var x)
            && _roleIndex.TryGetValue(roleId, out var r)
            && Allowed(HeldBy(r), PrivilegeNumber(privilege), x);
    }

    /// <summary>
    /// Spec 5.2 visibility (<c>is_resource_visible</c>): <paramref name="roleId"/> holds the owner of
    /// <paramref name="resourceId"/> or a role with any permission on it. An invisible resource must be reported as
    /// absent (404); a visible one without the needed privilege as forbidden (403). False for unknown ids.
    /// </summary>
    public bool IsVisible(string resourceId, string roleId)
    {
        ArgumentNullException.ThrowIfNull(resourceId);
        ArgumentNullException.ThrowIfNull(roleId);
        return _resourceIndex.TryGetValue(resourceId, out var x)
            && _roleIndex.TryGetValue(roleId, out var r)
            && Visible(HeldBy(r), x);
    }

    /// <summary>
    /// The resources among <paramref name="resourceIds"/> that are visible to <paramref name="roleId"/>, in the
    /// given order (unknown and invisible ids are dropped). The role's held set is looked up once.
    /// </summary>
    public IReadOnlyList<string> FilterVisible(string roleId, IEnumerable<string> resourceIds)
    {
        ArgumentNullException.ThrowIfNull(roleId);
        ArgumentNullException.ThrowIfNull(resourceIds);
        var visible = new List<string>();
        if (!_roleIndex.TryGetValue(roleId, out var r))
        {
            return visible;
        }

        var held = HeldBy(r);
        foreach (var resourceId in resourceIds)
        {
            if (_resourceIndex.TryGetValue(resourceId, out var x) && Visible(held, x))
            {
                visible.Add(resourceId);
            }
        }

        return visible;
    }

    /// <summary>
    /// Every resource visible to <paramref name="roleId"/> (<c>visible_resources</c>), sorted by id; with
    /// <paramref name="idPrefix"/> only ids starting with it (e.g. <c>"acct:"</c> or <c>"acct:variable:"</c>
    /// for <c>GET /resources/{account}/{kind}</c>). Empty for an unknown role.
    /// </summary>
    public IReadOnlyList<string> VisibleResources(string roleId, string? idPrefix = null)
    {
        ArgumentNullException.ThrowIfNull(roleId);
        var visible = new List<string>();
        if (!_roleIndex.TryGetValue(roleId, out var r))
        {
            return visible;
        }

        var held = HeldBy(r);
        var (from, to) = idPrefix is null ? (0, _resourceIds.Length) : PrefixRange(_resourceIds, idPrefix);
        if (to - from <= held.Count)
        {
            for (var x = from; x < to; x++)
            {
                if (Visible(held, x))
                {
                    visible.Add(_resourceIds[x]);
                }
            }

            return visible;
        }

        // Many candidates: mark what the held roles own or are permitted on, then read the marks in id order.
        var marks = new ulong[(_resourceIds.Length + 63) >> 6];
        foreach (var role in held.Members)
        {
            foreach (var x in _ownedBy[role])
            {
                marks[x >> 6] |= 1UL << x;
            }

            foreach (var x in _permittedOn[role])
            {
                marks[x >> 6] |= 1UL << x;
            }
        }

        for (var x = from; x < to; x++)
        {
            if ((marks[x >> 6] & (1UL << x)) != 0)
            {
                visible.Add(_resourceIds[x]);
            }
        }

        return visible;
    }

    /// <summary>
    /// Every resource whose id starts with <paramref name="idPrefix"/> (ordinal), sorted, whoever may see it: for the
    /// server's own reads (an authenticator's configuration variables), never for an answer to a caller.
    /// </summary>
    public IReadOnlyList<string> ResourcesWithPrefix(string idPrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(idPrefix);
        var (from, to) = PrefixRange(_resourceIds, idPrefix);
        return _resourceIds[from..to];
    }

    /// <summary>
    /// The roles that have <paramref name="privilege"/> on <paramref name="resourceId"/> (<c>roles_that_can</c>;
    /// <c>?permitted_roles</c>): the explicit permission holders, the owner, and recursively every member of
    /// those roles, sorted. Empty for an unknown resource.
    /// </summary>
    public IReadOnlyList<string> PermittedRoles(string privilege, string resourceId)
    {
        ArgumentNullException.ThrowIfNull(privilege);
        ArgumentNullException.ThrowIfNull(resourceId);
        if (!_resourceIndex.TryGetValue(resourceId, out var x))
        {
            return [];
        }

        var marks = new ulong[(_roleIds.Length + 63) >> 6];
        var pending = new Stack<int>();
        Mark(marks, pending, _owner[x]);
        foreach (var role in Holders(x, PrivilegeNumber(privilege)))
        {
            Mark(marks, pending, role);
        }

        var count = Spread(marks, pending, _children, pending.Count);
        return Names(marks, count);
    }

    /// <summary>
    /// The direct members of <paramref name="roleId"/> (<c>?members</c>): grants whose role is this role, including
    /// the ownership grant of the owner of the same-id resource, sorted by member id (an explicit grant before an
    /// ownership grant of the same member). Empty for an unknown role.
    /// </summary>
    public IReadOnlyList<RoleGrant> Members(string roleId)
    {
        ArgumentNullException.ThrowIfNull(roleId);
        return _roleIndex.TryGetValue(roleId, out var r) ? GrantsAt(_membersOf[r]) : [];
    }

    /// <summary>
    /// The direct memberships of <paramref name="roleId"/> (<c>?memberships</c>): grants whose member is this role,
    /// including ownership grants of the roles it owns, sorted by role id. Empty for an unknown role.
    /// </summary>
    public IReadOnlyList<RoleGrant> Memberships(string roleId)
    {
        ArgumentNullException.ThrowIfNull(roleId);
        return _roleIndex.TryGetValue(roleId, out var r) ? GrantsAt(_membershipsOf[r]) : [];
    }

    /// <summary>
    /// The role graph around <paramref name="roleId"/> (<c>role_graph</c>; <c>?graph</c>): every direct membership
    /// edge among the roles it holds (its ancestors, up to the top) and among the roles that hold it (its
    /// descendants, down to the bottom), each (parent, child) pair once, sorted by parent then child. Ownership
    /// memberships are edges. Empty for an unknown role.
    /// </summary>
    /// <remarks>Spec 2.7 then shows only edges whose parent is visible to the caller: see the other overload.</remarks>
    public IReadOnlyList<RoleEdge> Graph(string roleId)
    {
        ArgumentNullException.ThrowIfNull(roleId);
        return _roleIndex.TryGetValue(roleId, out var r) ? GraphOf(r, null) : [];
    }

    /// <summary>
    /// <see cref="Graph(string)"/> restricted to the edges whose parent role's same-id resource is visible to
    /// <paramref name="visibleToRoleId"/>, as <c>GET /roles/…?graph</c> answers a caller.
    /// </summary>
    public IReadOnlyList<RoleEdge> Graph(string roleId, string visibleToRoleId)
    {
        ArgumentNullException.ThrowIfNull(roleId);
        ArgumentNullException.ThrowIfNull(visibleToRoleId);
        return _roleIndex.TryGetValue(roleId, out var r) && _roleIndex.TryGetValue(visibleToRoleId, out var viewer)
            ? GraphOf(r, HeldBy(viewer))
            : [];
    }

    /// <summary>
    /// Conjur's <c>policy_permissions</c>, needed to replace a policy (PUT, spec 2.5): <paramref name="roleId"/> is
    /// allowed <paramref name="privilege"/> on the resource <paramref name="policyId"/> and on every resource of the
    /// same account (any kind) whose identifier starts with <c>&lt;policy identifier&gt;/</c>. False if the role or
    /// the policy resource is unknown.
    /// </summary>
    /// <remarks>
    /// The prefix is textual, as in Conjur: a user declared in the branch (<c>alice@dev-db</c> for branch
    /// <c>dev/db</c>) does not start with it, and an unrelated <c>dev/dbx</c> does not either.
    /// </remarks>
    public bool HasPrivilegeOnBranch(string roleId, string privilege, string policyId)
    {
        ArgumentNullException.ThrowIfNull(roleId);
        ArgumentNullException.ThrowIfNull(privilege);
        ArgumentNullException.ThrowIfNull(policyId);
        if (!_resourceIndex.TryGetValue(policyId, out var policy) || !_roleIndex.TryGetValue(roleId, out var r))
        {
            return false;
        }

        var held = HeldBy(r);
        var p = PrivilegeNumber(privilege);
        if (!Allowed(held, p, policy))
        {
            return false;
        }

        if (_identifierStart[policy] <= 0)
        {
            return true;
        }

        var account = policyId.AsSpan(0, _accountLength[policy]);
        var prefix = string.Concat(policyId.AsSpan(_identifierStart[policy]), "/");
        for (var i = BranchLowerBound(account, prefix); i < _branchOrder.Length; i++)
        {
            var x = _branchOrder[i];
            var id = _resourceIds[x];
            if (!id.AsSpan(0, _accountLength[x]).SequenceEqual(account) ||
                !id.AsSpan(_identifierStart[x]).StartsWith(prefix, StringComparison.Ordinal))
            {
                break;
            }

            if (!Allowed(held, p, x))
            {
                return false;
            }
        }

        return true;
    }

    private bool Allowed(RoleSet held, int privilege, int resource) =>
        held.Contains(_owner[resource]) || (privilege >= 0 && held.IntersectsSorted(Holders(resource, privilege)));

    private bool Visible(RoleSet held, int resource) =>
        held.Contains(_owner[resource]) || held.IntersectsSorted(_anyPermissionRoles[resource]);

    /// <summary>The roles with an explicit permission (resource, privilege), ascending.</summary>
    private ReadOnlySpan<int> Holders(int resource, int privilege)
    {
        if (privilege < 0)
        {
            return [];
        }

        // Per resource, permissions are ordered by (privilege, role): the holders are one run.
        var privileges = _permissionPrivileges[resource];
        var from = LowerBound(privileges, privilege);
        var to = LowerBound(privileges, privilege + 1);
        return _permissionRoles[resource][from..to];
    }

    private int PrivilegeNumber(string privilege) => _privileges.TryGetValue(privilege, out var p) ? p : -1;

    /// <summary>The cached held set of <paramref name="role"/>, computed on first use (a lost race computes it twice, harmlessly).</summary>
    private RoleSet HeldBy(int role)
    {
        var held = Volatile.Read(ref _held[role]);
        if (held is not null)
        {
            return held;
        }

        var marks = new ulong[(_roleIds.Length + 63) >> 6];
        var pending = new Stack<int>();
        Mark(marks, pending, role);
        var count = Spread(marks, pending, _parents, 1);
        var members = MarkedNumbers(marks, count);
        held = new RoleSet(members, count > RoleSet.BitsetThreshold ? marks : null);
        return Interlocked.CompareExchange(ref _held[role], held, null) ?? held;
    }

    private List<RoleEdge> GraphOf(int role, RoleSet? viewer)
    {
        var edges = new HashSet<long>();

        // Up: every membership of every role the start role holds (all_roles is the ancestor closure).
        foreach (var ancestor in HeldBy(role).Members)
        {
            foreach (var parent in _parents[ancestor])
            {
                edges.Add(((long)parent << 32) | (uint)ancestor);
            }
        }

        // Down: every member of every role that holds the start role.
        var marks = new ulong[(_roleIds.Length + 63) >> 6];
        var pending = new Stack<int>();
        Mark(marks, pending, role);
        var count = Spread(marks, pending, _children, 1);
        foreach (var descendant in MarkedNumbers(marks, count))
        {
            foreach (var child in _children[descendant])
            {
                edges.Add(((long)descendant << 32) | (uint)child);
            }
        }

        var sorted = new long[edges.Count];
        edges.CopyTo(sorted);
        Array.Sort(sorted);
        var result = new List<RoleEdge>(sorted.Length);
        foreach (var edge in sorted)
        {
            var parent = (int)(edge >> 32);
            if (viewer is not null && (_roleResource[parent] < 0 || !Visible(viewer, _roleResource[parent])))
            {
                continue;
            }

            result.Add(new RoleEdge(_roleIds[parent], _roleIds[(int)edge]));
        }

        return result;
    }

    private RoleGrant[] GrantsAt(ReadOnlySpan<int> grantNumbers)
    {
        var grants = new RoleGrant[grantNumbers.Length];
        for (var i = 0; i < grants.Length; i++)
        {
            grants[i] = _grants[grantNumbers[i]];
        }

        return grants;
    }

    private string[] Names(ulong[] marks, int count)
    {
        var numbers = MarkedNumbers(marks, count);
        var names = new string[numbers.Length];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = _roleIds[numbers[i]];
        }

        return names;
    }

    private int BranchLowerBound(ReadOnlySpan<char> account, string identifierPrefix)
    {
        int lo = 0, hi = _branchOrder.Length;
        while (lo < hi)
        {
            var mid = (int)((uint)(lo + hi) >> 1);
            var id = _resourceIds[_branchOrder[mid]];
            var x = _branchOrder[mid];
            var c = id.AsSpan(0, _accountLength[x]).SequenceCompareTo(account);
            if (c == 0)
            {
                c = id.AsSpan(_identifierStart[x]).SequenceCompareTo(identifierPrefix);
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static (int From, int To) PrefixRange(string[] sortedIds, string prefix)
    {
        // Ordinal order puts every id starting with the prefix in one run, right at the prefix's insertion point.
        int lo = 0, hi = sortedIds.Length;
        while (lo < hi)
        {
            var mid = (int)((uint)(lo + hi) >> 1);
            if (string.CompareOrdinal(sortedIds[mid], prefix) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        var to = lo;
        while (to < sortedIds.Length && sortedIds[to].StartsWith(prefix, StringComparison.Ordinal))
        {
            to++;
        }

        return (lo, to);
    }

    private static int LowerBound(ReadOnlySpan<int> sorted, int value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (int)((uint)(lo + hi) >> 1);
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static void Mark(ulong[] marks, Stack<int> pending, int role)
    {
        ref var word = ref marks[role >> 6];
        var bit = 1UL << role;
        if ((word & bit) == 0)
        {
            word |= bit;
            pending.Push(role);
        }
    }

    /// <summary>
    /// Marks everything reachable from the pending roles along <paramref name="edges"/>; visiting each role once
    /// is what makes membership cycles harmless. Returns the total number of marked roles.
    /// </summary>
    private static int Spread(ulong[] marks, Stack<int> pending, Adjacency edges, int marked)
    {
        while (pending.TryPop(out var current))
        {
            foreach (var next in edges[current])
            {
                ref var word = ref marks[next >> 6];
                var bit = 1UL << next;
                if ((word & bit) == 0)
                {
                    word |= bit;
                    marked++;
                    pending.Push(next);
                }
            }
        }

        return marked;
    }

    private static int[] MarkedNumbers(ulong[] marks, int count)
    {
        var numbers = new int[count];
        var n = 0;
        for (var i = 0; i < marks.Length && n < count; i++)
        {
            var word = marks[i];
            while (word != 0)
            {
                numbers[n++] = (i << 6) + BitOperations.TrailingZeroCount(word);
                word &= word - 1;
            }
        }

        return numbers;
    }
}
