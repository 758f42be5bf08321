using Secrets.Policy.Language;

namespace Secrets.Policy.Tests.Language;

/// <summary>Id resolution (spec 4.4) and ownership defaults (spec 4.5).</summary>
public class ResolvingPolicyIds
{
    [Fact]
    public void Nested_policies_compose_their_namespaces()
    {
        var policy = PolicyKit.Resolve("""
            - !policy
              id: a
              body:
              - !variable v
              - !policy
                id: b
                body:
                - !variable v
                - !policy
                  id: c
                  body:
                  - !variable v
            """);

        Assert.Equal(
            ["acct:policy:a", "acct:variable:a/v", "acct:policy:a/b", "acct:variable:a/b/v", "acct:policy:a/b/c", "acct:variable:a/b/c/v"],
            policy.Records.Select(r => r.FullId));
        Assert.Equal("acct:policy:a/b", policy.Record("acct:variable:a/b/v").OwnerId);
        Assert.Equal("acct:policy:a", policy.Record("acct:policy:a/b").OwnerId);
        Assert.Equal(PolicyKit.Admin, policy.Record("acct:policy:a").OwnerId);
    }

    [Fact]
    public void A_branch_load_is_wrapped_in_the_branch_policy()
    {
        var policy = PolicyKit.Resolve("- !variable x\n- !layer\n- !grant { role: !layer, member: !host /prod/db/h }\n- !host h", "prod/db", "acct:group:ops");

        Assert.Equal("acct:policy:prod/db", policy.PolicyId);
        Assert.Equal(["acct:variable:prod/db/x", "acct:layer:prod/db", "acct:host:prod/db/h"], policy.Records.Select(r => r.FullId));
        Assert.All(policy.Records, r => Assert.Equal("acct:policy:prod/db", r.OwnerId));
        Assert.Equal("acct:layer:prod/db", Assert.Single(policy.Grants).RoleId);
    }

    [Fact]
    public void Top_level_records_of_root_are_owned_by_the_root_owner()
    {
        var policy = PolicyKit.Resolve("- !user alice\n- !policy { id: p, owner: !user alice }");

        Assert.Equal(PolicyKit.Admin, policy.Record("acct:user:alice").OwnerId);
        Assert.Equal("acct:user:alice", policy.Record("acct:policy:p").OwnerId);
    }

    [Fact]
    public void An_empty_id_inside_a_policy_is_the_policy_id()
    {
        var policy = PolicyKit.Resolve("""
            - !policy
              id: conjur/authn-jwt/okta
              body:
              - !webservice
              - !layer
              - !host-factory { layers: [ !layer ] }
            """);

        Assert.Equal(
            ["acct:policy:conjur/authn-jwt/okta", "acct:webservice:conjur/authn-jwt/okta", "acct:layer:conjur/authn-jwt/okta", "acct:host_factory:conjur/authn-jwt/okta"],
            policy.Records.Select(r => r.FullId));
    }

    [Theory]
    [InlineData("- !layer", "layer has a blank id")]
    [InlineData("- !user ''", "user has a blank id")]
    [InlineData("- !host-factory { layers: [!layer l] }\n- !layer l", "host_factory has a blank id")]
    [InlineData("- !grant { role: !group, member: !user u }", "group has a blank id")]
    [InlineData("- !policy { body: [] }", "policy has a blank id")]
    public void A_blank_id_outside_any_namespace_is_an_error(string text, string message)
    {
        var error = PolicyKit.ResolveError(text);

        Assert.Equal(PolicyErrorCode.PolicyInvalid, error.Code);
        Assert.Equal(message, error.Message);
        Assert.False(error.IsStructural);
        Assert.NotNull(error.Line);
    }

    public static TheoryData<string, string, string> RelativeReferences => new()
    {
        // owner accepts `/` (relative to the account root) and `..`
        { "- !variable { id: v, owner: !group /ops }", "acct:variable:prod/db/v", "owner=acct:group:ops" },
        { "- !variable { id: v, owner: !group ../ops }", "acct:variable:prod/db/v", "owner=acct:group:prod/ops" },
        { "- !variable { id: v, owner: !group ../../ops }", "acct:variable:prod/db/v", "owner=acct:group:ops" },
        // grant members and permit roles accept them too
        { "- !grant { role: !group g, member: !group ../ops }", "acct:group:prod/db/g", "member=acct:group:prod/ops" },
        { "- !permit { role: !group /ops, privilege: read, resource: !variable v }", "acct:variable:prod/db/v", "role=acct:group:ops" },
        // `..` in the middle of a path
        { "- !grant { role: !group g, member: !group /prod/database/../frontend }", "acct:group:prod/db/g", "member=acct:group:prod/frontend" },
    };

