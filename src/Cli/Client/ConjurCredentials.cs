namespace Secrets.Cli.Client;

/// <summary>How a <see cref="ConjurClient"/> obtains access tokens.</summary>
public abstract class ConjurCredentials
{
    private protected ConjurCredentials()
    {
    }

    /// <summary>A stable, non-secret key naming these credentials in a token cache.</summary>
    public abstract string CacheKey { get; }
}

/// <summary>
/// A login and its API key, exchanged at <c>POST /{authenticator}/{account}/{login}/authenticate</c>.
/// </summary>
public sealed class ApiKeyCredentials : ConjurCredentials
{
    /// <summary>Creates API-key credentials.</summary>
    /// <param name="login">The login: <c>alice</c>, <c>alice@dev-db</c>, <c>host/app/01</c>.</param>
    /// <param name="apiKey">The role's API key.</param>
    /// <param name="authenticator">The authenticator path: <c>authn</c> (default) or <c>authn-ldap/{service_id}</c>.</param>
    public ApiKeyCredentials(string login, string apiKey, string authenticator = "authn")
    {
        ArgumentException.ThrowIfNullOrEmpty(login);
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        ArgumentException.ThrowIfNullOrEmpty(authenticator);
        Login = login;
        ApiKey = apiKey;
        Authenticator = authenticator;
    }

    /// <summary>The login.</summary>
    public string Login { get; }

    /// <summary>The API key (never printed by <see cref="ToString"/>).</summary>
    public string ApiKey { get; }

    /// <summary>The authenticator path segment(s), <c>authn</c> by default.</summary>
    public string Authenticator { get; }

    /// <inheritdoc />
    public override string CacheKey => $"{Authenticator}\n{Login}";

    /// <inheritdoc />
    public override string ToString() => $"ApiKeyCredentials({Authenticator}, {Login})";
}

/// <summary>
/// An access token maintained in a file by someone else (a sidecar, <c>CONJUR_AUTHN_TOKEN_FILE</c>);
/// the file is read again whenever a token is needed.
/// </summary>
public sealed class AccessTokenFileCredentials : ConjurCredentials
{
    /// <summary>Creates credentials reading the token JSON from <paramref name="path"/>.</summary>
    public AccessTokenFileCredentials(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
    }

    /// <summary>The token file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public override string CacheKey => $"token-file\n{Path}";

    /// <inheritdoc />
    public override string ToString() => $"AccessTokenFileCredentials({Path})";
}

/// <summary>The workload authenticators the client can use with a platform-issued token.</summary>
public enum WorkloadAuthnType
{
    /// <summary><c>authn-jwt</c> with any JWT (CI systems, OIDC providers).</summary>
    Jwt,

    /// <summary><c>authn-jwt</c> with a Kubernetes projected service-account token.</summary>
    Kubernetes,

    /// <summary><c>authn-spiffe</c> with a JWT-SVID.</summary>
    Spiffe,
}

/// <summary>
/// A workload identity: a JWT read from a file and posted as <c>jwt=&lt;token&gt;</c> to
/// <c>/authn-jwt/{service_id}/{account}[/{host_id}]/authenticate</c> or <c>/authn-spiffe/{service_id}/{account}/authenticate</c>.
/// The file is read again on every authentication because platforms rotate it.
/// </summary>
public sealed class WorkloadCredentials : ConjurCredentials
{
    /// <summary>The Kubernetes projected service-account token path, the default token file.</summary>
    public const string KubernetesTokenPath = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    /// <summary>Creates workload credentials.</summary>
    public WorkloadCredentials(WorkloadAuthnType type, string serviceId, string? tokenFile = null, string? hostId = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceId);
        Type = type;
        ServiceId = serviceId;
        TokenFile = string.IsNullOrEmpty(tokenFile) ? KubernetesTokenPath : tokenFile;
        HostId = string.IsNullOrEmpty(hostId) ? null : hostId;
    }

    /// <summary>The authenticator type.</summary>
    public WorkloadAuthnType Type { get; }

    /// <summary>The authenticator's service id (<c>conjur/authn-jwt/{service_id}</c>).</summary>
    public string ServiceId { get; }

    /// <summary>The file holding the platform token.</summary>
    public string TokenFile { get; }

    /// <summary>An explicit host id for <c>authn-jwt</c> when the identity is not taken from a claim.</summary>
    public string? HostId { get; }

    /// <summary>The authenticator name in the URL.</summary>
    public string Authenticator => Type == WorkloadAuthnType.Spiffe ? "authn-spiffe" : "authn-jwt";

    /// <inheritdoc />
    public override string CacheKey => $"{Authenticator}/{ServiceId}\n{HostId ?? ""}";

    /// <inheritdoc />
    public override string ToString() => $"WorkloadCredentials({Authenticator}/{ServiceId}, {TokenFile})";
}
