using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Cli.Tests.Infrastructure;

/// <summary>
/// The real server (src/Server) as a child process with a fresh data directory: `account create acct` prints the
/// admin API key, then `serve` listens on a free 127.0.0.1 port until the fixture is disposed. The server is built
/// once per test run into its own artifacts folder, or taken from SECRETS_SERVER_DLL when that is set.
/// Subclasses choose the database (the default is the embedded SQLite database in the data directory).
/// </summary>
public abstract class RealServer : IAsyncLifetime
{
    public const string Account = "acct";

    private static readonly SemaphoreSlim BuildGate = new(1, 1);
    private static string? builtServerDll;
    private readonly StringBuilder serverOutput = new();
    private Process? process;

    public Uri Url { get; private set; } = null!;

    public string AdminApiKey { get; private set; } = "";

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("secrets-e2e-data-").FullName;

    /// <summary>What the server printed so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (serverOutput)
            {
                return serverOutput.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        var dll = await ServerDllAsync();
        var create = await RunToEndAsync(dll, ["account", "create", Account, "--data-dir", DataDirectory]);
        var lastLine = create.Stdout.TrimEnd().Split('\n')[^1];
        const string prefix = "API key for admin: ";
        if (create.ExitCode != 0 || !lastLine.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"`account create` did not print the admin API key:\n{create}");
        }

        AdminApiKey = lastLine[prefix.Length..].Trim();
        var port = FreePort();
        Url = new Uri($"http://127.0.0.1:{port}");
        process = Process.Start(StartInfo(dll, ["serve", "--urls", Url.ToString().TrimEnd('/'), "--data-dir", DataDirectory]))!;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await WaitUntilServingAsync();
    }

    public async Task DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process?.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    /// <summary>The environment of both server commands; the base removes everything that could point elsewhere.</summary>
    protected virtual void ConfigureEnvironment(IDictionary<string, string?> environment)
    {
        foreach (var name in environment.Keys.Where(k =>
            k.StartsWith("CONJUR_", StringComparison.Ordinal) || k.StartsWith("SECRETS_", StringComparison.Ordinal) || k == "DATABASE_URL").ToList())
        {
            environment.Remove(name);
        }
    }

    private ProcessStartInfo StartInfo(string dll, string[] args)
    {
        var start = new ProcessStartInfo(CliProcess.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = DataDirectory,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        ConfigureEnvironment(start.Environment);
        return start;
    }

    private async Task<CliResult> RunToEndAsync(string dll, string[] args)
    {
        using var child = Process.Start(StartInfo(dll, args))!;
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await child.WaitForExitAsync(timeout.Token);
        return new CliResult(child.ExitCode, Encoding.UTF8.GetBytes(await stdout), await stderr);
    }

    private async Task WaitUntilServingAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (process!.HasExited)
            {
                throw new InvalidOperationException($"The server exited with {process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync(Url);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"The server did not answer GET / with 200 within 90 s:\n{Output}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (serverOutput)
        {
            serverOutput.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<string> ServerDllAsync()
    {
        if (Environment.GetEnvironmentVariable("SECRETS_SERVER_DLL") is { Length: > 0 } given && File.Exists(given))
        {
            return given;
        }

        await BuildGate.WaitAsync();
        try
        {
            if (builtServerDll is not null)
            {
                return builtServerDll;
            }

            var root = typeof(RealServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "RepositoryRoot").Value!;
            var artifacts = Path.Combine(
                Path.GetTempPath(),
                "secrets-cli-e2e-server-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(root)))[..12]);
            var build = new ProcessStartInfo(CliProcess.DotnetHost)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "build", Path.Combine(root, "src", "Server", "Server.csproj"), "--artifacts-path", artifacts, "-nologo", "-v", "q" })
            {
                build.ArgumentList.Add(arg);
            }

            using var builder = Process.Start(build)!;
            var output = builder.StandardOutput.ReadToEndAsync();
            var errors = builder.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
            await builder.WaitForExitAsync(timeout.Token);
            if (builder.ExitCode != 0)
            {
                throw new InvalidOperationException($"Building src/Server failed:\n{await output}\n{await errors}");
            }

            builtServerDll = Path.Combine(artifacts, "bin", "Server", "debug", "Secrets.Server.dll");
            return builtServerDll;
        }
        finally
        {
            BuildGate.Release();
        }
    }
}

/// <summary>The real server on its embedded SQLite database.</summary>
public sealed class SqliteRealServer : RealServer;

/// <summary>
/// The same server on a fresh PostgreSQL database (SECRETS_TEST_POSTGRES, else Docker, else a throwaway local
/// cluster; see tests/Server.Tests/Infrastructure/PostgresServer.cs, linked into this project). A PostgreSQL
/// server never generates a data key, so the fixture supplies one for both `account create` and `serve`.
/// </summary>
public sealed class PostgresRealServer : RealServer
{
    private readonly string dataKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private string? connectionString;

    protected override void ConfigureEnvironment(IDictionary<string, string?> environment)
    {
        base.ConfigureEnvironment(environment);
        connectionString ??= PostgresServer.CreateDatabaseAsync("cli_e2e").GetAwaiter().GetResult();
        environment["SECRETS_DATABASE"] = connectionString;
        environment["SECRETS_DATA_KEY"] = dataKey;
    }
}
