using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Secrets.Authn.Jwt;
using Secrets.Authn.Spiffe;
using Secrets.Authn.Spiffe.WorkloadApi;
using Secrets.Authn.Tests.Infrastructure;
using static Secrets.Authn.Tests.Spiffe.SvidFactory;

namespace Secrets.Authn.Tests.Spiffe;

/// <summary>
/// A SPIFFE Workload API served in-process by Kestrel over a real unix socket: bundles streamed to the library,
/// updates (JB-1, JB-2, JB-3, XF-3), the security header on every call (EP-2), reconnects.
/// </summary>
public sealed class ReadingBundlesFromTheWorkloadApi : IAsyncLifetime
{
    private const string Audience = "secrets-test";

    private static readonly TestKey K1 = TestKey.CreateEc("k1");
    private static readonly TestKey K2 = TestKey.CreateEc("k2");
    private static readonly TestKey Fed = TestKey.CreateEc("fed");
    private static readonly X509Certificate2 RootA = Root("a.test");
    private static readonly X509Certificate2 RootFed = Root("fed.test");

    private readonly string _socket = Path.Combine(Path.GetTempPath(), "wapi-" + Guid.NewGuid().ToString("N")[..12] + ".sock");
    private readonly FakeAgent _agent = new();
    private readonly FakeTimeProvider _time = new(Now);
    private WebApplication _app = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.ListenUnixSocket(_socket, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(_agent);
        _app = builder.Build();
        _app.MapGrpcService<FakeAgentService>();
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        File.Delete(_socket);
    }

    [Fact]
    public async Task Bundles_arrive_over_the_socket_and_validate_both_svid_kinds()
    {
        _agent.PushX509(("a.test", [RootA]), ("fed.test", [RootFed]));
        _agent.PushJwt(("a.test", [K1]), ("fed.test", [Fed]));
        await using var source = WorkloadApiBundleSource.Start("unix://" + _socket, TimeProvider.System);
        await source.WaitForBundlesAsync(Timeout());
        var trust = new SpiffeTrustDomains([source.For("a.test"), source.For("fed.test")]);

        Assert.True((await Validator().ValidateAsync(Token(K1, "spiffe://a.test/w"), trust, default)).Succeeded);
        Assert.True((await Validator().ValidateAsync(Token(Fed, "spiffe://fed.test/w"), trust, default)).Succeeded);
        Assert.Equal(JwtFailure.UnknownKid, (await Validator().ValidateAsync(Token(K1, "spiffe://fed.test/w"), trust, default)).JwtFailure);
        using var leaf = Leaf(RootFed, "spiffe://fed.test/w");
        Assert.True(new X509SvidValidator(_time).Validate(leaf, null, trust).Succeeded);

        // EP-2: every call carried the security header.
        Assert.True(_agent.Calls.Count >= 2);
        Assert.All(_agent.Calls, call => Assert.Equal("true", call));
    }

    [Fact]
    public async Task JB1_JB2_JB3_XF3_streamed_updates_add_and_remove_keys_and_trust_domains()
    {
        _agent.PushX509(("a.test", [RootA]), ("fed.test", [RootFed]));
        _agent.PushJwt(("a.test", [K1]), ("fed.test", [Fed]));
        await using var source = WorkloadApiBundleSource.Start(_socket, TimeProvider.System);
        await source.WaitForBundlesAsync(Timeout());
        var trust = new SpiffeTrustDomains([source.For("a.test"), source.For("fed.test")]);
        Assert.Equal(JwtFailure.UnknownKid, (await Validator().ValidateAsync(Token(K2, "spiffe://a.test/w"), trust, default)).JwtFailure);

        var updates = source.Updates;
        _agent.PushJwt(("a.test", [K2]));
        _agent.PushX509(("a.test", [RootA]));
        await WaitAsync(() => source.Updates >= updates + 2);

        Assert.True((await Validator().ValidateAsync(Token(K2, "spiffe://a.test/w"), trust, default)).Succeeded);
        Assert.Equal(JwtFailure.UnknownKid, (await Validator().ValidateAsync(Token(K1, "spiffe://a.test/w"), trust, default)).JwtFailure);
        Assert.Equal(SvidFailure.TrustDomainTrustsNothing, (await Validator().ValidateAsync(Token(Fed, "spiffe://fed.test/w"), trust, default)).Failure);
        using var leaf = Leaf(RootFed, "spiffe://fed.test/w");
        Assert.Equal(SvidFailure.TrustDomainTrustsNothing, new X509SvidValidator(_time).Validate(leaf, null, trust).Failure);
    }

