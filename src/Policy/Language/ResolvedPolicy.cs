namespace Secrets.Policy.Language;

/// <summary>
/// A record declared by the policy text, with full ids (spec 4.4, 4.5). A record is a role, a resource, or
/// both (every role created by policy also has a resource with the same id, except a bare <c>!role</c>).
/// </summary>
public sealed record ResolvedRecord
{
    /// <summary>Kind segment of the id: <c>user host group layer policy variable webservice host_factory public_key</c> (or a <c>!role</c>/<c>!resource</c> kind).</summary>
    public required string Kind { get; init; }

    /// <summary>The identifier, e.g. <c>prod/db/password</c> or <c>alice@dev-db</c>.</summary>
    public required string Identifier { get; init; }

    /// <summary><c>account:kind:identifier</c>.</summary>
    public required string FullId { get; init; }

    /// <summary>True when the record creates a role row.</summary>
    public required bool HasRole { get; init; }

    /// <summary>True when the record creates a resource row.</summary>
    public required bool HasResource { get; init; }

    /// <summary>Full id of the owner role when <see cref="HasResource"/>.</summary>
    public string? OwnerId { get; init; }

    /// <summary>Annotations in source order, including the derived <c>conjur/kind</c>, <c>conjur/mime_type</c>, <c>conjur/uidnumber</c>, <c>conjur/gidnumber</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Annotations { get; init; } = [];

    /// <summary>For users and hosts: the normalised CIDRs written in the text (empty when none); null for other kinds.</summary>
    public IReadOnlyList<string>? RestrictedTo { get; init; }

    /// <summary>For <c>public_key</c> resources created from a user's <c>public_keys</c>: the key text, stored as its secret.</summary>
    public string? PublicKeyValue { get; init; }

    /// <summary>1-based line of the declaration.</summary>
    public int Line { get; init; }

    /// <summary>1-based column of the declaration.</summary>
    public int Column { get; init; }

    /// <summary>
    /// True for <c>!user</c> and <c>!host</c> records, which have credentials and get an API key when created. A
    /// <c>!role</c> never does, whatever its kind: Conjur creates credentials only for users and hosts (issue 8).
    /// The Server also gives none to a role whose login does not parse back to it (<c>FullId.CanHoldCredentials</c>).
    /// </summary>
    public bool HasCredentials { get; init; }
}

/// <summary>A role membership written by <c>!grant</c>/<c>!revoke</c>, or implied by a host factory's layers.</summary>
/// <param name="RoleId">Full id of the role granted.</param>
/// <param name="MemberId">Full id of the member.</param>
/// <param name="AdminOption">The <c>admin</c> flag of the member.</param>
/// <param name="Line">1-based line of the statement.</param>
/// <param name="Column">1-based column of the statement.</param>
public sealed record ResolvedMembership(string RoleId, string MemberId, bool AdminOption, int Line, int Column);

/// <summary>A permission written by <c>!permit</c>/<c>!deny</c>.</summary>
/// <param name="ResourceId">Full id of the resource.</param>
/// <param name="Privilege">The privilege (free-form).</param>
/// <param name="RoleId">Full id of the role.</param>
/// <param name="Line">1-based line of the statement.</param>
/// <param name="Column">1-based column of the statement.</param>
public sealed record ResolvedPermit(string ResourceId, string Privilege, string RoleId, int Line, int Column);

/// <summary>A reference that must exist in the database or in the text when the policy is loaded (spec 4.3).</summary>
internal sealed record ResolvedReference(string FullId, bool IsRole, int Line, int Column);

/// <summary>
/// A policy with every id resolved against an account and a target policy: the records to declare (owners
/// before what they own) and the relationship statements, all with full ids.
/// </summary>
public sealed class ResolvedPolicy
{
    internal ResolvedPolicy(
        string account,
        string policyId,
        IReadOnlyList<ResolvedRecord> records,
        IReadOnlyList<ResolvedMembership> grants,
        IReadOnlyList<ResolvedPermit> permits,
        IReadOnlyList<ResolvedMembership> revokes,
        IReadOnlyList<ResolvedPermit> denies,
        IReadOnlyList<string> deletes,
        bool hasDeletionStatements,
        IReadOnlyList<string> warnings,
        IReadOnlyList<ResolvedReference> references)
    {
        Account = account;
        PolicyId = policyId;
        Records = records;
        Grants = grants;
        Permits = permits;
        Revokes = revokes;
        Denies = denies;
        Deletes = deletes;
        HasDeletionStatements = hasDeletionStatements;
        Warnings = warnings;
        References = references;
    }

    /// <summary>The account of the load.</summary>
    public string Account { get; }

    /// <summary>Full id of the policy that is the target of the load; every row created gets it as PolicyId.</summary>
    public string PolicyId { get; }

    /// <summary>Declared records (including <c>public_key</c> resources), ordered so that owners come first.</summary>
    public IReadOnlyList<ResolvedRecord> Records { get; }

    /// <summary>Memberships from <c>!grant</c> and host-factory layers, in statement order.</summary>
    public IReadOnlyList<ResolvedMembership> Grants { get; }

    /// <summary>Permissions from <c>!permit</c>, in statement order.</summary>
    public IReadOnlyList<ResolvedPermit> Permits { get; }

    /// <summary>Memberships named by <c>!revoke</c>.</summary>
    public IReadOnlyList<ResolvedMembership> Revokes { get; }

    /// <summary>Permissions named by <c>!deny</c>.</summary>
    public IReadOnlyList<ResolvedPermit> Denies { get; }

    /// <summary>Full ids named by <c>!delete</c>.</summary>
    public IReadOnlyList<string> Deletes { get; }

    /// <summary>True when the text holds <c>!delete</c>, <c>!revoke</c> or <c>!deny</c> (rejected by POST).</summary>
    public bool HasDeletionStatements { get; }

    /// <summary>Load warnings (annotation names equal to policy keywords, spec 4.2).</summary>
    public IReadOnlyList<string> Warnings { get; }

    internal IReadOnlyList<ResolvedReference> References { get; }
}
