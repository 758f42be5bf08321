using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using Secrets.Authn.Spiffe.WorkloadApi;

namespace Secrets.Authn.Spiffe;

/// <summary>Limits of a <see cref="WorkloadApiBundleSource"/>.</summary>
public sealed record WorkloadApiOptions
{
    /// <summary>The first wait before reconnecting a broken stream; doubled up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between reconnects.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest message accepted from the agent: 4 MiB.</summary>
    public int MaxMessageBytes { get; init; } = 4 * 1024 * 1024;
}

/// <summary>
/// Trust bundles read from a SPIFFE Workload API (a SPIRE agent's socket): the <c>FetchX509Bundles</c> and
/// <c>FetchJWTBundles</c> streams (SPIFFE_Workload_API.md §5.2.2, §6.2.2), gRPC over a unix socket, every call with
/// the <c>workload.spiffe.io: true</c> metadata (SPIFFE_Workload_Endpoint.md §3).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Each stream response replaces that stream's whole map atomically: a trust domain left out of a later
/// response is no longer trusted (its view then trusts nothing), a key left out is no longer accepted.</item>
/// <item>A response with an invalid entry is discarded whole and the previous bundles stay (WA-2).</item>
/// <item>A broken stream is re-opened with exponential backoff; <c>InvalidArgument</c> is not retried
/// (SPIFFE_Workload_Endpoint.md §6). The bundles held are kept while the agent is away.</item>
/// </list>
/// The Server creates one source per socket and takes per-trust-domain views with <see cref="For"/>.
/// </remarks>
public sealed class WorkloadApiBundleSource : IAsyncDisposable
{
    private static readonly Metadata SecurityHeader = new() { { "workload.spiffe.io", "true" } };

    private readonly GrpcChannel _channel;
    private readonly SpiffeWorkloadAPI.SpiffeWorkloadAPIClient _client;
    private readonly WorkloadApiOptions _options;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstX509 = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstJwt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _x509Loop;
    private readonly Task _jwtLoop;

    private readonly Lock _lock = new();
    private volatile State _state = new(null, null, new Dictionary<string, SpiffeBundle>());
    private int _updates;

    private WorkloadApiBundleSource(string socketPath, WorkloadApiOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };

