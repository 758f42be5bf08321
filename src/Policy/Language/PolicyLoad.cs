namespace Secrets.Policy.Language;

/// <summary>The whole pipeline of a policy load: parse → resolve → plan.</summary>
public static class PolicyLoad
{
    /// <summary>
    /// Parses, resolves and plans a load of <paramref name="text"/> into policy <paramref name="policyIdentifier"/>.
    /// </summary>
    /// <param name="text">The request body.</param>
    /// <param name="account">The account.</param>
    /// <param name="policyIdentifier">Target policy identifier (<c>root</c> or a branch).</param>
    /// <param name="policyOwnerId">Full id of the target policy's owner.</param>
    /// <param name="mode">POST, PATCH or PUT.</param>
    /// <param name="state">Current rows of the account.</param>
    /// <param name="options">Server settings.</param>
    /// <returns>The plan or the first error.</returns>
    public static PolicyResult<PolicyPlan> Plan(
        string? text,
        string account,
        string policyIdentifier,
        string policyOwnerId,
        PolicyLoadMode mode,
        PolicyState state,
        PolicyPlanOptions? options = null)
    {
        var parsed = PolicyParser.Parse(text);
        if (!parsed.Succeeded)
        {
            return PolicyResult.Failure<PolicyPlan>(parsed.Error);
        }

        var resolved = PolicyResolver.Resolve(parsed.Value, account, policyIdentifier, policyOwnerId);
        return resolved.Succeeded
            ? PolicyPlanner.Plan(resolved.Value, mode, state, options)
            : PolicyResult.Failure<PolicyPlan>(resolved.Error);
    }
}
