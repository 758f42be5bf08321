using System.Diagnostics;
using System.Globalization;
using System.Text;
using Secrets.Policy.Language;
using Xunit.Abstractions;

namespace Secrets.Policy.Tests.Language;

/// <summary>
/// 10,000 hosts, 10,000 variables, 1,000 layers and groups, 20,000 grants and permits. The budget (well under
/// 2 s for parse + resolve + plan on 2 cores) is printed, not asserted; the test asserts the counts.
/// </summary>
public class LoadingALargePolicy(ITestOutputHelper output)
{
    private const int Policies = 100;
    private const int PerPolicy = 100;
    private const int LayersPerPolicy = 5;
    private const int GroupsPerPolicy = 5;

    internal static string Generate()
    {
        var text = new StringBuilder();
        for (var p = 0; p < Policies; p++)
        {
            text.Append(CultureInfo.InvariantCulture, $"- !policy\n  id: app{p}\n  body:\n");
            for (var l = 0; l < LayersPerPolicy; l++)
            {
                text.Append(CultureInfo.InvariantCulture, $"  - !layer layer{l}\n");
                text.Append(CultureInfo.InvariantCulture, $"  - !group {{ id: group{l}, annotations: {{ description: team {l} }} }}\n");
            }

            for (var i = 0; i < PerPolicy; i++)
            {
                text.Append(CultureInfo.InvariantCulture, $"  - !host {{ id: host{i}, restricted_to: 10.{p}.{i}.0/24, annotations: {{ authn/api-key: true }} }}\n");
                text.Append(CultureInfo.InvariantCulture, $"  - !variable {{ id: secret{i}, kind: password }}\n");
            }

            for (var i = 0; i < PerPolicy; i++)
            {
                text.Append(CultureInfo.InvariantCulture, $"  - !grant {{ role: !layer layer{i % LayersPerPolicy}, member: !host host{i} }}\n");
                text.Append(CultureInfo.InvariantCulture, $"  - !permit {{ role: !group group{i % GroupsPerPolicy}, privilege: execute, resource: !variable secret{i} }}\n");
            }
        }

        return text.ToString();
    }

    [Fact]
    public void Plans_every_row_once()
    {
        var text = Generate();
        var state = PolicyKit.Bootstrap();

        var clock = Stopwatch.StartNew();
        var plan = PolicyKit.Plan(text, PolicyLoadMode.Replace, state);
        var first = clock.Elapsed;

        var loaded = state.Apply(plan);
        clock.Restart();
        var again = PolicyKit.Plan(text, PolicyLoadMode.Replace, loaded);
        var second = clock.Elapsed;
        output.WriteLine($"{text.Length / 1024} KiB: first load planned in {first.TotalMilliseconds:F0} ms, reload against {loaded.Roles.Count + loaded.Resources.Count + loaded.Memberships.Count + loaded.Permissions.Count + loaded.Annotations.Count} rows in {second.TotalMilliseconds:F0} ms");

        const int hosts = Policies * PerPolicy;
        const int variables = Policies * PerPolicy;
        const int layersAndGroups = Policies * (LayersPerPolicy + GroupsPerPolicy);
        Assert.Equal(Policies + hosts + layersAndGroups, plan.Inserts.Roles.Count);
        Assert.Equal(Policies + hosts + variables + layersAndGroups, plan.Inserts.Resources.Count);
        Assert.Equal(hosts, plan.Inserts.Memberships.Count);
        Assert.Equal(variables, plan.Inserts.Permissions.Count);
        Assert.Equal(hosts + variables + (Policies * GroupsPerPolicy), plan.Inserts.Annotations.Count);
        Assert.Equal(hosts, plan.Inserts.CredentialRestrictions.Count);
        Assert.Equal(hosts, plan.CreatedRoleIds.Count);
        Assert.True(again.IsEmpty);
    }
}
