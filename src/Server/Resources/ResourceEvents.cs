using Secrets.Server.Audit;

namespace Secrets.Server.Resources;

/// <summary>The audit records of the resource endpoints (spec 8.2): <c>list</c>, <c>resource</c> and <c>check</c>.</summary>
internal static class ResourceEvents
{
    public static AuditEvent List(string user, IReadOnlyList<(string Name, string Value)> parameters, string? error)
    {
        var described = AuditParameters.Describe(parameters);
        return AuditEvent.Create("list", "list", error is null,
            error is null
                ? $"{user} successfully listed resources with parameters: {described}"
                : $"{user} failed to list resources with parameters: {described}: {error}",
            SdElement.Of("auth", ("user", user)),
            SdElement.Of("subject", [.. parameters]));
    }

    public static AuditEvent Show(string user, string resourceId, string? error) =>
        AuditEvent.Create("resource", "get", error is null,
            error is null
                ? $"{user} successfully fetched resource details."
                : $"{user} failed to fetch resource details: {error}",
            SdElement.Of("auth", ("user", user)),
            SdElement.Of("subject", ("resource", resourceId)));

    /// <summary>
    /// A permission check. As in Conjur, the outcome of the check is the record's result: a check that answers
    /// "not allowed" is recorded as a failure.
    /// </summary>
    public static AuditEvent Check(string user, string roleId, string privilege, string resourceId, bool allowed, string? error = null)
    {
        var who = roleId == user ? "they" : roleId;
        var message = error is not null
            ? $"{user} failed to check if {who} can {privilege} {resourceId}: {error}"
            : allowed
                ? $"{user} successfully checked if {who} can {privilege} {resourceId}"
                : $"{user} failed to check if {who} can {privilege} {resourceId}";
        return AuditEvent.Create("check", "check", allowed && error is null, message,
            SdElement.Of("auth", ("user", user)),
            SdElement.Of("subject", ("resource", resourceId), ("role", roleId), ("privilege", privilege)));
    }
}
