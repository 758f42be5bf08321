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

    /// <summary>Spec 5.2 / 11.7: unknown → absent, invisible → hidden (both 404), visible but not permitted → 403.</summary>
    [Theory]
    [InlineData("user:eve", "execute", "variable:prod/db/url", AccessDecision.Forbidden)]
    [InlineData("user:eve", "read", "variable:prod/db/url", AccessDecision.Allowed)]
    [InlineData("user:eve", "execute", "variable:prod/db/password", AccessDecision.Hidden)]
    [InlineData("user:frank", "execute", "variable:prod/db/url", AccessDecision.Forbidden)]
    [InlineData("user:dave", "update", "policy:prod/db", AccessDecision.Forbidden)]
    [InlineData("user:dave", "update", "variable:prod/db/url", AccessDecision.Hidden)]
    [InlineData("host:prod/db/app-01", "update", "variable:prod/db/password", AccessDecision.Forbidden)]
    [InlineData("host:prod/db/app-01", "update", "host_factory:prod/db", AccessDecision.Forbidden)]
    [InlineData("host:prod/db/app-01", "execute", "variable:prod/db/password", AccessDecision.Allowed)]
    [InlineData("user:carol", "execute", "variable:prod/db/password", AccessDecision.Hidden)]
    [InlineData("user:admin", "execute", "variable:prod/db/missing", AccessDecision.Absent)]
    [InlineData("user:mallory", "execute", "variable:prod/db/url", AccessDecision.Hidden)]
    [InlineData("user:admin", "execute", "other:variable:prod/db/url", AccessDecision.Absent)]
    // Visibility only (a null privilege): shown or not found, never forbidden.
    [InlineData("user:eve", null, "variable:prod/db/url", AccessDecision.Allowed)]
    [InlineData("user:eve", null, "variable:prod/db/password", AccessDecision.Hidden)]
    [InlineData("user:dave", null, "policy:prod/db", AccessDecision.Allowed)]
    [InlineData("user:admin", null, "variable:prod/db/missing", AccessDecision.Absent)]
    public void Decide_distinguishes_absent_hidden_and_forbidden(string role, string? privilege, string resource, AccessDecision expected) =>
        Assert.Equal(expected, Snapshot.Decide(Id(role), privilege, Id(resource)));

    [Fact]
    public void Decide_agrees_with_visibility_and_allowed_for_every_combination()
    {
        string[] roles = ["user:admin", "user:alice", "user:carol", "user:eve", "user:frank", "user:dave", "host:prod/db/app-01", "layer:prod/db", "user:mallory"];
        string[] privileges = ["read", "execute", "update", "create", "custom"];
        var resources = Snapshot.VisibleResources(Id("user:admin")).Append(Id("variable:nope"));
        foreach (var role in roles)
        {
            foreach (var resource in resources)
            {
                foreach (var privilege in privileges)
                {
                    var expected = !Snapshot.ResourceExists(resource) ? AccessDecision.Absent
                        : !Snapshot.IsVisible(resource, Id(role)) ? AccessDecision.Hidden
                        : !Snapshot.IsAllowed(Id(role), privilege, resource) ? AccessDecision.Forbidden
                        : AccessDecision.Allowed;
                    Assert.Equal(expected, Snapshot.Decide(Id(role), privilege, resource));
                }
            }
        }
    }

    [Theory]
    [InlineData("user:admin", false, "policy:prod/db", AccessDecision.Forbidden)]
    [InlineData("user:admin", true, "policy:prod/db", AccessDecision.Allowed)]
    [InlineData("user:eve", true, "variable:prod/db/password", AccessDecision.Hidden)]
    [InlineData("user:admin", true, "policy:nope", AccessDecision.Absent)]
    public void Decide_with_a_rule_asks_it_only_for_visible_resources(string role, bool rule, string resource, AccessDecision expected)
    {
        var asked = false;
        var decision = Snapshot.Decide(Id(role), Id(resource), _ =>
        {
            asked = true;
            return rule;
        });
        Assert.Equal(expected, decision);
        Assert.Equal(expected is AccessDecision.Allowed or AccessDecision.Forbidden, asked);
    }

    [Theory]
    // A resource without a role (a webservice) is no role: absent even to its owner.
    [InlineData("user:admin", "update", "webservice:conjur/authn-jwt/okta", AccessDecision.Absent)]
    [InlineData("user:admin", "update", "user:alice", AccessDecision.Allowed)]
    [InlineData("user:admin", null, "layer:prod/db", AccessDecision.Allowed)]
    [InlineData("user:alice", "update", "user:carol", AccessDecision.Hidden)]
    [InlineData("user:admin", "update", "user:nobody", AccessDecision.Absent)]
    public void Decide_on_a_role_requires_the_role_to_exist(string caller, string? privilege, string target, AccessDecision expected) =>
        Assert.Equal(expected, Snapshot.DecideOnRole(Id(caller), privilege, Id(target)));

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
