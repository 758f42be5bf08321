using Secrets.Policy.Language;
using Secrets.Policy.Store;

namespace Secrets.Server.HostFactories;

/// <summary>
/// Issue 8 (medium 4): a policy load that declares a host a host factory enrolled fails, unless the same text deletes
/// it first. Such a host belongs to no policy, so the load would shadow it (spec 4.6) and leave in place the key the
/// enrollment handed out, while the text goes on to grant it whatever it grants. Rotating the key instead would not
/// be enough: the factory still owns the host, so any holder of a factory token could re-enroll it and get a fresh
/// key (docs/decisions.md, "Host-factory host ids").
/// </summary>
internal static class EnrolledHosts
{
    /// <summary>The error for the first such declaration, at its line and column; null when there is none.</summary>
    public static PolicyError? CheckDeclarations(ResolvedPolicy policy, PolicyState state)
    {
        HashSet<string>? deleted = null;
        foreach (var record in policy.Records)
        {
            if (record is not { Kind: "host", HasCredentials: true }
                || state.FindResource(record.FullId) is not { PolicyId: null } current
                || FullId.KindOf(current.OwnerId) != "host_factory")
            {
                continue;
            }

            deleted ??= new HashSet<string>(policy.Deletes, StringComparer.Ordinal);
            if (deleted.Contains(record.FullId))
            {
                continue;
            }

            return new PolicyError
            {
                Code = PolicyErrorCode.PolicyInvalid,
                Detail = $"Host '{record.Identifier}' was enrolled by host factory '{current.OwnerId}' and belongs to no policy: "
                    + "delete it (!delete with PATCH or PUT) in the same load that declares it, so that the API key handed out at enrollment stops working",
                Line = record.Line,
                Column = record.Column,
                IsStructural = true,
            };
        }

        return null;
    }
}
