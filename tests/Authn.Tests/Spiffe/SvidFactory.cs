using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Secrets.Authn.Tests.Spiffe;

/// <summary>
/// Test CAs, intermediates and X.509-SVID leaves made with <c>CertificateRequest</c> (workload-identity.md 5.3). URI
/// SANs are written byte-exact, so invalid SPIFFE IDs survive into the certificate.
/// </summary>
public static class SvidFactory
{
    public static readonly DateTimeOffset Now = new(2026, 12, 3, 6, 0, 0, TimeSpan.Zero);

    public static X509Certificate2 Root(string trustDomain, bool ca = true, X509KeyUsageFlags usage = X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"O={trustDomain}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(UriSan(false, "spiffe://" + trustDomain));
        return request.CreateSelfSigned(Now.AddDays(-10), Now.AddDays(10));
    }

    public static X509Certificate2 Intermediate(X509Certificate2 issuer, string trustDomain, bool ca = true, X509KeyUsageFlags usage = X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"O={trustDomain}, OU=intermediate", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        request.CertificateExtensions.Add(UriSan(false, "spiffe://" + trustDomain));
        using var issued = request.Create(issuer, Now.AddDays(-9), Now.AddDays(9), RandomNumberGenerator.GetBytes(16));
        return issued.CopyWithPrivateKey(key);
    }

    public sealed record LeafSpec
    {
        public string[] Uris { get; init; } = [];
        public string Subject { get; init; } = "";
        public bool? Ca { get; init; } = false;
        public X509KeyUsageFlags? Usage { get; init; } = X509KeyUsageFlags.DigitalSignature;
        public string[]? Eku { get; init; } = ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"];
        public string[] DnsNames { get; init; } = [];
        public DateTimeOffset NotBefore { get; init; } = Now.AddMinutes(-5);
        public DateTimeOffset NotAfter { get; init; } = Now.AddHours(1);
    }

    public static X509Certificate2 Leaf(X509Certificate2 issuer, string uri) => Leaf(issuer, new LeafSpec { Uris = [uri] });

    public static X509Certificate2 Leaf(X509Certificate2 issuer, LeafSpec spec)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(spec.Subject, key, HashAlgorithmName.SHA256);
        if (spec.Ca is { } ca)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, true));
        }

        if (spec.Usage is { } usage)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        }

        if (spec.Eku is { } eku)
        {
            var oids = new OidCollection();
            foreach (var oid in eku)
            {
                oids.Add(new Oid(oid));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        }

        if (spec.Uris.Length > 0 || spec.DnsNames.Length > 0)
        {
            request.CertificateExtensions.Add(San(spec.Subject.Length == 0, spec.Uris, spec.DnsNames));
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        // Signed through a generator rather than Create(issuer, …), which refuses a non-CA issuer: the chain tests need one.
        using var issuerKey = issuer.GetECDsaPrivateKey()!;
        using var issued = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), spec.NotBefore, spec.NotAfter, RandomNumberGenerator.GetBytes(16));
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), null);
    }

    public static X509Extension UriSan(bool critical, params string[] uris) => San(critical, uris, []);

    private static X509Extension San(bool critical, string[] uris, string[] dnsNames)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var dns in dnsNames)
            {
                writer.WriteCharacterString(UniversalTagNumber.IA5String, dns, new Asn1Tag(TagClass.ContextSpecific, 2));
            }

            foreach (var uri in uris)
            {
                writer.WriteCharacterString(UniversalTagNumber.IA5String, uri, new Asn1Tag(TagClass.ContextSpecific, 6));
            }
        }

        return new X509Extension("2.5.29.17", writer.Encode(), critical);
    }

    /// <summary>A SPIFFE bundle JSON document with the given X.509 roots and JWT authorities (raw JWK texts).</summary>
    public static string BundleJson(IEnumerable<X509Certificate2> roots, IEnumerable<string> jwks, long? sequence = null, long? refreshHint = null)
    {
        var entries = roots.Select(r => "{\"use\":\"x509-svid\",\"kty\":\"EC\",\"x5c\":[\"" + Convert.ToBase64String(r.RawData) + "\"]}")
            .Concat(jwks);
        var meta = (sequence is { } s ? $"\"spiffe_sequence\":{s}," : "") + (refreshHint is { } h ? $"\"spiffe_refresh_hint\":{h}," : "");
        return "{" + meta + "\"keys\":[" + string.Join(",", entries) + "]}";
    }
}
