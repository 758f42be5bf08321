using Secrets.Authn.Spiffe;

namespace Secrets.Authn.Tests.Spiffe;

public sealed class MatchingSpiffeIdsToHosts
{
    [Theory]
    [InlineData("spiffe://td/a", "spiffe://td/a", true)]
    [InlineData("spiffe://td/a", "spiffe://td/ab", false)]
    [InlineData("spiffe://td/a", "spiffe://td/a/b", false)]
    [InlineData("spiffe://td/a", "spiffe://td/A", false)]
    [InlineData("spiffe://td/a", "spiffe://other/a", false)]
    [InlineData("spiffe://td/a", "spiffe://td.evil/a", false)]
    [InlineData("spiffe://td/ns/+/sa/web", "spiffe://td/ns/prod/sa/web", true)]
    [InlineData("spiffe://td/ns/+/sa/web", "spiffe://td/ns/prod/x/sa/web", false)]
    [InlineData("spiffe://td/ns/+/sa/web", "spiffe://td/ns/sa/web", false)]
    [InlineData("spiffe://td/ns/+/sa/web", "spiffe://td/ns/prod/sa/webx", false)]
    [InlineData("spiffe://td/ns/prod/*", "spiffe://td/ns/prod/sa/web", true)]
    [InlineData("spiffe://td/ns/prod/*", "spiffe://td/ns/prod/x", true)]
    [InlineData("spiffe://td/ns/prod/*", "spiffe://td/ns/prod", false)]
    [InlineData("spiffe://td/ns/prod/*", "spiffe://td/ns/production/x", false)]
    [InlineData("spiffe://td/+/+", "spiffe://td/a/b", true)]
    [InlineData("spiffe://td/+/+", "spiffe://td/a", false)]
    [InlineData("spiffe://td/*", "spiffe://td", false)]
    public void Patterns_match_whole_segments_only(string pattern, string id, bool expected)
    {
        Assert.True(SpiffeIdPattern.TryParse(pattern, out var parsed));
        Assert.Equal(expected, parsed.Matches(SpiffeId.Parse(id)));
    }

    [Theory]
    [InlineData("spiffe://td")]
    [InlineData("spiffe://td/")]
    [InlineData("spiffe://td/a*")]
    [InlineData("spiffe://td/*/a")]
    [InlineData("spiffe://td/a.+")]
    [InlineData("spiffe://td/.*")]
    [InlineData("spiffe://td/a//b")]
    [InlineData("spiffe://td/../a")]
    [InlineData("spiffe://+/a")]
    [InlineData("spiffe://*/a")]
    [InlineData("spiffe://TD/a")]
    [InlineData("SPIFFE://td/a")]
    [InlineData("spiffe://td/a?b")]
    public void Invalid_patterns_are_refused(string pattern) => Assert.False(SpiffeIdPattern.TryParse(pattern, out _));

    [Fact]
    public void An_istio_id_maps_to_a_host_under_the_identity_path()
    {
        var id = SpiffeId.Parse("spiffe://cluster.local/ns/prod/sa/web");
        Assert.True(SpiffeHostIds.TryMap("apps/istio", id, includeTrustDomain: false, out var host));
        Assert.Equal("apps/istio/ns/prod/sa/web", host);
        Assert.True(SpiffeHostIds.TryMap("/apps/istio/", id, includeTrustDomain: true, out host));
        Assert.Equal("apps/istio/cluster.local/ns/prod/sa/web", host);
        Assert.True(SpiffeHostIds.TryMap("", id, includeTrustDomain: false, out host));
        Assert.Equal("ns/prod/sa/web", host);

        Assert.True(SpiffeIdPattern.TryParse("spiffe://cluster.local/ns/prod/sa/+", out var pattern));
        Assert.True(pattern.Matches(id));
    }

    [Fact]
    public void A_trust_domain_id_or_a_bad_identity_path_maps_to_no_host()
    {
        Assert.False(SpiffeHostIds.TryMap("apps", SpiffeId.Parse("spiffe://td"), false, out _));
        Assert.False(SpiffeHostIds.TryMap("apps/../admin", SpiffeId.Parse("spiffe://td/a"), false, out _));
        Assert.False(SpiffeHostIds.TryMap("apps//x", SpiffeId.Parse("spiffe://td/a"), false, out _));
        Assert.False(SpiffeHostIds.IsValidIdentityPath("a/./b"));
        Assert.True(SpiffeHostIds.IsValidIdentityPath("a/b"));
    }
}
