using Secrets.Authn.Tokens;

namespace Secrets.Authn.Tests;

public sealed class StayingFrameworkFree
{
    [Fact]
    public void Secrets_authn_references_no_web_data_or_policy_assembly()
    {
        var references = typeof(AccessTokens).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();

        Assert.NotEmpty(references);
        Assert.DoesNotContain(references, name =>
            name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
            || name.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal)
            || name.StartsWith("Npgsql", StringComparison.Ordinal)
            || name.StartsWith("Microsoft.Data.Sqlite", StringComparison.Ordinal)
            || name == "Secrets.Policy"
            || name == "Secrets.Server");
    }
}
