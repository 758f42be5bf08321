using Secrets.Cli.Client;

namespace Secrets.Cli.Configuration;

/// <summary>
/// The effective configuration of one invocation. Sources, later wins (as in the Conjur Go SDK):
/// <c>~/.conjurrc</c> (or <c>$CONJURRC</c>), then the environment (<c>CONJUR_APPLIANCE_URL</c>, <c>CONJUR_ACCOUNT</c>,
/// <c>CONJUR_CERT_FILE</c>, …), then the global command-line options (<c>--authn-type</c>, <c>--service-id</c>, …).
/// </summary>
internal sealed record CliSettings
{
    public static readonly IReadOnlyList<string> AuthnTypes = ["authn", "ldap", "jwt", "k8s", "spiffe"];

    public required string ConjurrcPath { get; init; }

    public required string NetrcPath { get; init; }

    public required string TokenCacheDirectory { get; init; }

    /// <summary>The per-user random key (0600) that names token cache files; see <see cref="FileTokenStore"/>.</summary>
    public string TokenCacheKeyFile => Path.Combine(Path.GetDirectoryName(TokenCacheDirectory)!, "token-cache.key");

    public string? ApplianceUrl { get; init; }

    public string? Account { get; init; }

    public string? CertFile { get; init; }

    /// <summary>PEM text from <c>CONJUR_SSL_CERTIFICATE</c>.</summary>
    public string? CertPem { get; init; }

    public string AuthnType { get; init; } = "authn";

    public string? ServiceId { get; init; }

    public string? JwtFile { get; init; }

    public string? JwtHostId { get; init; }

    public string? EnvLogin { get; init; }

    public string? EnvApiKey { get; init; }

    public string? TokenFile { get; init; }

    public bool IsWorkload => AuthnType is "jwt" or "k8s" or "spiffe";

    /// <summary>The appliance URL without a trailing slash (the netrc machine is this plus <c>/authn</c>).</summary>
    public string? NormalizedUrl => ApplianceUrl is null ? null : Normalize(ApplianceUrl);

    /// <summary>The authenticator path for logins with an API key: <c>authn</c> or <c>authn-ldap/{service_id}</c>.</summary>
    public string ApiKeyAuthenticator => AuthnType switch
    {
        "ldap" => $"authn-ldap/{ServiceId ?? throw new ConfigurationException("authn_type 'ldap' needs a service_id (--service-id).")}",
        _ => "authn",
    };

    /// <summary>The netrc machine name for these settings, as the Conjur CLI writes it.</summary>
    public string NetrcMachine => $"{NormalizedUrl}/{ApiKeyAuthenticator}";

    public static CliSettings Load(IReadOnlyDictionary<string, string?> environment, string home, GlobalOverrides overrides)
    {
        string? Env(string name) => environment.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null;

        var conjurrcPath = Env("CONJURRC") ?? Path.Combine(home, ".conjurrc");
        var rc = ConjurRc.Load(conjurrcPath) ?? new ConjurRc();
        var configHome = Env("XDG_CONFIG_HOME") ?? Path.Combine(home, ".config");
        var settings = new CliSettings
        {
            ConjurrcPath = conjurrcPath,
            NetrcPath = Env("CONJUR_NETRC_PATH") ?? rc.NetrcPath ?? Path.Combine(home, ".netrc"),
            TokenCacheDirectory = Path.Combine(configHome, "secrets", "tokens"),
            ApplianceUrl = Env("CONJUR_APPLIANCE_URL") ?? rc.ApplianceUrl,
            Account = Env("CONJUR_ACCOUNT") ?? rc.Account,
            CertFile = Env("CONJUR_CERT_FILE") ?? rc.CertFile,
            CertPem = Env("CONJUR_SSL_CERTIFICATE"),
            AuthnType = overrides.AuthnType ?? Env("CONJUR_AUTHN_TYPE") ?? rc.AuthnType ?? "authn",
            ServiceId = overrides.ServiceId ?? Env("CONJUR_SERVICE_ID") ?? Env("CONJUR_AUTHN_JWT_SERVICE_ID") ?? rc.ServiceId,
            JwtFile = overrides.JwtFile ?? Env("JWT_TOKEN_PATH") ?? rc.JwtFile,
            JwtHostId = overrides.JwtHostId ?? Env("CONJUR_AUTHN_JWT_HOST_ID") ?? rc.JwtHostId,
            EnvLogin = Env("CONJUR_AUTHN_LOGIN"),
            EnvApiKey = Env("CONJUR_AUTHN_API_KEY"),
            TokenFile = Env("CONJUR_AUTHN_TOKEN_FILE"),
        };
        if (!AuthnTypes.Contains(settings.AuthnType))
        {
            throw new ConfigurationException($"Unsupported authn_type '{settings.AuthnType}'; use one of: {string.Join(", ", AuthnTypes)}.");
        }

        return settings;
    }

