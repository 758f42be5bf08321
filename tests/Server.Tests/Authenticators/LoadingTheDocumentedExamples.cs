using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Authenticators;

/// <summary>
/// The worked examples of docs/authenticators.md are written as a user copies them: every policy among them loads
/// into <c>root</c> as it stands (issue 11), and the instances they declare show up as configured.
/// </summary>
public sealed partial class LoadingTheDocumentedExamples(SqliteServer f) : IClassFixture<SqliteServer>
{
    private const string Marker = "<!-- worked examples:";

    private static IReadOnlyList<string> ExamplePolicies()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "docs", "authenticators.md")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        var text = File.ReadAllText(Path.Combine(directory.FullName, "docs", "authenticators.md"));
        var start = text.IndexOf(Marker, StringComparison.Ordinal);
        Assert.True(start >= 0, "the worked-examples marker is missing from docs/authenticators.md");
        return [.. YamlBlock().Matches(text[start..]).Select(m => m.Groups[1].Value).Where(y => y.StartsWith("- !", StringComparison.Ordinal))];
    }

    [Fact]
    public async Task Every_example_policy_loads_and_configures_its_instance()
    {
        var policies = ExamplePolicies();
        Assert.Equal(3, policies.Count);
        using var admin = await f.AdminClientAsync();

        foreach (var policy in policies)
        {
            using var response = await admin.PostAsync($"/policies/{ServerFixture.Account}/policy/root", new StringContent(policy, Encoding.UTF8, "application/x-yaml"));
            Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync() + "\n" + policy);
        }

        var listed = await admin.GetStringAsync("/authenticators");
        Assert.Contains("\"authn-k8s/prod\"", listed, StringComparison.Ordinal);
        Assert.Contains("\"authn-jwt/github\"", listed, StringComparison.Ordinal);
        Assert.Contains("\"authn-jwt/eso\"", listed, StringComparison.Ordinal);
    }

    [GeneratedRegex("```yaml\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex YamlBlock();
}
