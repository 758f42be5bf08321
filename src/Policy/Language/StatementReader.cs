using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Secrets.Policy.Language;

/// <summary>
/// Turns the YAML tree into the typed statements of spec 4.2 / 4.3, with Conjur's error texts (spec 4.1):
/// tags select the type, attributes are checked against the type's fields, values are type-checked.
/// </summary>
internal sealed partial class StatementReader
{
    /// <summary>Upper bound on the values produced by expanding aliases, against alias bombs.</summary>
    internal const int MaxExpandedValues = 5_000_000;

    private readonly Dictionary<(YNode Node, NodeType Type), object> _converted = [];
    private readonly HashSet<YSequence> _statementSequences = [];
    private int _expanded;

    private enum NodeType
    {
        User,
        Host,
        Group,
        Layer,
        Policy,
        Variable,
        Webservice,
        HostFactory,
        Role,
        Resource,
        Grant,
        Revoke,
        Permit,
        Deny,
        Delete,
        Member,
        Hash,
    }

    private enum ValueKind
    {
        String,
        Integer,
        Boolean,
        Cidr,
        Role,
        Resource,
        Layer,
        Member,
        RevokeMember,
        Hash,
        Body,
    }

    /// <summary>An attribute: its singular name (used in messages, as Conjur does), value kind, and the type an untagged value takes.</summary>
    private sealed record Field(string Name, ValueKind Kind, bool Plural, NodeType? Implicit = null);

    /// <summary>Type names as Conjur underscores them (the tag without '!').</summary>
    private static readonly Dictionary<string, NodeType> Types = new(StringComparer.Ordinal)
    {
        ["user"] = NodeType.User,
        ["host"] = NodeType.Host,
        ["group"] = NodeType.Group,
        ["layer"] = NodeType.Layer,
        ["policy"] = NodeType.Policy,
        ["variable"] = NodeType.Variable,
        ["webservice"] = NodeType.Webservice,
        ["host_factory"] = NodeType.HostFactory,
        ["role"] = NodeType.Role,
        ["resource"] = NodeType.Resource,
        ["grant"] = NodeType.Grant,
        ["revoke"] = NodeType.Revoke,
        ["permit"] = NodeType.Permit,
        ["deny"] = NodeType.Deny,
        ["delete"] = NodeType.Delete,
        ["member"] = NodeType.Member,
    };

    /// <summary>The tags as usually written, to skip the underscore conversion for them.</summary>
    private static readonly Dictionary<string, NodeType> WrittenTags = Types
        .Select(t => (Tag: "!" + t.Key.Replace('_', '-'), Type: t.Value))
        .ToDictionary(t => t.Tag, t => t.Type, StringComparer.Ordinal);

    private static readonly Dictionary<NodeType, Dictionary<string, Field>> Fields = BuildFields();

    /// <summary>Reads the document root, which must be a sequence of statements (or absent).</summary>
    public List<SyntaxNode> ReadDocument(YNode? root)
    {
        switch (root)
        {
            case null:
                return [];
            case YSequence sequence:
                var result = new List<SyntaxNode>(sequence.Items.Length);
                ReadStatements(sequence, result);
                return result;
            case YMapping mapping:
                throw Structural(PolicyMessages.UnexpectedMapping, mapping);
            default:
                throw Structural(PolicyMessages.UnexpectedScalar, root);
        }
    }

    /// <summary>Flattens a statement sequence; nested sequences (anchored lists of records) are inlined.</summary>
    private void ReadStatements(YSequence sequence, List<SyntaxNode> into)
    {
        // A list reached twice (through an alias) holds the same record objects, which Conjur visits once.
        if (sequence.Shared && !_statementSequences.Add(sequence))
        {
            return;
        }

        foreach (var item in sequence.Items)
        {
            if (item is YSequence nested)
            {
                ReadStatements(nested, into);
                continue;
            }

            var type = TypeOfTag(item) ?? throw Structural(PolicyMessages.NoTypeForSequenceEntry, item);
            var node = (SyntaxNode)ReadTyped(item, type);
            if (node is MemberNode)
            {
                throw Structural(PolicyMessages.UnexpectedStatement(node.TypeName), item);
            }

            Count(1, item);
            into.Add(node);
        }
    }

