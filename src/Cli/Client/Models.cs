using System.Text.Json;
using System.Text.Json.Serialization;

namespace Secrets.Cli.Client;

// Wire contracts of the Conjur v1 API (spec §2). Every record keeps the JSON it was read from in Raw, so callers
// (the CLI) can print exactly what the server said, including fields this client does not model.

/// <summary>How a policy text is applied (spec §4.6).</summary>
public enum PolicyLoadMode
{
    /// <summary><c>POST</c>: add records; deletions are rejected (<c>conjur policy load</c>).</summary>
    Load,

    /// <summary><c>PATCH</c>: add and update, execute deletions (<c>conjur policy update</c>).</summary>
    Update,

    /// <summary><c>PUT</c>: the branch becomes exactly the text (<c>conjur policy replace</c>).</summary>
    Replace,
}

/// <summary>Answer of <c>GET /whoami</c>.</summary>
public sealed record WhoAmI
{
    /// <summary>The caller's IP as the server saw it.</summary>
    public string ClientIp { get; init; } = "";

    /// <summary>The caller's User-Agent.</summary>
    public string UserAgent { get; init; } = "";

    /// <summary>The account of the token.</summary>
    public string Account { get; init; } = "";

    /// <summary>The token subject (login).</summary>
    public string Username { get; init; } = "";

    /// <summary>The token's issue time.</summary>
    public string TokenIssuedAt { get; init; } = "";

    /// <summary>The JSON as received.</summary>
    [JsonIgnore]
    public JsonElement Raw { get; init; }
}

/// <summary>A role created by a policy load, with its API key (returned only once).</summary>
public sealed record CreatedRole
{
    /// <summary>Full role id.</summary>
    public string Id { get; init; } = "";

    /// <summary>The new API key.</summary>
    public string ApiKey { get; init; } = "";

    /// <inheritdoc />
    public override string ToString() => $"CreatedRole({Id})";
}

/// <summary>Answer of a (non dry-run) policy load: <c>{"created_roles":{…},"version":N}</c>.</summary>
public sealed record PolicyLoadResult
{
    /// <summary>Users and hosts created by this load, keyed by full id.</summary>
    public IReadOnlyDictionary<string, CreatedRole> CreatedRoles { get; init; } = new Dictionary<string, CreatedRole>();

    /// <summary>The new version of the target policy.</summary>
    public int Version { get; init; }

    /// <summary>Warnings (annotation names that shadow policy keywords), if any.</summary>
    public IReadOnlyList<string>? Warnings { get; init; }

    /// <summary>The JSON as received.</summary>
    [JsonIgnore]
    public JsonElement Raw { get; init; }
}

/// <summary>One record in a dry-run report.</summary>
public sealed record PolicyItem
{
    /// <summary>Full id (<c>acct:user:bob@dev-db</c>).</summary>
    public string Identifier { get; init; } = "";

    /// <summary>Identifier without account and kind.</summary>
    public string Id { get; init; } = "";

    /// <summary>The kind.</summary>
    public string Type { get; init; } = "";

    /// <summary>Owner role id, or <c>[REDACTED]</c>.</summary>
    public string? Owner { get; init; }

    /// <summary>Policy that defines the record.</summary>
    public string? Policy { get; init; }
}

/// <summary>A list of dry-run items.</summary>
public sealed record PolicyItemList
{
    /// <summary>The items.</summary>
    public IReadOnlyList<PolicyItem> Items { get; init; } = [];
}

/// <summary>Records a dry run would change, before and after.</summary>
public sealed record PolicyUpdateList
{
    /// <summary>The records as they are.</summary>
    public PolicyItemList Before { get; init; } = new();

    /// <summary>The records as they would be.</summary>
    public PolicyItemList After { get; init; } = new();
}

/// <summary>Answer of <c>?dryRun=true</c> (spec §2.5).</summary>
public sealed record PolicyDryRunResult
{
    /// <summary><c>Valid YAML</c> on success.</summary>
    public string Status { get; init; } = "";

    /// <summary>Records that would be created.</summary>
    public PolicyItemList Created { get; init; } = new();

    /// <summary>Records that would be updated.</summary>
    public PolicyUpdateList Updated { get; init; } = new();

    /// <summary>Records that would be deleted.</summary>
    public PolicyItemList Deleted { get; init; } = new();

    /// <summary>The JSON as received.</summary>
    [JsonIgnore]
    public JsonElement Raw { get; init; }
}

