using Secrets.Policy.Authorization;

namespace Secrets.Policy.Tests.Authorization;

/// <summary>House style: Secrets.Policy is pure; it references no web or data framework.</summary>
public sealed class StayingFreeOfFrameworks
{
    [Fact]
    public void Policy_assembly_references_no_AspNetCore_EntityFrameworkCore_or_Npgsql()
    {
        var references = typeof(AuthorizationSnapshot).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "").ToList();
        Assert.NotEmpty(references);
        Assert.DoesNotContain(references, name =>
            name.StartsWith("Microsoft.AspNetCore", StringComparison.OrdinalIgnoreCase) ||
            name.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.OrdinalIgnoreCase) ||
            name.StartsWith("Npgsql", StringComparison.OrdinalIgnoreCase) ||
            name.StartsWith("Microsoft.Data.Sqlite", StringComparison.OrdinalIgnoreCase));
    }
}
