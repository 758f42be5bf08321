using Secrets.Policy.Authorization;
using static Secrets.Policy.Tests.Authorization.World;

namespace Secrets.Policy.Tests.Authorization;

/// <summary>Spec 5.2: allowed(R, p, X) and visibility, over the account of spec 4.8.</summary>
public sealed class DecidingAccess
{
    private static readonly AuthorizationSnapshot Snapshot = Example().Build();

    [Theory]
    // Ownership grants every privilege, including custom ones.
    [InlineData("policy:prod/db", "execute", "variable:prod/db/password", true)]
    [InlineData("policy:prod/db", "update", "variable:prod/db/password", true)]
    [InlineData("policy:prod/db", "rotate-now", "variable:prod/db/password", true)]
    [InlineData("user:admin", "anything", "user:admin", true)]
    [InlineData("user:admin", "authenticate", "webservice:conjur/authn-jwt/okta", true)]
    // Ownership chains: admin owns group:ops, which owns policy:prod/db, which owns the variables.
    [InlineData("user:admin", "execute", "variable:prod/db/password", true)]
    [InlineData("user:admin", "custom", "variable:prod/db/url", true)]
    [InlineData("user:admin", "update", "policy:prod/db", true)]
    [InlineData("group:ops", "execute", "variable:prod/db/url", true)]
    // Transitive holding: alice through group:ops (and its ownership chain); the host through its layer.
    [InlineData("user:alice", "execute", "variable:prod/db/password", true)]
    [InlineData("user:alice", "create", "policy:prod/db", true)]
    [InlineData("host:prod/db/app-01", "execute", "variable:prod/db/password", true)]
    [InlineData("host:prod/db/app-01", "read", "variable:prod/db/url", true)]
    [InlineData("host:prod/db/app-01", "execute", "host_factory:prod/db", true)]
    [InlineData("layer:prod/db", "execute", "variable:prod/db/password", true)]
    // No hierarchy: update implies neither read nor execute, read does not imply execute, nor the reverse.
    [InlineData("host:prod/db/app-01", "update", "variable:prod/db/password", false)]
    [InlineData("user:frank", "update", "variable:prod/db/url", true)]
    [InlineData("user:frank", "read", "variable:prod/db/url", false)]
    [InlineData("user:frank", "execute", "variable:prod/db/url", false)]
    [InlineData("user:eve", "read", "variable:prod/db/url", true)]
    [InlineData("user:eve", "execute", "variable:prod/db/url", false)]
    [InlineData("group:auditors", "read", "policy:prod/db", true)]
    [InlineData("user:dave", "read", "policy:prod/db", true)]
    [InlineData("user:dave", "update", "policy:prod/db", false)]
    // Privileges are case-sensitive strings.
    [InlineData("user:eve", "Read", "variable:prod/db/url", false)]
    // Membership flows upward only: owning a role is holding it, being held by it grants nothing.
    [InlineData("user:bob@prod-db", "execute", "variable:prod/db/password", false)]
    [InlineData("user:bob@prod-db", "read", "user:bob@prod-db", false)]
    [InlineData("host:prod/db/app-01", "update", "host:prod/db/app-01", false)]
    [InlineData("layer:prod/db", "read", "policy:prod/db", false)]
    [InlineData("group:ops", "read", "user:alice", false)]
    [InlineData("user:alice", "read", "user:carol", false)]
    // Permissions on one resource say nothing about another.
    [InlineData("user:eve", "read", "variable:prod/db/password", false)]
    [InlineData("user:carol", "read", "variable:prod/db/url", false)]
    [InlineData("user:carol", "read", "user:carol", false)]
    // Unknown role, resource or privilege: default deny.
    [InlineData("user:mallory", "read", "variable:prod/db/url", false)]
    [InlineData("user:admin", "read", "variable:prod/db/nope", false)]
    [InlineData("user:eve", "write", "variable:prod/db/url", false)]
    [InlineData("other:user:admin", "read", "variable:prod/db/url", false)]
    [InlineData("user:admin", "read", "other:variable:prod/db/url", false)]
    public void Allowed_follows_ownership_and_permissions(string role, string privilege, string resource, bool expected) =>
        Assert.Equal(expected, Snapshot.IsAllowed(Id(role), privilege, Id(resource)));

