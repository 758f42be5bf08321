using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Secrets.Policy.Language;

/// <summary>
/// <c>restricted_to</c> values: IPv4 addresses or CIDR ranges, stored normalised (<c>10.0.0.1</c> →
/// <c>10.0.0.1/32</c>) so that POST can take the union with stored values (spec 4.2, 4.6).
/// </summary>
internal static class Cidr
{
    /// <summary>Validates and normalises one value; throws a structural error with Conjur's message otherwise.</summary>
    public static string Normalize(string value, YNode at)
    {
        if (TryNormalize(value, out var normalized, out var error))
        {
            return normalized;
        }

        throw new PolicyErrorException(PolicyError.Structural(error, at.Line, at.Column));
    }

    /// <summary>Validates and normalises one value.</summary>
    public static bool TryNormalize(string value, out string normalized, out string error)
    {
        normalized = string.Empty;
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? value : value[..slash];
        var prefixText = slash < 0 ? null : value[(slash + 1)..];

        if (!TryParseIpv4(addressText, out var address))
        {
            // IPv6 is a valid address but not accepted (Conjur checks cidr.ipv4?).
            error = IPAddress.TryParse(addressText, out var other) && other.AddressFamily == AddressFamily.InterNetworkV6
                ? PolicyMessages.CidrNotIpv4(value)
                : PolicyMessages.InvalidCidr(value);
            return false;
        }

        var prefix = 32;
        if (prefixText is not null
            && (prefixText.Length is 0 or > 2
                || !prefixText.All(char.IsAsciiDigit)
                || !int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out prefix)
                || prefix > 32))
        {
            error = PolicyMessages.InvalidCidr(value);
            return false;
        }

        var network = new IPNetwork(Mask(address, prefix), prefix);
        if (!network.BaseAddress.Equals(address))
        {
            error = PolicyMessages.CidrHostBits(value, network.ToString());
            return false;
        }

        normalized = network.ToString();
        error = string.Empty;
        return true;
    }

    /// <summary>Strict dotted quad: IPAddress.TryParse would also accept "10.1" or "10".</summary>
    private static bool TryParseIpv4(string text, out IPAddress address)
    {
        address = IPAddress.None;
        var parts = text.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            var part = parts[i];
            if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit) || (part.Length > 1 && part[0] == '0')
                || !byte.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out bytes[i]))
            {
                return false;
            }
        }

        address = new IPAddress(bytes);
        return true;
    }

    private static IPAddress Mask(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < 4; i++)
        {
            var bits = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bits));
        }

        return new IPAddress(bytes);
    }
}
