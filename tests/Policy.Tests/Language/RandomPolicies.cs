using System.Globalization;
using System.Text;

namespace Secrets.Policy.Tests.Language;

/// <summary>
/// Generates random, valid policy texts from a seed: nested policies, every record kind, owners, annotations,
/// restrictions, public keys, host factories, grants, permits and anchored lists. References only name records
/// declared earlier in the same body, so every text loads.
/// </summary>
internal sealed class RandomPolicies(int seed)
{
    private static readonly string[] Privileges = ["read", "execute", "update", "create"];
    private static readonly string[] AnnotationNames = ["description", "team", "authn/api-key", "owner", "kind", "x/y"];
    private static readonly string[] AnnotationValues = ["true", "a", "'12'", "hello world", "../peer", "false"];

    private readonly Random _random = new(seed);
    private readonly StringBuilder _text = new();
    private int _counter;

    public string Generate()
    {
        _text.Clear();
        Body(string.Empty, 0);
        return _text.ToString();
    }

    private void Body(string indent, int depth)
    {
        var roles = new List<string>();      // "!group g3"
        var resources = new List<string>();  // "!variable v4"
        var layers = new List<string>();
        var lists = new List<string>();      // anchor names of lists of variables
        var count = _random.Next(1, 9);
        for (var i = 0; i < count; i++)
        {
            var choice = _random.Next(depth < 2 ? 10 : 9);
            var id = Next();
            switch (choice)
            {
                case 0 or 1:
                    Record(indent, "user", id, roles, resources, credentials: true, publicKeys: true);
                    break;
                case 2:
                    Record(indent, "host", id, roles, resources, credentials: true, publicKeys: false);
                    break;
                case 3:
                    Record(indent, "group", id, roles, resources, credentials: false, publicKeys: false);
                    break;
                case 4:
                    Record(indent, "layer", id, roles, resources, credentials: false, publicKeys: false);
                    layers.Add($"!layer {id}");
                    break;
                case 5:
                    Record(indent, "variable", id, null, resources, credentials: false, publicKeys: false);
                    break;
                case 6:
                    Record(indent, "webservice", id, null, resources, credentials: false, publicKeys: false);
                    break;
                case 7:
                    if (layers.Count == 0)
                    {
                        goto case 4;
                    }

                    Line(indent, $"- !host-factory {{ id: {id}, layers: [ {string.Join(", ", Pick(layers, 1 + _random.Next(layers.Count)))} ] }}");
                    roles.Add($"!host-factory {id}");
                    resources.Add($"!host-factory {id}");
                    break;
                case 8:
                    var anchor = $"list{id}";
                    Line(indent, $"- &{anchor}");
                    var size = _random.Next(1, 4);
                    for (var j = 0; j < size; j++)
                    {
                        var variable = Next();
                        Line(indent, $"  - !variable {variable}");
                        resources.Add($"!variable {variable}");
                    }

                    lists.Add(anchor);
                    break;
                default:
                    Line(indent, "- !policy");
                    Line(indent, $"  id: {id}");
                    if (roles.Count > 0 && _random.Next(3) == 0)
                    {
                        Line(indent, $"  owner: {Pick(roles, 1)[0]}");
                    }

                    Line(indent, "  body:");
                    Body(indent + "  ", depth + 1);
                    roles.Add($"!policy {id}");
                    resources.Add($"!policy {id}");
                    break;
            }
        }

        var relationships = _random.Next(0, 6);
        for (var i = 0; i < relationships && roles.Count > 0; i++)
        {
            if (_random.Next(2) == 0)
            {
                var members = Pick(roles, 1 + _random.Next(Math.Min(3, roles.Count)))
                    .Select(m => _random.Next(3) == 0 ? $"{{ role: {m}, admin: true }}" : m);
                Line(indent, $"- !grant {{ role: {Pick(roles, 1)[0]}, members: [ {string.Join(", ", members)} ] }}");
            }
            else if (resources.Count > 0)
            {
                var targets = lists.Count > 0 && _random.Next(3) == 0
                    ? $"*{Pick(lists, 1)[0]}"
                    : $"[ {string.Join(", ", Pick(resources, 1 + _random.Next(Math.Min(3, resources.Count))))} ]";
                Line(indent, $"- !permit {{ role: {Pick(roles, 1)[0]}, privileges: [ {string.Join(", ", Pick(Privileges, 1 + _random.Next(3)))} ], resources: {targets} }}");
            }
        }
    }

    private void Record(string indent, string tag, string id, List<string>? roles, List<string> resources, bool credentials, bool publicKeys)
    {
        Line(indent, $"- !{tag}");
        Line(indent, $"  id: {id}");
        if (roles is { Count: > 0 } && _random.Next(4) == 0)
        {
            Line(indent, $"  owner: {Pick(roles, 1)[0]}");
        }

        if (_random.Next(2) == 0)
        {
            Line(indent, "  annotations:");
            foreach (var name in Pick(AnnotationNames, 1 + _random.Next(3)))
            {
                Line(indent, $"    {name}: {AnnotationValues[_random.Next(AnnotationValues.Length)]}");
            }
        }

        if (credentials && _random.Next(2) == 0)
        {
            var cidrs = Enumerable.Range(0, 1 + _random.Next(2)).Select(_ => $"10.{_random.Next(4)}.0.0/16").Distinct();
            Line(indent, $"  restricted_to: [ {string.Join(", ", cidrs)} ]");
        }

        if (publicKeys && _random.Next(3) == 0)
        {
            Line(indent, $"  public_keys: [ ssh-rsa AAAA{_random.Next(100)} key{_random.Next(3)} ]");
        }

        if (tag == "variable" && _random.Next(3) == 0)
        {
            Line(indent, "  kind: password");
        }

        roles?.Add($"!{tag} {id}");
        resources.Add($"!{tag} {id}");
    }

    private List<string> Pick(IReadOnlyList<string> from, int count) =>
        from.OrderBy(_ => _random.Next()).Take(count).ToList();

    private string Next() => string.Create(CultureInfo.InvariantCulture, $"r{_counter++}");

    private void Line(string indent, string line) => _text.Append(indent).Append(line).Append('\n');
}
