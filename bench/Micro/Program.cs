using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Secrets.Authn.Tokens;
using Secrets.Bench;
using Secrets.Policy.Authorization;
using Secrets.Policy.Language;
using Secrets.Policy.Store;

// Hot functions, each reported as a ratio to a baseline measured in the same run (docs/performance.md):
//   dotnet run -c Release --project bench/Micro -- --filter '*' --inProcess
// The authenticate timing comparison, interleaved (AuthenticateTimingBenchmarks.cs):
//   dotnet run -c Release --project bench/Micro -- authn-timing 2000
if (args is ["authn-timing", ..])
{
    await AuthenticateTimingInterleaved.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2000);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(AuthorizationBenchmarks).Assembly).Run(args);

/// <summary>
/// The decision on every secret fetch: may this host execute this variable (through its layer)? Baseline: one
/// HashSet&lt;string&gt; lookup of the same id, the cheapest thing a decision could possibly cost.
/// </summary>
[MemoryDiagnoser]
public class AuthorizationBenchmarks
{
    private AuthorizationSnapshot _snapshot = null!;
    private HashSet<string> _set = null!;
    private const string Host = "acct:host:apps/app-042/host-017";
    private const string Variable = "acct:variable:apps/app-042/secret-002";

    [GlobalSetup]
    public void Setup()
    {
        var (roles, resources, memberships, permissions) = LargeAccount.Rows();
        _snapshot = AuthorizationSnapshot.Build(roles, resources, memberships, permissions, 1);
        _set = new HashSet<string>(resources.Select(r => r.ResourceId), StringComparer.Ordinal);
        if (!_snapshot.IsAllowed(Host, "execute", Variable))
        {
            throw new InvalidOperationException("benchmark data is wrong");
        }
    }

    [Benchmark(Baseline = true)]
    public bool HashSetLookup() => _set.Contains(Variable);

    [Benchmark]
    public bool IsAllowedThroughLayer() => _snapshot.IsAllowed(Host, "execute", Variable);

    [Benchmark]
    public bool IsVisible() => _snapshot.IsVisible(Variable, Host);
}

/// <summary>Rebuilding the role graph after a policy load, against copying the same rows into a list (baseline).</summary>
[MemoryDiagnoser]
public class SnapshotBuildBenchmarks
{
    private (List<RoleRow>, List<ResourceRow>, List<MembershipRow>, List<PermissionRow>) _rows;

    [GlobalSetup]
    public void Setup() => _rows = LargeAccount.Rows();

    [Benchmark(Baseline = true)]
    public int CopyRows() => _rows.Item1.ToList().Count + _rows.Item2.ToList().Count + _rows.Item3.ToList().Count + _rows.Item4.ToList().Count;

    [Benchmark]
    public int Build() => AuthorizationSnapshot.Build(_rows.Item1, _rows.Item2, _rows.Item3, _rows.Item4, 1).RoleCount;
}

/// <summary>Issuing and verifying access tokens (ES256), against an HMAC-SHA256 of the same bytes (baseline).</summary>
public class TokenBenchmarks
{
    private TokenSigningKey _key = null!;
    private string _header = "";
    private TrustedTokenKey _trusted = null!;
    private readonly byte[] _hmacKey = new byte[32];
    private readonly byte[] _payload = new byte[200];

    [GlobalSetup]
    public void Setup()
    {
        _key = TokenSigningKey.Create();
        _trusted = new TrustedTokenKey("acct", _key.VerificationKey);
        _header = AccessTokens.FormatAuthorizationHeader(AccessTokens.Issue(_key, "host/app/01", DateTimeOffset.UtcNow, TimeSpan.FromMinutes(8)));
    }

    [Benchmark(Baseline = true)]
    public byte[] HmacSha256() => System.Security.Cryptography.HMACSHA256.HashData(_hmacKey, _payload);

    [Benchmark]
    public string Issue() => AccessTokens.Issue(_key, "host/app/01", DateTimeOffset.UtcNow, TimeSpan.FromMinutes(8));

    [Benchmark]
    public bool Verify() => AccessTokens.Verify(_header, _ => _trusted, DateTimeOffset.UtcNow).Succeeded;
}

