using System.CommandLine;
using System.Net.Http;
using System.Text;
using Secrets.Cli.Client;
using Secrets.Cli.Configuration;

namespace Secrets.Cli;

/// <summary>
/// One invocation: its streams, the global options, the effective settings and the clients it created.
/// Every command action runs through the Run wrappers, the single place where failures become exit codes.
/// </summary>
internal sealed class CliSession : IAsyncDisposable
{
    private readonly List<ConjurClient> clients = [];
    private StreamReader? stdinReader;
    private CliSettings? settings;

    public CliSession(CliHost host)
    {
        Host = host;
        Out = new StreamWriter(host.Stdout, new UTF8Encoding(false), bufferSize: 4096, leaveOpen: true) { NewLine = "\n" };
    }

    public CliHost Host { get; }

    public TextWriter Out { get; }

    public TextWriter Err => Host.Stderr;

    public GlobalOptions Globals { get; } = new();

    public DateTimeOffset Now => Host.Time.GetUtcNow();

    public CliSettings Settings(ParseResult parseResult) =>
        settings ??= CliSettings.Load(Host.Environment, Host.Home, Globals.Read(parseResult));

    /// <summary>
    /// A client for the configured appliance. With <paramref name="credentials"/> null the configured ones are used
    /// (and required unless <paramref name="anonymous"/>).
    /// </summary>
    public ConjurClient Client(ParseResult parseResult, ConjurCredentials? credentials = null, bool anonymous = false)
    {
        var current = Settings(parseResult);
        var (url, account) = current.RequireServer();
        if (credentials is null && !anonymous)
        {
            credentials = current.ResolveCredentials() ?? throw new ConfigurationException(
                $"Not logged in: run 'secrets login -i LOGIN' (or set CONJUR_AUTHN_LOGIN and CONJUR_AUTHN_API_KEY, or --authn-type jwt|k8s|spiffe).");
        }

        var client = new ConjurClient(
            new ConjurClientOptions
            {
                ApplianceUrl = url,
                Account = account,
                Credentials = credentials,
                TokenStore = TokenStore(current, credentials),
                TrustedCertificates = Host.Handler is null ? TrustedCertificates(current) : null,
                TimeProvider = Host.Time,
            },
            Host.Handler);
        clients.Add(client);
        return client;
    }