        // The authority is never resolved: every connection goes to the socket.
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = options.MaxMessageBytes,
        });
        _client = new SpiffeWorkloadAPI.SpiffeWorkloadAPIClient(_channel);
        _x509Loop = Task.Run(() => RunAsync(ReadX509Async));
        _jwtLoop = Task.Run(() => RunAsync(ReadJwtAsync));
    }

    /// <summary>How many stream responses were applied (for status and tests).</summary>
    public int Updates => Volatile.Read(ref _updates);

    /// <summary>
    /// Starts reading from <paramref name="endpoint"/>: <c>unix:///absolute/path</c> (the <c>SPIFFE_ENDPOINT_SOCKET</c>
    /// form) or an absolute path.
    /// </summary>
    /// <exception cref="ArgumentException">Another form (<c>unix://host/path</c> has an authority and is refused).</exception>
    public static WorkloadApiBundleSource Start(string endpoint, TimeProvider timeProvider, WorkloadApiOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var path = endpoint.StartsWith("unix:///", StringComparison.Ordinal) ? endpoint["unix://".Length..] : endpoint;
        if (!path.StartsWith('/') || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("The Workload API endpoint must be unix:///absolute/path.", nameof(endpoint));
        }

        return new WorkloadApiBundleSource(path, options ?? new WorkloadApiOptions(), timeProvider);
    }

    /// <summary>Completes when both streams have delivered their first response.</summary>
    public Task WaitForBundlesAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_firstX509.Task, _firstJwt.Task).WaitAsync(cancellationToken);

    /// <summary>The view of one trust domain, for <see cref="SpiffeTrustDomains"/>.</summary>
    /// <exception cref="ArgumentException">An invalid trust domain name.</exception>
    public ISpiffeBundleSource For(string trustDomain)
    {
        if (!SpiffeId.IsValidTrustDomain(trustDomain))
        {
            throw new ArgumentException("Invalid trust domain.", nameof(trustDomain));
        }

        return new View(this, trustDomain);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_x509Loop, _jwtLoop);
        }
        catch (OperationCanceledException)
        {
        }

        _channel.Dispose();
        _stop.Dispose();
    }

    private SpiffeBundle? BundleFor(string trustDomain)
    {
        var state = _state;
        if (state.X509 is null && state.Jwt is null)
        {
            return null;
        }

        // A trust domain the agent no longer lists trusts nothing.
        return state.Combined.GetValueOrDefault(trustDomain) ?? new SpiffeBundle(trustDomain, [], []);
    }

    private async Task RunAsync(Func<CancellationToken, Task> read)
    {
        var backoff = _options.InitialBackoff;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await read(_stop.Token);
                backoff = _options.InitialBackoff;
            }
            catch (Exception e) when (_stop.IsCancellationRequested && e is RpcException or OperationCanceledException)
            {
                // Disposed: the call was cancelled on purpose.
                return;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument)
            {
                // The agent says the request is wrong; repeating it cannot help.
                return;
            }
            catch (RpcException)
            {
                // The agent went away or ended the stream with an error: reconnect after the backoff.
            }

            try
            {
                await Task.Delay(backoff, _time, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
        }
    }

    private async Task ReadX509Async(CancellationToken cancellationToken)
    {
        using var call = _client.FetchX509Bundles(new X509BundlesRequest(), SecurityHeader, cancellationToken: cancellationToken);
        await foreach (var response in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            var map = new Dictionary<string, SpiffeBundle>(StringComparer.Ordinal);
            var valid = true;
            foreach (var (trustDomain, der) in response.Bundles)
            {
                if (!SpiffeBundle.TryFromWorkloadApi(trustDomain, der.Span, [], out var bundle, out _))
                {
                    valid = false;
                    break;
                }

                map[trustDomain] = bundle!;
            }

            if (valid)
            {
                Apply(map, null);
                _firstX509.TrySetResult();
            }
        }
    }

    private async Task ReadJwtAsync(CancellationToken cancellationToken)
    {
        using var call = _client.FetchJWTBundles(new JWTBundlesRequest(), SecurityHeader, cancellationToken: cancellationToken);
        await foreach (var response in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            var map = new Dictionary<string, SpiffeBundle>(StringComparer.Ordinal);
            var valid = true;
            foreach (var (trustDomain, jwks) in response.Bundles)
            {
                if (!SpiffeBundle.TryFromWorkloadApi(trustDomain, [], jwks.Span, out var bundle, out _))
                {
                    valid = false;
                    break;
                }

                map[trustDomain] = bundle!;
            }

            if (valid)
            {
                Apply(null, map);
                _firstJwt.TrySetResult();
            }
        }
    }

    private void Apply(IReadOnlyDictionary<string, SpiffeBundle>? x509, IReadOnlyDictionary<string, SpiffeBundle>? jwt)
    {
        // Two streams write; each replaces only its own half, and readers see one whole state object.
        lock (_lock)
        {
            var seen = _state;
            x509 ??= seen.X509;
            jwt ??= seen.Jwt;
            var combined = new Dictionary<string, SpiffeBundle>(StringComparer.Ordinal);
            foreach (var trustDomain in (x509?.Keys ?? Enumerable.Empty<string>()).Union(jwt?.Keys ?? Enumerable.Empty<string>(), StringComparer.Ordinal))
            {
                combined[trustDomain] = new SpiffeBundle(
                    trustDomain,
                    x509?.GetValueOrDefault(trustDomain)?.X509Authorities ?? [],
                    jwt?.GetValueOrDefault(trustDomain)?.JwtAuthorities ?? []);
            }

            _state = new State(x509, jwt, combined);
        }

        Interlocked.Increment(ref _updates);
    }

    private sealed record State(
        IReadOnlyDictionary<string, SpiffeBundle>? X509,
        IReadOnlyDictionary<string, SpiffeBundle>? Jwt,
        IReadOnlyDictionary<string, SpiffeBundle> Combined);

    private sealed class View(WorkloadApiBundleSource owner, string trustDomain) : ISpiffeBundleSource
    {
        public string TrustDomain => trustDomain;

        // The streams push every change, so there is nothing to poll: the held bundle is always the newest.
        public SpiffeBundle? Current => owner.BundleFor(trustDomain);

        public ValueTask<SpiffeBundle?> GetBundleAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Current);

        public ValueTask<SpiffeBundle?> RefreshAsync(SpiffeBundle? seen, CancellationToken cancellationToken) => ValueTask.FromResult(Current);
    }
}
