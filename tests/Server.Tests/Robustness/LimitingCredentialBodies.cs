using System.Net.Sockets;
using System.Text;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Robustness;

/// <summary>
/// An API key or a password is a few dozen bytes: the credentials endpoints read at most 4096 and answer 413 (as
/// every other route does over its limit) instead of reading on and answering 401. The chunked case is the one
/// Content-Length cannot announce.
/// </summary>
public abstract class LimitingCredentialBodies(ServerFixture f)
{
    private const string TooLarge = """{"error":{"code":"payload_too_large","message":"The request body exceeds the limit of 4096 bytes"}}""";

    [Fact]
    public async Task A_chunked_50_mb_body_to_authenticate_is_413_before_it_is_all_sent()
    {
        var (statusLine, sentBytes) = await SendChunkedAsync($"POST /authn/{RobustnessWorld.Account}/admin/authenticate", authorization: null, totalBytes: 50L * 1024 * 1024);

        Assert.StartsWith("HTTP/1.1 413 ", statusLine, StringComparison.Ordinal);
        Assert.True(sentBytes < 50L * 1024 * 1024, $"the server waited for all {sentBytes} bytes");
    }

    [Fact]
    public async Task A_chunked_large_body_to_change_a_password_is_413()
    {
        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{f.AdminApiKey}"));

        var (statusLine, _) = await SendChunkedAsync($"PUT /authn/{RobustnessWorld.Account}/password", basic, totalBytes: 5L * 1024 * 1024);

        Assert.StartsWith("HTTP/1.1 413 ", statusLine, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(4097)]
    [InlineData(1024 * 1024)]
    public async Task A_body_over_4096_bytes_is_413_with_the_envelope(int length)
    {
        using var response = await f.Client.PostAsync($"/authn/{RobustnessWorld.Account}/admin/authenticate", new StringContent(f.AdminApiKey + new string(' ', length - f.AdminApiKey.Length)));

        Assert.Equal((413, TooLarge), ((int)response.StatusCode, await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task A_key_padded_to_exactly_4096_bytes_still_authenticates()
    {
        using var response = await f.Client.PostAsync($"/authn/{RobustnessWorld.Account}/admin/authenticate", new StringContent(f.AdminApiKey + new string(' ', 4096 - f.AdminApiKey.Length)));

        Assert.Equal(200, (int)response.StatusCode);
    }

    /// <summary>
    /// Sends the headers and then chunks of 64 KiB until the server answers (or all is sent); returns the status line
    /// and how much had been sent when it came.
    /// </summary>
    private async Task<(string? StatusLine, long SentBytes)> SendChunkedAsync(string requestLine, string? authorization, long totalBytes)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(f.BaseAddress.Host, f.BaseAddress.Port);
        var stream = tcp.GetStream();
        var head = new StringBuilder($"{requestLine} HTTP/1.1\r\nHost: {f.BaseAddress.Authority}\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n");
        if (authorization is not null)
        {
            head.Append($"Authorization: {authorization}\r\n");
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var reader = new StreamReader(stream, Encoding.ASCII);
        var answer = reader.ReadLineAsync(cts.Token).AsTask();
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'k');
        var chunkHead = Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n");
        long sent = 0;
        try
        {
            while (sent < totalBytes && !answer.IsCompleted)
            {
                await stream.WriteAsync(chunkHead, cts.Token);
                await stream.WriteAsync(chunk, cts.Token);
                await stream.WriteAsync("\r\n"u8.ToArray(), cts.Token);
                sent += chunk.Length;
            }

            if (!answer.IsCompleted)
            {
                await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), cts.Token);
            }
        }
        catch (IOException)
        {
            // The server answered and closed the connection while we were still sending: that is the point.
        }

        return (await answer, sent);
    }
}

public sealed class LimitingCredentialBodiesOnSqlite(SqliteServer f) : LimitingCredentialBodies(f), IClassFixture<SqliteServer>;

public sealed class LimitingCredentialBodiesOnPostgres(PostgresServerFixture f) : LimitingCredentialBodies(f), IClassFixture<PostgresServerFixture>;
