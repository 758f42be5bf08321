using System.Net;
using Secrets.Authn.Network;

namespace Secrets.Authn.Tests.Network;

/// <summary>
/// Issue 8: with the loopback default switched off (SECRETS_TRUST_LOOPBACK_PROXY=false), a process on the same
/// machine can no longer claim a client address through X-Forwarded-For; only configured networks are proxies.
/// </summary>
public sealed class TrustingNoProxy
{
    [Theory]
    [InlineData("127.0.0.1", "10.1.2.3", "127.0.0.1")]
    [InlineData("::1", "10.1.2.3", "::1")]
    [InlineData("::ffff:127.0.0.1", "10.1.2.3", "127.0.0.1")]
    [InlineData("127.0.0.5", "10.1.2.3, 10.1.2.4", "127.0.0.5")]
    [InlineData("192.0.2.1", "10.1.2.3", "192.0.2.1")]
    public void No_peer_is_a_proxy_when_nothing_is_trusted(string peer, string forwardedFor, string expected)
    {
        Assert.Equal(IPAddress.Parse(expected), ClientAddress.Resolve(IPAddress.Parse(peer), forwardedFor, TrustedProxies.None));
    }

    [Fact]
    public void A_peer_without_an_address_is_not_trusted_either()
    {
        Assert.Equal(IPAddress.Loopback, ClientAddress.Resolve(null, "10.1.2.3", TrustedProxies.None));
        Assert.Equal(IPAddress.Parse("10.1.2.3"), ClientAddress.Resolve(null, "10.1.2.3", TrustedProxies.LoopbackOnly));
    }

    [Fact]
    public void Configured_networks_stay_trusted_without_loopback()
    {
        var proxies = new TrustedProxies([IPNetwork.Parse("192.0.2.0/24")], trustLoopback: false);

        Assert.Equal(IPAddress.Parse("10.1.2.3"), ClientAddress.Resolve(IPAddress.Parse("192.0.2.1"), "10.1.2.3", proxies));
        Assert.Equal(IPAddress.Parse("127.0.0.1"), ClientAddress.Resolve(IPAddress.Parse("127.0.0.1"), "10.1.2.3", proxies));
        // A loopback hop inside the chain is no longer skipped as a proxy: it is the client the proxy saw.
        Assert.Equal(IPAddress.Parse("127.0.0.1"), ClientAddress.Resolve(IPAddress.Parse("192.0.2.1"), "10.1.2.3, 127.0.0.1", proxies));
        Assert.False(proxies.IsTrusted(IPAddress.Loopback));
        Assert.True(proxies.IsTrusted(IPAddress.Parse("192.0.2.77")));
    }

    [Fact]
    public void Loopback_listed_explicitly_is_trusted_even_without_the_default()
    {
        var proxies = new TrustedProxies([IPNetwork.Parse("127.0.0.1/32")], trustLoopback: false);

        Assert.True(proxies.IsTrusted(IPAddress.Loopback));
        Assert.False(proxies.IsTrusted(IPAddress.IPv6Loopback));
    }
}
