using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Testcontainers.PostgreSql;

namespace Secrets.Server.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL every PostgreSQL test runs against, found in this order (never silently skipped):
/// 1. SECRETS_TEST_POSTGRES: a connection string to a server where the user may CREATE DATABASE;
/// 2. a Docker engine that answers, through Testcontainers;
/// 3. a throwaway local cluster (initdb + pg_ctl from the distribution's packages) in a temp folder,
///    on a free loopback port, stopped when the test process exits. scripts/test.sh installs the packages
///    when they are absent and the user is root.
/// Each test class gets a fresh database from <see cref="CreateDatabaseAsync"/>.
/// </summary>
public static class PostgresServer
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _adminConnectionString;
    private static int _counter;

    public static async Task<string> CreateDatabaseAsync(string prefix)
    {
        var admin = await GetAdminConnectionStringAsync();
        var name = $"{new string(prefix.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(30).ToArray())}_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}_{Guid.NewGuid():N}";
        name = name[..Math.Min(name.Length, 60)];
        await using (var conn = new NpgsqlConnection(admin))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
            await cmd.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true }.ConnectionString;
    }

    public static async Task<string> GetAdminConnectionStringAsync()
    {
        if (_adminConnectionString is not null)
        {
            return _adminConnectionString;
        }

        await Gate.WaitAsync();
        try
        {
            _adminConnectionString ??= await LocateAsync();
            return _adminConnectionString;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<string> LocateAsync()
    {
        var fromEnv = Environment.GetEnvironmentVariable("SECRETS_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            return fromEnv;
        }

        if (await DockerAnswersAsync())
        {
            var container = new PostgreSqlBuilder("postgres:16-alpine").Build();
            await container.StartAsync();
            AppDomain.CurrentDomain.ProcessExit += (_, _) => container.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return container.GetConnectionString();
        }

        return await LocalCluster.StartAsync();
    }

    private static async Task<bool> DockerAnswersAsync()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        var socket = "/var/run/docker.sock";
        if (string.IsNullOrEmpty(host) && !File.Exists(socket))
        {
            return false;
        }

        try
        {
            using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), cts.Token);
            await s.SendAsync("GET /_ping HTTP/1.0\r\n\r\n"u8.ToArray(), cts.Token);
            var buffer = new byte[64];
            var n = await s.ReceiveAsync(buffer, cts.Token);
            return n > 0 && System.Text.Encoding.ASCII.GetString(buffer, 0, n).Contains(" 200 ", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            return false;
        }
    }

    /// <summary>initdb + pg_ctl in a temp folder, run as the 'postgres' OS user when we are root (PostgreSQL refuses root).</summary>
    private static class LocalCluster
    {
        public static async Task<string> StartAsync()
        {
            var bin = FindBinDir() ?? throw new InvalidOperationException(
                "No PostgreSQL for the tests: set SECRETS_TEST_POSTGRES, start a Docker engine, or install PostgreSQL "
                + "(scripts/test.sh does `apt-get install postgresql` when run as root).");
            var root = Directory.CreateTempSubdirectory("secrets-pg-").FullName;
            var data = Path.Combine(root, "data");
            var port = FreePort();
            var asRoot = Environment.UserName == "root";
            if (asRoot)
            {
                await RunAsync("chown", ["-R", "postgres:postgres", root]);
            }

            await RunAsPostgresAsync(asRoot, Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
            await RunAsPostgresAsync(asRoot, Path.Combine(bin, "pg_ctl"),
            [
                "-D", data, "-l", Path.Combine(root, "log"), "-w", "-t", "60", "start",
                "-o", $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
            ]);
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                try
                {
                    RunAsPostgresAsync(asRoot, Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"]).GetAwaiter().GetResult();
                    Directory.Delete(root, true);
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
                {
                }
            };
            return $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=50";
        }

        private static string? FindBinDir()
        {
            const string root = "/usr/lib/postgresql";
            if (!Directory.Exists(root))
            {
                return null;
            }

            return Directory.GetDirectories(root)
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => d, StringComparer.Ordinal)
                .FirstOrDefault();
        }

        private static int FreePort()
        {
            using var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            return ((IPEndPoint)l.LocalEndpoint).Port;
        }

        private static Task RunAsPostgresAsync(bool asRoot, string file, string[] args) =>
            asRoot ? RunAsync("runuser", ["-u", "postgres", "--", file, .. args]) : RunAsync(file, args);

        private static async Task RunAsync(string file, string[] args)
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/tmp" };
            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }

            using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            if (p.ExitCode != 0)
            {
                throw new InvalidOperationException($"{file} failed ({p.ExitCode}): {await stdout}{await stderr}");
            }
        }
    }
}
