using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Secrets.Authn.Spiffe;
using static Secrets.Authn.Tests.Spiffe.SvidFactory;

namespace Secrets.Authn.Tests.Spiffe;

/// <summary>Envoy's x-forwarded-client-cert and PEM headers: only the certificate counts, never a bare URI.</summary>
public sealed class ReadingForwardedClientCertificates
{
    private const string Id = "spiffe://cluster.local/ns/prod/sa/web";

    private static readonly X509Certificate2 Mesh = Root("cluster.local");
    private static readonly X509Certificate2 MeshIntermediate = Intermediate(Mesh, "cluster.local");

    private static string Encoded(params X509Certificate2[] certificates) =>
        Uri.EscapeDataString(string.Concat(certificates.Select(c => c.ExportCertificatePem() + "\n")));

    [Fact]
    public void The_cert_of_an_istio_shaped_header_goes_through_full_svid_validation()
    {
        using var leaf = Leaf(MeshIntermediate, Id);
        var header = $"By=spiffe://cluster.local/ns/secrets/sa/server;Hash=abc;Cert=\"{Encoded(leaf)}\";Chain=\"{Encoded(leaf, MeshIntermediate)}\";Subject=\"\";URI={Id}";
        Assert.Equal(ForwardedCertificateError.None, ForwardedClientCertificate.TryReadXfcc(header, out var read, out var intermediates));
        using (read)
        {
            Assert.Equal(leaf.RawData, read!.RawData);
            Assert.Equal(MeshIntermediate.RawData, Assert.Single(intermediates).RawData);
            var validator = new X509SvidValidator(new FakeTimeProvider(Now));
            var result = validator.Validate(read, intermediates, ValidatingX509Svids.Trust(("cluster.local", [Mesh])));
            Assert.True(result.Succeeded, result.Failure.ToString());
            Assert.Equal(Id, result.Peer!.Id.ToString());
        }
    }

    [Theory]
    [InlineData("By=spiffe://cluster.local/ns/a/sa/b;URI=spiffe://cluster.local/ns/prod/sa/admin")]
    [InlineData("Hash=0123;Subject=\"CN=admin\";URI=spiffe://cluster.local/ns/prod/sa/admin;DNS=admin")]
    [InlineData("Cert=")]
    public void XFCC1_a_bare_uri_or_hash_is_never_enough(string header) =>
        Assert.Equal(ForwardedCertificateError.NoCertificate, ForwardedClientCertificate.TryReadXfcc(header, out _, out _));

    [Fact]
    public void XFCC2_only_the_last_element_written_by_the_trusted_proxy_counts()
    {
        using var far = Leaf(Mesh, "spiffe://cluster.local/ns/prod/sa/admin");
        var header = $"Cert=\"{Encoded(far)}\",By=spiffe://cluster.local/ns/x;URI={Id}";
        Assert.Equal(ForwardedCertificateError.NoCertificate, ForwardedClientCertificate.TryReadXfcc(header, out _, out _));

        using var near = Leaf(Mesh, Id);
        Assert.Equal(ForwardedCertificateError.None, ForwardedClientCertificate.TryReadXfcc($"Cert=\"{Encoded(far)}\",Cert=\"{Encoded(near)}\"", out var read, out _));
        using (read)
        {
            Assert.Equal(near.RawData, read!.RawData);
        }
    }

    [Theory]
    [InlineData("Cert=\"unterminated")]
    [InlineData("Cert")]
    [InlineData("=x")]
    [InlineData("Cert=\"%2D%2D%2D%2D%2DBEGIN%20CERTIFICATE%2D%2D%2D%2D%2D%0AAAAA%0A%2D%2D%2D%2D%2DEND%20CERTIFICATE%2D%2D%2D%2D%2D\"")]
    [InlineData("Cert=\"%2D%2D%2D%2D%2DBEGIN%20PUBLIC%20KEY%2D%2D%2D%2D%2D%0AAAAA%0A%2D%2D%2D%2D%2DEND%20PUBLIC%20KEY%2D%2D%2D%2D%2D\"")]
    [InlineData("")]
    public void XFCC3_malformed_headers_and_non_certificates_are_refused(string header) =>
        Assert.NotEqual(ForwardedCertificateError.None, ForwardedClientCertificate.TryReadXfcc(header, out _, out _));

    [Fact]
    public void Two_certs_in_one_element_or_an_oversized_header_are_refused()
    {
        using var a = Leaf(Mesh, Id);
        Assert.Equal(ForwardedCertificateError.Malformed, ForwardedClientCertificate.TryReadXfcc($"Cert=\"{Encoded(a)}\";Cert=\"{Encoded(a)}\"", out _, out _));
        Assert.Equal(ForwardedCertificateError.InvalidCertificate, ForwardedClientCertificate.TryReadXfcc($"Cert=\"{Encoded(a, a)}\"", out _, out _));
        Assert.Equal(ForwardedCertificateError.Missing, ForwardedClientCertificate.TryReadXfcc("Cert=" + new string('A', ForwardedClientCertificate.MaxHeaderLength), out _, out _));
    }

    [Fact]
    public void A_pem_header_url_encoded_or_with_spaces_gives_the_leaf_and_intermediates()
    {
        using var leaf = Leaf(MeshIntermediate, Id);
        Assert.Equal(ForwardedCertificateError.None, ForwardedClientCertificate.TryReadPem(Encoded(leaf, MeshIntermediate), out var read, out var intermediates));
        using (read)
        {
            Assert.Equal(leaf.RawData, read!.RawData);
            Assert.Single(intermediates);
        }

        var spaced = leaf.ExportCertificatePem().Replace("\n", " ", StringComparison.Ordinal);
        Assert.Equal(ForwardedCertificateError.None, ForwardedClientCertificate.TryReadPem(spaced, out read, out _));
        read!.Dispose();
    }
}