    /// <summary>Reads a node whose type is known (from its tag or from the field it is the value of).</summary>
    private object ReadTyped(YNode node, NodeType type)
    {
        // Only nodes an alias can reach are memoised, so that both uses get the same object (spec 4.1 anchors).
        if (node.Shared && _converted.TryGetValue((node, type), out var done))
        {
            return done;
        }

        object result = node switch
        {
            YScalar scalar => ReadScalarForm(scalar, type),
            YMapping mapping => ReadMapping(mapping, type),
            _ => throw Structural(PolicyMessages.NoTypeForSequenceEntry, node),
        };
        if (node.Shared)
        {
            if (result is SyntaxNode syntax)
            {
                syntax.Shared = true;
            }

            _converted[(node, type)] = result;
        }

        return result;
    }

    /// <summary><c>- !variable password</c> sets only the id; <c>- !layer</c> sets an empty id (spec 4.1).</summary>
    private static RecordNode ReadScalarForm(YScalar scalar, NodeType type)
    {
        if (ToRecordType(type) is { } recordType)
        {
            return new RecordNode(recordType, scalar.Line, scalar.Column) { Id = scalar.Value };
        }

        throw Structural(PolicyMessages.NoSuchAttribute("id", TypeName(type)), scalar);
    }

    private object ReadMapping(YMapping mapping, NodeType type)
    {
        if (type == NodeType.Hash)
        {
            return ReadHash(mapping);
        }

        var target = Create(type, mapping);
        var fields = Fields[type];
        for (var index = 0; index < mapping.Entries.Length; index++)
        {
            var (keyNode, valueNode) = mapping.Entries[index];
            var key = KeyText(keyNode);
            if (IsRepeated(mapping, index, key))
            {
                throw Structural(PolicyMessages.DuplicateAttribute(key), keyNode);
            }

            if (!fields.TryGetValue(key, out var field))
            {
                throw Structural(PolicyMessages.NoSuchAttribute(key, TypeName(type)), keyNode);
            }

            Assign(target, field, valueNode);
        }

        return target;
    }

    private static SyntaxNode Create(NodeType type, YNode at) => type switch
    {
        NodeType.Grant => new GrantNode(at.Line, at.Column),
        NodeType.Revoke => new RevokeNode(at.Line, at.Column),
        NodeType.Permit => new PermitNode(false, at.Line, at.Column),
        NodeType.Deny => new PermitNode(true, at.Line, at.Column),
        NodeType.Delete => new DeleteNode(at.Line, at.Column),
        NodeType.Member => new MemberNode(at.Line, at.Column),
        _ => new RecordNode(ToRecordType(type)!.Value, at.Line, at.Column),
    };

    private void Assign(SyntaxNode target, Field field, YNode valueNode)
    {
        if (field.Kind == ValueKind.Body)
        {
            var record = (RecordNode)target;
            record.Body = valueNode switch
            {
                YSequence sequence => ReadBody(sequence),
                YScalar { Plain: true } scalar when IsNull(scalar.Value) => null,
                _ => throw Structural(PolicyMessages.Expected("sequence", "body", GotNameOf(valueNode)), valueNode),
            };
            return;
        }

        // An explicit null leaves the attribute unset, as in Conjur (`owner:` or `owner: ~`).
        if (valueNode is YScalar { Plain: true } nullScalar && IsNull(nullScalar.Value))
        {
            return;
        }

        object[] checkedValues;
        if (valueNode is YSequence list)
        {
            // A list: nested lists and aliases flattened; every value is read before any is type-checked.
            if (!field.Plural)
            {
                throw Structural(PolicyMessages.Expected(ExpectedName(field.Kind), field.Name, "Array"), valueNode);
            }

            var values = new List<(object Value, YNode At)>(list.Items.Length);
            Flatten(list, field, values, null);
            Count(values.Count, valueNode);
            checkedValues = new object[values.Count];
            for (var i = 0; i < values.Count; i++)
            {
                checkedValues[i] = Check(field, values[i].Value, values[i].At);
            }
        }
        else
        {
            var value = ReadItem(valueNode, field);
            Count(1, valueNode);
            checkedValues = [Check(field, value, valueNode)];
        }

        Set(target, field, checkedValues, valueNode);
    }

