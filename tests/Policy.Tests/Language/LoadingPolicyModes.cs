using Secrets.Policy.Language;
using Secrets.Policy.Store;

namespace Secrets.Policy.Tests.Language;

/// <summary>POST, PATCH and PUT (spec 4.6).</summary>
public class LoadingPolicyModes
{
    private const string Base = """
        - !group ops
        - !group devs
        - !user { id: alice, restricted_to: 10.0.0.1 }
        - !variable { id: db, owner: !group ops, annotations: { description: main, team: a } }
        - !grant { role: !group ops, member: !user alice }
        - !permit { role: !group ops, privilege: read, resource: !variable db }
        """;

    private const string Changed = """
        - !group ops
        - !group devs
        - !user { id: alice, restricted_to: 10.0.0.2 }
        - !variable { id: db, owner: !group devs, annotations: { description: changed, extra: new } }
        - !grant { role: !group ops, member: !member { role: !user alice, admin: true } }
        - !permit { role: !group ops, privilege: read, resource: !variable db }
        """;

    private static PolicyState Loaded() => PolicyKit.Load(PolicyKit.Bootstrap(), Base);

    [Fact]
    public void Post_inserts_new_rows_but_never_changes_existing_ones()
    {
        var plan = PolicyKit.Plan(Changed, PolicyLoadMode.Add, Loaded());

        Assert.Equal(0, plan.Updates.Resources.Count + plan.Updates.Annotations.Count + plan.Updates.Memberships.Count);
        Assert.Equal(0, plan.Deletes.Count);
        // A new annotation name on an existing resource is added even by POST.
        Assert.Equal([new AnnotationRow("acct:variable:db", "extra", "new", PolicyKit.Root)], plan.Inserts.Annotations);
        Assert.Empty(plan.Inserts.Roles);
        Assert.Empty(plan.CreatedRoleIds);
    }

    [Fact]
    public void Post_takes_the_union_of_restrictions()
    {
        var plan = PolicyKit.Plan(Changed, PolicyLoadMode.Add, Loaded());

        var update = Assert.Single(plan.Updates.CredentialRestrictions);
        Assert.Equal(["10.0.0.1/32"], update.Before.RestrictedTo);
        Assert.Equal(["10.0.0.1/32", "10.0.0.2/32"], update.After.RestrictedTo);
    }

    [Theory]
    [InlineData(PolicyLoadMode.Update)]
    [InlineData(PolicyLoadMode.Replace)]
    public void Patch_and_put_update_owners_annotation_values_admin_options_and_restrictions(PolicyLoadMode mode)
    {
        var state = Loaded();
        var plan = PolicyKit.Plan(Changed, mode, state);
        var after = state.Apply(plan);

        Assert.Equal("acct:group:devs", after.Resource("acct:variable:db")!.OwnerId);
        Assert.Equal("changed", after.Annotation("acct:variable:db", "description"));
        Assert.Equal("new", after.Annotation("acct:variable:db", "extra"));
        Assert.True(after.Memberships.Single(m => m.MemberId == "acct:user:alice").AdminOption);
        Assert.Equal(["10.0.0.2/32"], after.RestrictedTo("acct:user:alice"));
        var ownerUpdate = Assert.Single(plan.Updates.Resources);
        Assert.Equal(("acct:group:ops", "acct:group:devs"), (ownerUpdate.Before.OwnerId, ownerUpdate.After.OwnerId));
    }

    [Fact]
    public void Patch_keeps_rows_the_text_no_longer_mentions()
    {
        var after = PolicyKit.Load(Loaded(), Changed, PolicyLoadMode.Update);

        Assert.Equal("a", after.Annotation("acct:variable:db", "team"));
    }

    [Fact]
    public void Put_deletes_rows_the_text_no_longer_mentions()
    {
        var plan = PolicyKit.Plan(Changed, PolicyLoadMode.Replace, Loaded());

        Assert.Equal([new AnnotationRow("acct:variable:db", "team", "a", PolicyKit.Root)], plan.Deletes.Annotations);
        Assert.Equal(1, plan.Deletes.Count);
    }

