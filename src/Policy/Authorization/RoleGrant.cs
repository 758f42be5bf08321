namespace Secrets.Policy.Authorization;

/// <summary>
/// A direct membership as reported by <c>GET /roles/…?members</c> and <c>?memberships</c> (spec 2.7):
/// <paramref name="MemberId"/> holds <paramref name="RoleId"/>.
/// </summary>
/// <param name="RoleId">The role that is held.</param>
/// <param name="MemberId">The role that holds it.</param>
/// <param name="AdminOption">
/// Stored and reported only; Conjur OSS makes no authorization decision on it (spec 5.1).
/// Always <see langword="true"/> for ownership grants.
/// </param>
/// <param name="Ownership">
/// <see langword="true"/> for the grant derived from the owner of the resource that has the same id as the role
/// (spec 4.5); <see langword="false"/> for an explicit membership.
/// </param>
/// <param name="PolicyId">
/// The policy whose load created the row (for an ownership grant, the policy of the owned resource);
/// <see langword="null"/> when created outside policy loads.
/// </param>
public sealed record RoleGrant(string RoleId, string MemberId, bool AdminOption, bool Ownership, string? PolicyId);

/// <summary>An edge of the role graph (spec 2.7 <c>?graph</c>): <paramref name="Child"/> is a direct member of <paramref name="Parent"/>.</summary>
/// <param name="Parent">The role that is held.</param>
/// <param name="Child">The direct member that holds it.</param>
public sealed record RoleEdge(string Parent, string Child);