    [Theory]
    [MemberData(nameof(RelativeReferences))]
    public void Relative_and_absolute_paths_apply_to_owners_members_and_permit_roles(string statement, string subject, string expected)
    {
        var text = statement + "\n- !group g\n- !variable v";
        if (statement.Contains("id: v", StringComparison.Ordinal))
        {
            text = statement;
        }

        var policy = PolicyKit.Resolve(text, "prod/db", PolicyKit.Admin);
        var (name, id) = (expected.Split('=')[0], expected.Split('=')[1]);
        var actual = name switch
        {
            "owner" => policy.Record(subject).OwnerId,
            "member" => Assert.Single(policy.Grants, g => g.RoleId == subject).MemberId,
            _ => Assert.Single(policy.Permits, p => p.ResourceId == subject).RoleId,
        };
        Assert.Equal(id, actual);
    }

    [Fact]
    public void Relative_annotation_values_resolve_against_the_record()
    {
        var record = PolicyKit.Resolve("- !host { id: h, annotations: { peer: ../db, plain: a/b } }", "prod", PolicyKit.Admin).Records[0];

        Assert.Equal("prod/db", record.Annotation("peer"));
        Assert.Equal("a/b", record.Annotation("plain"));
    }

    [Theory]
    [InlineData("- !variable { id: v, owner: !group ../../ops }", "prod", "Invalid relative reference: prod/../../ops")]
    [InlineData("- !grant { role: !group g, member: !group /../x }\n- !group g", "root", "Invalid relative reference: ../x")]
    [InlineData("- !variable /x", "prod", "Illegal absolute id: /x")]
    [InlineData("- !grant { role: !group /ops, member: !user /alice }", "prod", "Illegal absolute id: /ops")]
    [InlineData("- !permit { role: !group /ops, privilege: read, resource: !variable /x }", "prod", "Illegal absolute id: /x")]
    [InlineData("- !delete { record: !variable /x }", "prod", "Illegal absolute id: /x")]
    [InlineData("- !grant { role: !group g, member: !user ../x/../../y }\n- !group g", "a", "Invalid relative reference: a/../x/../../y")]
    public void Bad_paths_are_errors(string text, string policy, string message)
    {
        Assert.Equal(message, PolicyKit.ResolveError(text, policy, PolicyKit.Admin).Message);
    }

    [Fact]
    public void Relative_paths_are_not_applied_to_layers_so_a_dot_dot_layer_is_refused()
    {
        // Conjur would grant the layer `prod/app/../web` as written; ids with `..` segments are refused (issue 8).
        var error = PolicyKit.ResolveError("- !host-factory { layers: [ !layer ../web ] }", "prod/app", PolicyKit.Admin);

        Assert.Equal("Invalid id: prod/app/../web ('.' and '..' may not be segments of an id)", error.Detail);
    }

    [Fact]
    public void Users_in_a_policy_get_at_ids()
    {
        var policy = PolicyKit.Resolve("""
            - !user alice
            - !policy
              id: dev
              body:
              - !policy
                id: db
                body:
                - !user alice
                - !grant { role: !group g, member: !user alice }
                - !group g
              - !grant { role: !group g, members: [ !user /alice, !user /dev/db/alice, !user /alice@dev-db, !user db/alice ] }
              - !group g
            """);

        Assert.Contains(policy.Records, r => r.FullId == "acct:user:alice@dev-db");
        Assert.Equal("acct:user:alice@dev-db", policy.Grants[0].MemberId);
        Assert.Equal(
            ["acct:user:alice", "acct:user:alice@dev-db", "acct:user:alice@dev-db", "acct:user:alice@dev-db"],
            policy.Grants.Skip(1).Select(g => g.MemberId));
    }

    [Theory]
    [InlineData("- !user a\n- !user a", "user 'a' is declared more than once")]
    [InlineData("- !policy { id: p, body: [ !variable v ] }\n- !variable p/v", "variable 'p/v' is declared more than once")]
    [InlineData("- !host-factory { id: f, layers: [!layer l] }\n- !host-factory { id: f, layers: [!layer l] }\n- !layer l", "host factory 'f' is declared more than once")]
    public void Declaring_a_record_twice_is_an_error(string text, string message)
    {
        Assert.Equal(message, PolicyKit.ResolveError(text).Message);
    }

