using Secrets.Policy.Authorization;
using Secrets.Policy.Store;
using static Secrets.Policy.Tests.Authorization.World;

namespace Secrets.Policy.Tests.Authorization;

/// <summary>What <see cref="AuthorizationSnapshot.Build"/> does with inconsistent or repeated rows.</summary>
public sealed class BuildingSnapshots
{
    [Fact]
    public void Rows_that_reference_unknown_roles_or_resources_are_ignored_as_a_cascade_would()
    {
        var snapshot = new World()
            .Role("user:admin", "user:admin", policy: null)
            .Role("user:u", "user:admin")
            .Resource("variable:orphan", "user:ghost")
            .Grant("group:ghost", "user:u")
            .Grant("user:u", "user:ghost")
            .Permit("user:ghost", "read", "user:u")
            .Permit("user:u", "read", "variable:ghost")
            .Build();

        Assert.False(snapshot.ResourceExists(Id("variable:orphan")));
        Assert.Null(snapshot.OwnerOf(Id("variable:orphan")));
        Assert.Equal([Id("user:u")], snapshot.AllRoles(Id("user:u")));
        Assert.Single(snapshot.Members(Id("user:u")));
        Assert.Empty(snapshot.Memberships(Id("user:u")));
        Assert.Equal([Id("user:admin")], snapshot.PermittedRoles("read", Id("user:u")));
        Assert.Equal(2, snapshot.ResourceCount);
        Assert.Equal(2, snapshot.RoleCount);
    }

    [Fact]
    public void Repeated_rows_count_once()
    {
        var snapshot = new World()
            .Role("user:admin", "user:admin", policy: null)
            .BareRole("user:admin")
            .Role("user:u", "user:admin")
            .Role("group:g", "user:admin")
            .Grant("group:g", "user:u")
            .Grant("group:g", "user:u")
            .Permit("group:g", "read,read", "user:admin")
            .Build();

        Assert.Equal(2, snapshot.Members(Id("group:g")).Count);
        Assert.Equal([Id("group:g"), Id("user:u")], snapshot.AllRoles(Id("user:u")));
        Assert.Equal([Id("group:g"), Id("user:admin"), Id("user:u")], snapshot.PermittedRoles("read", Id("user:admin")));
        Assert.Equal(3, snapshot.RoleCount);
    }

    [Fact]
    public void Two_resources_with_one_id_are_rejected()
    {
        var world = new World().Role("user:admin", "user:admin").Resource("variable:v", "user:admin").Resource("variable:v", "user:admin");
        var error = Assert.Throws<ArgumentException>(() => world.Build());
        Assert.Contains("acct:variable:v", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_arguments_are_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => AuthorizationSnapshot.Build(null!, [], [], [], 1));
        Assert.Throws<ArgumentNullException>(() => AuthorizationSnapshot.Build([], null!, [], [], 1));
        Assert.Throws<ArgumentNullException>(() => AuthorizationSnapshot.Build([], [], null!, [], 1));
        Assert.Throws<ArgumentNullException>(() => AuthorizationSnapshot.Build([], [], [], null!, 1));
        Assert.Throws<ArgumentNullException>(() => AuthorizationSnapshot.Empty.IsAllowed(null!, "read", "a:b:c"));
    }

    [Fact]
    public void Version_is_carried()
    {
        var snapshot = AuthorizationSnapshot.Build([new RoleRow("a:user:x", null)], [], [], [], 42);
        Assert.Equal(42, snapshot.Version);
        Assert.True(snapshot.RoleExists("a:user:x"));
    }

    [Fact]
    public void Ids_without_kind_or_account_are_tolerated()
    {
        var snapshot = AuthorizationSnapshot.Build(
            [new RoleRow("!:!:root", null), new RoleRow("odd", null)],
            [new ResourceRow("odd", "odd", null), new ResourceRow("x:y", "!:!:root", null)],
            [new MembershipRow("!:!:root", "odd", false, null)],
            [],
            1);
        Assert.True(snapshot.IsAllowed("odd", "read", "x:y"));
        Assert.True(snapshot.HasPrivilegeOnBranch("odd", "update", "odd"));
        Assert.Equal(["!:!:root", "odd"], snapshot.AllRoles("odd"));
    }
}
