using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Secrets.Authn.Keys;

/// <summary>
/// Builds the HTTP handler the Server gives to key sources and the TokenReview client: TLS trust pinned to a PEM CA
/// bundle when one is configured (Conjur's <c>ca-cert</c>, <c>kubernetes/ca-cert</c>), no redirects, no proxy
/// surprises.
/// </summary>
public static class TrustedHttp
{
    /// <summary>
    /// A handler whose TLS trust is exactly the certificates of <paramref name="caCertificatesPem"/> (custom root
    /// trust: the system store is not consulted, host names are still checked), or the system store when null.
    /// Redirects are not followed, so an https URL cannot be turned into an http one or sent elsewhere.
    /// </summary>
    /// <exception cref="ArgumentException">The PEM holds no certificate.</exception>
    public static SocketsHttpHandler CreateHandler(string? caCertificatesPem, TimeSpan? connectTimeout = null)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(5),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };

        if (caCertificatesPem is not null)
        {
            var roots = new X509Certificate2Collection();
            try
            {
                roots.ImportFromPem(caCertificatesPem);
            }
            catch (CryptographicException e)
            {
                throw new ArgumentException("The CA certificate PEM is invalid.", nameof(caCertificatesPem), e);
            }

            if (roots.Count == 0)
            {
                throw new ArgumentException("The CA certificate PEM holds no certificate.", nameof(caCertificatesPem));
            }

            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
                DisableCertificateDownloads = true,
            };
            policy.CustomTrustStore.AddRange(roots);
            handler.SslOptions.CertificateChainPolicy = policy;
        }

        return handler;
    }
}