    [Theory]
    [InlineData("user:eve", "variable:prod/db/url", true)]
    [InlineData("user:eve", "variable:prod/db/password", false)]
    [InlineData("user:frank", "variable:prod/db/url", true)]
    [InlineData("user:dave", "policy:prod/db", true)]
    [InlineData("user:dave", "variable:prod/db/url", false)]
    [InlineData("user:dave", "webservice:conjur/authn-jwt/okta", true)]
    [InlineData("host:prod/db/app-01", "variable:prod/db/password", true)]
    [InlineData("host:prod/db/app-01", "host_factory:prod/db", true)]
    [InlineData("host:prod/db/app-01", "host:prod/db/app-01", false)]
    [InlineData("host:prod/db/app-01", "layer:prod/db", false)]
    [InlineData("user:alice", "policy:prod/db", true)]
    [InlineData("user:alice", "user:alice", false)]
    [InlineData("user:alice", "user:carol", false)]
    [InlineData("user:admin", "user:bob@prod-db", true)]
    [InlineData("user:carol", "variable:prod/db/url", false)]
    [InlineData("user:mallory", "variable:prod/db/url", false)]
    [InlineData("user:admin", "variable:prod/db/nope", false)]
    public void Visible_to_owners_and_to_holders_of_any_permission(string role, string resource, bool expected) =>
        Assert.Equal(expected, Snapshot.IsVisible(Id(resource), Id(role)));

    /// <summary>Spec 5.2 / 11.7: invisible → 404, visible but not permitted → 403.</summary>
    [Theory]
    [InlineData("user:eve", "execute", "variable:prod/db/url", 403)]
    [InlineData("user:eve", "read", "variable:prod/db/url", 200)]
    [InlineData("user:eve", "execute", "variable:prod/db/password", 404)]
    [InlineData("user:frank", "execute", "variable:prod/db/url", 403)]
    [InlineData("user:dave", "update", "policy:prod/db", 403)]
    [InlineData("user:dave", "update", "variable:prod/db/url", 404)]
    [InlineData("host:prod/db/app-01", "update", "variable:prod/db/password", 403)]
    [InlineData("host:prod/db/app-01", "update", "host_factory:prod/db", 403)]
    [InlineData("host:prod/db/app-01", "execute", "variable:prod/db/password", 200)]
    [InlineData("user:carol", "execute", "variable:prod/db/password", 404)]
    [InlineData("user:admin", "execute", "variable:prod/db/missing", 404)]
    public void Status_distinguishes_invisible_from_forbidden(string role, string privilege, string resource, int expected)
    {
        var status = !Snapshot.IsVisible(Id(resource), Id(role)) ? 404
            : !Snapshot.IsAllowed(Id(role), privilege, Id(resource)) ? 403
            : 200;
        Assert.Equal(expected, status);
    }

    [Fact]
    public void Allowed_implies_visible_for_every_role_privilege_and_resource()
    {
        string[] roles = ["user:admin", "user:alice", "user:carol", "user:eve", "user:frank", "user:dave", "host:prod/db/app-01", "layer:prod/db"];
        string[] privileges = ["read", "execute", "update", "create", "custom"];
        foreach (var role in roles)
        {
            foreach (var resource in Snapshot.VisibleResources(Id("user:admin")))
            {
                foreach (var privilege in privileges)
                {
                    if (Snapshot.IsAllowed(Id(role), privilege, resource))
                    {
                        Assert.True(Snapshot.IsVisible(resource, Id(role)), $"{role} {privilege} {resource}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Owner_lookup_and_existence()
    {
        Assert.Equal(Id("policy:prod/db"), Snapshot.OwnerOf(Id("variable:prod/db/url")));
        Assert.Equal(Id("user:admin"), Snapshot.OwnerOf(Id("user:admin")));
        Assert.Null(Snapshot.OwnerOf(Id("variable:nope")));
        Assert.True(Snapshot.ResourceExists(Id("webservice:conjur/authn-jwt/okta")));
        Assert.False(Snapshot.RoleExists(Id("webservice:conjur/authn-jwt/okta")));
        Assert.True(Snapshot.RoleExists(Id("layer:prod/db")));
        Assert.False(Snapshot.ResourceExists(Id("layer:nope")));
        Assert.Equal(1, Snapshot.Version);
    }

    [Fact]
    public void Empty_snapshot_denies_everything()
    {
        var empty = AuthorizationSnapshot.Empty;
        Assert.False(empty.IsAllowed(Id("user:admin"), "read", Id("user:admin")));
        Assert.False(empty.IsVisible(Id("user:admin"), Id("user:admin")));
        Assert.Empty(empty.AllRoles(Id("user:admin")));
        Assert.Empty(empty.VisibleResources(Id("user:admin")));
        Assert.Equal(0, empty.Version);
    }
}
