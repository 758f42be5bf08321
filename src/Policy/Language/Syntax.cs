namespace Secrets.Policy.Language;

// The typed statements of spec 4.2 / 4.3, as written (ids not yet resolved). The same object appears twice
// when a YAML alias points at it: a declaration referenced through an alias *is* the referenced record, as in
// Conjur's parser, and the resolver relies on that identity.

/// <summary>A statement or value with its 1-based source position.</summary>
internal abstract class SyntaxNode(int line, int column)
{
    public int Line { get; } = line;

    public int Column { get; } = column;

    /// <summary>The Conjur type name used in messages ("User", "HostFactory", "Grant", ...).</summary>
    public abstract string TypeName { get; }

    /// <summary>Read from an anchored YAML node (or inside one): the same object may be reached more than once.</summary>
    public bool Shared { get; set; }
}

/// <summary>The record tags of spec 4.2, plus the generic <c>!role</c> / <c>!resource</c>.</summary>
internal enum RecordType
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
}

/// <summary>A record: a declaration when it is a statement, a reference when it is an attribute value.</summary>
internal sealed class RecordNode(RecordType type, int line, int column) : SyntaxNode(line, column)
{
    // Most records are references or bare declarations (`!host a`) with a type and an id only; the other attributes
    // live in a separate object, created when one is set, so that tens of thousands of records stay small.
    private Attributes? _attributes;

    public RecordType Type { get; } = type;

    public string? Id { get; set; }

    /// <summary>The kind of a generic <c>!role</c> / <c>!resource</c>.</summary>
    public string? Kind
    {
        get => _attributes?.Kind;
        set => Set().Kind = value;
    }

    public string? Account
    {
        get => _attributes?.Account;
        set => Set().Account = value;
    }

    public RecordNode? Owner
    {
        get => _attributes?.Owner;
        set => Set().Owner = value;
    }

    /// <summary>Annotations in source order; values already converted to strings (spec 4.2).</summary>
    public List<KeyValuePair<string, string>>? Annotations
    {
        get => _attributes?.Annotations;
        set => Set().Annotations = value;
    }

    /// <summary>Normalised CIDRs (users and hosts).</summary>
    public List<string>? RestrictedTo
    {
        get => _attributes?.RestrictedTo;
        set => Set().RestrictedTo = value;
    }

    public List<string>? PublicKeys
    {
        get => _attributes?.PublicKeys;
        set => Set().PublicKeys = value;
    }

    public string? UidNumber
    {
        get => _attributes?.UidNumber;
        set => Set().UidNumber = value;
    }

    public string? GidNumber
    {
        get => _attributes?.GidNumber;
        set => Set().GidNumber = value;
    }

    public string? VariableKind
    {
        get => _attributes?.VariableKind;
        set => Set().VariableKind = value;
    }

    public string? MimeType
    {
        get => _attributes?.MimeType;
        set => Set().MimeType = value;
    }

    /// <summary>Host factory layers; null when the attribute is absent.</summary>
    public List<RecordNode>? Layers
    {
        get => _attributes?.Layers;
        set => Set().Layers = value;
    }

    /// <summary>Host factory <c>role</c> attribute (parsed for compatibility, no effect).</summary>
    public RecordNode? FactoryRole
    {
        get => _attributes?.FactoryRole;
        set => Set().FactoryRole = value;
    }

    /// <summary>Policy body.</summary>
    public List<SyntaxNode>? Body
    {
        get => _attributes?.Body;
        set => Set().Body = value;
    }

    public override string TypeName => Type.ToString();

    public bool IsRole => Type is not (RecordType.Variable or RecordType.Webservice or RecordType.Resource);

    public bool IsResource => Type is not RecordType.Role;

    /// <summary>The kind segment of the full id (<c>host_factory</c> for <c>!host-factory</c>).</summary>
    public string? ResolvedKind => Type is RecordType.Role or RecordType.Resource ? Kind : UnderscoredTypeName;

    /// <summary>Conjur's underscored class name, used by "&lt;type&gt; has a blank id".</summary>
    public string UnderscoredTypeName => Type switch
    {
        RecordType.User => "user",
        RecordType.Host => "host",
        RecordType.Group => "group",
        RecordType.Layer => "layer",
        RecordType.Policy => "policy",
        RecordType.Variable => "variable",
        RecordType.Webservice => "webservice",
        RecordType.HostFactory => "host_factory",
        RecordType.Role => "role",
        _ => "resource",
    };

    private Attributes Set() => _attributes ??= new Attributes();

    private sealed class Attributes
    {
        public string? Kind { get; set; }

        public string? Account { get; set; }

        public RecordNode? Owner { get; set; }

        public List<KeyValuePair<string, string>>? Annotations { get; set; }

        public List<string>? RestrictedTo { get; set; }

        public List<string>? PublicKeys { get; set; }

        public string? UidNumber { get; set; }

        public string? GidNumber { get; set; }

        public string? VariableKind { get; set; }

        public string? MimeType { get; set; }

        public List<RecordNode>? Layers { get; set; }

        public RecordNode? FactoryRole { get; set; }

        public List<SyntaxNode>? Body { get; set; }
    }
}

/// <summary>A grant recipient: <c>!member {role: …, admin: true}</c>, an untagged mapping, or a bare role.</summary>
internal sealed class MemberNode(int line, int column) : SyntaxNode(line, column)
{
    public List<RecordNode> Roles { get; } = [];

    public bool Admin { get; set; }

    public override string TypeName => "Member";
}

internal sealed class GrantNode(int line, int column) : SyntaxNode(line, column)
{
    public List<RecordNode> Roles { get; set; } = [];

    public List<MemberNode> Members { get; set; } = [];

    public override string TypeName => "Grant";
}

internal sealed class RevokeNode(int line, int column) : SyntaxNode(line, column)
{
    public List<RecordNode> Roles { get; set; } = [];

    public List<RecordNode> Members { get; set; } = [];

    public override string TypeName => "Revoke";
}

/// <summary><c>!permit</c>, or <c>!deny</c> when <see cref="IsDeny"/>.</summary>
internal sealed class PermitNode(bool isDeny, int line, int column) : SyntaxNode(line, column)
{
    public bool IsDeny { get; } = isDeny;

    public List<RecordNode> Roles { get; set; } = [];

    public List<string> Privileges { get; set; } = [];

    public List<RecordNode> Resources { get; set; } = [];

    public override string TypeName => IsDeny ? "Deny" : "Permit";
}

internal sealed class DeleteNode(int line, int column) : SyntaxNode(line, column)
{
    public List<RecordNode> Records { get; set; } = [];

    public override string TypeName => "Delete";
}
