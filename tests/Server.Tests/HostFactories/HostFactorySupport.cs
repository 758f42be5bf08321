using System.Net;
using System.Text;
using System.Text.Json;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.HostFactories;

/// <summary>
/// One application's worth of policy, loaded into root exactly as a Conjur user would
/// (POST /policies/cucumber/policy/root), under a prefix no other test of the class uses:
/// a layer, a host factory for it, a variable the layer may fetch, and users with different rights on the factory.
/// </summary>
internal sealed record HostFactoryApp(
    string Prefix,
    string FactoryId,
    string LayerId,
    string SecondLayerId,
    IReadOnlyDictionary<string, string> ApiKeys)
{
    public const string Account = ServerFixture.Account;

    /// <summary>Login of a user who may see the factory (read) but not use it.</summary>
    public string Reader => $"{Prefix}-reader";

    /// <summary>Login of a user with execute (create tokens) but not update (revoke) on the factory.</summary>
    public string Executor => $"{Prefix}-executor";

    /// <summary>Login of a user with no rights on the factory at all.</summary>
    public string Stranger => $"{Prefix}-stranger";

    public string VariableId => $"{Account}:variable:{Prefix}/db-password";

    public string GroupId => $"{Account}:group:{Prefix}/admins";

    /// <summary>A host declared by policy (owned by the policy, not the factory).</summary>
    public string PolicyHostIdentifier => $"{Prefix}/declared-host";

    public string ApiKeyOf(string login) => ApiKeys[$"{Account}:user:{login}"];

    public static async Task<HostFactoryApp> LoadAsync(ServerFixture f)
    {
        var prefix = World.Unique("app");
        var policy = $"""
            - !user {prefix}-reader
            - !user {prefix}-executor
            - !user {prefix}-stranger
            - !policy
              id: {prefix}
              body:
              - !layer hosts
              - !layer workers
              - !group admins
              - !host declared-host
              - !host-factory
                id: factory
                layers: [ !layer hosts, !layer workers ]
              - !variable db-password
              - !permit
                role: !layer hosts
                privileges: [ read, execute ]
                resource: !variable db-password
            - !permit
              role: !user {prefix}-reader
              privileges: [ read ]
              resource: !host-factory {prefix}/factory
            - !permit
              role: !user {prefix}-executor
              privileges: [ read, execute ]
              resource: !host-factory {prefix}/factory
            """;
        using var admin = await f.AdminClientAsync();
        var keys = (await World.LoadAsync(admin, HttpMethod.Post, "root", policy)).ApiKeys;
        return new HostFactoryApp(
            prefix,
            $"{Account}:host_factory:{prefix}/factory",
            $"{Account}:layer:{prefix}/hosts",
            $"{Account}:layer:{prefix}/workers",
            keys);
    }
}
