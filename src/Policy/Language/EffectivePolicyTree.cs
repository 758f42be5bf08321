using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Secrets.Policy.Authorization;
using Secrets.Policy.Store;

namespace Secrets.Policy.Language;

/// <summary>
/// Builds the policy tree of a branch, as Conjur's EffectivePolicy::GetEffectivePolicy and BuildPolicyTree do
/// (cyberark/conjur app/domain/effective_policy/get_effective_policy.rb, build_policy_tree.rb,
/// policy_tree/tag_making.rb, policy_tree/tagging.rb, policy_tree/policy_cache.rb, policy_tree/grant_cache.rb,
/// policy_tree/permit.rb, resources/resource_scopes.rb, resources/user_scopes.rb, resources/user_policy_resolver.rb).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Records: the resources visible to the caller whose identifier is the branch or under it and whose depth
/// (number of '/') is at most the branch's plus <c>depth</c>; users whose id ends in <c>@&lt;branch with '-'&gt;</c>
/// (or a sub-branch), placed in the policy that owns them and allowed one more level.</item>
/// <item><c>limit</c> counts the non-user records, their annotations and their permissions; more → 422.</item>
/// <item>Each record goes into the body of its nearest enclosing policy in the tree, with its id relative to it;
/// a <c>!permit</c> per (role, resource) goes next to the resource; a <c>!grant</c> per role, listing its members
/// as absolute references, goes next to the role. Host factories list their layers; memberships of host factories
/// are not grants.</item>
/// <item><c>owner</c> is omitted when it is the enclosing policy or the admin user; references to records outside
/// the enclosing policy are absolute (<c>/a/b</c>, users as <c>/policy/name</c>).</item>
/// <item>YAML bodies are sorted by kind (user, policy, variable, webservice, host, layer, host-factory, group,
/// grant, permit), keeping the record order inside a kind; JSON bodies keep the build order except the top level of
/// <c>root</c>, as in Conjur.</item>
/// </list>
/// Deliberate differences, so that the text loads back to the same records: variables keep a non-default owner
/// (Conjur drops it), grants only name roles that are in the output, a root-level user whose id contains '@' stays
/// at the top level, privileges are sorted, and scalars that YAML would read as something else are double-quoted.
/// </remarks>
internal sealed class EffectivePolicyTree
{
    private static readonly string[] BodyOrder = ["user", "policy", "variable", "webservice", "host", "layer", "host-factory", "group", "grant", "permit"];

    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly List<object> _top;
    private readonly bool _sortTop;

    private EffectivePolicyTree(List<object> top, bool sortTop, long? exceeded)
    {
        _top = top;
        _sortTop = sortTop;
        Exceeded = exceeded;
    }

    /// <summary>The element count when it is over the limit (nothing else is computed then).</summary>
    public long? Exceeded { get; }