/// <summary>
/// The pure policy pipeline on the bench/Bench policy (2 MiB of YAML: 10,000 hosts, 10,000 variables, 1,000 layers
/// and groups, 20,600 grants and permits), step by step. Baseline: YamlDotNet's event parser reading the same text,
/// the floor under <see cref="PolicyParser.Parse"/>.
/// </summary>
[MemoryDiagnoser]
public class PolicyPipelineBenchmarks
{
    private const string Account = "acct";
    private const string Admin = "acct:user:admin";
    private string _text = "";
    private ParsedPolicy _parsed = null!;
    private ResolvedPolicy _resolved = null!;
    private ResolvedPolicy _changed = null!;
    private PolicyState _full = null!;

    [GlobalSetup]
    public void Setup()
    {
        _text = PolicyGenerator.Generate();
        _parsed = PolicyParser.Parse(_text).Value!;
        _resolved = PolicyResolver.Resolve(_parsed, Account, "root", Admin).Value!;
        _changed = PolicyResolver.Resolve(PolicyParser.Parse(PolicyGenerator.Generate(1)).Value!, Account, "root", Admin).Value!;
        _full = PolicyState.Empty.Apply(PolicyPlanner.Plan(_resolved, PolicyLoadMode.Add, PolicyState.Empty).Value!);
    }

    [Benchmark(Baseline = true)]
    public int YamlEvents()
    {
        var parser = new YamlDotNet.Core.Parser(new StringReader(_text));
        var events = 0;
        while (parser.MoveNext())
        {
            events++;
        }

        return events;
    }

    [Benchmark]
    public int Parse() => PolicyParser.Parse(_text).Value!.StatementCount;

    [Benchmark]
    public int Resolve() => PolicyResolver.Resolve(_parsed, Account, "root", Admin).Value!.Records.Count;

    [Benchmark]
    public int PlanAddIntoEmpty() => PolicyPlanner.Plan(_resolved, PolicyLoadMode.Add, PolicyState.Empty).Value!.Inserts.Count;

    [Benchmark]
    public int PlanUpdateUnchanged() => PolicyPlanner.Plan(_resolved, PolicyLoadMode.Update, _full).Value!.Inserts.Count;

    [Benchmark]
    public int PlanReplaceOnePercent() => PolicyPlanner.Plan(_changed, PolicyLoadMode.Replace, _full).Value!.Deletes.Count;
}

/// <summary>An account of 10,000 hosts, 10,000 variables, 500 layers, 500 groups, 30,000 grants and permits.</summary>
internal static class LargeAccount
{
    public static (List<RoleRow>, List<ResourceRow>, List<MembershipRow>, List<PermissionRow>) Rows()
    {
        var roles = new List<RoleRow>();
        var resources = new List<ResourceRow>();
        var memberships = new List<MembershipRow>();
        var permissions = new List<PermissionRow>();
        const string admin = "acct:user:admin";
        const string root = "acct:policy:root";

        void Role(string id, string owner)
        {
            roles.Add(new RoleRow(id, root));
            resources.Add(new ResourceRow(id, owner, root));
        }

        Role(admin, admin);
        Role(root, admin);
        for (var p = 0; p < 100; p++)
        {
            var policy = $"acct:policy:apps/app-{p:D3}";
            Role(policy, admin);
            for (var l = 0; l < 5; l++)
            {
                Role($"acct:layer:apps/app-{p:D3}/layer-{l}", policy);
                var group = $"acct:group:apps/app-{p:D3}/group-{l}";
                Role(group, policy);
                memberships.Add(new MembershipRow($"acct:layer:apps/app-{p:D3}/layer-{l}", group, false, root));
            }

            for (var h = 0; h < 100; h++)
            {
                var host = $"acct:host:apps/app-{p:D3}/host-{h:D3}";
                Role(host, policy);
                memberships.Add(new MembershipRow($"acct:layer:apps/app-{p:D3}/layer-{h % 5}", host, false, root));
            }

            for (var v = 0; v < 100; v++)
            {
                var variable = $"acct:variable:apps/app-{p:D3}/secret-{v:D3}";
                resources.Add(new ResourceRow(variable, policy, root));
                var layer = $"acct:layer:apps/app-{p:D3}/layer-{v % 5}";
                permissions.Add(new PermissionRow(variable, "read", layer, root));
                permissions.Add(new PermissionRow(variable, "execute", layer, root));
                permissions.Add(new PermissionRow(variable, "update", $"acct:group:apps/app-{p:D3}/group-{v % 5}", root));
            }
        }

        return (roles, resources, memberships, permissions);
    }
}
