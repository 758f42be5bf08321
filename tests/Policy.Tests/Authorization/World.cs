using Secrets.Policy.Authorization;
using Secrets.Policy.Store;

namespace Secrets.Policy.Tests.Authorization;

/// <summary>
/// Builds the rows of a small account by hand. Ids are written without the account (<c>user:alice</c>) and
/// expanded to <c>acct:user:alice</c>; ids that already name an account (two colons) are kept.
/// </summary>
internal sealed class World
{
    public const string Account = "acct";

    private readonly List<RoleRow> _roles = [];
    private readonly List<ResourceRow> _resources = [];
    private readonly List<MembershipRow> _memberships = [];
    private readonly List<PermissionRow> _permissions = [];

    public static string Id(string id) => id.Count(c => c == ':') >= 2 ? id : $"{Account}:{id}";

    /// <summary>A role and its same-id resource, as a policy load creates them.</summary>
    public World Role(string id, string owner, string? policy = "policy:root")
    {
        _roles.Add(new RoleRow(Id(id), policy is null ? null : Id(policy)));
        return Resource(id, owner, policy);
    }

    /// <summary>A role without a resource (like Conjur's internal roles).</summary>
    public World BareRole(string id)
    {
        _roles.Add(new RoleRow(Id(id), null));
        return this;
    }

    public World Resource(string id, string owner, string? policy = "policy:root")
    {
        _resources.Add(new ResourceRow(Id(id), Id(owner), policy is null ? null : Id(policy)));
        return this;
    }

    public World Grant(string role, string member, bool adminOption = false, string? policy = "policy:root")
    {
        _memberships.Add(new MembershipRow(Id(role), Id(member), adminOption, policy is null ? null : Id(policy)));
        return this;
    }

    public World Permit(string role, string privileges, string resource, string? policy = "policy:root")
    {
        foreach (var privilege in privileges.Split(','))
        {
            _permissions.Add(new PermissionRow(Id(resource), privilege, Id(role), policy is null ? null : Id(policy)));
        }

        return this;
    }

    public AuthorizationSnapshot Build(long version = 1) =>
        AuthorizationSnapshot.Build(_roles, _resources, _memberships, _permissions, version);

    /// <summary>
    /// The account of spec 4.8 (loaded into root by admin), plus a few users with single permissions.
    /// </summary>
    public static World Example() => new World()
        .Role("user:admin", "user:admin", policy: null)
        .Role("policy:root", "user:admin", policy: null)
        .Role("user:alice", "user:admin")
        .Role("group:ops", "user:admin")
        .Grant("group:ops", "user:alice")
        .Role("policy:prod/db", "group:ops")
        .Resource("variable:prod/db/password", "policy:prod/db")
        .Resource("variable:prod/db/url", "policy:prod/db")
        .Role("layer:prod/db", "policy:prod/db")
        .Role("host:prod/db/app-01", "policy:prod/db")
        .Grant("layer:prod/db", "host:prod/db/app-01")
        .Permit("layer:prod/db", "read,execute", "variable:prod/db/password")
        .Permit("layer:prod/db", "read,execute", "variable:prod/db/url")
        .Permit("group:ops", "update", "variable:prod/db/password")
        .Role("user:bob@prod-db", "policy:prod/db")
        .Role("host_factory:prod/db", "policy:prod/db")
        .Permit("layer:prod/db", "execute", "host_factory:prod/db")
        .Role("user:carol", "user:admin")
        .Role("user:eve", "user:admin")
        .Permit("user:eve", "read", "variable:prod/db/url")
        .Role("user:frank", "user:admin")
        .Permit("user:frank", "update", "variable:prod/db/url")
        .Role("group:auditors", "user:admin")
        .Role("user:dave", "user:admin")
        .Grant("group:auditors", "user:dave")
        .Permit("group:auditors", "read", "policy:prod/db")
        .Resource("webservice:conjur/authn-jwt/okta", "user:admin")
        .Permit("group:auditors", "authenticate", "webservice:conjur/authn-jwt/okta");
}
