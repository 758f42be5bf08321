namespace Secrets.Authn.Kubernetes;

/// <summary>
/// A bearer token read from a file that kubelet rotates (the server's own projected token,
/// <c>/var/run/secrets/kubernetes.io/serviceaccount/token</c>): re-read at most once per
/// <see cref="ReloadInterval"/> (Vault's <c>jwtReloadPeriod</c>), and whenever the last read failed.
/// </summary>
public sealed class ServiceAccountTokenFile
{
    /// <summary>The default in-cluster token path.</summary>
    public const string DefaultPath = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    /// <summary>The default in-cluster CA path.</summary>
    public const string DefaultCaPath = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";

    /// <summary>How long a read token is reused: one minute.</summary>
    public static readonly TimeSpan ReloadInterval = TimeSpan.FromMinutes(1);

    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private string? _token;
    private DateTimeOffset _readAt;

    /// <summary>Creates a reader for <paramref name="path"/>.</summary>
    public ServiceAccountTokenFile(string path, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _path = path;
        _time = timeProvider;
    }

    /// <summary>The current token, or null when the file cannot be read or is empty.</summary>
    public async ValueTask<string?> ReadAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (_token is not null && now - _readAt < ReloadInterval)
            {
                return _token;
            }
        }

        string? token;
        try
        {
            token = (await File.ReadAllTextAsync(_path, cancellationToken)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            token = null;
        }

        lock (_lock)
        {
            _token = string.IsNullOrEmpty(token) ? null : token;
            _readAt = now;
            return _token;
        }
    }
}