    [Theory]
    [InlineData(PolicyLoadMode.Update)]
    [InlineData(PolicyLoadMode.Replace)]
    public void Patch_and_put_clear_restrictions_the_text_omits(PolicyLoadMode mode)
    {
        var after = PolicyKit.Load(Loaded(), "- !user alice", mode);

        // No networks is no restriction: the row is gone, as when it is read back from the database.
        Assert.Null(after.RestrictedTo("acct:user:alice"));
    }

    [Fact]
    public void Post_rejects_deletion_statements()
    {
        var error = PolicyKit.Fail("- !user a\n- !delete { record: !user a }");

        Assert.Equal(PolicyErrorCode.ValidationFailed, error.Code);
        Assert.Equal("policy_text may not contain deletion statements", error.Message);
        Assert.Equal("policy_text", error.Target);
        Assert.Equal("may not contain deletion statements", error.TargetMessage);
    }

    [Fact]
    public void Delete_removes_the_record_and_everything_it_owns_recursively()
    {
        var state = PolicyKit.Load(PolicyKit.Bootstrap(), """
            - !group ops
            - !group { id: sub, owner: !group ops }
            - !variable { id: v, owner: !group sub, annotations: { a: b } }
            - !user { id: u, restricted_to: 10.0.0.1 }
            - !host { id: h, owner: !group sub }
            - !grant { role: !group ops, member: !user u }
            - !permit { role: !user u, privilege: read, resource: !variable v }
            - !variable keep
            """);

        var plan = PolicyKit.Plan("- !delete { record: !group ops }", PolicyLoadMode.Update, state);

        Assert.Equal(["acct:group:ops", "acct:group:sub", "acct:host:h", "acct:variable:v"], plan.DeletedIds.Order(StringComparer.Ordinal));
        Assert.Equal(("acct:group:ops", "acct:user:u"), (plan.Deletes.Memberships.Single().RoleId, plan.Deletes.Memberships.Single().MemberId));
        Assert.Equal("acct:variable:v", plan.Deletes.Permissions.Single().ResourceId);
        Assert.Equal("a", plan.Deletes.Annotations.Single().Name);
        var after = state.Apply(plan);
        Assert.NotNull(after.Resource("acct:variable:keep"));
        Assert.NotNull(after.Resource("acct:user:u"));
    }

    [Fact]
    public void Delete_of_a_user_removes_its_credential_restrictions()
    {
        var state = PolicyKit.Load(PolicyKit.Bootstrap(), "- !user { id: u, restricted_to: 10.0.0.1 }");

        var plan = PolicyKit.Plan("- !delete { record: !user u }", PolicyLoadMode.Update, state);

        Assert.Equal("acct:user:u", plan.Deletes.CredentialRestrictions.Single().RoleId);
    }

    [Fact]
    public void Delete_of_something_absent_does_nothing()
    {
        Assert.True(PolicyKit.Plan("- !delete { record: !variable nope }", PolicyLoadMode.Update).IsEmpty);
    }

    [Fact]
    public void A_record_deleted_and_declared_again_comes_back_empty_with_a_new_api_key()
    {
        var state = PolicyKit.Load(PolicyKit.Bootstrap(), "- !user { id: u, annotations: { a: b } }");

        var plan = PolicyKit.Plan("- !delete { record: !user u }\n- !user u", PolicyLoadMode.Update, state);

        Assert.Equal(["acct:user:u"], plan.DeletedIds);
        Assert.Equal(["acct:user:u"], plan.CreatedIds);
        Assert.Equal(["acct:user:u"], plan.CreatedRoleIds);
        Assert.Null(state.Apply(plan).Annotation("acct:user:u", "a"));
    }

    [Fact]
    public void Revoke_and_deny_remove_only_rows_of_this_policy()
    {
        var state = PolicyKit.Load(PolicyKit.Bootstrap("app"), """
            - !group app/g
            - !user u
            - !variable app/v
            - !grant { role: !group app/g, member: !user u }
            - !permit { role: !user u, privilege: read, resource: !variable app/v }
            """);

        var fromApp = PolicyKit.Plan(
            "- !revoke { role: !group g, member: !user /u }\n- !deny { role: !user /u, privilege: read, resource: !variable v }",
            PolicyLoadMode.Update,
            state,
            "app");
        var fromRoot = PolicyKit.Plan(
            "- !revoke { role: !group app/g, member: !user u }\n- !deny { role: !user u, privilege: read, resource: !variable app/v }",
            PolicyLoadMode.Update,
            state);

        Assert.True(fromApp.IsEmpty);
        Assert.Single(fromRoot.Deletes.Memberships);
        Assert.Single(fromRoot.Deletes.Permissions);
    }

