using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Secrets.Authn.Spiffe;
using static Secrets.Authn.Tests.Spiffe.SvidFactory;

namespace Secrets.Authn.Tests.Spiffe;

/// <summary>
/// The X.509-SVID peer cases XV-1…15 and the federation cases XF-1…3 (TEST_CATALOGUE §5.2–5.3) at the library level,
/// with generated roots, intermediates and leaves. The Kestrel mTLS wiring is tested where it is built.
/// </summary>
public sealed class ValidatingX509Svids
{
    private const string Id = "spiffe://a.test/ns/prod/sa/web";

    private static readonly X509Certificate2 RootA = Root("a.test");
    private static readonly X509Certificate2 RootB = Root("b.test");
    private static readonly X509Certificate2 IntermediateA = Intermediate(RootA, "a.test");

    private readonly FakeTimeProvider _time = new(Now);
    private readonly X509SvidValidator _validator;
    private readonly SpiffeTrustDomains _trust;

    public ValidatingX509Svids()
    {
        _validator = new X509SvidValidator(_time);
        _trust = Trust(("a.test", [RootA]), ("b.test", [RootB]));
    }

    [Fact]
    public void XV1_a_plain_leaf_of_the_trust_domain_ca_is_accepted()
    {
        using var leaf = Leaf(RootA, Id);
        var result = _validator.Validate(leaf, null, _trust);
        Assert.True(result.Succeeded, result.Failure.ToString());
        Assert.Equal(Id, result.Peer!.Id.ToString());
        Assert.Equal(leaf.NotAfter.ToUniversalTime(), result.Peer.NotAfter.UtcDateTime);
        Assert.Equal(64, result.Peer.Thumbprint.Length);
    }

    [Fact]
    public void XV2_a_leaf_chained_through_an_intermediate_is_accepted_only_with_the_intermediate_sent()
    {
        using var leaf = Leaf(IntermediateA, Id);
        Assert.True(_validator.Validate(leaf, [IntermediateA], _trust).Succeeded);
        Assert.Equal(SvidFailure.ChainInvalid, _validator.Validate(leaf, null, _trust).Failure);
    }

    [Fact]
    public void XV3_XV4_dns_sans_and_an_empty_subject_with_a_critical_uri_san_are_accepted()
    {
        using var withDns = Leaf(RootA, new LeafSpec { Uris = [Id], DnsNames = ["web.prod.svc"], Subject = "CN=web" });
        Assert.True(_validator.Validate(withDns, null, _trust).Succeeded);
        using var empty = Leaf(RootA, new LeafSpec { Uris = [Id] });
        Assert.Empty(empty.Subject);
        Assert.True(_validator.Validate(empty, null, _trust).Succeeded);
    }

    [Fact]
    public void XV5_a_leaf_of_an_untrusted_ca_with_the_same_trust_domain_name_is_refused()
    {
        using var impostor = Root("a.test");
        using var leaf = Leaf(impostor, Id);
        Assert.Equal(SvidFailure.ChainInvalid, _validator.Validate(leaf, null, _trust).Failure);
    }

    [Fact]
    public void XV6_XV7_an_expired_or_not_yet_valid_leaf_is_refused_on_the_injected_clock()
    {
        using var leaf = Leaf(RootA, Id);
        Assert.True(_validator.Validate(leaf, null, _trust).Succeeded);
        var later = new X509SvidValidator(new FakeTimeProvider(leaf.NotAfter.ToUniversalTime().AddSeconds(1)));
        Assert.Equal(SvidFailure.Expired, later.Validate(leaf, null, _trust).Failure);
        var earlier = new X509SvidValidator(new FakeTimeProvider(leaf.NotBefore.ToUniversalTime().AddSeconds(-1)));
        Assert.Equal(SvidFailure.NotYetValid, earlier.Validate(leaf, null, _trust).Failure);
    }

