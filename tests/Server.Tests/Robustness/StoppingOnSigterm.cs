using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Robustness;

/// <summary>
/// SIGTERM (what Docker and Kubernetes send): an idle server exits within 2 s; a request in flight is drained (it gets
/// its answer) for up to SECRETS_SHUTDOWN_TIMEOUT_SECONDS, and no longer.
/// </summary>
public sealed class StoppingOnSigterm : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("secrets-term-").FullName;

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
    public async Task An_idle_server_exits_within_two_seconds()
    {
        var (process, _) = await ServerProcess.ServeAsync(new Dictionary<string, string>(), "--data-dir", _dataDir);
        await using (process)
        {
            var stopwatch = Stopwatch.StartNew();
            await TerminateAsync(process);
            var code = await process.WaitForExitAsync();
            stopwatch.Stop();

            Assert.Equal(0, code);
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"took {stopwatch.Elapsed}");
        }
    }

    [Fact]
    public async Task A_request_in_flight_is_answered_before_the_process_exits()
    {
        var env = new Dictionary<string, string> { ["SECRETS_SHUTDOWN_TIMEOUT_SECONDS"] = "20" };
        var (process, baseAddress) = await ServerProcess.ServeAsync(env, "--data-dir", _dataDir);
        await using (process)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(baseAddress.Host, baseAddress.Port);
            var stream = client.GetStream();
            const string body = "not-the-api-key-of-admin";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"POST /authn/default/admin/authenticate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\n\r\n{body[..5]}"));
            await stream.FlushAsync();
            await Task.Delay(300);

            await TerminateAsync(process);
            await Task.Delay(1000);
            Assert.False(process.HasExited, "the process exited with a request in flight");

            await stream.WriteAsync(Encoding.ASCII.GetBytes(body[5..]));
            var buffer = new byte[4096];
            var n = await stream.ReadAsync(buffer);
            Assert.StartsWith("HTTP/1.1 401", Encoding.ASCII.GetString(buffer, 0, n), StringComparison.Ordinal);
            Assert.Equal(0, await process.WaitForExitAsync());
        }
    }

    [Fact]
    public async Task A_request_that_never_finishes_is_dropped_after_the_shutdown_timeout()
    {
        var env = new Dictionary<string, string> { ["SECRETS_SHUTDOWN_TIMEOUT_SECONDS"] = "1" };
        var (process, baseAddress) = await ServerProcess.ServeAsync(env, "--data-dir", _dataDir);
        await using (process)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(baseAddress.Host, baseAddress.Port);
            await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(
                "POST /authn/default/admin/authenticate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nabc"));
            await Task.Delay(300);

            var stopwatch = Stopwatch.StartNew();
            await TerminateAsync(process);
            await process.WaitForExitAsync();
            stopwatch.Stop();

            Assert.True(stopwatch.Elapsed >= TimeSpan.FromSeconds(0.9), $"exited after {stopwatch.Elapsed}: the request was not waited for");
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(4), $"took {stopwatch.Elapsed}");
        }
    }

    private static async Task TerminateAsync(ServerProcess process)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }
}
