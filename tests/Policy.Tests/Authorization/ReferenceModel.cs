using Secrets.Policy.Authorization;
using Secrets.Policy.Store;

namespace Secrets.Policy.Tests.Authorization;

/// <summary>
/// A deliberately naive transcription of spec 5 and Conjur's SQL helpers: fixpoints over lists, no indexes,
/// no caching. Slow and obviously right, to check the engine against.
/// </summary>
internal sealed class ReferenceModel
{
    private readonly HashSet<string> _roles;
    private readonly Dictionary<string, ResourceRow> _resources;
    private readonly List<RoleGrant> _grants = [];
    private readonly List<PermissionRow> _permissions;
    private readonly Dictionary<string, HashSet<string>> _closures = new(StringComparer.Ordinal);

    public ReferenceModel(IEnumerable<RoleRow> roles, IEnumerable<ResourceRow> resources, IEnumerable<MembershipRow> memberships, IEnumerable<PermissionRow> permissions)
    {
        _roles = [.. roles.Select(r => r.RoleId)];
        _resources = resources.Where(x => _roles.Contains(x.OwnerId)).ToDictionary(x => x.ResourceId, StringComparer.Ordinal);
        foreach (var m in memberships.Where(m => _roles.Contains(m.RoleId) && _roles.Contains(m.MemberId)))
        {
            if (!_grants.Any(g => g.RoleId == m.RoleId && g.MemberId == m.MemberId))
            {
                _grants.Add(new RoleGrant(m.RoleId, m.MemberId, m.AdminOption, false, m.PolicyId));
            }
        }

        foreach (var x in _resources.Values.Where(x => _roles.Contains(x.ResourceId)))
        {
            _grants.Add(new RoleGrant(x.ResourceId, x.OwnerId, true, true, x.PolicyId));
        }

        _permissions = [.. permissions.Where(p => _resources.ContainsKey(p.ResourceId) && _roles.Contains(p.RoleId))];
    }

    public IEnumerable<string> Roles => _roles;

    public IEnumerable<string> Resources => _resources.Keys;

    /// <summary>The held roles, by fixpoint (memoized only so that the dense comparisons finish quickly).</summary>
    public HashSet<string> Closure(string role)
    {
        if (!_roles.Contains(role))
        {
            return [];
        }

        if (_closures.TryGetValue(role, out var cached))
        {
            return cached;
        }

        var held = new HashSet<string> { role };
        bool grew;
        do
        {
            grew = false;
            foreach (var g in _grants)
            {
                if (held.Contains(g.MemberId) && held.Add(g.RoleId))
                {
                    grew = true;
                }
            }
        }
        while (grew);
        _closures[role] = held;
        return held;
    }

    public List<string> AllRoles(string role) => Sorted(Closure(role));

    public bool Allowed(string role, string privilege, string resource)
    {
        if (!_resources.TryGetValue(resource, out var x))
        {
            return false;
        }

        var held = Closure(role);
        return held.Contains(x.OwnerId) || _permissions.Any(p => p.ResourceId == resource && p.Privilege == privilege && held.Contains(p.RoleId));
    }

    public bool Visible(string resource, string role)
    {
        if (!_resources.TryGetValue(resource, out var x))
        {
            return false;
        }

        var held = Closure(role);
        return held.Contains(x.OwnerId) || _permissions.Any(p => p.ResourceId == resource && held.Contains(p.RoleId));
    }

    public List<string> PermittedRoles(string privilege, string resource)
    {
        if (!_resources.TryGetValue(resource, out var x))
        {
            return [];
        }

        var found = new HashSet<string>(_permissions.Where(p => p.ResourceId == resource && p.Privilege == privilege).Select(p => p.RoleId)) { x.OwnerId };
        bool grew;
        do
        {
            grew = false;
            foreach (var g in _grants)
            {
                if (found.Contains(g.RoleId) && found.Add(g.MemberId))
                {
                    grew = true;
                }
            }
        }
        while (grew);
        return Sorted(found);
    }

    public List<RoleGrant> Members(string role) =>
        [.. _grants.Where(g => g.RoleId == role).OrderBy(g => g.MemberId, StringComparer.Ordinal).ThenBy(g => g.Ownership)];

    public List<RoleGrant> Memberships(string role) =>
        [.. _grants.Where(g => g.MemberId == role).OrderBy(g => g.RoleId, StringComparer.Ordinal).ThenBy(g => g.Ownership)];

    public List<RoleEdge> Graph(string role)
    {
        if (!_roles.Contains(role))
        {
            return [];
        }

        var up = Closure(role);
        var down = new HashSet<string> { role };
        bool grew;
        do
        {
            grew = false;
            foreach (var g in _grants)
            {
                if (down.Contains(g.RoleId) && down.Add(g.MemberId))
                {
                    grew = true;
                }
            }
        }
        while (grew);
        return
        [
            .. _grants
                .Where(g => up.Contains(g.MemberId) || down.Contains(g.RoleId))
                .Select(g => new RoleEdge(g.RoleId, g.MemberId))
                .Distinct()
                .OrderBy(e => e.Parent, StringComparer.Ordinal)
                .ThenBy(e => e.Child, StringComparer.Ordinal),
        ];
    }

    public bool Branch(string role, string privilege, string policy)
    {
        if (!_resources.ContainsKey(policy))
        {
            return false;
        }

        var parts = policy.Split(':', 3);
        return Allowed(role, privilege, policy) && _resources.Keys
            .Where(id => parts.Length == 3 && id.Split(':', 3) is [var account, _, var identifier] &&
                account == parts[0] && identifier.StartsWith(parts[2] + "/", StringComparison.Ordinal))
            .All(id => Allowed(role, privilege, id));
    }

    public List<string> VisibleResources(string role, string? prefix) =>
        Sorted(_resources.Keys.Where(x => (prefix is null || x.StartsWith(prefix, StringComparison.Ordinal)) && Visible(x, role)));

    private static List<string> Sorted(IEnumerable<string> ids) => [.. ids.Order(StringComparer.Ordinal)];
}