    private List<SyntaxNode> ReadBody(YSequence sequence)
    {
        var body = new List<SyntaxNode>(sequence.Items.Length);
        ReadStatements(sequence, body);
        return body;
    }

    private void Flatten(YSequence sequence, Field field, List<(object, YNode)> into, HashSet<YSequence>? visited)
    {
        foreach (var item in sequence.Items)
        {
            if (item is YSequence nested)
            {
                // The same aliased list twice adds nothing new (and must not expand exponentially). A list never
                // contains itself, so the set is only needed once there is a nested list.
                visited ??= [sequence];
                if (visited.Add(nested))
                {
                    Flatten(nested, field, into, visited);
                }
            }
            else
            {
                into.Add((ReadItem(item, field), item));
            }
        }
    }

    private object ReadItem(YNode node, Field field)
    {
        if (node.Tag is not null)
        {
            return ReadTyped(node, TypeOfTag(node)!.Value);
        }

        return node switch
        {
            YMapping when field.Implicit is { } implicitType => ReadTyped(node, implicitType),
            YMapping => throw Structural(PolicyMessages.CannotBeMapping(field.Name), node),
            // An untagged scalar in a layer list is a layer id (Conjur infers the type from the field).
            YScalar scalar when field.Implicit == NodeType.Layer => ReadTyped(scalar, NodeType.Layer),
            YScalar scalar => Guess(scalar),
            _ => throw Structural(PolicyMessages.UnexpectedScalar, node),
        };
    }

    /// <summary>Type-checks one value of a field, with Conjur's "Expected a X for field 'f', got Y".</summary>
    private static object Check(Field field, object value, YNode at)
    {
        object? result = field.Kind switch
        {
            ValueKind.String => value is ScalarValue { Type: ScalarType.String } s ? s.Text : null,
            ValueKind.Integer => value is ScalarValue { Type: ScalarType.Integer } i ? i.Text : null,
            ValueKind.Boolean => value switch
            {
                ScalarValue { Type: ScalarType.True } => true,
                ScalarValue { Type: ScalarType.False } => false,
                ScalarValue { Type: ScalarType.String, Text: "true" } => true,
                ScalarValue { Type: ScalarType.String, Text: "false" } => false,
                _ => null,
            },
            ValueKind.Cidr => value is ScalarValue { Type: not ScalarType.Null } c ? Cidr.Normalize(c.Text, at) : null,
            ValueKind.Role or ValueKind.RevokeMember => value is RecordNode { IsRole: true } ? value : null,
            ValueKind.Resource => value is RecordNode { IsResource: true } ? value : null,
            ValueKind.Layer => value is RecordNode { Type: RecordType.Layer } ? value : null,
            ValueKind.Member => value switch
            {
                MemberNode => value,
                RecordNode { IsRole: true } role => MemberOf(role),
                _ => null,
            },
            ValueKind.Hash => value is List<KeyValuePair<string, string>> ? value : null,
            _ => null,
        };
        return result ?? throw Structural(PolicyMessages.Expected(ExpectedName(field.Kind), field.Name, GotName(value)), at);
    }

    private static MemberNode MemberOf(RecordNode role)
    {
        var member = new MemberNode(role.Line, role.Column);
        member.Roles.Add(role);
        return member;
    }