    /// <summary>
    /// The token cache for these credentials, keyed by the credential itself (the API key, the workload token's
    /// contents) so a token is never served to another credential. None when the credential cannot be read now:
    /// a cached token must not stand in for a credential that no longer works.
    /// </summary>
    private static FileTokenStore? TokenStore(CliSettings current, ConjurCredentials? credentials)
    {
        var credential = credentials switch
        {
            ApiKeyCredentials apiKey => apiKey.ApiKey,
            WorkloadCredentials workload => ReadOrNull(workload.TokenFile),
            _ => null,
        };
        return credential is null ? null : new FileTokenStore(current.TokenCacheDirectory, current.TokenCacheKeyFile, credential);
    }

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes bytes to stdout unchanged (secret values).</summary>
    public async Task WriteBytesAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        await Out.FlushAsync(cancellationToken);
        await Host.Stdout.WriteAsync(bytes, cancellationToken);
        await Host.Stdout.FlushAsync(cancellationToken);
    }

    public string? ReadLine(string prompt)
    {
        if (Host.StdinIsTerminal)
        {
            Err.Write(prompt);
            Err.Flush();
        }

        stdinReader ??= new StreamReader(Host.Stdin, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, bufferSize: 1024, leaveOpen: true);
        return stdinReader.ReadLine();
    }

    /// <summary>Reads a secret without echo on a terminal; from stdin otherwise (so scripts can pipe it).</summary>
    public string? ReadSecret(string prompt) =>
        Host.ReadSecretFromTerminal is { } terminal ? terminal(prompt) : ReadLine(prompt);

    /// <summary>Wraps a command body: maps every failure to an <c>error: …</c> line and an exit code.</summary>
    public Func<ParseResult, CancellationToken, Task<int>> Run(Func<ParseResult, CancellationToken, Task<int>> body) =>
        async (parseResult, cancellationToken) =>
        {
            try
            {
                var code = await body(parseResult, cancellationToken);
                await Out.FlushAsync(cancellationToken);
                return code;
            }
            catch (Exception e)
            {
                await Out.FlushAsync(CancellationToken.None);
                var (code, message) = Describe(e);
                Err.WriteLine($"error: {message}");
                await Err.FlushAsync(CancellationToken.None);
                return code;
            }
        };

    public Func<ParseResult, CancellationToken, Task<int>> Run(Func<ParseResult, CancellationToken, Task> body) =>
        Run(async (parseResult, cancellationToken) =>
        {
            await body(parseResult, cancellationToken);
            return ExitCodes.Ok;
        });

    public async ValueTask DisposeAsync()
    {
        foreach (var client in clients)
        {
            client.Dispose();
        }

        stdinReader?.Dispose();
        await Out.FlushAsync();
        await Out.DisposeAsync();
    }

    internal static (int Code, string Message) Describe(Exception e) => e switch
    {
        UsageException => (ExitCodes.Usage, e.Message),
        ConfigurationException or ConjurCredentialsException => (ExitCodes.NotLoggedIn, e.Message),
        ConjurApiException { StatusCode: System.Net.HttpStatusCode.NotFound } => (ExitCodes.NotFound, e.Message),
        ConjurApiException => (ExitCodes.Failure, e.Message),
        HttpRequestException http => (ExitCodes.Failure, $"cannot reach the server: {Innermost(http)}"),
        TaskCanceledException or TimeoutException => (ExitCodes.Failure, "the server did not answer in time"),
        CliFailureException or IOException or UnauthorizedAccessException => (ExitCodes.Failure, e.Message),
        _ => (ExitCodes.Failure, $"unexpected failure: {e.Message}"),
    };

    private static string Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e.Message;
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2Collection? TrustedCertificates(CliSettings current)
    {
        try
        {
            if (current.CertPem is not null)
            {
                return ServerCertificateTrust.LoadPem(current.CertPem);
            }

            return current.CertFile is not null ? ServerCertificateTrust.LoadPemFile(current.CertFile) : null;
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"Cannot read the certificate file '{current.CertFile ?? "CONJUR_SSL_CERTIFICATE"}': {e.Message}");
        }
    }
}

/// <summary>
/// Options on the root command that apply to every command: the workload identity (and its overrides of
/// <c>~/.conjurrc</c>).
/// </summary>
internal sealed class GlobalOptions
{
    public Option<string> AuthnType { get; } = new("--authn-type")
    {
        Description = "Authenticator: authn (API key, default), ldap, jwt, k8s (authn-jwt with the service-account token) or spiffe (JWT-SVID).",
        Recursive = true,
        HelpName = "type",
    };

    public Option<string> ServiceId { get; } = new("--service-id")
    {
        Description = "Service id of the ldap/jwt/k8s/spiffe authenticator.",
        Recursive = true,
        HelpName = "id",
    };

    public Option<string> JwtFile { get; } = new("--jwt-file")
    {
        Description = $"File holding the workload token (default {WorkloadCredentials.KubernetesTokenPath}).",
        Recursive = true,
        HelpName = "file",
    };

    public Option<string> JwtHostId { get; } = new("--jwt-host-id")
    {
        Description = "Host id for authn-jwt when the identity is not taken from a token claim.",
        Recursive = true,
        HelpName = "id",
    };

    public GlobalOptions() => AuthnType.AcceptOnlyFromAmong([.. CliSettings.AuthnTypes]);

    public IEnumerable<Option> All => [AuthnType, ServiceId, JwtFile, JwtHostId];

    public GlobalOverrides Read(ParseResult parseResult) => new(
        parseResult.GetValue(AuthnType),
        parseResult.GetValue(ServiceId),
        parseResult.GetValue(JwtFile),
        parseResult.GetValue(JwtHostId));
}
