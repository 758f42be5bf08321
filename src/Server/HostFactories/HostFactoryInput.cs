using System.Globalization;
using Secrets.Authn.Network;

namespace Secrets.Server.HostFactories;

/// <summary>The parameter rules of spec 2.8 and 9, as pure functions (no HTTP, no storage).</summary>
internal static class HostFactoryInput
{
    /// <summary>
    /// The most tokens one request may create. Conjur has no cap (spec 9 only says count ≥ 1); one keeps a single
    /// request from writing millions of rows.
    /// </summary>
    public const int MaxCount = 1000;

    /// <summary>
    /// ISO-8601 as clients send it: RFC 3339 (Go SDK, our CLI), Ruby's <c>Time#iso8601</c> with or without fractions,
    /// minutes-only times and plain dates. A time without an offset is UTC, as Ruby's <c>DateTime.iso8601</c> reads it.
    /// </summary>
    private static readonly string[] ExpirationFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd",
    ];

    /// <summary>
    /// Parses an expiration. Stored and reported to the second (the wire form is <c>2050-12-31T00:00:00Z</c>, spec 11.13),
    /// so the fraction is dropped here and what is checked is what is stored.
    /// </summary>
    public static bool TryParseExpiration(string text, out DateTime utc)
    {
        utc = default;
        if (!DateTimeOffset.TryParseExact(
                text.Trim(),
                ExpirationFormats,
                CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                out var parsed))
        {
            return false;
        }

        var t = parsed.UtcDateTime;
        utc = new DateTime(t.Ticks - (t.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        return true;
    }

    /// <summary>The wire form of a token expiration: seconds and <c>Z</c> (Ruby's <c>Time#utc.iso8601</c>).</summary>
    public static string FormatExpiration(DateTime utc) =>
        DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>`count`: absent means 1; otherwise a whole number from 1 to <see cref="MaxCount"/>.</summary>
    public static bool TryParseCount(string? text, out int count)
    {
        if (text is null)
        {
            count = 1;
            return true;
        }

        return int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out count) && count is >= 1 and <= MaxCount;
    }

    /// <summary>
    /// Normalises `cidr[]` entries to network/prefix form (<c>10.1.2.3</c> → <c>10.1.2.3/32</c>), dropping duplicates
    /// and keeping the client's order; the first entry that is not an address or range is returned in
    /// <paramref name="invalid"/>. Parsing is <see cref="CidrRestriction.TryParse"/>, the one used for restricted_to.
    /// </summary>
    public static bool TryNormalizeCidrs(IReadOnlyList<string> entries, out IReadOnlyList<string> normalized, out string? invalid)
    {
        var result = new List<string>(entries.Count);
        foreach (var entry in entries)
        {
            if (!CidrRestriction.TryParse(entry, out var network))
            {
                normalized = [];
                invalid = entry;
                return false;
            }

            var text = network.ToString();
            if (!result.Contains(text, StringComparer.Ordinal))
            {
                result.Add(text);
            }
        }

        normalized = result;
        invalid = null;
        return true;
    }

    /// <summary>
    /// Issue 8 (medium 4): the ids a host factory may enroll. The id is not namespaced by the factory's policy (as in
    /// Conjur), so it is at least confined: no <c>:</c>, no empty, <c>.</c> or <c>..</c> segment (hence no leading
    /// or trailing <c>/</c>), and not <c>conjur</c> or under <c>conjur/</c> in any letter case (reserved for
    /// authenticators, spec 2.8 and 9). Conjur accepts all of these.
    /// </summary>
    public static bool IsAllowedHostId(string id)
    {
        if (id.Contains(':', StringComparison.Ordinal))
        {
            return false;
        }

        var segments = id.Split('/');
        if (string.Equals(segments[0], "conjur", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        foreach (var segment in segments)
        {
            if (segment is "" or "." or "..")
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Issue 8 (medium 3): annotations an enrollment may not set, because authenticators decide who may log in as a
    /// host from them: names under <c>authn*/</c> (<c>authn/api-key</c>, <c>authn-jwt/…</c>), <c>conjur/</c> and
    /// <c>kubernetes/</c>, in any letter case. Null when every name is allowed, else the first one refused.
    /// </summary>
    public static string? FirstReservedAnnotation(IReadOnlyList<KeyValuePair<string, string>> annotations)
    {
        foreach (var (name, _) in annotations)
        {
            var slash = name.IndexOf('/', StringComparison.Ordinal);
            var first = slash < 0 ? name : name[..slash];
            if (first.StartsWith("authn", StringComparison.OrdinalIgnoreCase)
                || string.Equals(first, "conjur", StringComparison.OrdinalIgnoreCase)
                || string.Equals(first, "kubernetes", StringComparison.OrdinalIgnoreCase))
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>
    /// The raw token of <c>Authorization: Token token="…"</c> (spec 2.8: not base64, unlike an access token);
    /// null when the header has another shape. Same pattern as Conjur's <c>/^Token token="(.*)"/</c>.
    /// </summary>
    public static string? TokenFromHeader(string header)
    {
        const string Prefix = "Token token=\"";
        var text = header.Trim();
        if (!text.StartsWith(Prefix, StringComparison.Ordinal) || text.Length <= Prefix.Length || text[^1] != '"')
        {
            return null;
        }

        var token = text[Prefix.Length..^1];
        return token.Length == 0 ? null : token;
    }
}
