using System.Diagnostics.CodeAnalysis;

namespace Secrets.Authn.Spiffe;

/// <summary>
/// A host's <c>authn-spiffe/&lt;service-id&gt;/spiffe-id</c> annotation: an exact SPIFFE ID, or a segment-aware
/// pattern in the style of Vault's <c>workload_id_patterns</c>. A path segment <c>+</c> matches exactly one segment;
/// a last segment <c>*</c> matches one or more remaining segments. Nothing else is special: there is no regex, no
/// partial-segment glob (<c>a*</c> is invalid) and no prefix match, so <c>spiffe://td/a</c> never matches
/// <c>spiffe://td/ab</c>, and <c>spiffe://td/a/*</c> does not match <c>spiffe://td/a</c> itself. The trust domain is
/// always literal.
/// </summary>
public sealed class SpiffeIdPattern
{
    private readonly string[] _segments;

    private SpiffeIdPattern(string text, string trustDomain, string[] segments)
    {
        Text = text;
        TrustDomain = trustDomain;
        _segments = segments;
    }

    /// <summary>The pattern as written.</summary>
    public string Text { get; }

    /// <summary>The (literal) trust domain the pattern is in.</summary>
    public string TrustDomain { get; }

    /// <summary>True when the pattern has no <c>+</c> or <c>*</c>, i.e. names one ID.</summary>
    public bool IsExact => !_segments.Any(s => s is "+" or "*");

    /// <summary>
    /// Reads a pattern. Outside the wildcard segments it follows the SPIFFE ID rules exactly; it must have a path (a
    /// trust domain alone names no workload) and <c>*</c> may only be the last segment.
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out SpiffeIdPattern? pattern)
    {
        pattern = null;
        if (text is null || text.Length > SpiffeId.MaxLength || !text.StartsWith(SpiffeId.Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var slash = text.IndexOf('/', SpiffeId.Prefix.Length);
        if (slash < 0)
        {
            return false;
        }

        var trustDomain = text[SpiffeId.Prefix.Length..slash];
        if (!SpiffeId.IsValidTrustDomain(trustDomain))
        {
            return false;
        }

        var segments = text[(slash + 1)..].Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var valid = segment switch
            {
                "+" => true,
                "*" => i == segments.Length - 1,
                _ => SpiffeId.IsValidSegment(segment),
            };
            if (!valid)
            {
                return false;
            }
        }

        pattern = new SpiffeIdPattern(text, trustDomain, segments);
        return true;
    }

    /// <summary>Whether <paramref name="id"/> matches: same trust domain, then segment by segment (ordinal).</summary>
    public bool Matches(SpiffeId id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!string.Equals(id.TrustDomain, TrustDomain, StringComparison.Ordinal))
        {
            return false;
        }

        var actual = id.Segments;
        for (var i = 0; i < _segments.Length; i++)
        {
            var expected = _segments[i];
            if (expected == "*")
            {
                // The rest: at least one more segment.
                return actual.Count > i;
            }

            if (i >= actual.Count || (expected != "+" && !string.Equals(expected, actual[i], StringComparison.Ordinal)))
            {
                return false;
            }
        }

        return actual.Count == _segments.Length;
    }

    /// <inheritdoc />
    public override string ToString() => Text;
}