    /// <summary>Appliance URL and account, or a configuration error telling how to provide them.</summary>
    public (Uri Url, string Account) RequireServer()
    {
        if (NormalizedUrl is null || Account is null)
        {
            throw new ConfigurationException(
                $"Not configured: run 'secrets init -u URL -a ACCOUNT' (writes {ConjurrcPath}) or set CONJUR_APPLIANCE_URL and CONJUR_ACCOUNT.");
        }

        if (!Uri.TryCreate(NormalizedUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new ConfigurationException($"appliance_url '{ApplianceUrl}' is not an http(s) URL.");
        }

        return (url, Account);
    }

    /// <summary>
    /// The credentials to use, in the Go SDK's order: a token file, a workload identity, login and API key from the
    /// environment, then the netrc entry. Null when none is configured.
    /// </summary>
    public ConjurCredentials? ResolveCredentials()
    {
        if (TokenFile is not null)
        {
            return new AccessTokenFileCredentials(TokenFile);
        }

        if (IsWorkload)
        {
            return Workload();
        }

        if (EnvLogin is not null || EnvApiKey is not null)
        {
            if (EnvLogin is null || EnvApiKey is null)
            {
                throw new ConfigurationException("CONJUR_AUTHN_LOGIN and CONJUR_AUTHN_API_KEY must be set together.");
            }

            return new ApiKeyCredentials(EnvLogin, EnvApiKey, ApiKeyAuthenticator);
        }

        return StoredCredentials();
    }

    /// <summary>The login and API key stored by <c>secrets login</c>, if any.</summary>
    public ApiKeyCredentials? StoredCredentials()
    {
        if (NormalizedUrl is null || !File.Exists(NetrcPath))
        {
            return null;
        }

        var entry = Netrc.Find(File.ReadAllText(NetrcPath), NetrcMachine);
        return entry is { Login: { Length: > 0 } login, Password: { Length: > 0 } apiKey }
            ? new ApiKeyCredentials(login, apiKey, ApiKeyAuthenticator)
            : null;
    }

    public WorkloadCredentials Workload()
    {
        if (ServiceId is null)
        {
            throw new ConfigurationException($"authn_type '{AuthnType}' needs a service id (--service-id or service_id in {ConjurrcPath}).");
        }

        var type = AuthnType switch
        {
            "k8s" => WorkloadAuthnType.Kubernetes,
            "spiffe" => WorkloadAuthnType.Spiffe,
            _ => WorkloadAuthnType.Jwt,
        };
        return new WorkloadCredentials(type, ServiceId, JwtFile, JwtHostId);
    }

    public static string Normalize(string url)
    {
        var trimmed = url.Trim().TrimEnd('/');
        return trimmed.Contains("://", StringComparison.Ordinal) ? trimmed : "https://" + trimmed;
    }
}

/// <summary>Values of the global options that override the configuration for one invocation.</summary>
internal sealed record GlobalOverrides(string? AuthnType, string? ServiceId, string? JwtFile, string? JwtHostId);
