using Secrets.Policy.Language;

namespace Secrets.Policy.Tests.Language;

/// <summary>The statements and attributes of spec 4.1–4.3, observed through the resolved policy.</summary>
public class ParsingPolicyStatements
{
    [Theory]
    [InlineData("- !user alice")]
    [InlineData("- !user {id: alice}")]
    [InlineData("- !user\n  id: alice")]
    [InlineData("- !user 'alice'")]
    public void Scalar_flow_and_block_forms_declare_the_same_record(string text)
    {
        var record = Assert.Single(PolicyKit.Resolve(text).Records);

        Assert.Equal("acct:user:alice", record.FullId);
        Assert.True(record.HasRole);
        Assert.True(record.HasResource);
    }

    public static TheoryData<string, string, string> Kinds => new()
    {
        { "!user", "user", "acct:user:x" },
        { "!host", "host", "acct:host:x" },
        { "!group", "group", "acct:group:x" },
        { "!layer", "layer", "acct:layer:x" },
        { "!policy", "policy", "acct:policy:x" },
        { "!variable", "variable", "acct:variable:x" },
        { "!webservice", "webservice", "acct:webservice:x" },
        { "!host-factory {id: x, layers: [!layer l]}\n- !layer l #", "host_factory", "acct:host_factory:x" },
        { "!host_factory {id: x, layers: [!layer l]}\n- !layer l #", "host_factory", "acct:host_factory:x" },
        { "!hostFactory {id: x, layers: [!layer l]}\n- !layer l #", "host_factory", "acct:host_factory:x" },
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_record_tag_declares_its_kind(string tag, string kind, string fullId)
    {
        var text = tag.Contains('{', StringComparison.Ordinal) ? $"- {tag}" : $"- {tag} x";
        var record = PolicyKit.Resolve(text).Record(fullId);

        Assert.Equal(kind, record.Kind);
        Assert.Equal(kind != "variable" && kind != "webservice", record.HasRole);
    }

    [Fact]
    public void Role_and_resource_tags_take_a_kind_and_an_id()
    {
        var policy = PolicyKit.Resolve("""
            - !grant { role: !role { kind: group, id: ops }, member: !user /alice }
            - !permit { role: !user /alice, privilege: read, resource: !resource { kind: variable, id: db/pw } }
            - !grant { role: { kind: group, id: untagged }, member: !user /alice }
            """);

        Assert.Equal(["acct:group:ops", "acct:group:untagged"], policy.Grants.Select(g => g.RoleId));
        Assert.Equal("acct:variable:db/pw", Assert.Single(policy.Permits).ResourceId);
    }

    [Theory]
    [InlineData("role: !group g, member: !user /u")]
    [InlineData("roles: !group g, members: !user /u")]
    [InlineData("role: [!group g], member: [!user /u]")]
    [InlineData("roles: [!group g], members: [!user /u]")]
    public void Grant_keys_are_singular_or_plural_with_one_value_or_a_list(string body)
    {
        var grant = Assert.Single(PolicyKit.Resolve($"- !grant {{ {body} }}").Grants);

        Assert.Equal(("acct:group:g", "acct:user:u", false), (grant.RoleId, grant.MemberId, grant.AdminOption));
    }

    [Theory]
    [InlineData("role: !group g, privilege: read, resource: !variable v")]
    [InlineData("roles: [!group g], privileges: [read], resources: [!variable v]")]
    [InlineData("roles: !group g, privileges: read, resources: !variable v")]
    public void Permit_keys_are_singular_or_plural(string body)
    {
        var permit = Assert.Single(PolicyKit.Resolve($"- !permit {{ {body} }}").Permits);

        Assert.Equal(("acct:variable:v", "read", "acct:group:g"), (permit.ResourceId, permit.Privilege, permit.RoleId));
    }

    [Fact]
    public void Permit_expands_every_role_privilege_and_resource()
    {
        var policy = PolicyKit.Resolve("- !permit { roles: [!group a, !group b], privileges: [read, execute], resources: [!variable x, !variable y] }");

        Assert.Equal(8, policy.Permits.Count);
        Assert.Equal(8, policy.Permits.Select(p => (p.ResourceId, p.Privilege, p.RoleId)).Distinct().Count());
    }

    [Theory]
    [InlineData("member: !member { role: !user /u, admin: true }", true)]
    [InlineData("member: { role: !user /u, admin: true }", true)]
    [InlineData("members: [ { role: !user /u, admin: 'true' } ]", true)]
    [InlineData("member: !member { role: !user /u }", false)]
    [InlineData("member: { role: !user /u, admin: false }", false)]
    public void Members_carry_the_admin_option(string member, bool admin)
    {
        var grant = Assert.Single(PolicyKit.Resolve($"- !grant {{ role: !group g, {member} }}").Grants);

        Assert.Equal("acct:user:u", grant.MemberId);
        Assert.Equal(admin, grant.AdminOption);
    }

    [Fact]
    public void An_anchored_list_of_records_is_declared_once_and_usable_as_a_value()
    {
        var policy = PolicyKit.Resolve("""
            - &vars
              - !variable a
              - !variable b
            - !group g
            - !permit { role: !group g, privilege: read, resources: *vars }
            - *vars
            """);

        Assert.Equal(["acct:variable:a", "acct:variable:b", "acct:group:g"], policy.Records.Select(r => r.FullId));
        Assert.Equal(["acct:variable:a", "acct:variable:b"], policy.Permits.Select(p => p.ResourceId));
    }

    [Fact]
    public void An_aliased_single_record_is_a_reference_to_the_declaration()
    {
        var policy = PolicyKit.Resolve("""
            - !policy
              id: app
              body:
              - &db !variable db
            - !permit { role: !user /u, privilege: read, resource: *db }
            - !user u
            """);

        Assert.Equal("acct:variable:app/db", Assert.Single(policy.Permits).ResourceId);
    }

    [Fact]
    public void Annotations_are_stored_as_strings()
    {
        var record = PolicyKit.Resolve("""
            - !host
              id: h
              annotations:
                authn/api-key: true
                flag: yes
                count: 12
                padded: '012'
                ratio: 1.5
                empty:
                text: hello world
            """).Records[0];

        Assert.Equal(
            [("authn/api-key", "true"), ("flag", "true"), ("count", "12"), ("padded", "012"), ("ratio", "1.5"), ("empty", ""), ("text", "hello world")],
            record.Annotations.Select(a => (a.Key, a.Value)));
    }

    [Fact]
    public void Attributes_stored_as_annotations_do_not_override_explicit_annotations()
    {
        var policy = PolicyKit.Resolve("""
            - !user { id: u, uidnumber: 1001 }
            - !group { id: g, gidnumber: 2002, annotations: { conjur/gidnumber: '7' } }
            - !variable { id: v, kind: password, mime_type: text/plain }
            """);

        Assert.Equal("1001", policy.Record("acct:user:u").Annotation("conjur/uidnumber"));
        Assert.Equal("7", policy.Record("acct:group:g").Annotation("conjur/gidnumber"));
        Assert.Equal("password", policy.Record("acct:variable:v").Annotation("conjur/kind"));
        Assert.Equal("text/plain", policy.Record("acct:variable:v").Annotation("conjur/mime_type"));
    }

    [Theory]
    [InlineData("restricted_to: 10.0.0.1", new[] { "10.0.0.1/32" })]
    [InlineData("restricted_to: 10.0.0.0/8", new[] { "10.0.0.0/8" })]
    [InlineData("restricted_to: [10.0.0.1, 192.168.0.0/16, 10.0.0.1/32]", new[] { "10.0.0.1/32", "192.168.0.0/16" })]
    [InlineData("restricted_to: []", new string[0])]
    [InlineData("annotations: {}", new string[0])]
    public void Restricted_to_takes_a_string_or_a_list_and_is_normalised(string attribute, string[] expected)
    {
        var record = PolicyKit.Resolve($"- !host {{ id: h, {attribute} }}").Records[0];

        Assert.Equal(expected, record.RestrictedTo);
    }

    [Fact]
    public void Flow_indicators_end_a_tag_as_in_libyaml()
    {
        var policy = PolicyKit.Resolve("""
            - !policy
              id: app
              body:
              - !layer
              - !host-factory {layers: [!layer]}
              - !grant {role: !layer, member: !host /h}
              - !permit {role: !layer, privileges: [read], resources: [!variable a,!variable b]}
            - !host h
            """);

        Assert.Equal(["acct:layer:app", "acct:layer:app"], policy.Grants.Select(g => g.RoleId));
        Assert.Equal(["acct:variable:app/a", "acct:variable:app/b"], policy.Permits.Select(p => p.ResourceId));
    }

    [Fact]
    public void Tag_like_text_in_scalars_is_left_alone()
    {
        var policy = PolicyKit.Resolve("""
            - !host
              id: h
              annotations:
                quoted: '[ !a, b ]'
                double: "{ !c,d }"
                block: |
                  [ !a, b ]
                plain: a [b !c, d
                apostrophe: don 't
            - !grant {role: !group g, member: !host h}
            - !group g
            """);

        var record = policy.Record("acct:host:h");
        Assert.Equal("[ !a, b ]", record.Annotation("quoted"));
        Assert.Equal("{ !c,d }", record.Annotation("double"));
        Assert.Equal("[ !a, b ]\n", record.Annotation("block"));
        Assert.Equal("a [b !c, d", record.Annotation("plain"));
        Assert.Equal("don 't", record.Annotation("apostrophe"));
        Assert.Equal("acct:group:g", Assert.Single(policy.Grants).RoleId);
    }

    [Fact]
    public void Windows_line_endings_and_multi_line_flow_collections_are_read()
    {
        var policy = PolicyKit.Resolve(
            "- !group g\r\n- !host-factory\r\n  id: f\r\n  annotations:\r\n    a: |\r\n      x, [!y\r\n\r\n    b: c\r\n  layers: [\r\n    !layer l,\r\n    !layer m]\r\n- !layer l\r\n- !layer m\r\n- !grant {role: !group g,\r\n  member: !layer l}\r\n");

        Assert.Equal(["acct:layer:l", "acct:layer:m", "acct:group:g"], policy.Grants.Select(g => g.RoleId));
        Assert.Equal("c", policy.Record("acct:host_factory:f").Annotation("b"));
    }

    [Fact]
    public void Positions_after_a_fixed_tag_are_reported_in_the_original_text()
    {
        var error = PolicyKit.ParseError("- !grant {role: !layer, member: !variable v}");

        Assert.Equal("Expected a Member for field 'member', got Variable", error.Detail);
        Assert.Equal((1, 33), (error.Line, error.Column));
    }

    [Fact]
    public void An_untagged_scalar_in_layers_is_a_layer()
    {
        var policy = PolicyKit.Resolve("- !host-factory { id: f, layers: [web, !layer db] }");

        Assert.Equal(["acct:layer:web", "acct:layer:db"], policy.Grants.Select(g => g.RoleId));
    }

    [Fact]
    public void Delete_takes_record_or_records()
    {
        Assert.Equal(["acct:variable:x"], PolicyKit.Resolve("- !delete { record: !variable x }").Deletes);
        Assert.Equal(["acct:variable:x", "acct:user:u"], PolicyKit.Resolve("- !delete { records: [!variable x, !user u] }").Deletes);
    }

    [Theory]
    [InlineData("- !delete { record: !variable x }")]
    [InlineData("- !revoke { role: !group g, member: !user u }")]
    [InlineData("- !deny { role: !group g, privilege: read, resource: !variable x }")]
    public void Deletion_statements_are_flagged(string text)
    {
        Assert.True(PolicyKit.Resolve(text).HasDeletionStatements);
    }

    [Fact]
    public void Records_remember_their_position()
    {
        var policy = PolicyKit.Resolve("- !user a\n- !policy\n  id: p\n  body:\n  - !variable v\n");

        Assert.Equal((1, 3), (policy.Record("acct:user:a").Line, policy.Record("acct:user:a").Column));
        Assert.Equal((5, 5), (policy.Record("acct:variable:p/v").Line, policy.Record("acct:variable:p/v").Column));
    }

    [Fact]
    public void An_alias_bomb_does_not_expand_exponentially()
    {
        var text = new System.Text.StringBuilder("- &a0 [!variable v]\n");
        for (var i = 1; i < 40; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"- &a{i} [*a{i - 1}, *a{i - 1}]\n");
        }

        text.Append("- !permit { role: !user /u, privilege: read, resources: *a39 }\n- !user u\n");
        var policy = PolicyKit.Resolve(text.ToString());

        Assert.Single(policy.Permits);
    }
}
