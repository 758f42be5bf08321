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
    public RecordType Type { get; } = type;

    public string? Id { get; set; }

    /// <summary>The kind of a generic <c>!role</c> / <c>!resource</c>.</summary>
    public string? Kind { get; set; }

    public string? Account { get; set; }

    public RecordNode? Owner { get; set; }

    /// <summary>Annotations in source order; values already converted to strings (spec 4.2).</summary>
    public List<KeyValuePair<string, string>>? Annotations { get; set; }

    /// <summary>Normalised CIDRs (users and hosts).</summary>
    public List<string>? RestrictedTo { get; set; }

    public List<string>? PublicKeys { get; set; }

    public string? UidNumber { get; set; }

    public string? GidNumber { get; set; }

    public string? VariableKind { get; set; }

    public string? MimeType { get; set; }

    /// <summary>Host factory layers; null when the attribute is absent.</summary>
    public List<RecordNode>? Layers { get; set; }

    /// <summary>Host factory <c>role</c> attribute (parsed for compatibility, no effect).</summary>
    public RecordNode? FactoryRole { get; set; }

    /// <summary>Policy body.</summary>
    public List<SyntaxNode>? Body { get; set; }

    public override string TypeName => Type.ToString();

    public bool IsRole => Type is not (RecordType.Variable or RecordType.Webservice or RecordType.Resource);

    public bool IsResource => Type is not RecordType.Role;

    /// <summary>The kind segment of the full id (<c>host_factory</c> for <c>!host-factory</c>).</summary>
    public string? ResolvedKind => Type switch
    {
        RecordType.Role or RecordType.Resource => Kind,
        RecordType.HostFactory => "host_factory",
        _ => Type.ToString().ToLowerInvariant(),
    };

    /// <summary>Conjur's underscored class name, used by "&lt;type&gt; has a blank id".</summary>
    public string UnderscoredTypeName => Type == RecordType.HostFactory ? "host_factory" : Type.ToString().ToLowerInvariant();
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