    public static EffectivePolicyTree Build(PolicyState rows, AuthorizationSnapshot snapshot, string callerRoleId, string identifier, int depth, int limit)
    {
        var branch = identifier == "root" ? "" : identifier;
        var absoluteDepth = (long)Slashes(branch) + depth;
        var account = rows.Resources.FirstOrDefault() is { } first ? FullId.AccountOf(first.ResourceId) : "";
        bool InBranch(string id) => branch.Length == 0 || id == branch || id.StartsWith(branch + "/", StringComparison.Ordinal);

        var visible = snapshot.FilterVisible(callerRoleId, rows.Resources.Select(r => r.ResourceId)).ToHashSet(StringComparer.Ordinal);
        var others = rows.Resources
            .Where(r => visible.Contains(r.ResourceId) && FullId.KindOf(r.ResourceId) != "user")
            .Where(r => InBranch(FullId.IdentifierOf(r.ResourceId)) && Slashes(FullId.IdentifierOf(r.ResourceId)) <= absoluteDepth)
            .OrderBy(r => r.ResourceId, StringComparer.Ordinal)
            .ToList();

        var annotations = rows.Annotations.ToLookup(a => a.ResourceId, StringComparer.Ordinal);
        var permissions = rows.Permissions.ToLookup(p => p.ResourceId, StringComparer.Ordinal);
        var count = others.Count + others.Sum(r => (long)annotations[r.ResourceId].Count() + permissions[r.ResourceId].Count());
        if (count > limit)
        {
            return new EffectivePolicyTree([], false, count);
        }

        var policies = others.Where(r => FullId.KindOf(r.ResourceId) == "policy").Select(r => FullId.IdentifierOf(r.ResourceId)).ToHashSet(StringComparer.Ordinal);

        // Users: "name@a-b" lives in policy a/b when a/b owns it; at root, any other stays where it is.
        var dashed = branch.Replace('/', '-');
        var users = new List<(ResourceRow Row, string Path)>();
        foreach (var r in rows.Resources.Where(r => visible.Contains(r.ResourceId) && FullId.KindOf(r.ResourceId) == "user").OrderBy(r => r.ResourceId, StringComparer.Ordinal))
        {
            var id = FullId.IdentifierOf(r.ResourceId);
            if (branch.Length > 0 && !id.EndsWith("@" + dashed, StringComparison.Ordinal) && !id.Contains("@" + dashed + "-", StringComparison.Ordinal))
            {
                continue;
            }

            if (UserPath(r, policies, branch.Length == 0) is { } path && Slashes(path) <= absoluteDepth + 1)
            {
                users.Add((r, path));
            }
        }

        var paths = users.ToDictionary(u => u.Row.ResourceId, u => u.Path, StringComparer.Ordinal);
        string PathOf(string fullId) => paths.TryGetValue(fullId, out var p) ? p
            : FullId.KindOf(fullId) == "user" && rows.FindResource(fullId) is { } row ? UserPath(row, policies, true) ?? FullId.IdentifierOf(fullId)
            : FullId.IdentifierOf(fullId);

        var tree = new Builder(policies, branch);
        var included = others.Select(r => r.ResourceId).Concat(users.Select(u => u.Row.ResourceId)).ToHashSet(StringComparer.Ordinal);
        var restrictions = rows.CredentialRestrictions.ToDictionary(c => c.RoleId, c => c.RestrictedTo, StringComparer.Ordinal);
        var memberOf = rows.Memberships.ToLookup(m => m.MemberId, StringComparer.Ordinal);

        foreach (var (r, path) in others.Select(r => (r, FullId.IdentifierOf(r.ResourceId))).Concat(users.Select(u => (u.Row, u.Path))))
        {
            var kind = FullId.KindOf(r.ResourceId);
            var parent = tree.PolicyNode(tree.ParentOf(path));
            if (r.ResourceId != $"{account}:policy:root")
            {
                var values = new Map { ["id"] = tree.IdWithin(path) };
                if (Owner(tree, path, r.OwnerId, PathOf) is { } ownerTag)
                {
                    values["owner"] = ownerTag;
                }

                var anns = annotations[r.ResourceId].OrderBy(a => a.Name, StringComparer.Ordinal).ToDictionary(a => a.Name, a => a.Value, StringComparer.Ordinal);
                switch (kind)
                {
                    case "variable":
                        if (anns.Remove("conjur/kind", out var varKind))
                        {
                            values["kind"] = varKind;
                        }

                        if (anns.Remove("conjur/mime_type", out var mime))
                        {
                            values["mime_type"] = mime;
                        }

                        break;
                    case "host_factory":
                        var layers = rows.Memberships.Where(m => m.MemberId == r.ResourceId && FullId.KindOf(m.RoleId) == "layer")
                            .Select(m => FullId.IdentifierOf(m.RoleId)).Order(StringComparer.Ordinal)
                            .Select(l => (object)new Tag("layer", tree.IdWithin(l))).ToList();
                        if (layers.Count > 0)
                        {
                            values["layers"] = new Flow(layers);
                        }

                        break;
                }

                if (anns.Count > 0)
                {
                    var map = new Map();
                    foreach (var (name, value) in anns)
                    {
                        map[name] = value;
                    }

                    values["annotations"] = map;
                }

                if (kind is "user" or "host" && restrictions.TryGetValue(r.ResourceId, out var cidrs) && cidrs.Count > 0)
                {
                    values["restricted_to"] = new Flow([.. cidrs]);
                }

                if (kind == "policy")
                {
                    var node = tree.PolicyNode(path);
                    node.Values = Merge(values, node.Values);
                    parent.Body.Add(node.Tag);
                }
                else
                {
                    parent.Body.Add(new Tag(kind.Replace('_', '-'), values));
                }
            }

            // One !permit per role, with the privileges it has on this record.
            foreach (var group in permissions[r.ResourceId].GroupBy(p => p.RoleId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var rolePath = PathOf(group.Key);
                var roleRef = tree.ParentOf(rolePath) == tree.ParentOf(path) ? tree.IdWithin(rolePath) : "/" + rolePath;
                parent.Body.Add(new Tag("permit", new Map
                {
                    ["role"] = new Tag(FullId.KindOf(group.Key).Replace('_', '-'), roleRef),
                    ["privileges"] = new Flow([.. group.Select(p => p.Privilege).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]),
                    ["resource"] = new Tag(kind.Replace('_', '-'), tree.IdWithin(path)),
                }));
            }

            // Grants: the roles this record is an explicit member of; a host factory's layers are not grants.
            if (kind == "host_factory")
            {
                continue;
            }

            foreach (var m in memberOf[r.ResourceId].Where(m => included.Contains(m.RoleId)).OrderBy(m => m.RoleId, StringComparer.Ordinal))
            {
                tree.Grant(m.RoleId, PathOf(m.RoleId), new Tag(kind.Replace('_', '-'), "/" + path));
            }
        }

        return branch.Length == 0
            ? new EffectivePolicyTree(tree.PolicyNode("").Body, true, null)
            : new EffectivePolicyTree([tree.PolicyNode(branch).Tag], false, null);
    }

    public string ToYaml()
    {
        var top = _sortTop ? Sorted(_top) : _top;
        if (top.Count == 0)
        {
            return "--- []\n";
        }

        var sb = new StringBuilder("---\n");
        foreach (var item in top)
        {
            Yaml.Item(sb, item, 0);
        }

        return sb.ToString();
    }

    public string ToJson()
    {
        var top = _sortTop ? Sorted(_top) : _top;
        return new JsonArray([.. top.Select(ToNode)]).ToJsonString(Json);
    }

    internal static List<object> Sorted(List<object> body) =>
        [.. body.OrderBy(x => x is Tag t ? Array.IndexOf(BodyOrder, t.Kind) : BodyOrder.Length)];

    private static JsonNode? ToNode(object value) => value switch
    {
        string s => JsonValue.Create(s),
        Tag t => new JsonObject { [t.Kind] = ToNode(t.Value) },
        Map m => new JsonObject(m.Select(kv => KeyValuePair.Create(kv.Key, ToNode(kv.Value)))),
        Flow f => new JsonArray([.. f.Items.Select(ToNode)]),
        List<object> list => new JsonArray([.. list.Select(ToNode)]),
        _ => null,
    };

    /// <summary>Where a user is written: "policy/name" when a policy owns it under its "@policy-with-dashes" name.</summary>
    private static string? UserPath(ResourceRow user, HashSet<string> policies, bool mayStayAtRoot)
    {
        var id = FullId.IdentifierOf(user.ResourceId);
        if (FullId.KindOf(user.OwnerId) == "policy")
        {
            var owner = FullId.IdentifierOf(user.OwnerId);
            var suffix = "@" + owner.Replace('/', '-');
            if (owner != "root" && id.EndsWith(suffix, StringComparison.Ordinal) && id.Length > suffix.Length)
            {
                return owner + "/" + id[..^suffix.Length];
            }
        }

        if (mayStayAtRoot)
        {
            // At the top level of root the id loads back unchanged ("bob@a-b" is user bob@a-b).
            return id;
        }

        // Inside a branch: the deepest policy of the output whose dashed name ends the id.
        var match = policies.Where(p => id.EndsWith("@" + p.Replace('/', '-'), StringComparison.Ordinal) && id.Length > p.Length + 1)
            .OrderByDescending(p => p.Length).FirstOrDefault();
        return match is null ? null : match + "/" + id[..^(match.Length + 1)];
    }

    private static Tag? Owner(Builder tree, string path, string ownerId, Func<string, string> pathOf)
    {
        var ownerKind = FullId.KindOf(ownerId);
        var ownerPath = pathOf(ownerId);
        if ((ownerKind == "policy" && tree.ParentOf(path) == (ownerPath == "root" ? "" : ownerPath)) || (ownerKind == "user" && ownerPath == "admin"))
        {
            return null;
        }

        return new Tag(ownerKind.Replace('_', '-'), "/" + ownerPath);
    }

    private static Map Merge(Map first, Map second)
    {
        var result = new Map();
        foreach (var (k, v) in first)
        {
            result[k] = v;
        }

        foreach (var (k, v) in second.Where(kv => !result.ContainsKey(kv.Key)))
        {
            result[k] = v;
        }

        return result;
    }

    private static int Slashes(string s) => s.Count(c => c == '/');


    /// <summary>A tagged statement or reference: <c>!kind scalar</c> or <c>!kind {map}</c>.</summary>
    internal sealed class Tag(string kind, object value)
    {
        public string Kind { get; } = kind;

        public object Value { get; set; } = value;
    }

    /// <summary>A policy under construction: its statement and its body.</summary>
    internal sealed class PolicyNode
    {
        public PolicyNode(string id)
        {
            Tag = new Tag("policy", new Map { ["id"] = id, ["body"] = Body });
        }

        public Tag Tag { get; }

        public List<object> Body { get; } = [];

        public Map Values
        {
            get => (Map)Tag.Value;
            set => Tag.Value = value;
        }
    }

    /// <summary>An insertion-ordered mapping.</summary>
    internal sealed class Map : List<KeyValuePair<string, object>>
    {
        public object this[string key]
        {
            set
            {
                var i = FindIndex(kv => kv.Key == key);
                if (i >= 0)
                {
                    this[i] = KeyValuePair.Create(key, value);
                }
                else
                {
                    Add(KeyValuePair.Create(key, value));
                }
            }
        }

        public bool ContainsKey(string key) => Exists(kv => kv.Key == key);
    }

    /// <summary>A flow sequence: <c>[a, b]</c>, <c>[!layer a, !layer b]</c>.</summary>
    internal sealed record Flow(List<object> Items);

    /// <summary>The policies of the tree and the grants already placed (PolicyCache and GrantCache).</summary>
    private sealed class Builder(HashSet<string> policies, string branch)
    {
        private readonly Dictionary<string, PolicyNode> _nodes = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Map> _grants = new(StringComparer.Ordinal);
        private readonly string _top = TopOf(branch);

        public PolicyNode PolicyNode(string identifier)
        {
            if (!_nodes.TryGetValue(identifier, out var node))
            {
                node = new PolicyNode(IdWithin(identifier));
                _nodes[identifier] = node;
            }

            return node;
        }

        /// <summary>The nearest enclosing policy of the output ("" for the top level).</summary>
        public string ParentOf(string identifier)
        {
            var path = identifier;
            while (true)
            {
                var slash = path.LastIndexOf('/');
                if (slash < 0)
                {
                    return _top;
                }

                path = path[..slash];
                if (policies.Contains(path) || path == _top)
                {
                    return path;
                }
            }
        }

        public string IdWithin(string identifier)
        {
            var parent = ParentOf(identifier);
            return parent.Length > 0 && identifier.StartsWith(parent + "/", StringComparison.Ordinal) ? identifier[(parent.Length + 1)..] : identifier;
        }

        public void Grant(string roleId, string rolePath, Tag member)
        {
            if (!_grants.TryGetValue(roleId, out var grant))
            {
                grant = new Map { ["role"] = new Tag(FullId.KindOf(roleId).Replace('_', '-'), IdWithin(rolePath)), ["members"] = new List<object>() };
                _grants[roleId] = grant;
                PolicyNode(ParentOf(rolePath)).Body.Add(new Tag("grant", grant));
            }

            ((List<object>)grant.Single(kv => kv.Key == "members").Value).Add(member);
        }

        // The policy containing the requested branch ("" for root and top-level branches).
        private static string TopOf(string branch)
        {
            var slash = branch.LastIndexOf('/');
            var parent = slash < 0 ? "" : branch[..slash];
            return parent == "root" ? "" : parent;
        }
    }

    /// <summary>A small emitter in Psych's layout (what Conjur's to_yaml prints).</summary>
    private static class Yaml
    {
        private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
        {
            "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "",
        };

        public static void Item(StringBuilder sb, object item, int indent)
        {
            sb.Append(' ', indent).Append("- ");
            switch (item)
            {
                case Tag { Value: string s } t:
                    sb.Append('!').Append(t.Kind).Append(' ').Append(Scalar(s)).Append('\n');
                    break;
                case Tag { Value: Map m } t when m.Count == 1 && m[0].Key == "id" && m[0].Value is string id:
                    sb.Append('!').Append(t.Kind).Append(' ').Append(Scalar(id)).Append('\n');
                    break;
                case Tag { Value: Map m } t:
                    sb.Append('!').Append(t.Kind).Append('\n');
                    Mapping(sb, t.Kind == "policy" ? SortBody(m) : m, indent + 2);
                    break;
                case string s:
                    sb.Append(Scalar(s)).Append('\n');
                    break;
            }
        }

        private static Map SortBody(Map m)
        {
            var sorted = new Map();
            foreach (var (k, v) in m)
            {
                sorted[k] = k == "body" && v is List<object> body ? Sorted(body) : v;
            }

            return sorted;
        }

        private static void Mapping(StringBuilder sb, Map map, int indent)
        {
            foreach (var (key, value) in map)
            {
                sb.Append(' ', indent).Append(Scalar(key)).Append(':');
                switch (value)
                {
                    case string s:
                        sb.Append(' ').Append(Scalar(s)).Append('\n');
                        break;
                    case Tag { Value: string s } t:
                        sb.Append(" !").Append(t.Kind).Append(' ').Append(Scalar(s)).Append('\n');
                        break;
                    case Map { Count: 0 }:
                        sb.Append(" {}\n");
                        break;
                    case Map m:
                        sb.Append('\n');
                        Mapping(sb, m, indent + 2);
                        break;
                    case List<object> { Count: 0 }:
                        sb.Append(" []\n");
                        break;
                    case List<object> list:
                        sb.Append('\n');
                        foreach (var item in list)
                        {
                            Item(sb, item, indent);
                        }

                        break;
                    case Flow f:
                        sb.Append(" [").AppendJoin(", ", f.Items.Select(i => i is Tag { Value: string s } t ? $"!{t.Kind} {Scalar(s)}" : Scalar((string)i))).Append("]\n");
                        break;
                }
            }
        }

        /// <summary>Plain when YAML reads it back as the same string; double-quoted otherwise.</summary>
        private static string Scalar(string s)
        {
            if (!Reserved.Contains(s) && IsPlain(s) && !LooksNumeric(s))
            {
                return s;
            }

            var sb = new StringBuilder("\"");
            foreach (var c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\r': sb.Append("\\r"); break;
                    default:
                        if (char.IsControl(c) || c is '\u0085' or '\u2028' or '\u2029' or '\uFEFF')
                        {
                            sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            sb.Append(c);
                        }

                        break;
                }
            }

            return sb.Append('"').ToString();
        }

        private static bool IsPlain(string s)
        {
            static bool Safe(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '/' or '@' or '-';
            if (!Safe(s[0]) || s[0] == '-' || !Safe(s[^1]))
            {
                return false;
            }

            return s.All(c => Safe(c) || c == ' ') && !s.Contains("  ", StringComparison.Ordinal);
        }

        // 1, -1, 1.5, 0x1f, 1e3, .5, 12:30 (sexagesimal in YAML 1.1): anything starting like a number, unless a
        // '/' or '@' makes it plainly a name (10.0.0.0/24).
        private static bool LooksNumeric(string s) =>
            (char.IsAsciiDigit(s[0]) || (s.Length > 1 && s[0] is '.' or '+' && char.IsAsciiDigit(s[1])) || s.StartsWith(".inf", StringComparison.OrdinalIgnoreCase) || s.StartsWith(".nan", StringComparison.OrdinalIgnoreCase))
            && !s.Contains('/', StringComparison.Ordinal) && !s.Contains('@', StringComparison.Ordinal);
    }
}