    [Fact]
    public void Put_on_root_without_a_sub_policy_deletes_it_and_all_its_content()
    {
        var state = PolicyKit.Load(PolicyKit.Bootstrap(), """
            - !user alice
            - !policy
              id: prod
              body:
              - !variable a
              - !layer
            """);
        // A later load into the branch itself: rows with policy id prod, owned by policy:prod.
        state = PolicyKit.Load(state, "- !variable b\n- !host h\n- !grant { role: !layer, member: !host h }", PolicyLoadMode.Add, "prod");

        var plan = PolicyKit.Plan("- !user alice", PolicyLoadMode.Replace, state);
        var after = state.Apply(plan);

        Assert.Equal(["acct:user:admin", "acct:policy:root", "acct:user:alice"], after.Resources.Select(r => r.ResourceId));
        Assert.Equal(["acct:user:admin", "acct:policy:root", "acct:user:alice"], after.Roles.Select(r => r.RoleId));
        Assert.Empty(after.Memberships);
        Assert.Contains("acct:host:prod/h", plan.DeletedIds);
    }

    [Fact]
    public void Put_does_not_delete_rows_of_other_policies()
    {
        var state = PolicyKit.Load(PolicyKit.Bootstrap("app"), "- !group app/g\n- !user u\n- !variable { id: app/y, owner: !group app/g }");
        state = PolicyKit.Load(state, "- !variable x\n- !grant { role: !group g, member: !user /u }", PolicyLoadMode.Add, "app");

        var plan = PolicyKit.Plan("- !policy app\n- !group app/g\n- !user u", PolicyLoadMode.Replace, state);

        // variable app/y (root's) goes; variable app/x and the membership created by policy app stay.
        Assert.Equal(["acct:variable:app/y"], plan.DeletedIds);
        Assert.Empty(plan.Deletes.Memberships);
        Assert.Equal(0, plan.Inserts.Count + plan.Updates.Count);
    }

    [Theory]
    [InlineData(PolicyLoadMode.Add)]
    [InlineData(PolicyLoadMode.Update)]
    [InlineData(PolicyLoadMode.Replace)]
    public void Redeclaring_an_existing_user_never_creates_a_new_api_key(PolicyLoadMode mode)
    {
        var plan = PolicyKit.Plan(Base, mode, Loaded());

        Assert.Empty(plan.CreatedRoleIds);
        Assert.True(plan.IsEmpty);
    }

    [Fact]
    public void The_dry_run_report_names_created_updated_and_deleted_records()
    {
        var state = PolicyKit.Load(PolicyKit.Bootstrap(), Base + "\n- !variable old");

        var plan = PolicyKit.Plan(Changed + "\n- !host new", PolicyLoadMode.Replace, state);

        Assert.Equal(["acct:host:new"], plan.CreatedIds);
        Assert.Equal(["acct:variable:old"], plan.DeletedIds);
        Assert.Equal(["acct:group:ops", "acct:user:alice", "acct:variable:db"], plan.UpdatedIds.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Inserted_rows_carry_the_target_policy_id()
    {
        var plan = PolicyKit.Plan("- !policy { id: inner, body: [ !variable v ] }", PolicyLoadMode.Add, PolicyKit.Bootstrap("app"), "app");

        Assert.All(plan.Inserts.Resources, r => Assert.Equal("acct:policy:app", r.PolicyId));
        Assert.All(plan.Inserts.Roles, r => Assert.Equal("acct:policy:app", r.PolicyId));
        Assert.Equal("acct:policy:app/inner", plan.Inserts.Resources.Single(r => r.ResourceId.EndsWith("/v", StringComparison.Ordinal)).OwnerId);
    }
}
