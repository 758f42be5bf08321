using Secrets.Cli.Tests.Infrastructure;

namespace Secrets.Cli.Tests;

/// <summary>Shell completion: scripts for each shell, and the candidates `__complete` computes from the command tree.</summary>
public sealed class CompletingCommands : IDisposable
{
    private readonly CliRunner cli = new();

    public void Dispose() => cli.Dispose();

    [Theory]
    [InlineData("secrets varia", new[] { "variable" })]
    [InlineData("secrets variable ", new[] { "get", "set" })]
    [InlineData("secrets policy lo", new[] { "load" })]
    [InlineData("/usr/local/bin/secrets hostfactory tokens ", new[] { "create", "revoke" })]
    public async Task Candidates_follow_the_command_tree(string line, string[] expected)
    {
        var result = await cli.RunAsync("__complete", "--position", line.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), "--", line);

        Assert.Equal(0, result.ExitCode);
        var candidates = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(expected, e => Assert.Contains(e, candidates));
        Assert.DoesNotContain("/?", candidates);
    }

    [Fact]
    public async Task Options_are_offered_after_a_dash()
    {
        const string line = "secrets policy load --";

        var result = await cli.RunAsync("__complete", "--position", "22", "--", line);

        Assert.Contains("--branch", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("--dry-run", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Values_of_restricted_options_are_offered()
    {
        const string line = "secrets whoami --authn-type ";

        var result = await cli.RunAsync("__complete", "--position", "28", "--", line);

        Assert.Equal(["authn", "jwt", "k8s", "ldap", "spiffe"], result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
    }

    [Theory]
    [InlineData("bash", "complete -o default -F _secrets_complete secrets")]
    [InlineData("zsh", "compdef _secrets_complete secrets")]
    [InlineData("fish", "complete -c secrets")]
    [InlineData("pwsh", "Register-ArgumentCompleter -Native -CommandName secrets")]
    public async Task Each_shell_gets_a_script_that_calls_back(string shell, string marker)
    {
        var result = await cli.RunAsync("completion", shell);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains(marker, result.Stdout, StringComparison.Ordinal);
        Assert.Contains("secrets __complete --position", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_completion_request_exits_2()
    {
        var result = await cli.RunAsync("__complete", "--position", "3");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
    }
}