    [Fact]
    public void The_same_id_with_different_kinds_is_not_a_duplicate()
    {
        Assert.Equal(2, PolicyKit.Resolve("- !group a\n- !layer a").Records.Count);
    }

    [Fact]
    public void A_branch_load_may_not_redeclare_the_branch()
    {
        Assert.Equal("policy 'prod' is declared more than once", PolicyKit.ResolveError("- !policy", "prod").Message);
    }

    [Fact]
    public void Owners_declared_in_the_text_come_first()
    {
        var policy = PolicyKit.Resolve("""
            - !variable { id: v, owner: !group a }
            - !group { id: a, owner: !group b }
            - !user u
            - !group b
            """);

        Assert.Equal(["acct:user:u", "acct:group:b", "acct:group:a", "acct:variable:v"], policy.Records.Select(r => r.FullId));
    }

    [Fact]
    public void An_ownership_cycle_is_an_error()
    {
        var error = PolicyKit.ResolveError("- !group { id: a, owner: !group b }\n- !group { id: b, owner: !group c }\n- !group { id: c, owner: !group a }");

        Assert.Equal("Dependency cycle encountered between group 'a' and group 'b'", error.Message);
    }

    [Fact]
    public void A_record_may_own_itself()
    {
        Assert.Equal("acct:group:a", PolicyKit.Resolve("- !group { id: a, owner: !group a }").Records[0].OwnerId);
    }

    [Fact]
    public void A_host_factory_role_becomes_a_member_of_its_layers()
    {
        var policy = PolicyKit.Resolve("- !layer web\n- !layer db\n- !host-factory { id: f, layers: [ !layer web, !layer db ] }");

        Assert.Equal(
            [("acct:layer:web", "acct:host_factory:f", false), ("acct:layer:db", "acct:host_factory:f", false)],
            policy.Grants.Select(g => (g.RoleId, g.MemberId, g.AdminOption)));
    }

    [Fact]
    public void A_host_factory_without_layers_is_an_error()
    {
        var error = PolicyKit.ResolveError("- !policy\n  id: app\n  body:\n  - !host-factory { id: f }");

        Assert.Equal("Host factory 'app/f' does not include any layers", error.Message);
        Assert.Equal((4, 5), (error.Line, error.Column));
    }

    [Fact]
    public void Public_keys_become_resources_owned_like_the_user()
    {
        var policy = PolicyKit.Resolve("""
            - !policy
              id: dev
              body:
              - !user
                id: alice
                public_keys:
                - ssh-rsa AAAAB3Nza alice@laptop
                - ssh-ed25519 AAAAC3Nz desktop
            """);

        var keys = policy.Records.Where(r => r.Kind == "public_key").ToList();
        Assert.Equal(["acct:public_key:user/alice@dev/alice@laptop", "acct:public_key:user/alice@dev/desktop"], keys.Select(k => k.FullId));
        Assert.All(keys, k => Assert.Equal("acct:policy:dev", k.OwnerId));
        Assert.Equal("ssh-rsa AAAAB3Nza alice@laptop", keys[0].PublicKeyValue);
        Assert.False(keys[0].HasRole);
    }

    [Fact]
    public void Annotation_names_equal_to_policy_keywords_produce_warnings()
    {
        var policy = PolicyKit.Resolve("- !host { id: h, annotations: { owner: x, restricted_to: y, description: z } }\n- !host { id: i, annotations: { owner: x } }");

        Assert.Equal(2, policy.Warnings.Count);
        Assert.StartsWith("Annotation 'owner' matches a known policy attribute.", policy.Warnings[0], StringComparison.Ordinal);
        Assert.StartsWith("Annotation 'restricted_to' matches a known policy attribute.", policy.Warnings[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Records_of_another_account_cannot_be_declared()
    {
        Assert.Equal("user 'a' can't be declared in account 'other'", PolicyKit.ResolveError("- !user { id: a, account: other }").Message);
    }

    [Fact]
    public void References_may_name_another_account()
    {
        var grant = Assert.Single(PolicyKit.Resolve("- !group g\n- !grant { role: !group g, member: !role { account: other, kind: user, id: bob } }").Grants);

        Assert.Equal("other:user:bob", grant.MemberId);
    }
}
