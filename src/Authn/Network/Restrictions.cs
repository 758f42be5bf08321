using System.Net;

namespace Secrets.Authn.Network;

/// <summary>restricted_to enforcement at authentication (spec 4.2).</summary>
public static class Restrictions
{
    /// <summary>The networks of a stored <c>restricted_to</c> value (comma-separated CIDRs; empty means unrestricted).</summary>
    public static IReadOnlyList<string> Parse(string stored) =>
        stored.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Whether <paramref name="client"/> may authenticate under the stored <c>restricted_to</c> value.</summary>
    public static bool Allows(string stored, IPAddress? client)
    {
        var cidrs = Parse(stored);
        return cidrs.Count == 0 || (client is not null && CidrRestriction.IsAllowed(client, cidrs));
    }
}
