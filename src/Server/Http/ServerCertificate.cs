using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Secrets.Server.Http;

/// <summary>
/// HTTPS for the <c>https://</c> URLs of <c>--urls</c> (README "HTTPS"): the PEM certificate (with its chain after the
/// leaf) and private key of <c>SECRETS_TLS_CERT_FILE</c> and <c>SECRETS_TLS_KEY_FILE</c>. The files are re-read when
/// they change, as cert-manager rotates them in place or by swapping a symlinked directory: a new connection checks
/// the files' contents at most once a second (a hash of both, so a symlink swap is seen like an overwrite), and a
/// pair that does not load or does not match keeps the last good certificate, with a warning that names the files.
/// </summary>
internal sealed partial class ServerCertificate(string certFile, string keyFile)
{
    private static readonly long CheckEvery = TimeSpan.FromSeconds(1).Ticks / TimeSpan.TicksPerMillisecond;
    private readonly Lock _gate = new();
    private X509Certificate2? _current;
    private byte[] _hash = [];
    private long _checkedAt = Environment.TickCount64;

    /// <summary>Loads the pair once, for start-up: a pair that does not load stops the server with a message.</summary>
    public static ServerCertificate Load(string certFile, string keyFile)
    {
        var holder = new ServerCertificate(certFile, keyFile);
        if (!holder.TryReload(out var error))
        {
            throw new Configuration.ConfigurationException($"SECRETS_TLS_CERT_FILE/SECRETS_TLS_KEY_FILE: {error}");
        }

        return holder;
    }

    /// <summary>Where a failed reload is reported (the host's logger once it exists).</summary>
    public ILogger Logger { get; set; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>The certificate for a new connection, re-read first when the files changed.</summary>
    public X509Certificate2 Current
    {
        get
        {
            var now = Environment.TickCount64;
            if (now - Volatile.Read(ref _checkedAt) >= CheckEvery)
            {
                lock (_gate)
                {
                    if (now - _checkedAt >= CheckEvery)
                    {
                        _checkedAt = now;
                        if (!TryReload(out var error))
                        {
                            LogKeptOld(Logger, certFile, keyFile, error);
                        }
                    }
                }
            }

            return _current!;
        }
    }

    private bool TryReload(out string error)
    {
        error = "";
        byte[] cert, key;
        try
        {
            cert = File.ReadAllBytes(certFile);
            key = File.ReadAllBytes(keyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"cannot read the files ({e.GetType().Name})";
            return false;
        }

        var hash = SHA256.HashData([.. SHA256.HashData(cert), .. SHA256.HashData(key)]);
        if (_current is not null && hash.AsSpan().SequenceEqual(_hash))
        {
            return true;
        }

        try
        {
            var loaded = X509Certificate2.CreateFromPem(System.Text.Encoding.ASCII.GetString(cert), System.Text.Encoding.ASCII.GetString(key));
            if (!loaded.HasPrivateKey)
            {
                error = "the key does not belong to the certificate";
                return false;
            }

            _current = loaded;
            _hash = hash;
            return true;
        }
        catch (CryptographicException)
        {
            // Never the exception's text: it may quote the key material it failed on.
            error = "not a PEM certificate and a matching PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC)";
            return false;
        }
        catch (ArgumentException)
        {
            error = "not a PEM certificate and a matching PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC)";
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "TLS files {CertFile} and {KeyFile} changed but do not load ({Error}); serving the previous certificate")]
    private static partial void LogKeptOld(ILogger logger, string certFile, string keyFile, string error);
}
