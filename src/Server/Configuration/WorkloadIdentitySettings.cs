using Secrets.Authn.Kubernetes;

namespace Secrets.Server.Configuration;

/// <summary>
/// Settings of the workload authenticators (docs/authenticators.md):
/// <list type="bullet">
/// <item><c>SECRETS_AUTHN_ALLOW_HTTP</c> (default false): accept <c>http://</c> JWKS, discovery and API-server URLs.
/// For tests and labs only: over plain HTTP anyone on the path can substitute the keys.</item>
/// <item>In-cluster defaults of <c>authn-k8s</c>, used when an instance sets no <c>kubernetes/api-url</c>:
/// <c>KUBERNETES_SERVICE_HOST</c>/<c>KUBERNETES_SERVICE_PORT</c> (set by Kubernetes in every pod), and the pod's own
/// service-account token and CA, at <c>SECRETS_KUBERNETES_TOKEN_FILE</c> and <c>SECRETS_KUBERNETES_CA_FILE</c>
/// (default: the standard mount paths). The token file is re-read, at most once a minute, because it rotates.</item>
/// </list>
/// </summary>
internal sealed class WorkloadIdentitySettings
{
    private readonly Lock _gate = new();
    private ServiceAccountTokenFile? _tokenFile;

    public bool AllowHttp { get; init; }

    /// <summary>https://KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT, or null outside a pod.</summary>
    public Uri? InClusterApi { get; init; }

    public string TokenFile { get; init; } = ServiceAccountTokenFile.DefaultPath;

    public string CaFile { get; init; } = ServiceAccountTokenFile.DefaultCaPath;

    /// <summary>The pod's CA bundle, or null when the file is absent or unreadable (then the system roots apply).</summary>
    public string? ReadInClusterCa()
    {
        try
        {
            return File.Exists(CaFile) ? File.ReadAllText(CaFile) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The one reader of the pod's own token, shared by every instance that uses it.</summary>
    public ServiceAccountTokenFile InClusterTokenFile(TimeProvider time)
    {
        lock (_gate)
        {
            return _tokenFile ??= new ServiceAccountTokenFile(TokenFile, time);
        }
    }

    public static WorkloadIdentitySettings Load(Func<string, string?> env, bool allowHttp)
    {
        Uri? api = null;
        if (SettingsLoader.First(env, "KUBERNETES_SERVICE_HOST") is { } host)
        {
            var port = SettingsLoader.First(env, "KUBERNETES_SERVICE_PORT") ?? "443";
            var authority = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
            if (!Uri.TryCreate($"https://{authority}:{port}", UriKind.Absolute, out api))
            {
                throw new ConfigurationException("KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT: not a host and port");
            }
        }

        return new WorkloadIdentitySettings
        {
            AllowHttp = allowHttp,
            InClusterApi = api,
            TokenFile = SettingsLoader.First(env, "SECRETS_KUBERNETES_TOKEN_FILE") ?? ServiceAccountTokenFile.DefaultPath,
            CaFile = SettingsLoader.First(env, "SECRETS_KUBERNETES_CA_FILE") ?? ServiceAccountTokenFile.DefaultCaPath,
        };
    }
}

/// <summary>SECRETS_TLS_CERT_FILE and SECRETS_TLS_KEY_FILE (PEM), both or neither: the certificate of the https URLs.</summary>
internal sealed record TlsSettings(string CertFile, string KeyFile)
{
    public static TlsSettings? Load(Func<string, string?> env)
    {
        var cert = SettingsLoader.First(env, "SECRETS_TLS_CERT_FILE");
        var key = SettingsLoader.First(env, "SECRETS_TLS_KEY_FILE");
        return (cert, key) switch
        {
            (null, null) => null,
            ({ } c, { } k) => new TlsSettings(Path.GetFullPath(c), Path.GetFullPath(k)),
            _ => throw new ConfigurationException("SECRETS_TLS_CERT_FILE and SECRETS_TLS_KEY_FILE: set both (PEM certificate and PEM private key) or neither"),
        };
    }
}
