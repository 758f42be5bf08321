using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Secrets.Authn.Network;

/// <summary>
/// The proxies whose <c>X-Forwarded-For</c> entries are believed (spec 1.3 and 9.1): loopback (<c>127.0.0.0/8</c>,
/// <c>::1</c>, and a peer without an address) unless switched off, plus the networks configured in
/// <c>CONJUR_TRUSTED_PROXIES</c> / <c>TRUSTED_PROXIES</c>. Immutable; build once at start-up.
/// </summary>
/// <remarks>
/// Trusting loopback is Conjur's behaviour (Rack always trusts it) and suits a proxy on the same machine. It also
/// means that any process on the machine can connect to the server directly and claim any client address in
/// <c>X-Forwarded-For</c>; <see cref="TrustLoopback"/> false (<c>SECRETS_TRUST_LOOPBACK_PROXY=false</c>) closes that.
/// </remarks>
public sealed class TrustedProxies
{
    private readonly IPNetwork[] _networks;

    /// <summary>Trusts the given networks, and loopback unless <paramref name="trustLoopback"/> is false.</summary>
    public TrustedProxies(IEnumerable<IPNetwork> networks, bool trustLoopback = true)
    {
        ArgumentNullException.ThrowIfNull(networks);
        _networks = [.. networks];
        TrustLoopback = trustLoopback;
    }

    /// <summary>Trusts loopback only: the default when no trusted proxies are configured.</summary>
    public static TrustedProxies LoopbackOnly { get; } = new([]);

    /// <summary>Trusts no proxy at all: <c>X-Forwarded-For</c> is never believed.</summary>
    public static TrustedProxies None { get; } = new([], trustLoopback: false);

    /// <summary>The configured networks (loopback, trusted unless <see cref="TrustLoopback"/> is false, is not listed).</summary>
    public IReadOnlyList<IPNetwork> Networks => _networks;

    /// <summary>Whether a loopback peer (or one without an address) is a trusted proxy.</summary>
    public bool TrustLoopback { get; }

    /// <summary>
    /// Parses the comma-separated <c>TRUSTED_PROXIES</c> value (CIDRs or single addresses; blanks ignored; null or
    /// empty means loopback only). On failure <paramref name="error"/> is Conjur's <c>CONJ00065E</c> message naming
    /// the first bad entry, for a start-up validation failure.
    /// </summary>
    public static bool TryParse(
        string? commaSeparated,
        [NotNullWhen(true)] out TrustedProxies? proxies,
        [NotNullWhen(false)] out string? error)
    {
        var networks = new List<IPNetwork>();
        foreach (var entry in (commaSeparated ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!CidrRestriction.TryParse(entry, out var network))
            {
                proxies = null;
                error = "CONJ00065E Invalid IP address or CIDR address range in TRUSTED_PROXIES: " + entry;
                return false;
            }

            networks.Add(network);
        }

        proxies = new TrustedProxies(networks);
        error = null;
        return true;
    }

    /// <summary>Whether a hop at <paramref name="address"/> is a trusted proxy.</summary>
    public bool IsTrusted(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var normalized = CidrRestriction.Normalize(address);
        // Without the loopback default, only the configured networks count (a listed 127.0.0.1 still does).
        if (TrustLoopback && IPAddress.IsLoopback(normalized))
        {
            return true;
        }

        foreach (var network in _networks)
        {
            if (CidrRestriction.Contains(network, normalized))
            {
                return true;
            }
        }

        return false;
    }
}
