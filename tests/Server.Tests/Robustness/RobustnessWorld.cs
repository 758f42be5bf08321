using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Robustness;

/// <summary>
/// One small application loaded by policy, as a client would (POST /policies/cucumber/policy/root), under a prefix no
/// other test of the class uses: a user in a group, a variable with a value, a host factory for a layer, a second
/// user whose key the scenarios may rotate, and an untouched sub-policy.
/// </summary>
internal sealed class RobustnessWorld
{
    public const string Account = ServerFixture.Account;

    private RobustnessWorld(ServerFixture f, string prefix, HttpClient admin, IReadOnlyDictionary<string, string> keys)
    {
        Fixture = f;
        Prefix = prefix;
        Admin = admin;
        Keys = keys;
    }

    public ServerFixture Fixture { get; }

    public string Prefix { get; }

    /// <summary>A client with the admin's access token.</summary>
    public HttpClient Admin { get; }

    public IReadOnlyDictionary<string, string> Keys { get; }

    /// <summary>The admin's Authorization header value, for hand-built requests.</summary>
    public string AdminAuthorization => Admin.DefaultRequestHeaders.GetValues("Authorization").Single();

    public string Alice => $"{Prefix}-alice";

    public string AliceKey => Keys[$"{Account}:user:{Alice}"];

    public string Rotated => $"{Prefix}-rotated";

    /// <summary>A user whose password the scenarios may set (nobody logs in with it, so no Argon2id on reads).</summary>
    public string PasswordUser => $"{Prefix}-pw";

    /// <summary>The variable's identifier: it has a '/' inside, so clients send it as <c>%2F</c> or as a plain '/'.</summary>
    public string Variable => $"{Prefix}/db/password";

    public string VariableId => $"{Account}:variable:{Variable}";

    public string Group => $"{Prefix}/team";

    public string Factory => $"{Prefix}/factory";

    public string StaticPolicy => $"{Prefix}/static";

    public string LoadsPolicy => $"{Prefix}/loads";

    public const string SecretValue = "s3cr3t-value";

    public static async Task<RobustnessWorld> CreateAsync(ServerFixture f)
    {
        var prefix = World.Unique("rb");
        var policy = $"""
            - !user {prefix}-alice
            - !user {prefix}-rotated
            - !user {prefix}-pw
            - !policy
              id: {prefix}
              body:
              - !group team
              - !layer hosts
              - !variable db/password
              - !host-factory
                id: factory
                layers: [ !layer hosts ]
              - !policy
                id: static
                body:
                - !variable inside
              - !policy loads
            - !grant
              role: !group {prefix}/team
              member: !user {prefix}-alice
            - !permit
              role: !group {prefix}/team
              privileges: [ read, execute ]
              resource: !variable {prefix}/db/password
            """;
        var admin = await f.AdminClientAsync();
        var keys = (await World.LoadAsync(admin, HttpMethod.Post, "root", policy)).ApiKeys;
        var world = new RobustnessWorld(f, prefix, admin, keys);

        await World.SetSecretAsync(admin, world.VariableId, SecretValue);
        return world;
    }

    /// <summary>A fresh host-factory token for the factory (valid for an hour).</summary>
    public async Task<string> NewHostFactoryTokenAsync() =>
        Assert.Single(await HostFactoryRequests.IssueAsync(Admin, $"{Account}:host_factory:{Factory}", Fixture.Time.GetUtcNow().AddHours(1)));
}