    [Fact]
    public void XV8_XV9_XV10_a_leaf_that_is_a_ca_or_may_sign_certificates_or_crls_is_refused()
    {
        using var ca = Leaf(RootA, new LeafSpec { Uris = [Id], Ca = true });
        using var certSign = Leaf(RootA, new LeafSpec { Uris = [Id], Usage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign });
        using var crlSign = Leaf(RootA, new LeafSpec { Uris = [Id], Usage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.CrlSign });
        Assert.Equal(SvidFailure.LeafIsCa, _validator.Validate(ca, null, _trust).Failure);
        Assert.Equal(SvidFailure.LeafIsCa, _validator.Validate(certSign, null, _trust).Failure);
        Assert.Equal(SvidFailure.LeafIsCa, _validator.Validate(crlSign, null, _trust).Failure);
    }

    [Fact]
    public void A_leaf_without_digital_signature_or_key_usage_or_with_the_wrong_eku_is_refused()
    {
        using var noDigital = Leaf(RootA, new LeafSpec { Uris = [Id], Usage = X509KeyUsageFlags.KeyEncipherment });
        using var noUsage = Leaf(RootA, new LeafSpec { Uris = [Id], Usage = null });
        using var serverOnly = Leaf(RootA, new LeafSpec { Uris = [Id], Eku = ["1.3.6.1.5.5.7.3.1"] });
        using var noEku = Leaf(RootA, new LeafSpec { Uris = [Id], Eku = null });
        using var noConstraints = Leaf(RootA, new LeafSpec { Uris = [Id], Ca = null });
        Assert.Equal(SvidFailure.KeyUsageInvalid, _validator.Validate(noDigital, null, _trust).Failure);
        Assert.Equal(SvidFailure.KeyUsageInvalid, _validator.Validate(noUsage, null, _trust).Failure);
        Assert.Equal(SvidFailure.ExtendedKeyUsageInvalid, _validator.Validate(serverOnly, null, _trust).Failure);
        Assert.True(_validator.Validate(serverOnly, null, _trust, SvidRole.Server).Succeeded);
        Assert.True(_validator.Validate(noEku, null, _trust).Succeeded);
        Assert.True(_validator.Validate(noConstraints, null, _trust).Succeeded);
    }

    [Fact]
    public void XV11_XV12_exactly_one_uri_san_is_required()
    {
        using var two = Leaf(RootA, new LeafSpec { Uris = [Id, "spiffe://a.test/other"] });
        using var none = Leaf(RootA, new LeafSpec { DnsNames = ["web"], Subject = "CN=web" });
        using var noSan = Leaf(RootA, new LeafSpec { Subject = "CN=web" });
        Assert.Equal(SvidFailure.MultipleUriSans, _validator.Validate(two, null, _trust).Failure);
        Assert.Equal(SvidFailure.NoUriSan, _validator.Validate(none, null, _trust).Failure);
        Assert.Equal(SvidFailure.NoUriSan, _validator.Validate(noSan, null, _trust).Failure);
    }

    [Theory]
    [InlineData("https://a.test/ns/prod")]
    [InlineData("SPIFFE://a.test/ns/prod")]
    [InlineData("spiffe://A.test/ns/prod")]
    [InlineData("spiffe://a.test/ns/../prod")]
    [InlineData("spiffe://a.test/ns%2Fprod")]
    [InlineData("spiffe://a.test:443/ns")]
    public void XV13_a_uri_san_that_is_not_a_valid_spiffe_id_is_refused(string uri)
    {
        using var leaf = Leaf(RootA, uri);
        Assert.Equal(SvidFailure.SubjectNotSpiffeId, _validator.Validate(leaf, null, _trust).Failure);
    }

    [Fact]
    public void XV14_a_spiffe_id_without_a_path_is_refused()
    {
        using var leaf = Leaf(RootA, "spiffe://a.test");
        Assert.Equal(SvidFailure.SpiffeIdWithoutPath, _validator.Validate(leaf, null, _trust).Failure);
    }

