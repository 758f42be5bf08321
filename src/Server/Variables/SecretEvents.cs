using Secrets.Server.Audit;

namespace Secrets.Server.Variables;

/// <summary>
/// The audit records of the secrets endpoints (spec 8.2, MSGIDs <c>fetch</c> and <c>update</c>). They carry ids and
/// catalog messages only, never a value.
/// </summary>
internal static class SecretEvents
{
    /// <summary>What the audit record says when the resource exists but is hidden from the caller: the client saw 404.</summary>
    public const string Forbidden = "Forbidden";

    /// <summary>
    /// <c>&lt;user&gt; fetched [version N of ]&lt;id&gt;</c> / <c>&lt;user&gt; tried to fetch &lt;id&gt;: &lt;error&gt;</c>;
    /// the subject names the version only when the request asked for one.
    /// </summary>
    public static AuditEvent Fetch(string user, string resourceId, string? version, string? error) =>
        AuditEvent.Create(
            "fetch",
            "fetch",
            error is null,
            error is null
                ? $"{user} fetched {(version is null ? "" : $"version {version} of ")}{resourceId}"
                : $"{user} tried to fetch {resourceId}: {error}",
            SdElement.Of("auth", ("user", user)),
            version is null
                ? SdElement.Of("subject", ("resource", resourceId))
                : SdElement.Of("subject", ("resource", resourceId), ("version", version)));

    /// <summary><c>&lt;user&gt; updated &lt;id&gt;</c> / <c>&lt;user&gt; tried to update &lt;id&gt;: &lt;error&gt;</c>.</summary>
    public static AuditEvent Update(string user, string resourceId, string? error) =>
        AuditEvent.Create(
            "update",
            "update",
            error is null,
            error is null ? $"{user} updated {resourceId}" : $"{user} tried to update {resourceId}: {error}",
            SdElement.Of("auth", ("user", user)),
            SdElement.Of("subject", ("resource", resourceId)));
}
