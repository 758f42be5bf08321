using System.Diagnostics.CodeAnalysis;

namespace Secrets.Authn.Spiffe;

/// <summary>Why a text is not a SPIFFE ID (the go-spiffe error cases, SPIFFE-ID.md §2).</summary>
public enum SpiffeIdError
{
    /// <summary>A valid ID.</summary>
    None = 0,

    /// <summary>Null or empty.</summary>
    Empty,

    /// <summary>Longer than <see cref="SpiffeId.MaxLength"/> bytes.</summary>
    TooLong,

    /// <summary>Does not start with exactly <c>spiffe://</c> (lower case).</summary>
    Scheme,

    /// <summary>Nothing between <c>spiffe://</c> and the path.</summary>
    TrustDomainMissing,

    /// <summary>A trust domain character outside <c>a–z 0–9 . - _</c>: upper case, a port, userinfo, percent-encoding,
    /// a query or fragment right after the trust domain.</summary>
    TrustDomainCharacters,

    /// <summary>A trust domain longer than <see cref="SpiffeId.MaxTrustDomainLength"/> bytes.</summary>
    TrustDomainTooLong,

    /// <summary>A path character outside <c>A–Z a–z 0–9 . - _</c> (so also <c>%</c>, <c>?</c>, <c>#</c>).</summary>
    PathCharacters,

    /// <summary>An empty segment (<c>//</c>).</summary>
    EmptySegment,

    /// <summary>A <c>.</c> or <c>..</c> segment.</summary>
    DotSegment,

    /// <summary>A trailing <c>/</c>.</summary>
    TrailingSlash,
}

/// <summary>
/// A SPIFFE ID, <c>spiffe://&lt;trust-domain&gt;[/&lt;path&gt;]</c>, read by a strict hand-written parser
/// (SPIFFE-ID.md §2, workload-identity.md 3.1) and never by <see cref="Uri"/>, which lower-cases, removes dot
/// segments and accepts ports and userinfo. The text is canonical: two IDs are equal exactly when their texts are
/// equal (ordinal), and the path is case-sensitive.
/// </summary>
public sealed class SpiffeId : IEquatable<SpiffeId>
{
    /// <summary>The longest ID accepted, in bytes (SPIFFE-ID.md §2.3: implementations MUST support 2048).</summary>
    public const int MaxLength = 2048;

    /// <summary>The longest trust domain accepted, in bytes (SPIFFE-ID.md §2.1).</summary>
    public const int MaxTrustDomainLength = 255;

    /// <summary>The only accepted prefix: go-spiffe also refuses <c>SPIFFE://</c>.</summary>
    public const string Prefix = "spiffe://";

    private readonly string _text;

    private SpiffeId(string text, string trustDomain, string path, string[] segments)
    {
        _text = text;
        TrustDomain = trustDomain;
        Path = path;
        Segments = segments;
    }

    /// <summary>The trust domain (lower case, no scheme).</summary>
    public string TrustDomain { get; }

    /// <summary>The path with its leading <c>/</c>, or empty for the trust domain's own ID.</summary>
    public string Path { get; }

    /// <summary>The path segments (none for <c>spiffe://td</c>).</summary>
    public IReadOnlyList<string> Segments { get; }

    /// <summary>False for <c>spiffe://td</c>, which names a trust domain and never a workload.</summary>
    public bool HasPath => Path.Length > 0;

    /// <summary>Parses <paramref name="text"/>; never throws.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out SpiffeId? id, out SpiffeIdError error)
    {
        id = null;
        error = Check(text, out var tdEnd);
        if (error != SpiffeIdError.None)
        {
            return false;
        }

        var trustDomain = text![Prefix.Length..tdEnd];
        var path = text[tdEnd..];
        var segments = path.Length == 0 ? [] : path[1..].Split('/');
        id = new SpiffeId(text, trustDomain, path, segments);
        return true;
    }

    /// <summary>Parses <paramref name="text"/>; null when it is not a valid SPIFFE ID.</summary>
    public static SpiffeId? TryParse(string? text) => TryParse(text, out var id, out _) ? id : null;

    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">Not a valid SPIFFE ID (the message names the rule, never the text).</exception>
    public static SpiffeId Parse(string text) =>
        TryParse(text, out var id, out var error) ? id : throw new FormatException($"Invalid SPIFFE ID: {error}.");

    /// <summary>True for a valid trust domain name: 1–255 characters of <c>a–z 0–9 . - _</c>.</summary>
    public static bool IsValidTrustDomain([NotNullWhen(true)] string? trustDomain) =>
        trustDomain is { Length: > 0 and <= MaxTrustDomainLength } && trustDomain.All(IsTrustDomainChar);

    /// <summary>True for a valid path segment: non-empty, not <c>.</c> or <c>..</c>, only <c>A–Z a–z 0–9 . - _</c>.</summary>
    public static bool IsValidSegment([NotNullWhen(true)] string? segment) =>
        segment is { Length: > 0 } && segment != "." && segment != ".." && segment.All(IsPathChar);

    /// <inheritdoc />
    public override string ToString() => _text;

    /// <inheritdoc />
    public bool Equals(SpiffeId? other) => other is not null && string.Equals(_text, other._text, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as SpiffeId);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_text);

    private static SpiffeIdError Check(string? text, out int trustDomainEnd)
    {
        trustDomainEnd = 0;
        if (string.IsNullOrEmpty(text))
        {
            return SpiffeIdError.Empty;
        }

        // Every valid character is ASCII, so characters and bytes agree for any text that passes the charset checks;
        // a longer text is refused before it is scanned.
        if (text.Length > MaxLength)
        {
            return SpiffeIdError.TooLong;
        }

        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return SpiffeIdError.Scheme;
        }

        var slash = text.IndexOf('/', Prefix.Length);
        trustDomainEnd = slash < 0 ? text.Length : slash;
        var trustDomainLength = trustDomainEnd - Prefix.Length;
        if (trustDomainLength == 0)
        {
            return SpiffeIdError.TrustDomainMissing;
        }

        for (var i = Prefix.Length; i < trustDomainEnd; i++)
        {
            // ':' (port), '@' (userinfo), '%' (percent-encoding), '?', '#', '[' (IPv6) and upper case all land here.
            if (!IsTrustDomainChar(text[i]))
            {
                return SpiffeIdError.TrustDomainCharacters;
            }
        }

        if (trustDomainLength > MaxTrustDomainLength)
        {
            return SpiffeIdError.TrustDomainTooLong;
        }

        if (slash < 0)
        {
            return SpiffeIdError.None;
        }

        // The path: "/seg(/seg)*", segments of [A-Za-z0-9._-], none empty, none "." or "..".
        var segmentStart = slash + 1;
        for (var i = segmentStart; i <= text.Length; i++)
        {
            if (i < text.Length && text[i] != '/')
            {
                if (!IsPathChar(text[i]))
                {
                    return SpiffeIdError.PathCharacters;
                }

                continue;
            }

            var length = i - segmentStart;
            if (length == 0)
            {
                return i == text.Length ? SpiffeIdError.TrailingSlash : SpiffeIdError.EmptySegment;
            }

            if ((length == 1 && text[segmentStart] == '.') || (length == 2 && text[segmentStart] == '.' && text[segmentStart + 1] == '.'))
            {
                return SpiffeIdError.DotSegment;
            }

            segmentStart = i + 1;
        }

        return SpiffeIdError.None;
    }

    private static bool IsTrustDomainChar(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-' or '_';

    private static bool IsPathChar(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '-' or '_';
}
