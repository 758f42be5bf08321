using Secrets.Policy.Authorization;
using static Secrets.Policy.Tests.Authorization.World;

namespace Secrets.Policy.Tests.Authorization;

/// <summary>Spec 2.7 <c>?graph</c> and membership cycles.</summary>
public sealed class WalkingTheRoleGraph
{
    private static RoleEdge Edge(string parent, string child) => new(Id(parent), Id(child));

    /// <summary>
    /// top ← mid ← g ← { u, sub ← w }, and beside the path: top ← side, mid ← other (not on g's paths).
    /// Roles only (no resources), so there are no ownership edges.
    /// </summary>
    private static World Chain() => new World()
        .BareRole("group:top").BareRole("group:mid").BareRole("group:g").BareRole("user:u")
        .BareRole("group:sub").BareRole("user:w").BareRole("group:side").BareRole("user:other")
        .Grant("group:top", "group:mid")
        .Grant("group:mid", "group:g")
        .Grant("group:g", "user:u")
        .Grant("group:g", "group:sub")
        .Grant("group:sub", "user:w")
        .Grant("group:top", "group:side")
        .Grant("group:mid", "user:other");

    [Fact]
    public void Graph_holds_edges_to_ancestors_and_from_descendants_only()
    {
        var graph = Chain().Build().Graph(Id("group:g"));
        Assert.Equal(
            [
                Edge("group:g", "group:sub"),
                Edge("group:g", "user:u"),
                Edge("group:mid", "group:g"),
                Edge("group:sub", "user:w"),
                Edge("group:top", "group:mid"),
            ],
            graph);
    }

    [Fact]
    public void Graph_of_a_leaf_is_its_ancestry()
    {
        Assert.Equal(
            [Edge("group:g", "group:sub"), Edge("group:mid", "group:g"), Edge("group:sub", "user:w"), Edge("group:top", "group:mid")],
            Chain().Build().Graph(Id("user:w")));
    }

    [Fact]
    public void Graph_of_an_isolated_role_is_empty() =>
        Assert.Empty(new World().BareRole("user:alone").Build().Graph(Id("user:alone")));

    [Fact]
    public void Graph_includes_ownership_edges_once()
    {
        var snapshot = new World()
            .Role("user:admin", "user:admin", policy: null)
            .Role("policy:p", "user:admin")
            .Role("layer:p", "policy:p")
            .Role("host:p/h", "policy:p")
            .Grant("layer:p", "host:p/h")
            .Build();
        // Edges point from the held role to its member: the owner is a member of what it owns.
        Assert.Equal(
            [
                Edge("host:p/h", "policy:p"),
                Edge("layer:p", "host:p/h"),
                Edge("layer:p", "policy:p"),
                Edge("policy:p", "user:admin"),
                Edge("user:admin", "user:admin"),
            ],
            snapshot.Graph(Id("policy:p")));
    }

    [Fact]
    public void Graph_for_a_caller_keeps_edges_whose_parent_is_visible()
    {
        var snapshot = new World()
            .Role("user:admin", "user:admin", policy: null)
            .Role("group:secret", "user:admin")
            .Role("group:open", "user:admin")
            .Role("user:u", "user:admin")
            .Grant("group:secret", "user:u")
            .Grant("group:open", "user:u")
            .Permit("user:u", "read", "group:open")
            .Build();
        Assert.Equal([Edge("group:open", "user:u")], snapshot.Graph(Id("user:u"), Id("user:u")));
        Assert.Equal(4, snapshot.Graph(Id("user:u")).Count);
        Assert.Equal(snapshot.Graph(Id("user:u")), snapshot.Graph(Id("user:u"), Id("user:admin")));
        Assert.Empty(snapshot.Graph(Id("user:u"), Id("user:nobody")));
    }

    [Fact]
    public void Cycles_in_memberships_do_not_loop()
    {
        var snapshot = new World()
            .Role("user:admin", "user:admin", policy: null)
            .Role("group:a", "user:admin")
            .Role("group:b", "user:admin")
            .Role("group:c", "group:a")
            .Role("user:u", "user:admin")
            .Grant("group:a", "group:b")
            .Grant("group:b", "group:c")
            .Grant("group:c", "group:a")
            .Grant("group:b", "group:b")
            .Grant("group:c", "user:u")
            .Resource("variable:v", "group:b")
            .Permit("group:a", "execute", "variable:w")
            .Resource("variable:w", "user:admin")
            .Build();

        string[] cycle = [Id("group:a"), Id("group:b"), Id("group:c")];
        foreach (var member in cycle)
        {
            Assert.Equal(cycle, snapshot.AllRoles(member));
            foreach (var other in cycle)
            {
                Assert.True(snapshot.Holds(member, other));
            }

            Assert.True(snapshot.IsAllowed(member, "anything", Id("variable:v")));
        }

        Assert.Equal([Id("group:a"), Id("group:b"), Id("group:c"), Id("user:u")], snapshot.AllRoles(Id("user:u")));
        Assert.True(snapshot.IsAllowed(Id("user:u"), "execute", Id("variable:w")));
        Assert.False(snapshot.IsAllowed(Id("user:u"), "read", Id("variable:w")));
        Assert.Equal(
            [Id("group:a"), Id("group:b"), Id("group:c"), Id("user:admin"), Id("user:u")],
            snapshot.PermittedRoles("execute", Id("variable:w")));
        Assert.Equal(
            [
                Edge("group:a", "group:b"), Edge("group:a", "user:admin"),
                Edge("group:b", "group:b"), Edge("group:b", "group:c"), Edge("group:b", "user:admin"),
                Edge("group:c", "group:a"), Edge("group:c", "user:u"),
                Edge("user:admin", "user:admin"), Edge("user:u", "user:admin"),
            ],
            snapshot.Graph(Id("group:b")));
    }

    [Fact]
    public void A_role_that_owns_itself_holds_itself_once() =>
        Assert.Equal([Id("user:admin")], new World().Role("user:admin", "user:admin").Build().AllRoles(Id("user:admin")));
}
