using Secrets.Policy.Authorization;
using static Secrets.Policy.Tests.Authorization.World;

namespace Secrets.Policy.Tests.Authorization;

/// <summary>Spec 2.5 / 4.6: PUT needs the privilege on the policy and on every resource under <c>&lt;policy&gt;/</c>.</summary>
public sealed class CheckingBranchPrivilege
{
    private static readonly AuthorizationSnapshot Snapshot = new World()
        .Role("user:admin", "user:admin", policy: null)
        .Role("policy:root", "user:admin", policy: null)
        .Role("group:ops", "user:admin")
        .Role("user:alice", "user:admin")
        .Grant("group:ops", "user:alice")
        .Role("user:bob", "user:admin")
        .Role("user:zed", "user:admin")
        .Role("user:pat", "user:admin")
        // prod is owned by ops, and owns everything under it (through its sub-policy too).
        .Role("policy:prod", "group:ops")
        .Resource("variable:prod/a", "policy:prod")
        .Role("policy:prod/db", "policy:prod")
        .Resource("variable:prod/db/password", "policy:prod/db")
        .Role("host:prod/db/app", "policy:prod/db")
        // Not under "prod/", all owned by zed, whom alice does not hold: a user declared in the branch
        // (named name@branch), siblings that merely start with "prod", and another account's "prod/" resources.
        .Role("user:carl@prod", "user:zed")
        .Resource("variable:production", "user:zed")
        .Resource("variable:prodx/y", "user:zed")
        .Resource("other:variable:prod/a", "user:zed")
        .Resource("acct2:variable:prod/b", "user:zed")
        .Resource("acc:variable:prod/c", "user:zed")
        // shared is owned by ops, but one variable under it belongs to zed.
        .Role("policy:shared", "group:ops")
        .Resource("variable:shared/mine", "policy:shared")
        .Resource("variable:shared/theirs", "user:zed")
        // clean: pat is permitted on the policy and on each resource under it, one by one.
        .Role("policy:clean", "user:admin")
        .Resource("variable:clean/x", "policy:clean")
        .Role("layer:clean/l", "policy:clean")
        .Resource("variable:clean/sub/deep", "policy:clean")
        .Role("policy:empty", "user:admin")
        // bob: update on prod only. zed: update on prod and all under it but prod/db/password.
        .Permit("user:bob", "update", "policy:prod")
        .Permit("user:zed", "update", "policy:prod")
        .Permit("user:zed", "update", "variable:prod/a")
        .Permit("user:zed", "update", "policy:prod/db")
        .Permit("user:zed", "update", "host:prod/db/app")
        .Permit("user:pat", "update", "policy:clean")
        .Permit("user:pat", "update", "variable:clean/x")
        .Permit("user:pat", "update", "layer:clean/l")
        .Permit("user:pat", "update", "variable:clean/sub/deep")
        .Permit("user:pat", "read", "variable:clean/x")
        .Permit("user:pat", "update", "policy:empty")
        .Build();

    [Theory]
    [InlineData("user:alice", "update", "policy:prod", true)]
    [InlineData("user:alice", "update", "policy:prod/db", true)]
    [InlineData("user:alice", "custom", "policy:prod", true)]
    [InlineData("user:alice", "update", "policy:shared", false)]
    [InlineData("user:admin", "update", "policy:shared", true)]
    [InlineData("user:alice", "update", "policy:clean", false)]
    [InlineData("user:bob", "update", "policy:prod", false)]
    [InlineData("user:zed", "update", "policy:prod", false)]
    [InlineData("user:zed", "update", "policy:prod/db", false)]
    [InlineData("user:pat", "update", "policy:clean", true)]
    [InlineData("user:pat", "read", "policy:clean", false)]
    [InlineData("user:pat", "create", "policy:clean", false)]
    [InlineData("user:pat", "update", "policy:empty", true)]
    [InlineData("user:bob", "update", "policy:empty", false)]
    [InlineData("user:admin", "update", "policy:root", true)]
    [InlineData("user:alice", "update", "policy:root", false)]
    [InlineData("user:mallory", "update", "policy:clean", false)]
    [InlineData("user:admin", "update", "policy:missing", false)]
    public void Privilege_is_needed_on_the_policy_and_everything_under_it(string role, string privilege, string policy, bool expected) =>
        Assert.Equal(expected, Snapshot.HasPrivilegeOnBranch(Id(role), privilege, Id(policy)));

    [Fact]
    public void Resources_outside_the_prefix_are_really_forbidden_to_alice()
    {
        // The first theory row is only meaningful if these are denied (they are owned by zed).
        foreach (var id in new[] { "user:carl@prod", "variable:production", "variable:prodx/y", "other:variable:prod/a", "acct2:variable:prod/b", "acc:variable:prod/c" })
        {
            Assert.False(Snapshot.IsAllowed(Id("user:alice"), "update", Id(id)), id);
        }
    }
}
