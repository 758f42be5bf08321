using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Secrets.Server.Tests.Robustness;

/// <summary>
/// No Docker engine can pull images here, so docker-compose.yml and the Dockerfile are checked as files: the services,
/// their health checks (the server's through its own `health` subcommand), the restart policy, the loopback-only port,
/// a non-root user, and no secret baked into any layer.
/// </summary>
public sealed partial class CheckingThePackagingFiles
{
    private static readonly string Root = FindRoot();

    [Fact]
    public void Compose_waits_for_a_healthy_postgres_restarts_the_server_and_checks_both()
    {
        var services = (YamlMappingNode)Compose()["services"];
        var postgres = (YamlMappingNode)services["postgres"];
        var server = (YamlMappingNode)services["server"];

        Assert.Equal("unless-stopped", Scalar(server, "restart"));
        var dependsOn = (YamlMappingNode)server["depends_on"];
        Assert.Equal("service_healthy", Scalar((YamlMappingNode)dependsOn["postgres"], "condition"));

        var postgresCheck = Test(postgres);
        Assert.Contains("pg_isready", postgresCheck, StringComparison.Ordinal);

        var serverCheck = Test(server);
        Assert.Equal("CMD dotnet Secrets.Server.dll health", serverCheck);
        Assert.DoesNotContain("curl", serverCheck, StringComparison.Ordinal);
        Assert.DoesNotContain("wget", serverCheck, StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_publishes_the_server_on_loopback_only_and_keeps_the_data_key_out_of_the_file()
    {
        var server = (YamlMappingNode)((YamlMappingNode)Compose()["services"])["server"];
        var ports = ((YamlSequenceNode)server["ports"]).Children.Select(p => ((YamlScalarNode)p).Value!).ToList();
        Assert.NotEmpty(ports);
        Assert.All(ports, p => Assert.StartsWith("127.0.0.1:", p, StringComparison.Ordinal));

        var environment = (YamlMappingNode)server["environment"];
        var names = environment.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToList();
        Assert.DoesNotContain(names, n => n.Contains("DATA_KEY", StringComparison.Ordinal));
        Assert.Equal("secrets.env", Scalar(server, "env_file"));
        Assert.Contains("secrets.env", File.ReadAllText(Path.Combine(Root, ".gitignore")), StringComparison.Ordinal);
    }

    [Fact]
    public void Dockerfile_runs_as_a_non_root_user_with_a_healthcheck_through_the_server_executable()
    {
        var lines = Instructions();
        var runtime = lines.Skip(lines.FindLastIndex(l => l.StartsWith("FROM ", StringComparison.Ordinal))).ToList();

        var user = Assert.Single(runtime, l => l.StartsWith("USER ", StringComparison.Ordinal))["USER ".Length..].Trim();
        Assert.DoesNotMatch(@"^(root|0)(:|$)", user);
        Assert.True(runtime.FindIndex(l => l.StartsWith("USER ", StringComparison.Ordinal)) < runtime.FindIndex(l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal)));

        var healthcheck = Assert.Single(runtime, l => l.StartsWith("HEALTHCHECK ", StringComparison.Ordinal));
        Assert.EndsWith("""CMD ["dotnet", "Secrets.Server.dll", "health"]""", healthcheck, StringComparison.Ordinal);
        Assert.Contains("""ENTRYPOINT ["dotnet", "Secrets.Server.dll"]""", runtime);
    }

    [Fact]
    public void No_layer_of_the_image_holds_a_secret()
    {
        foreach (var line in Instructions())
        {
            var keyword = line.Split(' ', 2)[0];
            if (keyword is "ENV" or "ARG")
            {
                foreach (Match m in Assignment().Matches(line[keyword.Length..]))
                {
                    var name = m.Groups["name"].Value;
                    Assert.False(SecretName().IsMatch(name), $"{keyword} {name} bakes a secret into the image");
                    Assert.DoesNotContain("@", m.Groups["value"].Value, StringComparison.Ordinal);
                }
            }

            if (keyword is "COPY" or "ADD")
            {
                Assert.False(SecretFile().IsMatch(line), $"'{line}' copies a key or secrets file into a layer");
            }
        }

        // What `COPY src/ src/` and the build context could carry is kept out by .dockerignore.
        var ignore = File.ReadAllText(Path.Combine(Root, ".dockerignore"));
        foreach (var pattern in new[] { "secrets.env", "*.key", "data-key" })
        {
            Assert.Contains(pattern, ignore, StringComparison.Ordinal);
        }
    }

    private static YamlMappingNode Compose()
    {
        var yaml = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(Path.Combine(Root, "docker-compose.yml")));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node[key]).Value!;

    private static string Test(YamlMappingNode service)
    {
        var test = ((YamlMappingNode)service["healthcheck"])["test"];
        return test is YamlSequenceNode sequence
            ? string.Join(' ', sequence.Children.Select(c => ((YamlScalarNode)c).Value))
            : ((YamlScalarNode)test).Value!;
    }

    /// <summary>The Dockerfile's instructions, continuation lines joined, comments dropped.</summary>
    private static List<string> Instructions()
    {
        var joined = Regex.Replace(File.ReadAllText(Path.Combine(Root, "Dockerfile")), @"\\\r?\n\s*", " ");
        return [.. joined.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))];
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "docker-compose.yml")) && File.Exists(Path.Combine(dir.FullName, "Dockerfile")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"(?<name>[A-Za-z_][A-Za-z0-9_]*)(=(?<value>\S*))?")]
    private static partial Regex Assignment();

    [GeneratedRegex(@"(KEY|PASSWORD|PASSWD|TOKEN|SECRET$|CREDENTIAL|DATABASE_URL)", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();

    [GeneratedRegex(@"(data-key|\.key\b|\.pem\b|\.pfx\b|secrets\.env|\.env\b|api-key)", RegexOptions.IgnoreCase)]
    private static partial Regex SecretFile();
}
