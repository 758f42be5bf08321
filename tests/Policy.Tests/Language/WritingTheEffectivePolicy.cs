using Secrets.Policy.Authorization;
using Secrets.Policy.Language;
using static Secrets.Policy.Tests.Language.PolicyKit;

namespace Secrets.Policy.Tests.Language;

/// <summary>
/// The effective policy of a branch (spec 2.5) from rows and a role graph, without a server: what is written, in
/// which order and notation, what the caller cannot see is left out, and the depth and limit bound it. The HTTP
/// side (who may ask, the audit record, the parameters) is tested in Server.Tests ReadingTheEffectivePolicy.
/// </summary>
public sealed class WritingTheEffectivePolicy
{
    private const string Body = """
        - !user alice
        - !group devs
        - !variable {id: db/password, kind: password, mime_type: text/plain, annotations: {description: the db password}}
        - !host {id: app, restricted_to: 10.1.0.0/16}
        - !policy
          id: inner
          body:
          - !webservice svc
          - !user bob
          - !permit {role: !user bob, privilege: read, resource: !webservice svc}
        - !grant {role: !group devs, members: [!user alice, !user inner/bob]}
        - !permit {role: !group devs, privileges: [read, execute], resource: !variable db/password}
        """;

    private static readonly PolicyState Account = Load(Bootstrap("eff"), Body, policy: "eff");

    private static AuthorizationSnapshot SnapshotOf(PolicyState state) =>
        AuthorizationSnapshot.Build(state.Roles, state.Resources, state.Memberships, state.Permissions, 1);

    private static EffectivePolicyResult Write(
        PolicyState state, string identifier, string caller = Admin, int depth = 64, int limit = 100_000, EffectivePolicyFormat format = EffectivePolicyFormat.Yaml) =>
        EffectivePolicyWriter.Write(state, SnapshotOf(state), caller, identifier, depth, limit, format);

