namespace Secrets.Policy.Authorization;

/// <summary>
/// The one authorization answer (spec 5.2) every endpoint maps to HTTP: an unknown resource is
/// <see cref="Absent"/> and an invisible one <see cref="Hidden"/> (both answered as "not found"; the difference is
/// kept for the audit record only), a visible resource without the privilege is <see cref="Forbidden"/>.
/// </summary>
public enum AccessDecision
{
    /// <summary>The role may do it.</summary>
    Allowed,

    /// <summary>No such resource (in this account): 404.</summary>
    Absent,

    /// <summary>The resource exists but the role cannot see it: 404, like <see cref="Absent"/>.</summary>
    Hidden,

    /// <summary>Visible, without the privilege: 403.</summary>
    Forbidden,
}

public sealed partial class AuthorizationSnapshot
{
    /// <summary>
    /// Spec 5.2 in its order: <paramref name="resourceId"/> unknown → <see cref="AccessDecision.Absent"/>; not visible
    /// to <paramref name="roleId"/> → <see cref="AccessDecision.Hidden"/>; visible but <paramref name="roleId"/> lacks
    /// <paramref name="privilege"/> → <see cref="AccessDecision.Forbidden"/>. A null <paramref name="privilege"/>
    /// asks for visibility only (reading a resource's or role's details).
    /// </summary>
    public AccessDecision Decide(string roleId, string? privilege, string resourceId)
    {
        ArgumentNullException.ThrowIfNull(roleId);
        ArgumentNullException.ThrowIfNull(resourceId);
        if (!_resourceIndex.TryGetValue(resourceId, out var x))
        {
            return AccessDecision.Absent;
        }

        // One lookup of each id and of the role's held set serve both questions (the secret fetch asks on every call).
        if (!_roleIndex.TryGetValue(roleId, out var r))
        {
            return AccessDecision.Hidden;
        }

        var held = HeldBy(r);
        if (!Visible(held, x))
        {
            return AccessDecision.Hidden;
        }

        return privilege is null || Allowed(held, PrivilegeNumber(privilege), x) ? AccessDecision.Allowed : AccessDecision.Forbidden;
    }

    /// <summary>
    /// <see cref="Decide(string, string?, string)"/> with a permission rule other than one privilege on the resource
    /// (a privilege on a policy branch, holding the owner): asked only when the resource is visible.
    /// </summary>
    public AccessDecision Decide(string roleId, string resourceId, Func<AuthorizationSnapshot, bool> permitted)
    {
        ArgumentNullException.ThrowIfNull(permitted);
        var seen = Decide(roleId, null, resourceId);
        return seen != AccessDecision.Allowed || permitted(this) ? seen : AccessDecision.Forbidden;
    }

    /// <summary>
    /// The decision on a role addressed through its resource (spec 2.7, API-key rotation): the role must exist as a
    /// role as well as a resource, else <see cref="AccessDecision.Absent"/>; then as <see cref="Decide(string, string?, string)"/>.
    /// </summary>
    public AccessDecision DecideOnRole(string callerRoleId, string? privilege, string targetRoleId)
    {
        ArgumentNullException.ThrowIfNull(targetRoleId);
        return RoleExists(targetRoleId) ? Decide(callerRoleId, privilege, targetRoleId) : AccessDecision.Absent;
    }
}
