using System.Runtime.CompilerServices;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Resources;

/// <summary>
/// A world built once per fixture (one database per test class) through the front door: policy loads as the admin,
/// exactly as a Conjur user would. Tests of a class share it, so tests that change it use their own records.
/// </summary>
internal static class Worlds
{
    private static readonly ConditionalWeakTable<ServerFixture, Dictionary<string, Task<PolicyWorld>>> Built = [];

    /// <summary>The world named <paramref name="name"/> of this fixture, built on first use by loading <paramref name="policies"/> in order.</summary>
    public static Task<PolicyWorld> GetAsync(ServerFixture f, string name, params (string Policy, string Yaml)[] policies)
    {
        var worlds = Built.GetOrCreateValue(f);
        lock (worlds)
        {
            if (!worlds.TryGetValue(name, out var world))
            {
                worlds[name] = world = BuildAsync(f, policies);
            }

            return world;
        }
    }

    private static async Task<PolicyWorld> BuildAsync(ServerFixture f, (string Policy, string Yaml)[] policies)
    {
        using var admin = await f.AdminClientAsync();
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (policy, yaml) in policies)
        {
            foreach (var (id, key) in (await World.LoadAsync(admin, HttpMethod.Post, policy, yaml)).ApiKeys)
            {
                keys[id] = key;
            }
        }

        return new PolicyWorld(f, keys);
    }
}

/// <summary>The API keys of the users and hosts a world created, by full role id, and clients acting as them.</summary>
internal sealed class PolicyWorld(ServerFixture f, IReadOnlyDictionary<string, string> apiKeys)
{
    public IReadOnlyDictionary<string, string> ApiKeys { get; } = apiKeys;

    /// <summary>A client with an access token of <paramref name="login"/> (<c>alice</c>, <c>host/app-01</c>).</summary>
    public Task<HttpClient> ClientAsync(string login)
    {
        var roleId = login.StartsWith("host/", StringComparison.Ordinal)
            ? $"{ServerFixture.Account}:host:{login[5..]}"
            : $"{ServerFixture.Account}:user:{login}";
        return f.ClientForAsync(login, ApiKeys[roleId]);
    }
}