    private static void Set(SyntaxNode target, Field field, object[] values, YNode at)
    {
        switch (target, field.Name)
        {
            case (RecordNode r, "id"):
                r.Id = (string)values[0];
                break;
            case (RecordNode r, "account"):
                r.Account = (string)values[0];
                break;
            case (RecordNode r, "kind") when r.Type == RecordType.Variable:
                r.VariableKind = (string)values[0];
                break;
            case (RecordNode r, "kind"):
                r.Kind = (string)values[0];
                break;
            case (RecordNode r, "owner"):
                r.Owner = (RecordNode)values[0];
                break;
            case (RecordNode r, "annotations"):
                r.Annotations = (List<KeyValuePair<string, string>>)values[0];
                break;
            case (RecordNode r, "restricted_to"):
                r.RestrictedTo = Distinct(values);
                break;
            case (RecordNode r, "public_key"):
                r.PublicKeys = ListOf<string>(values);
                break;
            case (RecordNode r, "uidnumber"):
                r.UidNumber = (string)values[0];
                break;
            case (RecordNode r, "gidnumber"):
                r.GidNumber = (string)values[0];
                break;
            case (RecordNode r, "mime_type"):
                r.MimeType = (string)values[0];
                break;
            case (RecordNode r, "layer"):
                r.Layers = ListOf<RecordNode>(values);
                break;
            case (RecordNode r, "role"):
                r.FactoryRole = (RecordNode)values[0];
                break;
            case (GrantNode g, "role"):
                g.Roles = ListOf<RecordNode>(values);
                break;
            case (GrantNode g, "member"):
                g.Members = ListOf<MemberNode>(values);
                break;
            case (RevokeNode r, "role"):
                r.Roles = ListOf<RecordNode>(values);
                break;
            case (RevokeNode r, "member"):
                r.Members = ListOf<RecordNode>(values);
                break;
            case (PermitNode p, "role"):
                p.Roles = ListOf<RecordNode>(values);
                break;
            case (PermitNode p, "privilege"):
                p.Privileges = ListOf<string>(values);
                break;
            case (PermitNode p, "resource"):
                p.Resources = ListOf<RecordNode>(values);
                break;
            case (DeleteNode d, "record"):
                d.Records = ListOf<RecordNode>(values);
                break;
            case (MemberNode m, "role"):
                m.Roles.Clear();
                foreach (RecordNode role in values)
                {
                    m.Roles.Add(role);
                }

                break;
            case (MemberNode m, "admin"):
                m.Admin = (bool)values[0];
                break;
            default:
                throw Structural(PolicyMessages.NoSuchAttribute(field.Name, target.TypeName), at);
        }
    }

    private static List<T> ListOf<T>(object[] values)
    {
        var result = new List<T>(values.Length);
        foreach (var value in values)
        {
            result.Add((T)value);
        }

        return result;
    }

    private static List<string> Distinct(object[] values)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>(values.Length);
        foreach (string value in values)
        {
            if (seen.Add(value))
            {
                result.Add(value);
            }
        }

