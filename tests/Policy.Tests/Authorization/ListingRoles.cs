using Secrets.Policy.Authorization;
using static Secrets.Policy.Tests.Authorization.World;

namespace Secrets.Policy.Tests.Authorization;

/// <summary>Spec 2.7 and 5.1: held roles, members, memberships and the role graph, over the account of spec 4.8.</summary>
public sealed class ListingRoles
{
    private static readonly AuthorizationSnapshot Snapshot = Example().Build();

    private static string[] Ids(params string[] ids) => [.. ids.Select(Id)];

    [Theory]
    [InlineData("user:alice", "group:ops,layer:prod/db,policy:prod/db,user:alice,host:prod/db/app-01,host_factory:prod/db,user:bob@prod-db")]
    [InlineData("host:prod/db/app-01", "host:prod/db/app-01,layer:prod/db")]
    [InlineData("layer:prod/db", "layer:prod/db")]
    [InlineData("user:dave", "user:dave,group:auditors")]
    [InlineData("user:carol", "user:carol")]
    [InlineData("policy:prod/db", "policy:prod/db,layer:prod/db,host:prod/db/app-01,user:bob@prod-db,host_factory:prod/db")]
    public void All_roles_are_held_transitively_including_self(string role, string expected)
    {
        var want = Ids(expected.Split(','));
        Array.Sort(want, StringComparer.Ordinal);
        Assert.Equal(want, Snapshot.AllRoles(Id(role)));
    }

    [Fact]
    public void Admin_holds_every_role_it_owns_directly_or_through_policies()
    {
        var all = Snapshot.AllRoles(Id("user:admin"));
        Assert.Equal(Snapshot.RoleCount, all.Count);
        Assert.Equal([.. all.Order(StringComparer.Ordinal)], all);
    }

    [Fact]
    public void Held_roles_are_cached_and_read_only()
    {
        var first = Snapshot.AllRoles(Id("user:alice"));
        Assert.Same(first, Snapshot.AllRoles(Id("user:alice")));
        var list = Assert.IsAssignableFrom<IList<string>>(first);
        Assert.True(list.IsReadOnly);
        Assert.Throws<NotSupportedException>(() => list[0] = "x");
    }

    [Theory]
    [InlineData("user:alice", "group:ops", true)]
    [InlineData("user:alice", "user:alice", true)]
    [InlineData("user:alice", "host:prod/db/app-01", true)]
    [InlineData("group:ops", "user:alice", false)]
    [InlineData("host:prod/db/app-01", "layer:prod/db", true)]
    [InlineData("layer:prod/db", "host:prod/db/app-01", false)]
    [InlineData("user:mallory", "user:mallory", false)]
    [InlineData("user:alice", "user:mallory", false)]
    public void Holds_is_the_transitive_membership(string role, string other, bool expected) =>
        Assert.Equal(expected, Snapshot.Holds(Id(role), Id(other)));

    [Fact]
    public void Unknown_role_holds_nothing_and_has_no_grants()
    {
        Assert.Empty(Snapshot.AllRoles(Id("user:mallory")));
        Assert.Empty(Snapshot.Members(Id("user:mallory")));
        Assert.Empty(Snapshot.Memberships(Id("user:mallory")));
        Assert.Empty(Snapshot.Graph(Id("user:mallory")));
        Assert.Empty(Snapshot.VisibleResources(Id("user:mallory")));
        Assert.Empty(Snapshot.FilterVisible(Id("user:mallory"), [Id("variable:prod/db/url")]));
    }

    [Fact]
    public void Members_include_the_derived_ownership_grant_sorted_by_member()
    {
        Assert.Equal(
            [
                new RoleGrant(Id("group:ops"), Id("user:admin"), AdminOption: true, Ownership: true, Id("policy:root")),
                new RoleGrant(Id("group:ops"), Id("user:alice"), AdminOption: false, Ownership: false, Id("policy:root")),
            ],
            Snapshot.Members(Id("group:ops")));
        Assert.Equal(
            [
                new RoleGrant(Id("layer:prod/db"), Id("host:prod/db/app-01"), false, false, Id("policy:root")),
                new RoleGrant(Id("layer:prod/db"), Id("policy:prod/db"), true, true, Id("policy:root")),
            ],
            Snapshot.Members(Id("layer:prod/db")));
        Assert.Equal(
            [new RoleGrant(Id("user:admin"), Id("user:admin"), true, true, null)],
            Snapshot.Members(Id("user:admin")));
    }

