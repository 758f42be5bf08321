using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Infrastructure;

/// <summary>
/// The real executable, run as a user runs it: <c>dotnet Secrets.Server.dll …</c> from the test's output folder (the
/// test project references the Server project, so the dll, its deps.json and runtimeconfig.json are copied there),
/// with an environment holding only what the test sets among the server's own settings.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private static readonly string[] InheritedSettingPrefixes = ["SECRETS_", "CONJUR_", "DATABASE_URL", "TRUSTED_PROXIES", "ASPNETCORE_", "DOTNET_URLS"];

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();

    private ServerProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "Secrets.Server.dll");

    public string Stdout
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The process id (to send it a signal).</summary>
    public int Id => _process.Id;

    /// <summary>Runs a command to completion (at most a minute) and returns its exit code and output.</summary>
    public static async Task<CommandResult> RunAsync(IReadOnlyDictionary<string, string> env, string? stdin, params string[] args)
    {
        await using var p = Start(env, args, redirectStdin: true);
        if (stdin is not null)
        {
            await p._process.StandardInput.WriteAsync(stdin);
        }

        p._process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p._process.WaitForExitAsync(timeout.Token);

        // WaitForExit (without a timeout) also waits for the redirected streams to reach end of file.
        p._process.WaitForExit();
        return new CommandResult(p._process.ExitCode, p.Stdout, p.Stderr);
    }

    public static ServerProcess Start(IReadOnlyDictionary<string, string> env, string[] args, bool redirectStdin = false)
    {
        var psi = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var name in psi.Environment.Keys.Where(k => InheritedSettingPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToList())
        {
            psi.Environment.Remove(name);
        }

        foreach (var (name, value) in env)
        {
            psi.Environment[name] = value;
        }

        return new ServerProcess(Process.Start(psi) ?? throw new InvalidOperationException("could not start the server"));
    }

    /// <summary>Starts <c>serve</c> on a free loopback port and waits until GET / answers 200.</summary>
    public static async Task<(ServerProcess Process, Uri BaseAddress)> ServeAsync(IReadOnlyDictionary<string, string> env, params string[] extraArgs)
    {
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}");
        var process = Start(env, ["serve", "--urls", baseAddress.ToString().TrimEnd('/'), .. extraArgs]);
        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                await process.DisposeAsync();
                throw new InvalidOperationException($"serve exited early.\nstdout:\n{process.Stdout}\nstderr:\n{process.Stderr}");
            }

            try
            {
                using var response = await client.GetAsync("/");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return (process, baseAddress);
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        await process.DisposeAsync();
        throw new TimeoutException($"serve did not answer within 60 s.\nstdout:\n{process.Stdout}\nstderr:\n{process.Stderr}");
    }

    /// <summary>Waits for the process to exit by itself (a refused start-up), at most a minute.</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.WaitForExit();
        _process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The `postgres://` URL (Conjur's DATABASE_URL form) of a fresh test database.</summary>
    public static async Task<string> PostgresUrlAsync(string prefix)
    {
        var b = new NpgsqlConnectionStringBuilder(await PostgresServer.CreateDatabaseAsync(prefix));
        var password = string.IsNullOrEmpty(b.Password) ? "" : ":" + Uri.EscapeDataString(b.Password);
        return $"postgres://{Uri.EscapeDataString(b.Username ?? "postgres")}{password}@{b.Host}:{b.Port}/{Uri.EscapeDataString(b.Database!)}";
    }

    private static string DotnetHost()
    {
        var fromCli = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromCli) && File.Exists(fromCli))
        {
            return fromCli;
        }

        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }

    private void Append(StringBuilder sb, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            sb.AppendLine(line);
        }
    }
}

internal sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public string LastStdoutLine => Stdout.TrimEnd('\n', '\r').Split('\n').Last().TrimEnd('\r');

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}
