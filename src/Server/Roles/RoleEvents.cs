using Secrets.Server.Audit;
using Secrets.Server.Resources;

namespace Secrets.Server.Roles;

/// <summary>The audit records of the role endpoints (spec 8.2): <c>members</c>, <c>membership</c>, and <c>policy</c> for membership changes.</summary>
internal static class RoleEvents
{
    public static AuditEvent Members(string user, IReadOnlyList<(string Name, string Value)> parameters, string? error) =>
        Listed("members", "members", user, parameters, error);

    public static AuditEvent Memberships(string user, IReadOnlyList<(string Name, string Value)> parameters, string? error) =>
        Listed("membership", "memberships", user, parameters, error);

    /// <summary>A membership granted through the API (Conjur audits it as a policy change without a policy version).</summary>
    public static AuditEvent Added(string user, string roleId, string memberId) =>
        Changed("add", user, $"{user} added membership of {memberId} in {roleId}", roleId, memberId);

    public static AuditEvent Removed(string user, string roleId, string memberId) =>
        Changed("remove", user, $"{user} removed membership of {memberId} in {roleId}", roleId, memberId);

    private static AuditEvent Listed(string msgId, string what, string user, IReadOnlyList<(string Name, string Value)> parameters, string? error)
    {
        var described = AuditParameters.Describe(parameters);
        return AuditEvent.Create(msgId, "list", error is null,
            error is null
                ? $"{user} successfully listed {what} with parameters: {described}"
                : $"{user} failed to list {what} with parameters: {described}: {error}",
            SdElement.Of("auth", ("user", user)),
            SdElement.Of("subject", [.. parameters]));
    }

    private static AuditEvent Changed(string operation, string user, string message, string roleId, string memberId) =>
        new("policy", AuditEvent.FacilityAuthPriv, AuditEvent.SeverityNotice, operation, true,
            [SdElement.Of("auth", ("user", user)), SdElement.Of("subject", ("role", roleId), ("member", memberId))],
            message);
}
