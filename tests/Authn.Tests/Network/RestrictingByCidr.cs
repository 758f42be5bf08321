using System.Net;
using Secrets.Authn.Network;

namespace Secrets.Authn.Tests.Network;

public sealed class RestrictingByCidr
{
    [Theory]
    [InlineData("10.1.2.3", "10.0.0.0/8", true)]
    [InlineData("11.1.2.3", "10.0.0.0/8", false)]
    [InlineData("10.0.0.5", "10.0.0.5", true)] // a bare address is a /32
    [InlineData("10.0.0.6", "10.0.0.5", false)]
    [InlineData("10.0.0.5", "10.0.0.5/32", true)]
    [InlineData("192.168.1.77", "192.168.1.64/26", true)]
    [InlineData("192.168.1.128", "192.168.1.64/26", false)]
    [InlineData("1.2.3.4", "0.0.0.0/0", true)]
    [InlineData("2001:db8::1", "2001:db8::/32", true)]
    [InlineData("2001:db9::1", "2001:db8::/32", false)]
    [InlineData("2001:db8::1", "2001:db8::1", true)]
    [InlineData("2001:db8::1", "::/0", true)]
    [InlineData("10.1.2.3", "::/0", false)] // families do not mix
    [InlineData("2001:db8::1", "0.0.0.0/0", false)]
    // IPv4-mapped IPv6 client addresses (dual-mode sockets) match IPv4 ranges, and mapped ranges match IPv4.
    [InlineData("::ffff:10.1.2.3", "10.0.0.0/8", true)]
    [InlineData("::ffff:11.1.2.3", "10.0.0.0/8", false)]
    [InlineData("10.1.2.3", "::ffff:10.0.0.0/104", true)]
    [InlineData("::ffff:10.1.2.3", "::ffff:10.0.0.0/104", true)]
    // Unparseable entries never match.
    [InlineData("10.1.2.3", "10.0.0.1/8", false)]
    [InlineData("10.1.2.3", "nonsense", false)]
    [InlineData("10.1.2.3", "10.1/16", false)]
    [InlineData("10.1.2.3", "", false)]
    public void An_address_is_allowed_when_inside_the_range(string address, string cidr, bool allowed)
    {
        Assert.Equal(allowed, CidrRestriction.IsAllowed(IPAddress.Parse(address), [cidr]));
    }

    [Fact]
    public void No_restriction_allows_everyone()
    {
        Assert.True(CidrRestriction.IsAllowed(IPAddress.Parse("203.0.113.7"), []));
        Assert.True(CidrRestriction.IsAllowed(IPAddress.IPv6Loopback, []));
    }

    [Fact]
    public void Any_matching_entry_allows()
    {
        IReadOnlyList<string> cidrs = ["nonsense", "10.0.0.0/8", "2001:db8::/32"];

        Assert.True(CidrRestriction.IsAllowed(IPAddress.Parse("10.9.9.9"), cidrs));
        Assert.True(CidrRestriction.IsAllowed(IPAddress.Parse("2001:db8::9"), cidrs));
        Assert.False(CidrRestriction.IsAllowed(IPAddress.Parse("192.0.2.1"), cidrs));
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData(" 10.0.0.5 ", "10.0.0.5/32")]
    [InlineData("2001:db8::/32", "2001:db8::/32")]
    [InlineData("2001:db8::1", "2001:db8::1/128")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    public void Ranges_parse_to_networks(string text, string expected)
    {
        Assert.True(CidrRestriction.TryParse(text, out var network));
        Assert.Equal(expected, network.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("10.0.0.0/+8")]
    [InlineData("10.0.0.0/8/8")]
    [InlineData("10.0.0.1/8")]
    [InlineData("2001:db8::1/32")]
    [InlineData("2001:db8::/129")]
    [InlineData("10.1")]
    [InlineData("010.0.0.1")]
    [InlineData("0x0a.0.0.1")]
    [InlineData("256.0.0.1")]
    [InlineData("10.0.0.0.0")]
    [InlineData("fe80::1%eth0")]
    [InlineData("example.com")]
    public void Anything_else_does_not_parse(string? text)
    {
        Assert.False(CidrRestriction.TryParse(text, out _));
    }
}
