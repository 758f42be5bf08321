using System.Globalization;
using System.Text;

namespace Secrets.Bench;

/// <summary>
/// The benchmark policy (issue: 10,000 hosts, 10,000 variables, 1,000 layers and groups, 20,000 grants/permits),
/// all inside `!policy bench`, loaded into root. Layer i holds hosts h with h % 500 == i and may read and execute
/// variables v with v % 500 == i; group g (500 of them) holds layer g. A separate layer `batch` may execute the
/// first 100 variables and holds host `batch-host`, for the 100-variable batch fetch.
/// </summary>
internal static class PolicyGenerator
{
    public const int Hosts = 10_000;
    public const int Variables = 10_000;
    public const int Layers = 500;
    public const int Groups = 500;

    /// <param name="changedPercent">0 for the base policy; 1 renames 1% of the variables and moves 1% of the hosts.</param>
    public static string Generate(int changedPercent = 0)
    {
        var changed = Variables * changedPercent / 100;
        var sb = new StringBuilder(4 * 1024 * 1024);
        sb.Append("- !policy\n  id: bench\n  body:\n");
        for (var i = 0; i < Layers; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  - !layer layer-{i}\n");
        }

        for (var i = 0; i < Groups; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  - !group group-{i}\n");
        }

        sb.Append("  - !layer batch\n  - !host batch-host\n  - !grant { role: !layer batch, member: !host batch-host }\n");
        for (var h = 0; h < Hosts; h++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  - !host host-{h}\n");
        }

        for (var v = 0; v < Variables; v++)
        {
            var name = v < changed ? $"var-{v}-renamed" : $"var-{v}";
            sb.Append(CultureInfo.InvariantCulture, $"  - !variable {name}\n");
        }

        // 10,000 grants: every host into one layer (1% of them moved to the next layer when changed).
        for (var h = 0; h < Hosts; h++)
        {
            var layer = (h % Layers + (h < changed ? 1 : 0)) % Layers;
            sb.Append(CultureInfo.InvariantCulture, $"  - !grant {{ role: !layer layer-{layer}, member: !host host-{h} }}\n");
        }

        // 500 grants: group g holds layer g (so listing and role graphs have depth).
        for (var g = 0; g < Groups; g++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  - !grant {{ role: !layer layer-{g}, member: !group group-{g} }}\n");
        }

        // 10,000 permits: every variable readable and executable by one layer.
        for (var v = 0; v < Variables; v++)
        {
            var name = v < changed ? $"var-{v}-renamed" : $"var-{v}";
            sb.Append(CultureInfo.InvariantCulture, $"  - !permit {{ role: !layer layer-{v % Layers}, privileges: [read, execute], resource: !variable {name} }}\n");
        }

        for (var v = changed; v < changed + 100; v++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  - !permit {{ role: !layer batch, privilege: execute, resource: !variable var-{v} }}\n");
        }

        return sb.ToString();
    }
}
