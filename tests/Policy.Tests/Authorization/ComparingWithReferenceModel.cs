using Secrets.Policy.Authorization;
using Secrets.Policy.Store;

namespace Secrets.Policy.Tests.Authorization;

/// <summary>
/// The engine against <see cref="ReferenceModel"/> on seeded random graphs: cycles, self-membership, duplicates,
/// dangling rows, several accounts and nested identifiers all occur.
/// </summary>
public sealed class ComparingWithReferenceModel
{
    private static readonly string[] Privileges = ["read", "execute", "update", "custom"];
    private static readonly string[] RoleKinds = ["user", "host", "group", "layer", "policy"];
    private static readonly string[] Identifiers = ["p", "p/q", "p/q/r", "p/x", "px", "q", "q/p", "r"];

    [Fact]
    public void Small_random_graphs_agree_with_the_reference()
    {
        for (var seed = 0; seed < 400; seed++)
        {
            Compare(seed, maxRoles: 9, maxResources: 7, maxGrants: 14, maxPermits: 14);
        }
    }

    /// <summary>Larger, denser graphs take the bitset and binary-search paths of the held-set tests.</summary>
    [Fact]
    public void Dense_random_graphs_agree_with_the_reference()
    {
        for (var seed = 1000; seed < 1012; seed++)
        {
            Compare(seed, maxRoles: 160, maxResources: 40, maxGrants: 260, maxPermits: 400);
        }
    }

    private static void Compare(int seed, int maxRoles, int maxResources, int maxGrants, int maxPermits)
    {
        var random = new Random(seed);
        var (roles, resources, memberships, permissions) = Generate(random, maxRoles, maxResources, maxGrants, maxPermits);
        var engine = AuthorizationSnapshot.Build(roles, resources, memberships, permissions, seed);
        var reference = new ReferenceModel(roles, resources, memberships, permissions);

        var roleIds = reference.Roles.Append("a:user:unknown").ToList();
        var resourceIds = reference.Resources.Append("a:variable:unknown").ToList();
        var context = $"seed {seed}";

        foreach (var role in roleIds)
        {
            Assert.True(reference.AllRoles(role).SequenceEqual(engine.AllRoles(role)), $"{context}: AllRoles({role})");
            Assert.True(reference.Members(role).SequenceEqual(engine.Members(role)), $"{context}: Members({role})");
            Assert.True(reference.Memberships(role).SequenceEqual(engine.Memberships(role)), $"{context}: Memberships({role})");
            Assert.True(reference.Graph(role).SequenceEqual(engine.Graph(role)), $"{context}: Graph({role})");
            foreach (var prefix in new[] { null, "a:", "a:variable:", "b:", "a:policy:p" })
            {
                Assert.True(
                    reference.VisibleResources(role, prefix).SequenceEqual(engine.VisibleResources(role, prefix)),
                    $"{context}: VisibleResources({role}, {prefix})");
            }

            var shuffled = resourceIds.OrderBy(_ => random.Next()).ToList();
            Assert.True(
                shuffled.Where(x => reference.Visible(x, role)).SequenceEqual(engine.FilterVisible(role, shuffled)),
                $"{context}: FilterVisible({role})");

            foreach (var other in roleIds)
            {
                Assert.True(reference.Closure(role).Contains(other) == engine.Holds(role, other), $"{context}: Holds({role}, {other})");
            }

            foreach (var resource in resourceIds)
            {
                Assert.True(reference.Visible(resource, role) == engine.IsVisible(resource, role), $"{context}: IsVisible({resource}, {role})");
                foreach (var privilege in Privileges)
                {
                    Assert.True(
                        reference.Allowed(role, privilege, resource) == engine.IsAllowed(role, privilege, resource),
                        $"{context}: IsAllowed({role}, {privilege}, {resource})");
                    if (maxRoles < 20 || resource.Contains(":policy:", StringComparison.Ordinal))
                    {
                        Assert.True(
                            reference.Branch(role, privilege, resource) == engine.HasPrivilegeOnBranch(role, privilege, resource),
                            $"{context}: HasPrivilegeOnBranch({role}, {privilege}, {resource})");
                    }
                }
            }
        }

        foreach (var resource in resourceIds)
        {
            foreach (var privilege in Privileges)
            {
                Assert.True(
                    reference.PermittedRoles(privilege, resource).SequenceEqual(engine.PermittedRoles(privilege, resource)),
                    $"{context}: PermittedRoles({privilege}, {resource})");
            }
        }
    }

    private static (List<RoleRow>, List<ResourceRow>, List<MembershipRow>, List<PermissionRow>) Generate(
        Random random, int maxRoles, int maxResources, int maxGrants, int maxPermits)
    {
        string Pick(IReadOnlyList<string> items) => items[random.Next(items.Count)];
        string Account() => random.Next(8) == 0 ? "b" : "a";
        string? Policy() => random.Next(4) == 0 ? null : $"a:policy:{Pick(Identifiers)}";

        var roleIds = new HashSet<string>(StringComparer.Ordinal);
        var wanted = random.Next(1, maxRoles + 1);
        for (var i = 0; i < wanted * 3 && roleIds.Count < wanted; i++)
        {
            var identifier = maxRoles > 20 ? $"{Pick(Identifiers)}/{random.Next(maxRoles)}" : Pick(Identifiers);
            roleIds.Add($"{Account()}:{Pick(RoleKinds)}:{identifier}");
        }

        var roleList = roleIds.ToList();
        var roles = roleList.Select(id => new RoleRow(id, Policy())).ToList();

        // A role unknown to the snapshot, referenced by some rows as a dangling reference.
        string AnyRole() => random.Next(25) == 0 ? "a:group:ghost" : Pick(roleList);

        var resources = new Dictionary<string, ResourceRow>(StringComparer.Ordinal);
        foreach (var role in roleList)
        {
            if (random.Next(5) != 0)
            {
                resources[role] = new ResourceRow(role, AnyRole(), Policy());
            }
        }

        var variables = random.Next(maxResources + 1);
        for (var i = 0; i < variables; i++)
        {
            var kind = random.Next(3) == 0 ? "webservice" : "variable";
            var id = $"{Account()}:{kind}:{Pick(Identifiers)}{(random.Next(2) == 0 ? "" : "/" + random.Next(10))}";
            resources.TryAdd(id, new ResourceRow(id, AnyRole(), Policy()));
        }

        var resourceList = resources.Keys.Append("a:variable:ghost").ToList();
        var memberships = new List<MembershipRow>();
        var grants = random.Next(maxGrants + 1);
        for (var i = 0; i < grants; i++)
        {
            memberships.Add(new MembershipRow(AnyRole(), AnyRole(), random.Next(2) == 0, Policy()));
        }

        var permissions = new List<PermissionRow>();
        var permits = random.Next(maxPermits + 1);
        for (var i = 0; i < permits; i++)
        {
            permissions.Add(new PermissionRow(Pick(resourceList), Pick(Privileges[..3]), AnyRole(), Policy()));
        }

        return (roles, [.. resources.Values], memberships, permissions);
    }
}
