using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Secrets.Cli.Tests.Infrastructure;

/// <summary>Certificates made inside the test: a self-signed server certificate, or a CA and a leaf it signed.</summary>
public static class TestCertificates
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");

    public static X509Certificate2 SelfSigned(string dnsName = "localhost", bool includeLoopbackIp = true)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = LeafRequest(key, dnsName, includeLoopbackIp);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return Exportable(certificate);
    }

    public static (X509Certificate2 Authority, X509Certificate2 Leaf) AuthorityAndLeaf()
    {
        using var authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var authorityRequest = new CertificateRequest("CN=Secrets Test CA", authorityKey, HashAlgorithmName.SHA256);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var authority = authorityRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(2));

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = LeafRequest(leafKey, "localhost", includeLoopbackIp: true);
        using var leafPublic = leafRequest.Create(authority, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), [1, 2, 3, 4]);
        using var leaf = leafPublic.CopyWithPrivateKey(leafKey);
        return (X509CertificateLoader.LoadCertificate(authority.RawData), Exportable(leaf));
    }

    public static string WritePem(string path, X509Certificate2 certificate)
    {
        File.WriteAllText(path, certificate.ExportCertificatePem() + "\n");
        return path;
    }

    private static CertificateRequest LeafRequest(ECDsa key, string dnsName, bool includeLoopbackIp)
    {
        var request = new CertificateRequest($"CN={dnsName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(dnsName);
        if (includeLoopbackIp)
        {
            names.AddIpAddress(IPAddress.Loopback);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuthentication], false));
        return request;
    }

    // Kestrel wants a certificate whose key it can use: round-trip through PKCS#12.
    private static X509Certificate2 Exportable(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
}
