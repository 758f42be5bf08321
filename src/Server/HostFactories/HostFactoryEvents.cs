using System.Globalization;
using Secrets.Server.Audit;

namespace Secrets.Server.HostFactories;

/// <summary>
/// Audit records of the host-factory endpoints (spec 8; Conjur's table has no host-factory row, so these follow its
/// style: MSGID <c>host-factory</c>, operations <c>create-token</c>, <c>revoke-token</c>, <c>create-host</c>,
/// <c>rotate-host</c>). They name the caller, the factory and the host, never a token or an API key.
/// </summary>
internal static class HostFactoryEvents
{
    private const string MsgId = "host-factory";

    public static AuditEvent TokensCreated(string caller, string factoryId, int count, DateTime expiration) =>
        AuditEvent.Create(MsgId, "create-token", true,
            $"{caller} successfully created {count.ToString(CultureInfo.InvariantCulture)} host factory token{(count == 1 ? "" : "s")} for {factoryId} expiring {HostFactoryInput.FormatExpiration(expiration)}",
            SdElement.Of("auth", ("user", caller)),
            SdElement.Of("subject", ("resource", factoryId), ("count", count.ToString(CultureInfo.InvariantCulture))));

    public static AuditEvent TokensCreateFailed(string caller, string? factoryId, string reason) =>
        AuditEvent.Create(MsgId, "create-token", false,
            $"{caller} failed to create host factory tokens for {factoryId ?? "unknown"}: {reason}",
            SdElement.Of("auth", ("user", caller)),
            SdElement.Of("subject", ("resource", factoryId ?? "unknown")));

    public static AuditEvent TokenRevoked(string caller, string factoryId) =>
        AuditEvent.Create(MsgId, "revoke-token", true,
            $"{caller} successfully revoked a host factory token of {factoryId}",
            SdElement.Of("auth", ("user", caller)),
            SdElement.Of("subject", ("resource", factoryId)));

    public static AuditEvent TokenRevokeFailed(string caller, string? factoryId, string reason) =>
        AuditEvent.Create(MsgId, "revoke-token", false,
            $"{caller} failed to revoke a host factory token{(factoryId is null ? "" : " of " + factoryId)}: {reason}",
            SdElement.Of("auth", ("user", caller)),
            SdElement.Of("subject", ("resource", factoryId ?? "unknown")));

    public static AuditEvent HostEnrolled(string factoryId, string hostId, bool rotated) =>
        AuditEvent.Create(MsgId, rotated ? "rotate-host" : "create-host", true,
            rotated
                ? $"{factoryId} successfully rotated the API key of host {hostId}"
                : $"{factoryId} successfully created host {hostId}",
            SdElement.Of("auth", ("user", factoryId)),
            SdElement.Of("subject", ("role", hostId)));

    /// <summary>A failed enrollment; <paramref name="factoryId"/> is null when the token was not recognised.</summary>
    public static AuditEvent HostEnrollFailed(string? factoryId, string? hostId, string reason) =>
        AuditEvent.Create(MsgId, "create-host", false,
            $"{factoryId ?? "unknown"} failed to create host {hostId ?? "unknown"}: {reason}",
            SdElement.Of("auth", ("user", factoryId ?? "not-found")),
            SdElement.Of("subject", ("role", hostId ?? "unknown")));
}
