using Secrets.Policy.Authorization;
using Secrets.Policy.Store;

namespace Secrets.Policy.Tests.Authorization;

/// <summary>
/// Correctness at the size the server must handle (10,000 hosts, 10,000 variables, 1,000 layers and groups,
/// 30,000 grants and permits). How fast it is is measured by the benchmarks in bench/Micro, not here: a unit test
/// that times itself is either flaky or too lax to catch anything.
/// </summary>
public sealed class HandlingALargeAccount
{
    private const string Admin = "acct:user:admin";
    private const int Policies = 100;
    private const int LayersPerPolicy = 5;
    private const int GroupsPerPolicy = 5;
    private const int HostsPerPolicy = 100;
    private const int VariablesPerPolicy = 100;

    internal static (List<RoleRow>, List<ResourceRow>, List<MembershipRow>, List<PermissionRow>) LargeAccount()
    {
        var roles = new List<RoleRow>();
        var resources = new List<ResourceRow>();
        var memberships = new List<MembershipRow>();
        var permissions = new List<PermissionRow>();
        const string root = "acct:policy:root";

        void Role(string id, string owner)
        {
            roles.Add(new RoleRow(id, root));
            resources.Add(new ResourceRow(id, owner, root));
        }

        Role(Admin, Admin);
        Role(root, Admin);
        for (var p = 0; p < Policies; p++)
        {
            var policy = $"acct:policy:apps/app-{p:D3}";
            Role(policy, Admin);
            for (var l = 0; l < LayersPerPolicy; l++)
            {
                Role($"acct:layer:apps/app-{p:D3}/layer-{l}", policy);
            }

            for (var g = 0; g < GroupsPerPolicy; g++)
            {
                var group = $"acct:group:apps/app-{p:D3}/group-{g}";
                Role(group, policy);
                memberships.Add(new MembershipRow($"acct:layer:apps/app-{p:D3}/layer-{g % LayersPerPolicy}", group, false, root));
            }

            for (var h = 0; h < HostsPerPolicy; h++)
            {
                var host = $"acct:host:apps/app-{p:D3}/host-{h:D3}";
                Role(host, policy);
                memberships.Add(new MembershipRow($"acct:layer:apps/app-{p:D3}/layer-{h % LayersPerPolicy}", host, false, root));
            }

            for (var v = 0; v < VariablesPerPolicy; v++)
            {
                var variable = $"acct:variable:apps/app-{p:D3}/secret-{v:D3}";
                resources.Add(new ResourceRow(variable, policy, root));
                var layer = $"acct:layer:apps/app-{p:D3}/layer-{v % LayersPerPolicy}";
                permissions.Add(new PermissionRow(variable, "read", layer, root));
                permissions.Add(new PermissionRow(variable, "execute", layer, root));
                permissions.Add(new PermissionRow(variable, "update", $"acct:group:apps/app-{p:D3}/group-{v % GroupsPerPolicy}", root));
            }
        }

        return (roles, resources, memberships, permissions);
    }

    [Fact]
    public void Building_a_large_account_indexes_every_role_and_resource()
    {
        var (roles, resources, memberships, permissions) = LargeAccount();
        var snapshot = AuthorizationSnapshot.Build(roles, resources, memberships, permissions, 1);
        Assert.Equal(roles.Count, snapshot.RoleCount);
        Assert.Equal(resources.Count, snapshot.ResourceCount);
    }

    [Fact]
    public void A_host_may_execute_exactly_the_variables_of_its_layer()
    {
        var (roles, resources, memberships, permissions) = LargeAccount();
        var snapshot = AuthorizationSnapshot.Build(roles, resources, memberships, permissions, 1);
        const string host = "acct:host:apps/app-042/host-017";
        for (var v = 0; v < VariablesPerPolicy; v++)
        {
            var variable = $"acct:variable:apps/app-042/secret-{v:D3}";
            Assert.Equal(v % LayersPerPolicy == 17 % LayersPerPolicy, snapshot.IsAllowed(host, "execute", variable));
        }

        Assert.False(snapshot.IsAllowed(host, "execute", "acct:variable:apps/app-043/secret-002"));
    }

    [Fact]
    public void Admin_holds_the_whole_account_and_sees_every_resource()
    {
        var (roles, resources, memberships, permissions) = LargeAccount();
        var snapshot = AuthorizationSnapshot.Build(roles, resources, memberships, permissions, 1);

        var held = snapshot.AllRoles(Admin);
        var visible = snapshot.VisibleResources(Admin);
        var variables = snapshot.VisibleResources("acct:host:apps/app-007/host-000", "acct:variable:");
        var isAllowed = snapshot.IsAllowed(Admin, "execute", "acct:variable:apps/app-099/secret-099");
        var branch = snapshot.HasPrivilegeOnBranch(Admin, "update", "acct:policy:apps/app-050");

        Assert.Equal(roles.Count, held.Count);
        Assert.Equal(resources.Count, visible.Count);
        Assert.Equal(VariablesPerPolicy / LayersPerPolicy, variables.Count);
        Assert.True(isAllowed);
        Assert.True(branch);
        Assert.False(snapshot.HasPrivilegeOnBranch("acct:group:apps/app-050/group-0", "update", "acct:policy:apps/app-050"));
    }
}
