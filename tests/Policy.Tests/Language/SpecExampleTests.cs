using Secrets.Policy.Language;

namespace Secrets.Policy.Tests.Language;

/// <summary>The example of spec 4.8, loaded with POST into root.</summary>
public class LoadingTheSpecExample
{
    private const string Text = """
        # loaded with POST /policies/acct/policy/root
        - !user alice
        - !group ops
        - !grant { role: !group ops, member: !user alice }
        - !policy
          id: prod/db                        # creates policy:prod/db owned by group:ops
          owner: !group ops
          body:
          - &secrets
            - !variable { id: password, kind: password, mime_type: text/plain }
            - !variable url
          - !layer                           # layer:prod/db
          - !host { id: app-01, restricted_to: 10.1.0.0/16, annotations: { authn/api-key: true } }
          - !grant { role: !layer, member: !host app-01 }
          - !permit { role: !layer, privileges: [read, execute], resources: *secrets }
          - !permit { role: !group /ops, privilege: update, resource: !variable password }
          - !user bob                        # user:bob@prod-db, owned by policy:prod/db
          - !host-factory { layers: [ !layer ] }   # host_factory:prod/db
        """;

    [Fact]
    public void Creates_the_records_with_resolved_ids_and_owners()
    {
        var plan = PolicyKit.Plan(Text);

        var owners = plan.Inserts.Resources.ToDictionary(r => r.ResourceId, r => r.OwnerId);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["acct:user:alice"] = PolicyKit.Admin,
                ["acct:group:ops"] = PolicyKit.Admin,
                ["acct:policy:prod/db"] = "acct:group:ops",
                ["acct:variable:prod/db/password"] = "acct:policy:prod/db",
                ["acct:variable:prod/db/url"] = "acct:policy:prod/db",
                ["acct:layer:prod/db"] = "acct:policy:prod/db",
                ["acct:host:prod/db/app-01"] = "acct:policy:prod/db",
                ["acct:user:bob@prod-db"] = "acct:policy:prod/db",
                ["acct:host_factory:prod/db"] = "acct:policy:prod/db",
            },
            owners);
        Assert.All(plan.Inserts.Resources, r => Assert.Equal(PolicyKit.Root, r.PolicyId));
        Assert.Equal(owners.Keys.Where(k => !k.Contains(":variable:", StringComparison.Ordinal)), plan.Inserts.Roles.Select(r => r.RoleId));
    }

    [Fact]
    public void Lists_only_new_users_and_hosts_as_created_roles()
    {
        var plan = PolicyKit.Plan(Text);

        Assert.Equal(["acct:user:alice", "acct:host:prod/db/app-01", "acct:user:bob@prod-db"], plan.CreatedRoleIds);
    }

    [Fact]
    public void Creates_memberships_permissions_annotations_and_restrictions()
    {
        var state = PolicyKit.Load(PolicyKit.Bootstrap(), Text);

        Assert.True(state.HasMembership("acct:group:ops", "acct:user:alice"));
        Assert.True(state.HasMembership("acct:layer:prod/db", "acct:host:prod/db/app-01"));
        Assert.True(state.HasMembership("acct:layer:prod/db", "acct:host_factory:prod/db"));
        Assert.True(state.HasPermission("acct:variable:prod/db/password", "read", "acct:layer:prod/db"));
        Assert.True(state.HasPermission("acct:variable:prod/db/url", "execute", "acct:layer:prod/db"));
        Assert.True(state.HasPermission("acct:variable:prod/db/password", "update", "acct:group:ops"));
        Assert.Equal(5, state.Permissions.Count);
        Assert.Equal("password", state.Annotation("acct:variable:prod/db/password", "conjur/kind"));
        Assert.Equal("text/plain", state.Annotation("acct:variable:prod/db/password", "conjur/mime_type"));
        Assert.Equal("true", state.Annotation("acct:host:prod/db/app-01", "authn/api-key"));
        Assert.Equal(["10.1.0.0/16"], state.RestrictedTo("acct:host:prod/db/app-01"));
    }

    [Fact]
    public void Loading_it_again_changes_nothing()
    {
        var state = PolicyKit.Load(PolicyKit.Bootstrap(), Text);

        foreach (var mode in Enum.GetValues<PolicyLoadMode>())
        {
            Assert.True(PolicyKit.Plan(Text, mode, state).IsEmpty, mode.ToString());
        }
    }
}
