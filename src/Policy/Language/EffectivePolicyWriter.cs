using Secrets.Policy.Authorization;

namespace Secrets.Policy.Language;

/// <summary>The two notations of the effective policy (spec 2.5): YAML by default, JSON on request.</summary>
public enum EffectivePolicyFormat
{
    /// <summary>YAML in Psych's layout, as Conjur's <c>to_yaml</c> prints it.</summary>
    Yaml,

    /// <summary>A JSON array of the same statements.</summary>
    Json,
}

/// <summary>The text of an effective policy, or, when the branch has more elements than the limit, their count.</summary>
/// <param name="Text">The policy text; null when <see cref="Exceeded"/> is set.</param>
/// <param name="Exceeded">The element count when it is over the limit (nothing else is computed then).</param>
public sealed record EffectivePolicyResult(string? Text, long? Exceeded);

/// <summary>
/// The effective policy of a branch (spec 2.5, Conjur ≥ 1.21.1): the policy text that would recreate what the caller
/// can see under it. Rows and role graph in, text out; the Server reads the rows, decides whether the caller may ask,
/// audits and answers.
/// </summary>
public static class EffectivePolicyWriter
{
    /// <summary>Builds the tree of <paramref name="identifier"/> and writes it in <paramref name="format"/>.</summary>
    /// <param name="rows">The account's rows.</param>
    /// <param name="snapshot">The account's role graph, for what the caller can see.</param>
    /// <param name="callerRoleId">Full id of the caller's role.</param>
    /// <param name="identifier">The branch: a policy identifier, <c>root</c> for the whole account.</param>
    /// <param name="depth">How many levels below the branch to include.</param>
    /// <param name="limit">The most elements (non-user records, their annotations and permissions) to write.</param>
    /// <param name="format">YAML or JSON.</param>
    /// <returns>The text, or the element count when it exceeds <paramref name="limit"/>.</returns>
    public static EffectivePolicyResult Write(
        PolicyState rows, AuthorizationSnapshot snapshot, string callerRoleId, string identifier, int depth, int limit, EffectivePolicyFormat format)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(snapshot);
        var tree = EffectivePolicyTree.Build(rows, snapshot, callerRoleId, identifier, depth, limit);
        if (tree.Exceeded is { } count)
        {
            return new EffectivePolicyResult(null, count);
        }

        return new EffectivePolicyResult(format == EffectivePolicyFormat.Json ? tree.ToJson() : tree.ToYaml(), null);
    }
}