/// <summary>A permission row of a resource.</summary>
public sealed record PrivilegeGrant
{
    /// <summary>The privilege (<c>read</c>, <c>execute</c>, …).</summary>
    public string Privilege { get; init; } = "";

    /// <summary>The role holding it.</summary>
    public string Role { get; init; } = "";

    /// <summary>The policy that granted it.</summary>
    public string? Policy { get; init; }
}

/// <summary>An annotation of a resource.</summary>
public sealed record ResourceAnnotation
{
    /// <summary>Annotation name.</summary>
    public string Name { get; init; } = "";

    /// <summary>Annotation value.</summary>
    public string Value { get; init; } = "";

    /// <summary>The policy that set it.</summary>
    public string? Policy { get; init; }
}

/// <summary>A resource object (spec §2.6); kind-specific fields are in <see cref="Raw"/>.</summary>
public sealed record ConjurResource
{
    /// <summary>Full id.</summary>
    public string Id { get; init; } = "";

    /// <summary>Owner role id.</summary>
    public string Owner { get; init; } = "";

    /// <summary>Policy that created it, if any.</summary>
    public string? Policy { get; init; }

    /// <summary>Creation time as sent.</summary>
    public string? CreatedAt { get; init; }

    /// <summary>Permissions on the resource.</summary>
    public IReadOnlyList<PrivilegeGrant> Permissions { get; init; } = [];

    /// <summary>Annotations.</summary>
    public IReadOnlyList<ResourceAnnotation> Annotations { get; init; } = [];

    /// <summary>The JSON as received.</summary>
    [JsonIgnore]
    public JsonElement Raw { get; init; }
}

/// <summary>A membership grant (spec §2.7).</summary>
public sealed record RoleGrant
{
    /// <summary>The member may grant the role onwards.</summary>
    public bool AdminOption { get; init; }

    /// <summary>The member owns the role.</summary>
    public bool Ownership { get; init; }

    /// <summary>The role granted.</summary>
    public string Role { get; init; } = "";

    /// <summary>The member receiving it.</summary>
    public string Member { get; init; } = "";

    /// <summary>The policy that made the grant.</summary>
    public string? Policy { get; init; }
}

/// <summary>A role object (spec §2.7).</summary>
public sealed record ConjurRole
{
    /// <summary>Full id.</summary>
    public string Id { get; init; } = "";

    /// <summary>Creation time as sent.</summary>
    public string? CreatedAt { get; init; }

    /// <summary>Policy that created it.</summary>
    public string? Policy { get; init; }

    /// <summary>Direct members.</summary>
    public IReadOnlyList<RoleGrant> Members { get; init; } = [];

    /// <summary>The JSON as received.</summary>
    [JsonIgnore]
    public JsonElement Raw { get; init; }
}

/// <summary>Filters of <c>GET /resources/{account}</c>.</summary>
public sealed record ResourceListQuery
{
    /// <summary>Only this kind.</summary>
    public string? Kind { get; init; }

    /// <summary>Full-text search.</summary>
    public string? Search { get; init; }

    /// <summary>Page size.</summary>
    public int? Limit { get; init; }

    /// <summary>Page offset.</summary>
    public int? Offset { get; init; }

    /// <summary>List as this role (a full role id the caller holds).</summary>
    public string? Role { get; init; }
}

/// <summary>A host-factory token (spec §2.8).</summary>
public sealed record HostFactoryToken
{
    /// <summary>Expiry, ISO-8601.</summary>
    public string Expiration { get; init; } = "";

    /// <summary>CIDRs allowed to use the token.</summary>
    public IReadOnlyList<string> Cidr { get; init; } = [];

    /// <summary>The token.</summary>
    public string Token { get; init; } = "";

    /// <summary>The JSON as received.</summary>
    [JsonIgnore]
    public JsonElement Raw { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"HostFactoryToken(expires {Expiration})";
}

/// <summary>A host enrolled through a host-factory token, with its API key.</summary>
public sealed record HostFactoryHost
{
    /// <summary>Full host id.</summary>
    public string Id { get; init; } = "";

    /// <summary>Owner (the host factory).</summary>
    public string Owner { get; init; } = "";

    /// <summary>The host's API key.</summary>
    public string ApiKey { get; init; } = "";

    /// <summary>The JSON as received.</summary>
    [JsonIgnore]
    public JsonElement Raw { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"HostFactoryHost({Id})";
}
