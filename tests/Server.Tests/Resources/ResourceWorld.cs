using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Resources;

/// <summary>
/// The records the resource scenarios look at. Who sees what (spec 5.2):
/// <list type="bullet">
/// <item>admin owns everything at the top of root and, through ownership, everything below;</item>
/// <item>alice is in <c>ops</c>, which owns <c>policy:db</c>, which owns <c>db/*</c>: she sees the db branch;</item>
/// <item>bob is in <c>db/readers</c>, permitted on <c>db/password</c> only;</item>
/// <item>host app-01 is in layer <c>web</c>, permitted on <c>db/password</c>;</item>
/// <item>dave reads <c>db/url</c>; carol sees nothing.</item>
/// </list>
/// </summary>
internal static class ResourceWorld
{
    public const string Root = """
        - !group ops
        - !user
          id: alice
          annotations:
            description: Alice runs operations
        - !user bob
        - !user carol
        - !user dave
        - !host
          id: app-01
          restricted_to: [10.0.0.0/8, 127.0.0.1]
        - !layer web
        - !grant
          role: !group ops
          member: !user alice
        - !grant
          role: !layer web
          member: !host app-01
        - !policy
          id: db
          owner: !group ops
          body:
          - !variable
            id: password
            annotations:
              description: Production database password
              rotation/ttl: P1D
          - !variable
            id: url
            annotations:
              description: Connection string
          - !group readers
          - !permit
            role: !group readers
            privileges: [read, execute]
            resource: !variable password
        - !grant
          role: !group db/readers
          member: !user bob
        - !permit
          role: !layer web
          privileges: [read, execute]
          resource: !variable db/password
        - !permit
          role: !user dave
          privileges: [read]
          resource: !variable db/url
        - !host-factory
          id: web-factory
          layers: [!layer web]
        - !variable
          id: team/deploy-key.pem
          annotations:
            purpose: Signing releases
        """;

    /// <summary>Every resource of the account, in id order.</summary>
    public static readonly string[] All =
    [
        "cucumber:group:db/readers",
        "cucumber:group:ops",
        "cucumber:host:app-01",
        "cucumber:host_factory:web-factory",
        "cucumber:layer:web",
        "cucumber:policy:db",
        "cucumber:policy:root",
        "cucumber:user:admin",
        "cucumber:user:alice",
        "cucumber:user:bob",
        "cucumber:user:carol",
        "cucumber:user:dave",
        "cucumber:variable:db/password",
        "cucumber:variable:db/url",
        "cucumber:variable:team/deploy-key.pem",
    ];

    public static readonly string[] SeenByAlice =
    [
        "cucumber:group:db/readers",
        "cucumber:policy:db",
        "cucumber:variable:db/password",
        "cucumber:variable:db/url",
    ];

    public static Task<PolicyWorld> BuildAsync(ServerFixture f) => Worlds.GetAsync(f, "resources", ("root", Root));
}
