using System.Diagnostics;
using System.Text;

namespace Secrets.Cli.Tests.Infrastructure;

/// <summary>Runs the built `secrets` executable (secrets.dll next to the tests) as a real child process.</summary>
public static class CliProcess
{
    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "secrets.dll");

    public static async Task<CliResult> RunAsync(string home, IReadOnlyDictionary<string, string?> environment, byte[] stdin, params string[] args)
    {
        var start = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(CliDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // A clean slate: none of the developer's CONJUR_* settings, a temporary HOME.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("CONJUR", StringComparison.Ordinal) || k == "JWT_TOKEN_PATH" || k == "XDG_CONFIG_HOME").ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["HOME"] = home;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = new MemoryStream();
        var copyOut = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var readErr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        await copyOut;
        return new CliResult(process.ExitCode, stdout.ToArray(), await readErr);
    }

    public static Task<CliResult> RunAsync(string home, params string[] args) =>
        RunAsync(home, new Dictionary<string, string?>(), [], args);

    public static Task<CliResult> RunWithInputAsync(string home, string stdin, params string[] args) =>
        RunAsync(home, new Dictionary<string, string?>(), Encoding.UTF8.GetBytes(stdin), args);
}