    [Fact]
    public void XV15_a_trust_domain_without_a_bundle_is_refused_even_when_the_chain_verifies_against_another()
    {
        using var leaf = Leaf(RootA, "spiffe://other.test/x");
        Assert.Equal(SvidFailure.UnknownTrustDomain, _validator.Validate(leaf, null, _trust).Failure);
    }

    [Fact]
    public void XF1_a_peer_of_a_federated_trust_domain_is_accepted_with_its_own_bundle()
    {
        using var leaf = Leaf(RootB, "spiffe://b.test/x");
        Assert.True(_validator.Validate(leaf, null, _trust).Succeeded);
    }

    [Fact]
    public void XF2_the_pooled_roots_attack_a_leaf_claiming_b_signed_by_a_is_refused_with_both_bundles_loaded()
    {
        using var leaf = Leaf(RootA, "spiffe://b.test/x");
        Assert.Equal(SvidFailure.ChainInvalid, _validator.Validate(leaf, null, _trust).Failure);
        using var throughIntermediate = Leaf(IntermediateA, "spiffe://b.test/x");
        Assert.Equal(SvidFailure.ChainInvalid, _validator.Validate(throughIntermediate, [IntermediateA, RootA], _trust).Failure);
    }

    [Fact]
    public void XF3_a_trust_domain_that_is_no_longer_configured_is_no_longer_trusted()
    {
        using var leaf = Leaf(RootB, "spiffe://b.test/x");
        Assert.True(_validator.Validate(leaf, null, _trust).Succeeded);
        Assert.Equal(SvidFailure.UnknownTrustDomain, _validator.Validate(leaf, null, Trust(("a.test", [RootA]))).Failure);
    }

    [Fact]
    public void Intermediates_sent_by_the_peer_never_become_roots()
    {
        using var ownRoot = Root("a.test");
        using var leaf = Leaf(ownRoot, Id);
        Assert.Equal(SvidFailure.ChainInvalid, _validator.Validate(leaf, [ownRoot], _trust).Failure);
    }

    [Fact]
    public void An_intermediate_that_is_not_a_ca_or_lacks_key_cert_sign_breaks_the_chain()
    {
        using var notCa = Intermediate(RootA, "a.test", ca: false);
        using var noCertSign = Intermediate(RootA, "a.test", usage: X509KeyUsageFlags.CrlSign);
        using var leaf1 = Leaf(notCa, Id);
        using var leaf2 = Leaf(noCertSign, Id);
        Assert.Equal(SvidFailure.ChainInvalid, _validator.Validate(leaf1, [notCa], _trust).Failure);
        Assert.Equal(SvidFailure.ChainInvalid, _validator.Validate(leaf2, [noCertSign], _trust).Failure);
    }

    [Fact]
    public void An_empty_bundle_trusts_nothing_and_a_bundle_never_fetched_is_unavailable()
    {
        using var leaf = Leaf(RootA, Id);
        Assert.Equal(SvidFailure.TrustDomainTrustsNothing, _validator.Validate(leaf, null, Trust(("a.test", []))).Failure);
    }

    [Fact]
    public async Task The_async_form_reads_the_bundle_of_the_leafs_trust_domain()
    {
        using var leaf = Leaf(RootA, Id);
        Assert.True((await _validator.ValidateAsync(leaf, null, _trust, default)).Succeeded);
        using var attack = Leaf(RootA, "spiffe://b.test/x");
        Assert.Equal(SvidFailure.ChainInvalid, (await _validator.ValidateAsync(attack, null, _trust, default)).Failure);
    }

    internal static SpiffeTrustDomains Trust(params (string TrustDomain, X509Certificate2[] Roots)[] domains) =>
        new(domains.Select(d => new StaticSpiffeBundleSource(new SpiffeBundle(d.TrustDomain, d.Roots, []))));
}
