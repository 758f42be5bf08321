namespace Secrets.Policy.Language;

/// <summary>A parsed policy document: typed statements with source positions, ids not yet resolved.</summary>
public sealed class ParsedPolicy
{
    internal ParsedPolicy(List<SyntaxNode> statements) => Statements = statements;

    internal List<SyntaxNode> Statements { get; }

    /// <summary>Number of top-level statements after flattening anchored lists (0 for <c>[]</c> or a comment-only body).</summary>
    public int StatementCount => Statements.Count;
}

/// <summary>
/// Reads the YAML policy language of spec 4.1–4.3 (one document, a sequence of tagged statements).
/// </summary>
public static class PolicyParser
{
    /// <summary>
    /// Parses a policy body. A blank body fails with <c>validation_failed</c> "policy_text is not present";
    /// <c>[]</c> or a comment-only body is a valid, empty policy (spec 4.1).
    /// </summary>
    /// <param name="text">The raw request body.</param>
    /// <returns>The statements, or a <see cref="PolicyError"/> carrying line and column.</returns>
    public static PolicyResult<ParsedPolicy> Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return PolicyResult.Failure<ParsedPolicy>(PolicyError.Validation(PolicyMessages.NotPresent));
        }

        try
        {
            var root = YamlTree.Parse(text);
            var statements = new StatementReader().ReadDocument(root);
            return PolicyResult.Success(new ParsedPolicy(statements));
        }
        catch (PolicyErrorException ex)
        {
            return PolicyResult.Failure<ParsedPolicy>(ex.Error);
        }
    }
}
