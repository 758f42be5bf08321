using Secrets.Server.Admin;

namespace Secrets.Server.Tests.Infrastructure;

/// <summary>
/// Tests that change process-wide state (environment variables, Console streams) to run the admin commands in process.
/// xunit runs such a collection on its own, after the parallel ones.
/// </summary>
[CollectionDefinition(nameof(ProcessWideState), DisableParallelization = true)]
public sealed class ProcessWideState;

/// <summary>
/// Runs the server's command line in this process, exactly as Program.cs does (<c>AdminCommands.Build().Parse(args)
/// .InvokeAsync()</c>), with the given environment and stdin, capturing stdout and stderr. Starting the executable
/// costs seconds per command; RunningTheExecutable covers the process boundary itself.
/// </summary>
internal static class AdminCli
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static async Task<CommandResult> RunAsync(IReadOnlyDictionary<string, string> env, string? stdin, params string[] args)
    {
        await Gate.WaitAsync();
        var saved = ServerSettingNames().ToDictionary(n => n, Environment.GetEnvironmentVariable);
        var (stdout0, stderr0, stdin0) = (Console.Out, Console.Error, Console.In);
        try
        {
            foreach (var name in saved.Keys)
            {
                Environment.SetEnvironmentVariable(name, null);
            }

            foreach (var (name, value) in env)
            {
                Environment.SetEnvironmentVariable(name, value);
            }

            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            Console.SetOut(stdout);
            Console.SetError(stderr);
            Console.SetIn(new StringReader(stdin ?? ""));
            var exit = await AdminCommands.Build().Parse(args).InvokeAsync();
            return new CommandResult(exit, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(stdout0);
            Console.SetError(stderr0);
            Console.SetIn(stdin0);
            foreach (var name in env.Keys)
            {
                Environment.SetEnvironmentVariable(name, null);
            }

            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Gate.Release();
        }
    }

    /// <summary>The server's settings in this process's environment (the test-infrastructure SECRETS_TEST_* excepted).</summary>
    private static List<string> ServerSettingNames() =>
        Environment.GetEnvironmentVariables().Keys.Cast<object>().Select(k => k.ToString()!)
            .Where(k => (k.StartsWith("SECRETS_", StringComparison.Ordinal) && !k.StartsWith("SECRETS_TEST_", StringComparison.Ordinal))
                        || k.StartsWith("CONJUR_", StringComparison.Ordinal)
                        || k is "DATABASE_URL" or "TRUSTED_PROXIES")
            .ToList();
}
