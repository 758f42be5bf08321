namespace Secrets.Policy.Store;

// The vocabulary shared by the policy planner, the authorization engine and the Server's storage.
// Every id is a full id, "account:kind:identifier" (split on the first two ':' only).
// PolicyId is the full id of the policy that was the *target of the load* that created the row
// (spec 4.6); null for rows created outside policy loads (the account's admin user, host-factory hosts).

/// <summary>A role (user, host, group, layer, policy, host_factory).</summary>
public sealed record RoleRow(string RoleId, string? PolicyId);

/// <summary>A resource and its single owner.</summary>
public sealed record ResourceRow(string ResourceId, string OwnerId, string? PolicyId);

/// <summary>
/// An explicit membership: <paramref name="MemberId"/> holds <paramref name="RoleId"/>.
/// Ownership memberships (an owner is a member, with admin option, of the role it owns) are not stored:
/// they are derived from <see cref="ResourceRow.OwnerId"/> wherever a resource id is also a role id.
/// </summary>
public sealed record MembershipRow(string RoleId, string MemberId, bool AdminOption, string? PolicyId);

/// <summary>A permission: <paramref name="RoleId"/> may perform <paramref name="Privilege"/> on the resource.</summary>
public sealed record PermissionRow(string ResourceId, string Privilege, string RoleId, string? PolicyId);

/// <summary>An annotation on a resource.</summary>
public sealed record AnnotationRow(string ResourceId, string Name, string Value, string? PolicyId);

/// <summary>The network restriction of a user or host's credentials (normalised CIDRs, e.g. "10.0.0.1/32").</summary>
public sealed record CredentialRestrictionRow(string RoleId, IReadOnlyList<string> RestrictedTo);