    private static string Yaml(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    [Fact]
    public void A_branch_is_written_as_yaml_sorted_by_kind_with_relative_ids_and_absolute_grant_members()
    {
        var written = Write(Account, "eff");

        Assert.Null(written.Exceeded);
        Assert.Equal(
            Yaml("""
            ---
            - !policy
              id: eff
              body:
              - !user alice
              - !policy
                id: inner
                body:
                - !user bob
                - !webservice svc
                - !permit
                  role: !user bob
                  privileges: [read]
                  resource: !webservice svc
              - !variable
                id: db/password
                kind: password
                mime_type: text/plain
                annotations:
                  description: the db password
              - !host
                id: app
                restricted_to: [10.1.0.0/16]
              - !group devs
              - !grant
                role: !group devs
                members:
                - !user /eff/alice
                - !user /eff/inner/bob
              - !permit
                role: !group devs
                privileges: [execute, read]
                resource: !variable db/password

            """),
            written.Text);
    }

    [Fact]
    public void Json_keeps_the_build_order()
    {
        var written = Write(Account, "eff", format: EffectivePolicyFormat.Json);

        Assert.Equal(
            """[{"policy":{"id":"eff","body":[{"group":{"id":"devs"}},{"host":{"id":"app","restricted_to":["10.1.0.0/16"]}},{"policy":{"id":"inner","body":[{"webservice":{"id":"svc"}},{"permit":{"role":{"user":"bob"},"privileges":["read"],"resource":{"webservice":"svc"}}},{"user":{"id":"bob"}}]}},{"variable":{"id":"db/password","kind":"password","mime_type":"text/plain","annotations":{"description":"the db password"}}},{"permit":{"role":{"group":"devs"},"privileges":["execute","read"],"resource":{"variable":"db/password"}}},{"user":{"id":"alice"}},{"grant":{"role":{"group":"devs"},"members":[{"user":"/eff/alice"},{"user":"/eff/inner/bob"}]}}]}}]""",
            written.Text);
    }

    [Theory]
    // Plain when YAML reads the scalar back as the same string, double-quoted otherwise.
    [InlineData("plain text", "plain text")]
    [InlineData("10.0.0.0/24", "10.0.0.0/24")]
    [InlineData("bob@prod-db", "bob@prod-db")]
    [InlineData("true", "\"true\"")]
    [InlineData("No", "\"No\"")]
    [InlineData("~", "\"~\"")]
    [InlineData("", "\"\"")]
    [InlineData("10", "\"10\"")]
    [InlineData("1.5", "\"1.5\"")]
    [InlineData(".5", "\".5\"")]
    [InlineData("12:30", "\"12:30\"")]
    [InlineData(".inf", "\".inf\"")]
    [InlineData("two  spaces", "\"two  spaces\"")]
    [InlineData("-dash", "\"-dash\"")]
    [InlineData("a: b", "\"a: b\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData("back\\slash", "\"back\\\\slash\"")]
    [InlineData("line\nbreak", "\"line\\nbreak\"")]
    [InlineData("tab\there", "\"tab\\there\"")]
    [InlineData("bell\u0007", "\"bell\\u0007\"")]
    [InlineData("next\u0085line", "\"next\\u0085line\"")]
    public void Scalars_are_quoted_exactly_when_yaml_would_read_them_as_something_else(string value, string written)
    {
        var state = Load(Bootstrap("q"), $$"""
            - !variable
              id: v
              annotations:
                note: "{{value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal).Replace("\u0007", "\\a", StringComparison.Ordinal).Replace("\u0085", "\\N", StringComparison.Ordinal)}}"
            """, policy: "q");

        var text = Write(state, "q").Text;

        Assert.Contains($"\n      note: {written}\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Records_the_caller_cannot_see_are_left_out()
    {
        var state = Load(Account, """
            - !user reader
            - !permit {role: !user reader, privilege: read, resource: !variable db/password}
            """, policy: "eff");

        var text = Write(state, "root", caller: "acct:user:reader@eff").Text!;

        // The reader sees the variable it may read (with its permits), nothing else of the branch.
        Assert.StartsWith(Yaml("""
            ---
            - !variable
              id: eff/db/password
              owner: !policy /eff
            """), text, StringComparison.Ordinal);
        Assert.Contains("  role: !user eff/reader\n  privileges: [read]\n  resource: !variable eff/db/password\n", text, StringComparison.Ordinal);
        foreach (var hidden in new[] { "- !policy", "- !host", "- !webservice", "- !group", "- !grant", "- !user", "alice", "inner", "bob", "svc" })
        {
            Assert.DoesNotContain(hidden, text, StringComparison.Ordinal);
        }

        Assert.Contains("!user alice", Write(state, "root").Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_caller_who_sees_nothing_gets_an_empty_list()
    {
        var state = Load(Account, "- !user nobody", policy: "eff");

        Assert.Equal("--- []\n", Write(state, "root", caller: "acct:user:nobody@eff").Text);
        Assert.Equal("[]", Write(state, "root", caller: "acct:user:nobody@eff", format: EffectivePolicyFormat.Json).Text);
    }

    [Theory]
    // Non-user records, their annotations and their permissions: eff, devs, app, db/password (+3 annotations:
    // description, conjur/kind, conjur/mime_type; +2 permissions), inner, inner/svc (+1 permission) = 12.
    // Users and their permissions do not count.
    [InlineData(12, null)]
    [InlineData(11, 12L)]
    [InlineData(0, 12L)]
    public void The_limit_counts_records_annotations_and_permissions(int limit, long? exceeded)
    {
        var written = Write(Account, "eff", limit: limit);

        Assert.Equal(exceeded, written.Exceeded);
        Assert.Equal(exceeded is null, written.Text is not null);
    }

    [Fact]
    public void Depth_counts_levels_below_the_branch_and_users_get_one_more()
    {
        Assert.Equal(
            Yaml("""
            ---
            - !policy
              id: eff
              body:
              - !user alice

            """),
            Write(Account, "eff", depth: 0).Text);
        Assert.Equal(
            Yaml("""
            ---
            - !policy
              id: eff
              body:
              - !user alice
              - !policy
                id: inner
                body:
                - !user bob
              - !host
                id: app
                restricted_to: [10.1.0.0/16]
              - !group devs
              - !grant
                role: !group devs
                members:
                - !user /eff/alice
                - !user /eff/inner/bob

            """),
            Write(Account, "eff", depth: 1).Text);
    }
}
