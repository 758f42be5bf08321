namespace Secrets.Cli.Client;

/// <summary>A full Conjur id <c>account:kind:identifier</c> (spec conventions: split on the first two colons only).</summary>
public readonly record struct ResourceId
{
    /// <summary>The kinds Conjur knows; used to tell <c>kind:id</c> from <c>account:kind:id</c>.</summary>
    public static readonly IReadOnlySet<string> Kinds = new HashSet<string>(StringComparer.Ordinal)
    {
        "user", "host", "group", "layer", "policy", "variable", "webservice", "host_factory", "public_key", "configuration",
    };

    /// <summary>Creates an id from its parts.</summary>
    public ResourceId(string account, string kind, string identifier)
    {
        ArgumentException.ThrowIfNullOrEmpty(account);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentException.ThrowIfNullOrEmpty(identifier);
        Account = account;
        Kind = kind;
        Identifier = identifier;
    }

    /// <summary>The account (organisation).</summary>
    public string Account { get; }

    /// <summary>The kind: <c>user</c>, <c>host</c>, <c>variable</c>, …</summary>
    public string Kind { get; }

    /// <summary>The identifier without account and kind, e.g. <c>prod/db/password</c>.</summary>
    public string Identifier { get; }

    /// <summary>
    /// Reads <c>account:kind:id</c>, <c>kind:id</c> (account defaulted) or, when <paramref name="defaultKind"/> is
    /// given, a bare <c>id</c>. A first segment that is a known kind wins, so <c>variable:a:b</c> is the variable <c>a:b</c>.
    /// </summary>
    /// <exception cref="FormatException">The text is not an id of any accepted form.</exception>
    public static ResourceId Parse(string text, string defaultAccount, string? defaultKind = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrEmpty(defaultAccount);
        var parts = text.Split(':', 3);
        if (parts.Length == 3 && Kinds.Contains(parts[1]) && parts[0].Length > 0 && parts[2].Length > 0)
        {
            return new ResourceId(parts[0], parts[1], parts[2]);
        }

        if (parts.Length >= 2 && Kinds.Contains(parts[0]))
        {
            var identifier = text[(parts[0].Length + 1)..];
            if (identifier.Length > 0)
            {
                return new ResourceId(defaultAccount, parts[0], identifier);
            }
        }

        if (defaultKind is not null && text.Length > 0)
        {
            return new ResourceId(defaultAccount, defaultKind, text);
        }

        if (parts.Length == 3 && parts.All(p => p.Length > 0))
        {
            return new ResourceId(parts[0], parts[1], parts[2]);
        }

        throw new FormatException($"'{text}' is not a resource id: use kind:identifier or account:kind:identifier.");
    }

    /// <inheritdoc />
    public override string ToString() => $"{Account}:{Kind}:{Identifier}";
}
