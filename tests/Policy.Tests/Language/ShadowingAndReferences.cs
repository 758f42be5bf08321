using Secrets.Policy.Language;
using Secrets.Policy.Store;

namespace Secrets.Policy.Tests.Language;

/// <summary>Rows of other policies are never changed (spec 4.6); references must exist (spec 4.3, 4.9).</summary>
public class ShadowingRowsOfOtherPolicies
{
    // Root declared `app/db` inside `!policy app`; a load into `app` redeclares it differently.
    private static PolicyState State() => PolicyKit.Load(PolicyKit.Bootstrap(), """
        - !group ops
        - !user { id: bob, restricted_to: 10.0.0.1 }
        - !policy
          id: app
          body:
          - !variable { id: db, annotations: { team: a } }
          - !host { id: h, restricted_to: 10.0.0.1 }
          - !grant { role: !host h, member: !user /bob }
        """);

    [Theory]
    [InlineData(PolicyLoadMode.Add)]
    [InlineData(PolicyLoadMode.Update)]
    [InlineData(PolicyLoadMode.Replace)]
    public void A_redeclared_record_of_another_policy_is_left_alone(PolicyLoadMode mode)
    {
        var plan = PolicyKit.Plan("""
            - !variable { id: db, owner: !group /ops, annotations: { team: b, extra: x } }
            - !host { id: h, restricted_to: 192.168.0.0/16 }
            - !grant { role: !host h, member: !member { role: !user /bob, admin: true } }
            """, mode, State(), "app");

        Assert.Empty(plan.Inserts.Roles);
        Assert.Empty(plan.Inserts.Resources);
        Assert.Equal(0, plan.Updates.Count);
        Assert.Equal(0, plan.Deletes.Count);
        Assert.Empty(plan.CreatedRoleIds);

        // New annotation names are shadowed too (issue 8; Conjur adds them as rows of this policy).
        Assert.Empty(plan.Inserts.Annotations);
    }

    [Fact]
    public void Rows_with_a_null_policy_id_are_shadowed_too()
    {
        var plan = PolicyKit.Plan("- !user { id: admin, owner: !user admin }", PolicyLoadMode.Update);

        Assert.True(plan.IsEmpty);
    }

    [Fact]
    public void Public_keys_of_resources_of_another_policy_are_not_stored()
    {
        var state = PolicyKit.Load(PolicyKit.Bootstrap("app"), "- !user { id: app/u, public_keys: [ssh-rsa AAA k1] }");

        var plan = PolicyKit.Plan("- !user { id: u, public_keys: [ssh-rsa BBB k1, ssh-rsa CCC k2] }", PolicyLoadMode.Update, state, "app");

        Assert.Equal([new PublicKeyValue("acct:public_key:user/u@app/k2", "ssh-rsa CCC k2")], plan.PublicKeys);
    }

    [Fact]
    public void Public_keys_are_listed_on_every_load_for_the_server_to_compare()
    {
        var state = PolicyKit.Load(PolicyKit.Bootstrap(), "- !user { id: u, public_keys: [ssh-rsa AAA k1] }");

        var plan = PolicyKit.Plan("- !user { id: u, public_keys: [ssh-rsa AAA k1] }", PolicyLoadMode.Add, state);

        Assert.True(plan.IsEmpty);
        Assert.Equal([new PublicKeyValue("acct:public_key:user/u/k1", "ssh-rsa AAA k1")], plan.PublicKeys);
    }
}

public class ReferencingMissingRecords
{
    public static TheoryData<string, string> Missing => new()
    {
        { "- !group g\n- !grant { role: !group g, member: !user bob }", "User 'bob' not found in account 'acct'" },
        { "- !user u\n- !grant { role: !group nope, member: !user u }", "Group 'nope' not found in account 'acct'" },
        { "- !variable { id: v, owner: !group ops }", "Group 'ops' not found in account 'acct'" },
        { "- !user u\n- !permit { role: !user u, privilege: read, resource: !variable v }", "Variable 'v' not found in account 'acct'" },
        { "- !variable v\n- !permit { role: !host h, privilege: read, resource: !variable v }", "Host 'h' not found in account 'acct'" },
        { "- !host-factory { id: f, layers: [ !layer web ] }", "Layer 'web' not found in account 'acct'" },
        { "- !group g\n- !grant { role: !group g, member: !host-factory f }", "Host_factory 'f' not found in account 'acct'" },
        { "- !group g\n- !grant { role: !group g, member: !role { kind: group, id: x } }", "Group 'x' not found in account 'acct'" },
    };

    [Theory]
    [MemberData(nameof(Missing))]
    public void A_reference_to_a_record_that_exists_nowhere_is_an_error(string text, string message)
    {
        var error = PolicyKit.Fail(text);

        Assert.Equal(PolicyErrorCode.PolicyInvalid, error.Code);
        Assert.Equal(message, error.Message);
        Assert.False(error.IsStructural);
        Assert.NotNull(error.Line);
    }

    [Fact]
    public void A_reference_may_name_a_record_of_the_database_or_of_the_text()
    {
        var state = PolicyKit.Load(PolicyKit.Bootstrap(), "- !group ops");

        var plan = PolicyKit.Plan("- !grant { role: !group ops, member: !user u }\n- !user u", PolicyLoadMode.Add, state, "root");

        Assert.Single(plan.Inserts.Memberships);
    }

    [Fact]
    public void A_reference_to_a_record_deleted_by_the_same_load_is_an_error()
    {
        var state = PolicyKit.Load(PolicyKit.Bootstrap(), "- !group ops\n- !user u");

        var error = PolicyKit.Fail("- !delete { record: !group ops }\n- !grant { role: !group ops, member: !user u }", PolicyLoadMode.Update, state);

        Assert.Equal("Group 'ops' not found in account 'acct'", error.Message);
    }

    [Fact]
    public void Revoke_deny_and_delete_may_name_absent_records()
    {
        var plan = PolicyKit.Plan(
            "- !revoke { role: !group a, member: !user b }\n- !deny { role: !user b, privilege: read, resource: !variable c }\n- !delete { record: !variable c }",
            PolicyLoadMode.Update);

        Assert.True(plan.IsEmpty);
    }
}

public class ApplyingServerSettings
{
    [Fact]
    public void Users_outside_root_can_be_forbidden()
    {
        var options = new PolicyPlanOptions { UsersInRootPolicyOnly = true };

        Assert.True(PolicyKit.TryPlan("- !user alice", options: options).Succeeded);
        Assert.Equal("User creation is disabled.", PolicyKit.Fail("- !policy { id: p, body: [ !user bob ] }", options: options).Message);
    }

    [Theory]
    [InlineData("- !host h", false)]
    [InlineData("- !host { id: h, annotations: { authn/api-key: false } }", false)]
    [InlineData("- !host { id: h, annotations: { authn/api-key: 'FALSE' } }", false)]
    [InlineData("- !host { id: h, annotations: { authn/api-key: true } }", true)]
    public void Hosts_can_be_required_to_opt_in_to_api_keys(string text, bool accepted)
    {
        var result = PolicyKit.TryPlan(text, options: new PolicyPlanOptions { HostsRequireApiKeyAnnotation = true });

        Assert.Equal(accepted, result.Succeeded);
        if (!accepted)
        {
            Assert.StartsWith("API key authentication for hosts is disabled by default", result.Error!.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Warnings_reach_the_plan()
    {
        var plan = PolicyKit.Plan("- !variable { id: v, annotations: { kind: password } }");

        Assert.Single(plan.Warnings);
    }
}