    [Fact]
    public void Memberships_include_the_roles_owned_sorted_by_role()
    {
        Assert.Equal(
            [
                new RoleGrant(Id("host:prod/db/app-01"), Id("policy:prod/db"), true, true, Id("policy:root")),
                new RoleGrant(Id("host_factory:prod/db"), Id("policy:prod/db"), true, true, Id("policy:root")),
                new RoleGrant(Id("layer:prod/db"), Id("policy:prod/db"), true, true, Id("policy:root")),
                new RoleGrant(Id("user:bob@prod-db"), Id("policy:prod/db"), true, true, Id("policy:root")),
            ],
            Snapshot.Memberships(Id("policy:prod/db")));
        Assert.Equal(
            [new RoleGrant(Id("group:ops"), Id("user:alice"), false, false, Id("policy:root"))],
            Snapshot.Memberships(Id("user:alice")));
        Assert.Equal(
            Ids("group:auditors", "group:ops", "policy:root", "user:admin", "user:alice", "user:carol", "user:dave", "user:eve", "user:frank"),
            Snapshot.Memberships(Id("user:admin")).Select(g => g.RoleId));
    }

    [Fact]
    public void An_explicit_grant_and_an_ownership_grant_of_the_same_pair_are_both_listed()
    {
        var snapshot = new World()
            .Role("user:u", "user:u", policy: null)
            .Role("group:g", "user:u")
            .Grant("group:g", "user:u", adminOption: false, policy: "policy:other")
            .Grant("group:g", "user:u", adminOption: true, policy: "policy:ignored-duplicate")
            .Build();
        Assert.Equal(
            [
                new RoleGrant(Id("group:g"), Id("user:u"), false, false, Id("policy:other")),
                new RoleGrant(Id("group:g"), Id("user:u"), true, true, Id("policy:root")),
            ],
            snapshot.Members(Id("group:g")));
        Assert.Equal([new RoleEdge(Id("group:g"), Id("user:u")), new RoleEdge(Id("user:u"), Id("user:u"))], snapshot.Graph(Id("group:g")));
    }

    [Fact]
    public void Grant_policy_is_reported_and_may_be_null()
    {
        var snapshot = new World()
            .BareRole("user:admin")
            .Role("host:hf-made", "user:admin", policy: null)
            .BareRole("layer:l")
            .Grant("layer:l", "host:hf-made", policy: null)
            .Build();
        Assert.Equal(
            [
                new RoleGrant(Id("layer:l"), Id("host:hf-made"), false, false, null),
            ],
            snapshot.Memberships(Id("host:hf-made")).Where(g => !g.Ownership));
        Assert.Equal(
            [new RoleGrant(Id("host:hf-made"), Id("user:admin"), true, true, null)],
            snapshot.Members(Id("host:hf-made")));
    }

    [Theory]
    [InlineData("execute", "variable:prod/db/password",
        "user:admin,user:alice,group:ops,policy:prod/db,layer:prod/db,host:prod/db/app-01")]
    [InlineData("update", "variable:prod/db/password", "user:admin,user:alice,group:ops,policy:prod/db")]
    [InlineData("read", "variable:prod/db/url",
        "user:admin,user:alice,group:ops,policy:prod/db,layer:prod/db,host:prod/db/app-01,user:eve")]
    [InlineData("custom", "variable:prod/db/url", "user:admin,user:alice,group:ops,policy:prod/db")]
    [InlineData("read", "policy:prod/db", "user:admin,user:alice,group:ops,group:auditors,user:dave")]
    [InlineData("read", "user:admin", "user:admin")]
    [InlineData("authenticate", "webservice:conjur/authn-jwt/okta", "user:admin,group:auditors,user:dave")]
    public void Permitted_roles_are_holders_owner_and_all_their_members(string privilege, string resource, string expected)
    {
        var want = Ids(expected.Split(','));
        Array.Sort(want, StringComparer.Ordinal);
        Assert.Equal(want, Snapshot.PermittedRoles(privilege, Id(resource)));
    }

    [Fact]
    public void Permitted_roles_of_an_unknown_resource_are_empty() =>
        Assert.Empty(Snapshot.PermittedRoles("read", Id("variable:nope")));

    [Fact]
    public void Permitted_roles_agree_with_allowed()
    {
        foreach (var resource in Snapshot.VisibleResources(Id("user:admin")))
        {
            foreach (var privilege in new[] { "read", "execute", "update", "custom" })
            {
                var permitted = Snapshot.PermittedRoles(privilege, resource).ToHashSet();
                foreach (var role in Snapshot.AllRoles(Id("user:admin")))
                {
                    Assert.Equal(Snapshot.IsAllowed(role, privilege, resource), permitted.Contains(role));
                }
            }
        }
    }
}
