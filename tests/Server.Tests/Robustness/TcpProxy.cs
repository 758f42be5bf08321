using System.Net;
using System.Net.Sockets;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Robustness;

/// <summary>
/// A TCP relay on 127.0.0.1 in front of the shared PostgreSQL: the server under test connects to the proxy, and the test
/// cuts it (every relayed connection closed, new ones refused) to play an outage, and opens it again. The shared
/// PostgreSQL itself is never stopped.
/// </summary>
internal sealed class TcpProxy : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly Lock _gate = new();
    private readonly List<Socket> _open = [];
    private TcpListener? _listener;
    private CancellationTokenSource? _cts;

    public TcpProxy(int targetPort)
    {
        _target = new IPEndPoint(IPAddress.Loopback, targetPort);
        Port = ServerProcess.FreePort();
    }

    public int Port { get; }

    /// <summary>Starts relaying (again) on <see cref="Port"/>.</summary>
    public void Open()
    {
        lock (_gate)
        {
            _cts = new CancellationTokenSource();
            _listener = new TcpListener(IPAddress.Loopback, Port);
            _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listener.Start();
            _ = AcceptAsync(_listener, _cts.Token);
        }
    }

    /// <summary>Stops listening and closes every relayed connection: the store is unreachable.</summary>
    public void Cut()
    {
        lock (_gate)
        {
            _cts?.Cancel();
            _listener?.Stop();
            _listener = null;
            foreach (var s in _open)
            {
                try
                {
                    s.LingerState = new LingerOption(true, 0);
                    s.Close();
                }
                catch (ObjectDisposedException)
                {
                }
            }

            _open.Clear();
        }
    }

    public ValueTask DisposeAsync()
    {
        Cut();
        return ValueTask.CompletedTask;
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(ct);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await upstream.ConnectAsync(_target, ct);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                client.Close();
                upstream.Close();
                continue;
            }

            lock (_gate)
            {
                if (ct.IsCancellationRequested)
                {
                    client.Close();
                    upstream.Close();
                    return;
                }

                _open.Add(client);
                _open.Add(upstream);
            }

            _ = RelayAsync(client, upstream);
        }
    }

    private static async Task RelayAsync(Socket a, Socket b)
    {
        await Task.WhenAny(PumpAsync(a, b), PumpAsync(b, a));
        a.Close();
        b.Close();
    }

    private static async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (n == 0)
                {
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}
