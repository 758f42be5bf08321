using Secrets.Policy.Language;

namespace Secrets.Policy.Tests.Language;

/// <summary>
/// Issue 8: <c>!role</c> records get no credentials (Conjur gives them only to <c>!user</c> and <c>!host</c>), and a
/// <c>!role</c> of kind <c>user</c> follows the user-id rules of spec 4.4 like <c>!user</c>.
/// </summary>
public sealed class DeclaringRolesThatCannotLogIn
{
    [Fact]
    public void A_role_of_kind_user_in_a_branch_named_user_is_not_the_user_user_slash_admin()
    {
        var record = Assert.Single(PolicyKit.Resolve("- !role { kind: user, id: admin }", "user").Records);

        Assert.Equal("acct:user:admin@user", record.FullId);
        Assert.False(record.HasCredentials);
    }

    [Fact]
    public void A_role_of_kind_user_follows_the_same_id_rules_as_a_user()
    {
        var role = Assert.Single(PolicyKit.Resolve("- !role { kind: user, id: prod/app }", "host").Records);
        var user = Assert.Single(PolicyKit.Resolve("- !user { id: prod/app }", "host").Records);

        Assert.Equal("acct:user:app@host-prod", role.FullId);
        Assert.Equal(user.FullId, role.FullId);
    }

    [Fact]
    public void A_reference_through_a_role_of_kind_user_names_the_same_user_as_a_user_reference()
    {
        var grants = PolicyKit.Resolve(
            "- !group g\n- !user alice\n- !grant { role: !group g, member: !role { kind: user, id: alice } }\n- !grant { role: !group g, member: !user alice }",
            "dev").Grants;

        Assert.Equal(["acct:user:alice@dev", "acct:user:alice@dev"], grants.Select(g => g.MemberId));
    }

    [Theory]
    [InlineData("- !role { kind: user, id: admin }", "user")]
    [InlineData("- !role { kind: host, id: app }", "root")]
    [InlineData("- !role { kind: user, id: bob }", "root")]
    public void A_role_record_creates_a_role_but_no_credentials(string text, string branch)
    {
        var state = branch == "root" ? PolicyKit.Bootstrap() : PolicyKit.Bootstrap(branch);

        var plan = PolicyKit.Plan(text, state: state, policy: branch);

        Assert.Single(plan.Inserts.Roles);
        Assert.Empty(plan.CreatedRoleIds);
    }

    [Fact]
    public void Users_and_hosts_still_get_credentials()
    {
        var plan = PolicyKit.Plan("- !user alice\n- !host app");

        Assert.Equal(["acct:user:alice", "acct:host:app"], plan.CreatedRoleIds);
    }
}