        return result;
    }

    /// <summary>Annotations: a mapping of names to scalar values, stored as strings (<c>true</c> → "true", spec 4.2).</summary>
    private static List<KeyValuePair<string, string>> ReadHash(YMapping mapping)
    {
        var result = new List<KeyValuePair<string, string>>(mapping.Entries.Length);
        var seen = mapping.Entries.Length > 8 ? new HashSet<string>(StringComparer.Ordinal) : null;
        for (var index = 0; index < mapping.Entries.Length; index++)
        {
            var (keyNode, valueNode) = mapping.Entries[index];
            var key = KeyText(keyNode);
            if (seen is null ? IsRepeated(mapping, index, key) : !seen.Add(key))
            {
                throw Structural(PolicyMessages.DuplicateAttribute(key), keyNode);
            }

            if (valueNode is not YScalar { Tag: null } scalar)
            {
                throw Structural(PolicyMessages.Expected("string", key, GotNameOf(valueNode)), valueNode);
            }

            var value = Guess(scalar);
            var text = value.Type switch
            {
                ScalarType.True => "true",
                ScalarType.False => "false",
                ScalarType.Null => string.Empty,
                _ => value.Text,
            };
            result.Add(new(key, text));
        }

        return result;
    }

    /// <summary>True when an earlier key of the mapping has the same text (mappings of records are small).</summary>
    private static bool IsRepeated(YMapping mapping, int index, string key)
    {
        for (var i = 0; i < index; i++)
        {
            if (mapping.Entries[i].Key is YScalar earlier && earlier.Value == key)
            {
                return true;
            }
        }

        return false;
    }

    private static string KeyText(YNode key) =>
        key is YScalar scalar ? scalar.Value : throw Structural(PolicyMessages.UnexpectedMapping, key);

    private void Count(int values, YNode at)
    {
        _expanded += values;
        if (_expanded > MaxExpandedValues)
        {
            throw Structural(PolicyMessages.TooLarge, at);
        }
    }

    private static NodeType? TypeOfTag(YNode node)
    {
        if (node.Tag is null)
        {
            return null;
        }

        if (WrittenTags.TryGetValue(node.Tag, out var known))
        {
            return known;
        }

        // Conjur maps a tag to a type with underscore.camelize, so !host-factory, !host_factory and
        // !hostFactory all name HostFactory. A tag without '!' (a global tag) names no type.
        return node.Tag.StartsWith('!') && Types.TryGetValue(Underscore(node.Tag[1..]), out var type)
            ? type
            : throw Structural(PolicyMessages.UnrecognizedDataType(node.Tag), node);
    }

    private static string Underscore(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0 && char.IsLower(name[i - 1]))
            {
                builder.Append('_');
            }

            builder.Append(c == '-' ? '_' : char.ToLowerInvariant(c));
        }

        return builder.ToString();
    }

    private static RecordType? ToRecordType(NodeType type) => type switch
    {
        NodeType.User => RecordType.User,
        NodeType.Host => RecordType.Host,
        NodeType.Group => RecordType.Group,
        NodeType.Layer => RecordType.Layer,
        NodeType.Policy => RecordType.Policy,
        NodeType.Variable => RecordType.Variable,
        NodeType.Webservice => RecordType.Webservice,
        NodeType.HostFactory => RecordType.HostFactory,
        NodeType.Role => RecordType.Role,
        NodeType.Resource => RecordType.Resource,
        _ => null,
    };

    private static string TypeName(NodeType type) => type.ToString();

    private static string ExpectedName(ValueKind kind) => kind switch
    {
        ValueKind.String => "string",
        ValueKind.Integer => "integer",
        ValueKind.Boolean => "boolean",
        ValueKind.Cidr => "CIDR",
        ValueKind.Role or ValueKind.RevokeMember => "Role",
        ValueKind.Resource => "Resource",
        ValueKind.Layer => "Layer",
        ValueKind.Member => "Member",
        ValueKind.Hash => "hash",
        _ => "sequence",
    };

    /// <summary>The Ruby class name Conjur prints for a value of the wrong type.</summary>
    private static string GotName(object? value) => value switch
    {
        null => "NilClass",
        SyntaxNode node => node.TypeName,
        List<KeyValuePair<string, string>> => "Hash",
        ScalarValue s => s.Type switch
        {
            ScalarType.Integer => "Integer",
            ScalarType.Float => "Float",
            ScalarType.True => "TrueClass",
            ScalarType.False => "FalseClass",
            ScalarType.Null => "NilClass",
            _ => "String",
        },
        _ => "Array",
    };

    /// <summary>The Ruby class name of a raw node, for errors raised before the node is converted.</summary>
    private static string GotNameOf(YNode node) => node switch
    {
        YSequence => "Array",
        YScalar { Tag: null } scalar => GotName(Guess(scalar)),
        YMapping { Tag: null } => "Hash",
        _ => TypeName(TypeOfTag(node)!.Value),
    };

    private static PolicyErrorException Structural(string message, YNode at) =>
        new(PolicyError.Structural(message, at.Line, at.Column));

    private static PolicyErrorException Structural(string message, SyntaxNode at) =>
        new(PolicyError.Structural(message, at.Line, at.Column));

    // ---- YAML 1.1 type guessing of plain scalars, as Conjur's SafeYAML does -------------------------------------

    private enum ScalarType
    {
        String,
        Integer,
        Float,
        True,
        False,
        Null,
    }

    private sealed record ScalarValue(ScalarType Type, string Text);

    private static ScalarValue Guess(YScalar scalar)
    {
        var text = scalar.Value;
        if (!scalar.Plain)
        {
            return new(ScalarType.String, text);
        }

        if (IsNull(text))
        {
            return new(ScalarType.Null, text);
        }

        switch (text)
        {
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON":
                return new(ScalarType.True, text);
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF":
                return new(ScalarType.False, text);
        }

        // Numbers start with a digit, a sign or a dot; most ids and values do not.
        if (text[0] is not ((>= '0' and <= '9') or '+' or '-' or '.'))
        {
            return new(ScalarType.String, text);
        }

        if (IntegerPattern().IsMatch(text))
        {
            return long.TryParse(text.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
                ? new(ScalarType.Integer, number.ToString(CultureInfo.InvariantCulture))
                : new(ScalarType.Integer, text);
        }

        return FloatPattern().IsMatch(text) ? new(ScalarType.Float, text) : new(ScalarType.String, text);
    }

    private static bool IsNull(string text) => text is "" or "~" or "null" or "Null" or "NULL";

    [GeneratedRegex("^[-+]?[0-9][0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)?$|^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$", RegexOptions.CultureInvariant)]
    private static partial Regex FloatPattern();

    // ---- Field tables (Conjur's attribute definitions, spec 4.2 / 4.3) -------------------------------------------

    private static Dictionary<NodeType, Dictionary<string, Field>> BuildFields()
    {
        var id = new Field("id", ValueKind.String, false);
        var account = new Field("account", ValueKind.String, false);
        var owner = new Field("owner", ValueKind.Role, false);
        var annotations = new Field("annotations", ValueKind.Hash, false, NodeType.Hash);
        var kind = new Field("kind", ValueKind.String, false);
        var restrictedTo = new Field("restricted_to", ValueKind.Cidr, true);
        var roles = new Field("role", ValueKind.Role, true, NodeType.Role);

        Dictionary<string, Field> Resource(params (string Name, Field Field)[] extra)
        {
            var fields = new Dictionary<string, Field>(StringComparer.Ordinal)
            {
                ["id"] = id,
                ["account"] = account,
                ["owner"] = owner,
                ["annotations"] = annotations,
            };
            foreach (var (name, field) in extra)
            {
                fields[name] = field;
            }

            return fields;
        }

        static Dictionary<string, Field> Of(params (string Name, Field Field)[] fields) =>
            fields.ToDictionary(f => f.Name, f => f.Field, StringComparer.Ordinal);

        var publicKey = new Field("public_key", ValueKind.String, true);
        var layer = new Field("layer", ValueKind.Layer, true, NodeType.Layer);
        var privilege = new Field("privilege", ValueKind.String, true);
        var resource = new Field("resource", ValueKind.Resource, true, NodeType.Resource);
        var permit = Of(("role", roles), ("roles", roles), ("privilege", privilege), ("privileges", privilege),
            ("resource", resource), ("resources", resource));
        var record = new Field("record", ValueKind.Resource, true);

        return new()
        {
            [NodeType.User] = Resource(("uidnumber", new Field("uidnumber", ValueKind.Integer, false)),
                ("public_key", publicKey), ("public_keys", publicKey), ("restricted_to", restrictedTo)),
            [NodeType.Host] = Resource(("restricted_to", restrictedTo)),
            [NodeType.Group] = Resource(("gidnumber", new Field("gidnumber", ValueKind.Integer, false))),
            [NodeType.Layer] = Resource(),
            [NodeType.Policy] = Resource(("body", new Field("body", ValueKind.Body, false))),
            [NodeType.Variable] = Resource(("kind", kind), ("mime_type", new Field("mime_type", ValueKind.String, false))),
            [NodeType.Webservice] = Resource(),
            [NodeType.HostFactory] = Resource(("role", new Field("role", ValueKind.Role, false, NodeType.Role)),
                ("layer", layer), ("layers", layer)),
            [NodeType.Role] = Of(("id", id), ("kind", kind), ("account", account)),
            [NodeType.Resource] = Resource(("kind", kind)),
            [NodeType.Grant] = Of(("role", roles), ("roles", roles),
                ("member", new Field("member", ValueKind.Member, true, NodeType.Member)),
                ("members", new Field("member", ValueKind.Member, true, NodeType.Member))),
            [NodeType.Revoke] = Of(("role", roles), ("roles", roles),
                ("member", new Field("member", ValueKind.RevokeMember, true, NodeType.Member)),
                ("members", new Field("member", ValueKind.RevokeMember, true, NodeType.Member))),
            [NodeType.Permit] = permit,
            [NodeType.Deny] = permit,
            [NodeType.Delete] = Of(("record", record), ("records", record)),
            [NodeType.Member] = Of(("role", roles), ("roles", roles), ("admin", new Field("admin", ValueKind.Boolean, false))),
        };
    }
}
