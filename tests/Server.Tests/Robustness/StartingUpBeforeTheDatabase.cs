using System.Net;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Robustness;

/// <summary>
/// Compose and Kubernetes start the server and PostgreSQL together: start-up retries a database that does not answer
/// yet (here a <see cref="TcpProxy"/> that opens late), one stderr line per attempt, for
/// SECRETS_DATABASE_WAIT_SECONDS, then gives up in one line.
/// </summary>
public sealed class StartingUpBeforeTheDatabase : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("secrets-wait-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDir, true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_database_that_comes_up_late_is_waited_for()
    {
        var (proxy, env) = await ThroughProxyAsync();
        await using (proxy)
        {
            var baseAddress = new Uri($"http://127.0.0.1:{ServerProcess.FreePort()}");
            await using var process = ServerProcess.Start(env, ["serve", "--data-dir", _dataDir, "--urls", baseAddress.ToString().TrimEnd('/')]);

            // The database comes up only after the server has tried twice.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!process.Stderr.Contains("attempt 2 failed", StringComparison.Ordinal) && DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(100);
            }

            Assert.False(process.HasExited, process.Stderr);
            proxy.Open();
            using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(5) };
            var ready = HttpStatusCode.ServiceUnavailable;
            while (ready != HttpStatusCode.OK && DateTime.UtcNow < deadline.AddSeconds(30))
            {
                try
                {
                    using var response = await client.GetAsync("/health/ready");
                    ready = response.StatusCode;
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(100);
                }
            }

            Assert.True(ready == HttpStatusCode.OK, process.Stderr);
            var waits = process.Stderr.Split('\n').Where(l => l.StartsWith("Waiting for the database postgres://127.0.0.1:", StringComparison.Ordinal)).ToList();
            Assert.True(waits.Count >= 2, process.Stderr);
            Assert.Contains("attempt 1 failed (socket error ConnectionRefused), retrying in 0.5 s", waits[0], StringComparison.Ordinal);
            Assert.Contains("attempt 2 failed (socket error ConnectionRefused), retrying in 1 s", waits[1], StringComparison.Ordinal);
            Assert.Contains("Serving ", process.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_database_that_never_comes_gives_up_after_the_wait_in_one_line()
    {
        var (proxy, env) = await ThroughProxyAsync();
        await using (proxy)
        {
            env["SECRETS_DATABASE_WAIT_SECONDS"] = "2";
            var result = await ServerProcess.RunAsync(env, null, "serve", "--data-dir", _dataDir, "--urls", $"http://127.0.0.1:{ServerProcess.FreePort()}");

            Assert.True(result.ExitCode != 0, result.ToString());
            var last = result.Stderr.TrimEnd('\n').Split('\n').Last();
            Assert.StartsWith("error: the database postgres://127.0.0.1:", last, StringComparison.Ordinal);
            Assert.Contains("did not answer within 2 s (socket error ConnectionRefused); SECRETS_DATABASE_WAIT_SECONDS", last, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("Serving", result.Stderr, StringComparison.Ordinal);
        }
    }

    /// <summary>The environment of a server whose DATABASE_URL points at a proxy that is not open yet.</summary>
    private static async Task<(TcpProxy Proxy, Dictionary<string, string> Env)> ThroughProxyAsync()
    {
        var url = new Uri(await ServerProcess.PostgresUrlAsync(nameof(StartingUpBeforeTheDatabase)));
        var proxy = new TcpProxy(url.Port);
        var proxied = new UriBuilder(url) { Host = "127.0.0.1", Port = proxy.Port }.Uri;
        return (proxy, new Dictionary<string, string>
        {
            ["DATABASE_URL"] = proxied.ToString(),
            ["SECRETS_DATA_KEY"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["SECRETS_ACCOUNT"] = "late",
        });
    }
}
