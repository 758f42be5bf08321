using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Secrets.Authn.Tokens;

namespace Secrets.Authn.Tests;

public sealed class StayingFrameworkFree
{
    [Fact]
    public void Secrets_authn_references_no_web_data_or_server_assembly()
    {
        var references = typeof(AccessTokens).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();

        Assert.NotEmpty(references);
        Assert.DoesNotContain(references, name =>
            name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
            || name.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal)
            || name.StartsWith("Npgsql", StringComparison.Ordinal)
            || name.StartsWith("Microsoft.Data.Sqlite", StringComparison.Ordinal)
            || name == "Secrets.Server");
    }

    [Fact]
    public void From_secrets_policy_it_uses_the_id_vocabulary_only()
    {
        // Authenticators share the full id and login rules (Secrets.Policy.Store.FullId) with the policy engine, but
        // know nothing of the policy language or the authorization engine.
        using var stream = File.OpenRead(typeof(AccessTokens).Assembly.Location);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var policyTypes = metadata.TypeReferences
            .Select(metadata.GetTypeReference)
            .Where(t => t.ResolutionScope.Kind == HandleKind.AssemblyReference
                && metadata.GetString(metadata.GetAssemblyReference((AssemblyReferenceHandle)t.ResolutionScope).Name) == "Secrets.Policy")
            .Select(t => $"{metadata.GetString(t.Namespace)}.{metadata.GetString(t.Name)}")
            .ToList();

        Assert.Contains("Secrets.Policy.Store.FullId", policyTypes);
        Assert.All(policyTypes, name => Assert.StartsWith("Secrets.Policy.Store.", name, StringComparison.Ordinal));
    }
}
