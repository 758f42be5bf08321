using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Secrets.Authn.Network;

/// <summary>
/// Address ranges for <c>restricted_to</c> (spec 2.1 and 7.1), host-factory token CIDRs and the token <c>cidr</c>
/// claim (spec 1.2).
/// </summary>
public static class CidrRestriction
{
    /// <summary>
    /// Whether <paramref name="address"/> may use a credential restricted to <paramref name="cidrs"/>. An empty
    /// list means no restriction. An entry that does not parse never matches (default deny). IPv4-mapped IPv6
    /// addresses (<c>::ffff:10.0.0.5</c>, what a dual-mode socket reports for an IPv4 peer) match IPv4 ranges.
    /// </summary>
    public static bool IsAllowed(IPAddress address, IReadOnlyList<string> cidrs)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(cidrs);
        if (cidrs.Count == 0)
        {
            return true;
        }

        var normalized = Normalize(address);
        foreach (var cidr in cidrs)
        {
            if (TryParse(cidr, out var network) && Contains(network, normalized))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Parses a CIDR (<c>10.0.0.0/8</c>, <c>2001:db8::/32</c>) or a single address (<c>10.0.0.5</c>, read as
    /// <c>/32</c> or <c>/128</c>, as Conjur's <c>IPAddr</c> does). Surrounding whitespace is ignored. A range with
    /// bits set after the prefix (<c>10.0.0.1/8</c>) is rejected, as PostgreSQL's <c>cidr</c> type rejects it.
    /// IPv4 must be a dotted quad: the shorthand forms <c>IPAddress</c> also accepts (<c>10.1</c>, <c>0x0a.0.0.1</c>)
    /// are refused so that what is stored is what was meant.
    /// </summary>
    public static bool TryParse(string? text, out IPNetwork network)
    {
        network = default;
        var span = text.AsSpan().Trim();
        if (span.IsEmpty)
        {
            return false;
        }

        var slash = span.IndexOf('/');
        var addressPart = slash < 0 ? span : span[..slash];
        if (!TryParseAddress(addressPart, out var address)
            || (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0))
        {
            return false;
        }

        var maxPrefix = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var prefix = maxPrefix;
        if (slash >= 0)
        {
            var prefixPart = span[(slash + 1)..];
            if (prefixPart.IsEmpty || prefixPart.Length > 3 || prefixPart.ContainsAnyExceptInRange('0', '9')
                || !int.TryParse(prefixPart, NumberStyles.None, CultureInfo.InvariantCulture, out prefix)
                || prefix > maxPrefix)
            {
                return false;
            }
        }

        if (HasHostBits(address, prefix))
        {
            return false;
        }

        network = new IPNetwork(address, prefix);
        return true;
    }

    /// <summary>
    /// Parses one address strictly: IPv4 only as a plain dotted quad without leading zeros (which
    /// <see cref="IPAddress.TryParse(string?, out IPAddress?)"/> would read as octal), IPv6 in any standard form
    /// (a zone such as <c>%eth0</c> is kept in <see cref="IPAddress.ScopeId"/>).
    /// </summary>
    internal static bool TryParseAddress(ReadOnlySpan<char> text, out IPAddress address)
    {
        address = IPAddress.None;
        if (text.Contains(':'))
        {
            if (!IPAddress.TryParse(text, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }

            address = v6;
            return true;
        }

        Span<byte> octets = stackalloc byte[4];
        var index = 0;
        foreach (var range in text.Split('.'))
        {
            var part = text[range];
            if (index == 4 || part.IsEmpty || part.Length > 3 || part.ContainsAnyExceptInRange('0', '9')
                || (part.Length > 1 && part[0] == '0'))
            {
                return false;
            }

            var value = int.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture);
            if (value > 255)
            {
                return false;
            }

            octets[index++] = (byte)value;
        }

        if (index != 4)
        {
            return false;
        }

        address = new IPAddress(octets);
        return true;
    }

    private static bool HasHostBits(IPAddress address, int prefix)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var length);
        for (var bit = prefix; bit < length * 8; bit++)
        {
            if ((bytes[bit / 8] & (0x80 >> (bit % 8))) != 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Maps an IPv4-mapped IPv6 address to plain IPv4; other addresses are returned unchanged.</summary>
    internal static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>
    /// <see cref="IPNetwork.Contains"/> for an already normalised address, also matching a range written in
    /// IPv4-mapped form (<c>::ffff:10.0.0.0/104</c>) against a plain IPv4 address. Otherwise families do not mix:
    /// <c>::/0</c> does not contain <c>10.1.2.3</c>, as with Ruby's <c>IPAddr#include?</c>.
    /// </summary>
    internal static bool Contains(IPNetwork network, IPAddress normalizedAddress) =>
        network.Contains(normalizedAddress)
        || (normalizedAddress.AddressFamily == AddressFamily.InterNetwork
            && network.BaseAddress.IsIPv4MappedToIPv6
            && network.Contains(normalizedAddress.MapToIPv6()));
}
