using Secrets.Policy.Language;
using Secrets.Policy.Store;

namespace Secrets.Policy.Tests.Language;

/// <summary>Builds account states and runs the pipeline, failing the test with the error text when a step fails.</summary>
internal static class PolicyKit
{
    public const string Account = "acct";
    public const string Admin = "acct:user:admin";
    public const string Root = "acct:policy:root";

    /// <summary>An account as the Server creates it: admin (owning itself) and the root policy, plus branches loaded into root.</summary>
    public static PolicyState Bootstrap(params string[] branches)
    {
        var roles = new List<RoleRow> { new(Admin, null), new(Root, null) };
        var resources = new List<ResourceRow> { new(Admin, Admin, null), new(Root, Admin, null) };
        foreach (var branch in branches)
        {
            roles.Add(new($"acct:policy:{branch}", Root));
            resources.Add(new($"acct:policy:{branch}", Admin, Root));
        }

        return PolicyState.Create(roles, resources);
    }

    public static PolicyResult<PolicyPlan> TryPlan(
        string text,
        PolicyLoadMode mode = PolicyLoadMode.Add,
        PolicyState? state = null,
        string policy = "root",
        PolicyPlanOptions? options = null)
    {
        state ??= Bootstrap();
        var owner = policy == "root"
            ? Admin
            : state.Resources.FirstOrDefault(r => r.ResourceId == $"acct:policy:{policy}")?.OwnerId ?? Admin;
        return PolicyLoad.Plan(text, Account, policy, owner, mode, state, options);
    }

    public static PolicyPlan Plan(
        string text,
        PolicyLoadMode mode = PolicyLoadMode.Add,
        PolicyState? state = null,
        string policy = "root",
        PolicyPlanOptions? options = null)
    {
        var result = TryPlan(text, mode, state, policy, options);
        Assert.True(result.Succeeded, result.Error?.Message);
        return result.Value;
    }

    public static PolicyError Fail(
        string text,
        PolicyLoadMode mode = PolicyLoadMode.Add,
        PolicyState? state = null,
        string policy = "root",
        PolicyPlanOptions? options = null)
    {
        var result = TryPlan(text, mode, state, policy, options);
        Assert.False(result.Succeeded, "expected the load to fail");
        return result.Error;
    }

    /// <summary>Plans and applies a load.</summary>
    public static PolicyState Load(PolicyState state, string text, PolicyLoadMode mode = PolicyLoadMode.Add, string policy = "root") =>
        state.Apply(Plan(text, mode, state, policy));

    public static ResolvedPolicy Resolve(string text, string policy = "root", string owner = Admin)
    {
        var parsed = PolicyParser.Parse(text);
        Assert.True(parsed.Succeeded, parsed.Error?.Message);
        var resolved = PolicyResolver.Resolve(parsed.Value, Account, policy, owner);
        Assert.True(resolved.Succeeded, resolved.Error?.Message);
        return resolved.Value;
    }

    public static PolicyError ResolveError(string text, string policy = "root", string owner = Admin)
    {
        var parsed = PolicyParser.Parse(text);
        Assert.True(parsed.Succeeded, parsed.Error?.Message);
        var resolved = PolicyResolver.Resolve(parsed.Value, Account, policy, owner);
        Assert.False(resolved.Succeeded, "expected resolution to fail");
        return resolved.Error;
    }

    public static PolicyError ParseError(string text)
    {
        var parsed = PolicyParser.Parse(text);
        Assert.False(parsed.Succeeded, "expected parsing to fail");
        return parsed.Error;
    }

    public static ResolvedRecord Record(this ResolvedPolicy policy, string fullId) =>
        policy.Records.Single(r => r.FullId == fullId);

    public static string? Annotation(this ResolvedRecord record, string name) =>
        record.Annotations.Where(a => a.Key == name).Select(a => a.Value).FirstOrDefault();

    public static string? Annotation(this PolicyState state, string resourceId, string name) =>
        state.Annotations.Where(a => a.ResourceId == resourceId && a.Name == name).Select(a => a.Value).FirstOrDefault();

    public static ResourceRow? Resource(this PolicyState state, string id) =>
        state.Resources.FirstOrDefault(r => r.ResourceId == id);

    public static IReadOnlyList<string>? RestrictedTo(this PolicyState state, string roleId) =>
        state.CredentialRestrictions.FirstOrDefault(r => r.RoleId == roleId)?.RestrictedTo;

    public static bool HasMembership(this PolicyState state, string role, string member) =>
        state.Memberships.Any(m => m.RoleId == role && m.MemberId == member);

    public static bool HasPermission(this PolicyState state, string resource, string privilege, string role) =>
        state.Permissions.Any(p => p.ResourceId == resource && p.Privilege == privilege && p.RoleId == role);
}
