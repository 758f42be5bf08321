using System.Net;
using Secrets.Authn.Network;

namespace Secrets.Authn.Tests.Network;

public sealed class ResolvingTheClientAddress
{
    private static readonly TrustedProxies Proxies = Parse("10.0.0.0/8, 2001:db8:ffff::/48");

    [Theory]
    // An untrusted peer is the client, whatever it claims.
    [InlineData("203.0.113.7", null, "203.0.113.7")]
    [InlineData("203.0.113.7", "1.2.3.4", "203.0.113.7")]
    [InlineData("203.0.113.7", "127.0.0.1", "203.0.113.7")]
    [InlineData("203.0.113.7", "10.0.0.1", "203.0.113.7")]
    // A trusted peer without the header is the client.
    [InlineData("10.0.0.1", null, "10.0.0.1")]
    [InlineData("127.0.0.1", "", "127.0.0.1")]
    // A trusted peer's header is read from the right.
    [InlineData("10.0.0.1", "198.51.100.9", "198.51.100.9")]
    [InlineData("127.0.0.1", "198.51.100.9", "198.51.100.9")]
    [InlineData("::1", "198.51.100.9", "198.51.100.9")]
    [InlineData("10.0.0.1", "198.51.100.9, 10.0.0.2, 10.0.0.3", "198.51.100.9")]
    [InlineData("10.0.0.1", "198.51.100.9,10.0.0.2", "198.51.100.9")]
    // Spoofed leftmost entries (written by the client) are ignored: the first untrusted entry from the right wins.
    [InlineData("10.0.0.1", "1.1.1.1, 2.2.2.2, 198.51.100.9", "198.51.100.9")]
    [InlineData("10.0.0.1", "127.0.0.1, 198.51.100.9, 10.0.0.2", "198.51.100.9")]
    [InlineData("10.0.0.1", "10.9.9.9, 198.51.100.9", "198.51.100.9")]
    // Every hop trusted: the leftmost one (Rack's behaviour).
    [InlineData("10.0.0.1", "10.0.0.5, 10.0.0.2", "10.0.0.5")]
    // Entries with ports and brackets.
    [InlineData("10.0.0.1", "198.51.100.9:51234", "198.51.100.9")]
    [InlineData("10.0.0.1", "[2001:db8::7]:443", "2001:db8::7")]
    [InlineData("10.0.0.1", "[2001:db8::7]", "2001:db8::7")]
    [InlineData("10.0.0.1", "2001:db8::7", "2001:db8::7")]
    [InlineData("10.0.0.1", "2001:db8::7, 2001:db8:ffff::1", "2001:db8::7")]
    // Garbage ends the walk at the last trusted hop rather than returning something no one vouched for.
    [InlineData("10.0.0.1", "198.51.100.9, unknown", "10.0.0.1")]
    [InlineData("10.0.0.1", "198.51.100.9, unknown, 10.0.0.2", "10.0.0.2")]
    [InlineData("10.0.0.1", "1.2.3", "10.0.0.1")]
    [InlineData("10.0.0.1", "010.1.2.3", "10.0.0.1")]
    [InlineData("10.0.0.1", "1.2.3.4:99999", "10.0.0.1")]
    // Several header lines joined with commas, blanks skipped.
    [InlineData("10.0.0.1", "1.1.1.1,, 198.51.100.9 ,", "198.51.100.9")]
    public void The_client_is_the_rightmost_untrusted_hop(string peer, string? forwardedFor, string expected)
    {
        Assert.Equal(IPAddress.Parse(expected), ClientAddress.Resolve(IPAddress.Parse(peer), forwardedFor, Proxies));
    }

    [Fact]
    public void An_ipv4_mapped_peer_is_reported_and_trusted_as_ipv4()
    {
        Assert.Equal(IPAddress.Parse("203.0.113.7"), ClientAddress.Resolve(IPAddress.Parse("::ffff:203.0.113.7"), "1.2.3.4", Proxies));
        Assert.Equal(IPAddress.Parse("198.51.100.9"), ClientAddress.Resolve(IPAddress.Parse("::ffff:127.0.0.1"), "198.51.100.9", Proxies));
        Assert.Equal(IPAddress.Parse("198.51.100.9"), ClientAddress.Resolve(IPAddress.Parse("::ffff:10.1.1.1"), "::ffff:198.51.100.9", Proxies));
    }

    [Fact]
    public void A_peer_without_an_address_is_a_local_trusted_hop()
    {
        Assert.Equal(IPAddress.Parse("198.51.100.9"), ClientAddress.Resolve(null, "198.51.100.9", Proxies));
        Assert.Equal(IPAddress.Loopback, ClientAddress.Resolve(null, null, Proxies));
        Assert.Equal(IPAddress.Loopback, ClientAddress.Resolve(null, "garbage", Proxies));
    }

    [Fact]
    public void With_loopback_only_a_private_proxy_is_not_trusted()
    {
        Assert.Equal(
            IPAddress.Parse("10.0.0.1"),
            ClientAddress.Resolve(IPAddress.Parse("10.0.0.1"), "198.51.100.9", TrustedProxies.LoopbackOnly));
        Assert.Equal(
            IPAddress.Parse("10.0.0.1"),
            ClientAddress.Resolve(IPAddress.Parse("127.0.0.1"), "198.51.100.9, 10.0.0.1", TrustedProxies.LoopbackOnly));
    }

    [Theory]
    [InlineData(null, 0)]
    [InlineData("", 0)]
    [InlineData("10.0.0.0/8", 1)]
    [InlineData(" 10.0.0.0/8 , 192.168.1.10 ,, 2001:db8::/32 ", 3)]
    public void Trusted_proxies_parse_from_a_comma_list(string? value, int count)
    {
        Assert.True(TrustedProxies.TryParse(value, out var proxies, out var error));
        Assert.Null(error);
        Assert.Equal(count, proxies.Networks.Count);
        Assert.True(proxies.IsTrusted(IPAddress.Loopback));
        Assert.True(proxies.IsTrusted(IPAddress.Parse("127.1.2.3")));
        Assert.True(proxies.IsTrusted(IPAddress.IPv6Loopback));
    }

    [Theory]
    [InlineData("10.0.0.0/8,nonsense", "nonsense")]
    [InlineData("10.0.0.1/8", "10.0.0.1/8")]
    [InlineData("10.0.0.0/33", "10.0.0.0/33")]
    public void A_bad_trusted_proxy_entry_is_reported_with_conj00065e(string value, string culprit)
    {
        Assert.False(TrustedProxies.TryParse(value, out var proxies, out var error));
        Assert.Null(proxies);
        Assert.Equal("CONJ00065E Invalid IP address or CIDR address range in TRUSTED_PROXIES: " + culprit, error);
    }

    private static TrustedProxies Parse(string value)
    {
        Assert.True(TrustedProxies.TryParse(value, out var proxies, out _));
        return proxies;
    }
}