    [Fact]
    public async Task A_response_with_an_invalid_bundle_is_discarded_whole()
    {
        _agent.PushJwt(("a.test", [K1]));
        _agent.PushX509(("a.test", [RootA]));
        await using var source = WorkloadApiBundleSource.Start(_socket, TimeProvider.System);
        await source.WaitForBundlesAsync(Timeout());
        var trust = new SpiffeTrustDomains([source.For("a.test")]);

        _agent.PushRawJwt(new Dictionary<string, string> { ["a.test"] = "not json" });
        var updates = source.Updates;
        _agent.PushJwt(("b.test", [K2]), ("a.test", [K1]));
        await WaitAsync(() => source.Updates > updates);
        Assert.True((await Validator().ValidateAsync(Token(K1, "spiffe://a.test/w"), trust, default)).Succeeded);
        Assert.Equal(updates + 1, source.Updates);
    }

    [Fact]
    public async Task Without_the_security_header_the_agent_refuses_and_the_source_never_has_bundles()
    {
        _agent.PushJwt(("a.test", [K1]));
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress("http://localhost", new Grpc.Net.Client.GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, ct) =>
                {
                    var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                    await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(_socket), ct);
                    return new System.Net.Sockets.NetworkStream(socket, true);
                },
            },
        });
        var client = new SpiffeWorkloadAPI.SpiffeWorkloadAPIClient(channel);
        using var call = client.FetchJWTBundles(new JWTBundlesRequest());
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(Timeout()));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task The_source_reconnects_after_the_agent_ends_the_stream_and_keeps_its_bundles_meanwhile()
    {
        _agent.PushJwt(("a.test", [K1]));
        _agent.PushX509(("a.test", [RootA]));
        await using var source = WorkloadApiBundleSource.Start(_socket, TimeProvider.System, new WorkloadApiOptions { InitialBackoff = TimeSpan.FromMilliseconds(20) });
        await source.WaitForBundlesAsync(Timeout());
        var trust = new SpiffeTrustDomains([source.For("a.test")]);
        var calls = _agent.Calls.Count;
        var updates = source.Updates;

        // Both streams end; each reconnects and is sent the agent's latest response again.
        _agent.EndStreams();
        await WaitAsync(() => _agent.Calls.Count >= calls + 2 && source.Updates >= updates + 2);
        Assert.True((await Validator().ValidateAsync(Token(K1, "spiffe://a.test/w"), trust, default)).Succeeded);

        _agent.PushJwt(("a.test", [K2]));
        await WaitAsync(() => source.For("a.test").Current?.FindJwtAuthority("k2") is not null);
        Assert.True((await Validator().ValidateAsync(Token(K2, "spiffe://a.test/w"), trust, default)).Succeeded);
    }

    [Theory]
    [InlineData("unix://host/tmp/agent.sock")]
    [InlineData("relative.sock")]
    [InlineData("tcp://127.0.0.1:1")]
    public void Endpoints_other_than_an_absolute_unix_path_are_refused(string endpoint) =>
        Assert.Throws<ArgumentException>(() => WorkloadApiBundleSource.Start(endpoint, TimeProvider.System));

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token;

    private static async Task WaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the stream");
            await Task.Delay(10);
        }
    }

    private JwtSvidValidator Validator() => new(new JwtSvidValidationOptions { Audiences = [Audience] }, _time);

    private string Token(TestKey key, string sub) => key.Sign(
        "{\"alg\":\"ES256\",\"kid\":\"" + key.Kid + "\"}",
        "{\"sub\":\"" + sub + "\",\"aud\":\"" + Audience + "\",\"exp\":" + _time.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds() + "}");

    /// <summary>The agent's state: the latest response of each stream, pushed to every open stream.</summary>
    internal sealed class FakeAgent
    {
        private readonly ConcurrentDictionary<Channel<IMessage>, bool> _x509 = new();
        private readonly ConcurrentDictionary<Channel<IMessage>, bool> _jwt = new();
        private readonly Lock _lock = new();

        public ConcurrentQueue<string?> Calls { get; } = new();

        public X509BundlesResponse? LatestX509 { get; private set; }

        public JWTBundlesResponse? LatestJwt { get; private set; }

        public void PushX509(params (string TrustDomain, X509Certificate2[] Roots)[] bundles)
        {
            var response = new X509BundlesResponse();
            foreach (var (td, roots) in bundles)
            {
                response.Bundles[td] = ByteString.CopyFrom(roots.SelectMany(r => r.RawData).ToArray());
            }

            lock (_lock)
            {
                LatestX509 = response;
                Broadcast(_x509, response);
            }
        }

        public void PushJwt(params (string TrustDomain, TestKey[] Keys)[] bundles) =>
            PushRawJwt(bundles.ToDictionary(b => b.TrustDomain, b => TestKey.Jwks([.. b.Keys.Select(k => k.Jwk(use: "jwt-svid"))])));

        public void PushRawJwt(Dictionary<string, string> bundles)
        {
            var response = new JWTBundlesResponse();
            foreach (var (td, jwks) in bundles)
            {
                response.Bundles[td] = ByteString.CopyFrom(Encoding.UTF8.GetBytes(jwks));
            }

            lock (_lock)
            {
                LatestJwt = response;
                Broadcast(_jwt, response);
            }
        }

        public void EndStreams()
        {
            foreach (var channel in _x509.Keys.Concat(_jwt.Keys))
            {
                channel.Writer.TryComplete();
            }
        }

        public Channel<IMessage> Subscribe(bool x509)
        {
            var channel = Channel.CreateUnbounded<IMessage>();
            lock (_lock)
            {
                (x509 ? _x509 : _jwt)[channel] = true;
                IMessage? latest = x509 ? LatestX509 : LatestJwt;
                if (latest is not null)
                {
                    channel.Writer.TryWrite(latest);
                }
            }

            return channel;
        }

        public void Unsubscribe(Channel<IMessage> channel)
        {
            _x509.TryRemove(channel, out _);
            _jwt.TryRemove(channel, out _);
        }

        private static void Broadcast(ConcurrentDictionary<Channel<IMessage>, bool> subscribers, IMessage message)
        {
            foreach (var channel in subscribers.Keys)
            {
                channel.Writer.TryWrite(message);
            }
        }
    }

    internal sealed class FakeAgentService(FakeAgent agent) : SpiffeWorkloadAPI.SpiffeWorkloadAPIBase
    {
        public override Task FetchX509Bundles(X509BundlesRequest request, IServerStreamWriter<X509BundlesResponse> responseStream, ServerCallContext context) =>
            ServeAsync(true, m => responseStream.WriteAsync((X509BundlesResponse)m), context);

        public override Task FetchJWTBundles(JWTBundlesRequest request, IServerStreamWriter<JWTBundlesResponse> responseStream, ServerCallContext context) =>
            ServeAsync(false, m => responseStream.WriteAsync((JWTBundlesResponse)m), context);

        private async Task ServeAsync(bool x509, Func<IMessage, Task> write, ServerCallContext context)
        {
            var header = context.RequestHeaders.GetValue("workload.spiffe.io");
            agent.Calls.Enqueue(header);
            if (header != "true")
            {
                // SPIFFE_Workload_Endpoint.md §3: a call without the header is refused with InvalidArgument.
                throw new RpcException(new Status(StatusCode.InvalidArgument, "security header missing"));
            }

            var channel = agent.Subscribe(x509);
            try
            {
                await foreach (var message in channel.Reader.ReadAllAsync(context.CancellationToken))
                {
                    await write(message);
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                agent.Unsubscribe(channel);
            }
        }
    }
}
