using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Variables;

/// <summary>
/// One policy branch per test, loaded over HTTP exactly as a Conjur user would, with the actors the secrets
/// scenarios need: a host that holds <c>[read, execute]</c> on every variable through a layer, a reader
/// (<c>read</c> only), a writer (<c>read, update</c>), an executor (<c>execute</c> only: visible but no update) and a
/// stranger with no privilege at all. The account's admin owns everything (the branch is declared in root).
/// </summary>
internal sealed class SecretsWorld : IDisposable
{
    private readonly List<HttpClient> _clients = [];

    private SecretsWorld(ServerFixture f, string branch)
    {
        F = f;
        Branch = branch;
    }

    public ServerFixture F { get; }

    /// <summary>The policy id of the branch; every variable is <c>&lt;branch&gt;/&lt;name&gt;</c>.</summary>
    public string Branch { get; }

    public HttpClient Admin { get; private set; } = null!;

    public HttpClient Host { get; private set; } = null!;

    public HttpClient Reader { get; private set; } = null!;

    public HttpClient Writer { get; private set; } = null!;

    public HttpClient Executor { get; private set; } = null!;

    public HttpClient Stranger { get; private set; } = null!;

    public string HostId => $"{ServerFixture.Account}:host:{Branch}/app-01";

    public string ReaderId => $"{ServerFixture.Account}:user:reader@{Branch}";

    /// <summary>
    /// Loads the branch with the given variables (name → optional mime type annotation) and, optionally, a user
    /// <c>keyholder</c> with <c>public_keys</c>.
    /// </summary>
    public static async Task<SecretsWorld> CreateAsync(ServerFixture f, IReadOnlyList<string> variables, IReadOnlyDictionary<string, string>? mimeTypes = null, IReadOnlyList<string>? publicKeys = null)
    {
        var world = new SecretsWorld(f, World.Unique("app"));
        var yaml = new StringBuilder();
        yaml.Append("- !policy\n  id: ").Append(world.Branch).Append("\n  body:\n");
        foreach (var name in variables)
        {
            yaml.Append("  - !variable\n    id: ").Append(name).Append('\n');
            if (mimeTypes?.TryGetValue(name, out var mime) == true)
            {
                yaml.Append("    annotations:\n      conjur/mime_type: ").Append(mime).Append('\n');
            }
        }

        yaml.Append("""
              - !layer apps
              - !host app-01
              - !grant
                role: !layer apps
                member: !host app-01
              - !user reader
              - !user writer
              - !user executor
              - !user stranger

            """);
        if (publicKeys is not null)
        {
            yaml.Append("  - !user\n    id: keyholder\n    public_keys:\n");
            foreach (var key in publicKeys)
            {
                yaml.Append("    - ").Append(key).Append('\n');
            }
        }

        foreach (var name in variables)
        {
            Permit(yaml, "!layer apps", "[read, execute]", name);
            Permit(yaml, "!user reader", "[read]", name);
            Permit(yaml, "!user writer", "[read, update]", name);
            Permit(yaml, "!user executor", "[execute]", name);
        }

        world.Admin = world.Track(await f.AdminClientAsync());
        var created = (await World.LoadAsync(world.Admin, HttpMethod.Post, "root", yaml.ToString())).ApiKeys;
        var account = ServerFixture.Account;
        world.Host = await world.ClientAsync($"host/{world.Branch}/app-01", created[$"{account}:host:{world.Branch}/app-01"]);
        world.Reader = await world.ClientAsync($"reader@{world.Branch}", created[$"{account}:user:reader@{world.Branch}"]);
        world.Writer = await world.ClientAsync($"writer@{world.Branch}", created[$"{account}:user:writer@{world.Branch}"]);
        world.Executor = await world.ClientAsync($"executor@{world.Branch}", created[$"{account}:user:executor@{world.Branch}"]);
        world.Stranger = await world.ClientAsync($"stranger@{world.Branch}", created[$"{account}:user:stranger@{world.Branch}"]);
        return world;
    }

    /// <summary>Full id of a variable of the branch.</summary>
    public string VariableId(string name) => $"{ServerFixture.Account}:variable:{Branch}/{name}";

    /// <summary>The secrets path of a variable, identifier encoded as the Go SDK does (url.PathEscape of the whole id).</summary>
    public string SecretPath(string name, string kind = "variable") => World.SecretPath($"{ServerFixture.Account}:{kind}:{Branch}/{name}");

    public Task SetAsync(string name, string value) => World.SetSecretAsync(Admin, VariableId(name), value);

    public Task SetAsync(string name, byte[] value) => World.SetSecretAsync(Admin, VariableId(name), value);

    public void Dispose()
    {
        foreach (var c in _clients)
        {
            c.Dispose();
        }
    }

    private static void Permit(StringBuilder yaml, string role, string privileges, string variable) =>
        yaml.Append("  - !permit\n    role: ").Append(role)
            .Append("\n    privileges: ").Append(privileges)
            .Append("\n    resource: !variable ").Append(variable).Append('\n');

    private async Task<HttpClient> ClientAsync(string login, string apiKey) => Track(await F.ClientForAsync(login, apiKey));

    private HttpClient Track(HttpClient client)
    {
        _clients.Add(client);
        return client;
    }
}
