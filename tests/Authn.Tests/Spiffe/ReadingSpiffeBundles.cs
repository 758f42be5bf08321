using System.Text;
using Secrets.Authn.Spiffe;
using Secrets.Authn.Tests.Infrastructure;
using static Secrets.Authn.Tests.Spiffe.SvidFactory;

namespace Secrets.Authn.Tests.Spiffe;

public sealed class ReadingSpiffeBundles
{
    private static readonly TestKey Key = TestKey.CreateEc("k1");

    [Fact]
    public void A_bundle_splits_its_keys_by_use_and_keeps_its_metadata()
    {
        using var root = Root("a.test");
        var json = BundleJson([root], [Key.Jwk(use: "jwt-svid")], sequence: 7, refreshHint: 300);
        Assert.True(SpiffeBundle.TryParse("a.test", json, out var bundle, out var error), error.ToString());
        Assert.Equal("a.test", bundle!.TrustDomain);
        Assert.Equal(root.RawData, Assert.Single(bundle.X509Authorities).RawData);
        Assert.Equal("k1", Assert.Single(bundle.JwtAuthorities).Kid);
        Assert.Equal(7, bundle.Sequence);
        Assert.Equal(TimeSpan.FromMinutes(5), bundle.RefreshHint);
        Assert.False(bundle.TrustsNothing);
    }

    [Fact]
    public void Empty_keys_is_a_valid_bundle_that_trusts_nothing_and_missing_keys_is_invalid()
    {
        Assert.True(SpiffeBundle.TryParse("a.test", "{\"keys\":[]}", out var bundle, out _));
        Assert.True(bundle!.TrustsNothing);
        Assert.False(SpiffeBundle.TryParse("a.test", "{\"spiffe_sequence\":1}", out _, out var error));
        Assert.Equal(SpiffeBundleError.KeysMissing, error);
    }

    [Theory]
    [InlineData("{\"keys\":[],\"keys\":[]}", SpiffeBundleError.Malformed)]
    [InlineData("[]", SpiffeBundleError.Malformed)]
    [InlineData("not json", SpiffeBundleError.Malformed)]
    [InlineData("{\"keys\":[],\"spiffe_sequence\":\"1\"}", SpiffeBundleError.InvalidMetadata)]
    [InlineData("{\"keys\":[],\"spiffe_sequence\":-1}", SpiffeBundleError.InvalidMetadata)]
    [InlineData("{\"keys\":[],\"spiffe_refresh_hint\":1.5}", SpiffeBundleError.InvalidMetadata)]
    [InlineData("{\"keys\":[{\"use\":\"x509-svid\",\"x5c\":[\"AAAA\"]}]}", SpiffeBundleError.InvalidX509Authority)]
    [InlineData("{\"keys\":[{\"use\":\"jwt-svid\",\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"a\",\"y\":\"b\"}]}", SpiffeBundleError.InvalidJwtAuthority)]
    public void Invalid_documents_are_refused(string json, SpiffeBundleError expected)
    {
        Assert.False(SpiffeBundle.TryParse("a.test", json, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void X509_entries_need_exactly_one_certificate_and_entries_without_x5c_are_skipped()
    {
        using var root = Root("a.test");
        using var other = Root("a.test");
        var b64 = Convert.ToBase64String(root.RawData);
        var two = "{\"keys\":[{\"use\":\"x509-svid\",\"x5c\":[\"" + b64 + "\",\"" + Convert.ToBase64String(other.RawData) + "\"]}]}";
        Assert.False(SpiffeBundle.TryParse("a.test", two, out _, out var error));
        Assert.Equal(SpiffeBundleError.InvalidX509Authority, error);

        var skipped = "{\"keys\":[{\"use\":\"x509-svid\"},{\"use\":\"x509-svid\",\"x5c\":[]},{\"use\":\"x509-svid\",\"kid\":\"ignored\",\"x5c\":[\"" + b64 + "\"]}]}";
        Assert.True(SpiffeBundle.TryParse("a.test", skipped, out var bundle, out _));
        Assert.Single(bundle!.X509Authorities);
    }

    [Fact]
    public void Two_jwt_authorities_with_one_kid_make_the_bundle_invalid()
    {
        using var other = TestKey.CreateEc("k1");
        Assert.False(SpiffeBundle.TryParse("a.test", TestKey.Jwks(Key.Jwk(use: "jwt-svid"), other.Jwk(use: "jwt-svid")), out _, out var error));
        Assert.Equal(SpiffeBundleError.InvalidJwtAuthority, error);
    }

    [Fact]
    public void Pem_roots_are_a_bundle_of_x509_authorities_only()
    {
        using var a = Root("a.test");
        using var b = Root("a.test");
        Assert.True(SpiffeBundle.TryParse("a.test", a.ExportCertificatePem() + "\n" + b.ExportCertificatePem(), out var bundle, out _));
        Assert.Equal(2, bundle!.X509Authorities.Count);
        Assert.Empty(bundle.JwtAuthorities);
        Assert.False(SpiffeBundle.TryParse("a.test", Key.PublicPem, out _, out var error));
        Assert.Equal(SpiffeBundleError.InvalidX509Authority, error);
    }

    [Fact]
    public void Size_and_trust_domain_are_checked()
    {
        Assert.False(SpiffeBundle.TryParse("a.test", "{\"keys\":[]," + new string(' ', SpiffeBundle.MaxBundleBytes) + "}", out _, out var error));
        Assert.Equal(SpiffeBundleError.TooLarge, error);
        Assert.False(SpiffeBundle.TryParse("A.test", "{\"keys\":[]}", out _, out error));
        Assert.Equal(SpiffeBundleError.InvalidTrustDomain, error);
    }

    [Fact]
    public void A_bundle_map_with_a_trust_domain_named_twice_is_refused()
    {
        Assert.True(SpiffeBundle.TryParseMap("{\"trust_domains\":{\"a.test\":{\"keys\":[]},\"b.test\":{\"keys\":[],\"spiffe_refresh_hint\":5}}}"u8, out var map, out _));
        Assert.Equal(2, map!.Count);
        Assert.Null(map["b.test"].RefreshHint);
        Assert.False(SpiffeBundle.TryParseMap("{\"trust_domains\":{\"a.test\":{\"keys\":[]},\"a.test\":{\"keys\":[]}}}"u8, out _, out var error));
        Assert.Equal(SpiffeBundleError.InvalidTrustDomain, error);
        Assert.False(SpiffeBundle.TryParseMap("{\"trust_domains\":{\"A.test\":{\"keys\":[]}}}"u8, out _, out error));
        Assert.Equal(SpiffeBundleError.InvalidTrustDomain, error);
    }

    [Fact]
    public void Workload_api_bundles_are_concatenated_der_and_a_jwks_whose_keys_may_lack_use()
    {
        using var a = Root("a.test");
        using var b = Root("a.test");
        var der = a.RawData.Concat(b.RawData).ToArray();
        Assert.True(SpiffeBundle.TryFromWorkloadApi("a.test", der, Encoding.UTF8.GetBytes(TestKey.Jwks(Key.Jwk(use: null))), out var bundle, out _));
        Assert.Equal(2, bundle!.X509Authorities.Count);
        Assert.Single(bundle.JwtAuthorities);
        Assert.False(SpiffeBundle.TryFromWorkloadApi("a.test", der.AsSpan(0, der.Length - 1), [], out _, out var error));
        Assert.Equal(SpiffeBundleError.InvalidX509Authority, error);
    }
}
