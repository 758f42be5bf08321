using System.Globalization;
using System.Net;

namespace Secrets.Authn.Network;

/// <summary>
/// Resolves the client address used for <c>restricted_to</c>, host-factory CIDRs, the token <c>cidr</c> claim and
/// the audit <c>client@43868 ip</c> field (spec 1.3).
/// </summary>
public static class ClientAddress
{
    /// <summary>
    /// The client's address: the direct peer unless it is a trusted proxy; otherwise the rightmost
    /// <c>X-Forwarded-For</c> entry that is not a trusted proxy, walking from the right (what Rails/Rack do).
    /// </summary>
    /// <param name="peer">
    /// The connection's remote address, or null when the transport has none (a Unix domain socket or an in-process
    /// test server). Such a peer is local and is treated like loopback: a trusted hop, unless
    /// <see cref="TrustedProxies.TrustLoopback"/> is false, in which case the answer is <see cref="IPAddress.Loopback"/>.
    /// </param>
    /// <param name="forwardedFor">
    /// The <c>X-Forwarded-For</c> value, or null. Several header lines must be joined with commas in order
    /// (<c>StringValues.ToString()</c> does this). Entries may carry a port (<c>1.2.3.4:5678</c>,
    /// <c>[2001:db8::1]:443</c>).
    /// </param>
    /// <param name="trustedProxies">The trusted proxies.</param>
    /// <returns>
    /// An address, IPv4-mapped IPv6 already mapped back to IPv4. When every hop is trusted, the leftmost one (Rack:
    /// "if we trust everyone, we just return the first address"); when the peer is null and no entry is usable,
    /// <see cref="IPAddress.Loopback"/>.
    /// </returns>
    public static IPAddress Resolve(IPAddress? peer, string? forwardedFor, TrustedProxies trustedProxies)
    {
        ArgumentNullException.ThrowIfNull(trustedProxies);

        // Only a trusted hop's word about who connected to it counts. An untrusted peer's header is ignored
        // entirely: anyone can send X-Forwarded-For.
        var current = peer is null ? null : CidrRestriction.Normalize(peer);
        if (current is not null && !trustedProxies.IsTrusted(current))
        {
            return current;
        }

        if (current is null && !trustedProxies.TrustLoopback)
        {
            return IPAddress.Loopback;
        }

        // Each proxy appends the address it saw, so entries are believed from the right only while the hop that
        // wrote them is trusted; the first untrusted one is the client. Entries left of it were written by the
        // client and may be spoofed. An entry that is not an address ("unknown", garbage) ends the walk: the
        // last trusted hop is then the best address we can vouch for.
        var entries = (forwardedFor ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        for (var i = entries.Length - 1; i >= 0; i--)
        {
            if (!TryParseForwardedEntry(entries[i], out var hop))
            {
                break;
            }

            hop = CidrRestriction.Normalize(hop);
            if (!trustedProxies.IsTrusted(hop))
            {
                return hop;
            }

            current = hop;
        }

        return current ?? IPAddress.Loopback;
    }

    /// <summary>Parses <c>1.2.3.4</c>, <c>1.2.3.4:80</c>, <c>2001:db8::1</c>, <c>[2001:db8::1]</c> or <c>[2001:db8::1]:80</c>.</summary>
    internal static bool TryParseForwardedEntry(string entry, out IPAddress address)
    {
        var text = entry.AsSpan();
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0 || !IsPortSuffix(text[(close + 1)..]))
            {
                address = IPAddress.None;
                return false;
            }

            return CidrRestriction.TryParseAddress(text[1..close], out address)
                && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        }

        // Exactly one colon can only be IPv4 with a port; IPv6 without brackets has at least two.
        var colon = text.IndexOf(':');
        if (colon >= 0 && colon == text.LastIndexOf(':'))
        {
            if (!IsPortSuffix(text[colon..]))
            {
                address = IPAddress.None;
                return false;
            }

            text = text[..colon];
        }

        return CidrRestriction.TryParseAddress(text, out address);
    }

    private static bool IsPortSuffix(ReadOnlySpan<char> suffix) =>
        suffix.IsEmpty
        || (suffix.Length is > 1 and <= 6 && suffix[0] == ':'
            && ushort.TryParse(suffix[1..], NumberStyles.None, CultureInfo.InvariantCulture, out _));
}
