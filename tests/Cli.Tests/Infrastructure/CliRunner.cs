using System.Text;
using Secrets.Cli.Configuration;

namespace Secrets.Cli.Tests.Infrastructure;

/// <summary>What one CLI run produced.</summary>
public sealed record CliResult(int ExitCode, byte[] StdoutBytes, string Stderr)
{
    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// Runs the CLI in-process against a temporary HOME and an explicit environment: nothing of the real user's
/// configuration is read or written.
/// </summary>
public sealed class CliRunner : IDisposable
{
    public const string Account = "acct";

    public CliRunner()
    {
        Home = Directory.CreateTempSubdirectory("secrets-cli-home-").FullName;
    }

    public string Home { get; }

    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal);

    public TimeProvider Time { get; set; } = TimeProvider.System;

    public Func<string, string?>? TerminalSecretReader { get; set; }

    public bool StdinIsTerminal { get; set; }

    public bool StdoutIsTerminal { get; set; }

    public bool StderrIsTerminal { get; set; }

    public string ConjurrcPath => Path.Combine(Home, ".conjurrc");

    public string NetrcPath => Path.Combine(Home, ".netrc");

    public string TokenCacheDirectory => Path.Combine(Home, ".config", "secrets", "tokens");

    public Task<CliResult> RunAsync(params string[] args) => RunWithInputAsync([], args);

    public Task<CliResult> RunWithInputAsync(string stdin, params string[] args) => RunWithInputAsync(Encoding.UTF8.GetBytes(stdin), args);

    public async Task<CliResult> RunWithInputAsync(byte[] stdin, params string[] args)
    {
        using var stdout = new MemoryStream();
        using var stderr = new StringWriter { NewLine = "\n" };
        using var input = new MemoryStream(stdin);
        var host = new CliHost
        {
            Stdout = stdout,
            Stderr = stderr,
            Stdin = input,
            Environment = Environment,
            Home = Home,
            Time = Time,
            StdinIsTerminal = StdinIsTerminal,
            StdoutIsTerminal = StdoutIsTerminal,
            StderrIsTerminal = StderrIsTerminal,
            ReadSecretFromTerminal = TerminalSecretReader,
        };
        var code = await CliApp.RunAsync(args, host);
        return new CliResult(code, stdout.ToArray(), stderr.ToString());
    }

    /// <summary>Writes ~/.conjurrc pointing at <paramref name="url"/>.</summary>
    public void Configure(Uri url, string account = Account, string extraYaml = "") =>
        File.WriteAllText(ConjurrcPath, $"account: {account}\nappliance_url: {url.ToString().TrimEnd('/')}\n{extraYaml}");

    /// <summary>Writes ~/.netrc as `secrets login` would.</summary>
    public void StoreCredentials(Uri url, string login, string apiKey)
    {
        var existing = File.Exists(NetrcPath) ? File.ReadAllText(NetrcPath) : "";
        File.WriteAllText(NetrcPath, Netrc.Upsert(existing, $"{url.ToString().TrimEnd('/')}/authn", login, apiKey));
    }

    /// <summary>Configured for <paramref name="server"/> and logged in as <paramref name="login"/>.</summary>
    public void LogIn(RecordingServer server, string login = "alice", string apiKey = "alice-api-key")
    {
        Configure(server.Url);
        StoreCredentials(server.Url, login, apiKey);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
