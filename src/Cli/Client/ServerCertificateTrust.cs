using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Secrets.Cli.Client;

/// <summary>
/// TLS trust for a Conjur appliance: the system roots plus the certificates of <c>cert_file</c>
/// (as the Go SDK does, which appends the file to the system pool). Host names are always checked.
/// </summary>
public static class ServerCertificateTrust
{
    /// <summary>Creates the handler the client uses when none is supplied.</summary>
    /// <param name="extraTrust">Certificates to trust in addition to the system roots (may be null or empty).</param>
    public static HttpMessageHandler CreateHandler(X509Certificate2Collection? extraTrust)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        if (extraTrust is { Count: > 0 })
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                IsTrusted(certificate as X509Certificate2, chain, errors, extraTrust);
        }

        return handler;
    }

    /// <summary>Reads every certificate of a PEM file.</summary>
    public static X509Certificate2Collection LoadPemFile(string path)
    {
        var collection = new X509Certificate2Collection();
        collection.ImportFromPemFile(path);
        return collection;
    }

    /// <summary>Reads every certificate of PEM text (<c>CONJUR_SSL_CERTIFICATE</c>).</summary>
    public static X509Certificate2Collection LoadPem(string pem)
    {
        var collection = new X509Certificate2Collection();
        collection.ImportFromPem(pem);
        return collection;
    }

    internal static bool IsTrusted(X509Certificate2? certificate, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection extraTrust)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        // A name mismatch or a missing certificate is never excused: the file extends trust in issuers, not in hosts.
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            return false;
        }

        // Exact match with a pinned certificate (the usual self-signed appliance certificate).
        foreach (var trusted in extraTrust)
        {
            if (trusted.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span))
            {
                return true;
            }
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(extraTrust);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(certificate);
    }
}
