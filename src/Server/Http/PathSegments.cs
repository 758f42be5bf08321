using Microsoft.AspNetCore.Http.Features;
using Secrets.Policy.Language;

namespace Secrets.Server.Http;

/// <summary>
/// Conjur matches routes against the still-encoded path and percent-decodes each captured segment (spec 1.1):
/// `host%2Fapp` is one segment whose value is `host/app`, and `+` stays `+`. ASP.NET Core decodes the path except
/// `%2F`, so a route value could be decoded twice or not at all; handlers read segments from the raw target instead.
/// </summary>
internal static class PathSegments
{
    /// <summary>The decoded segments of the raw request path (query string excluded); null when a segment does not decode.</summary>
    public static string[]? Decoded(HttpContext ctx)
    {
        var raw = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw) || raw[0] != '/')
        {
            raw = ctx.Request.PathBase.Add(ctx.Request.Path).ToUriComponent();
        }

        var q = raw.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            raw = raw[..q];
        }

        var parts = raw.Split('/', StringSplitOptions.None)[1..];
        var result = new string[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!TryDecode(parts[i], out result[i]))
            {
                return null;
            }
        }

        return result;
    }

    /// <summary>
    /// Issue 8 (medium 6): true when a segment of the path, raw or once decoded (<c>a%2F..%2Fb</c> is one segment whose
    /// value is <c>a/../b</c>), is <c>.</c> or <c>..</c>. No route has such a literal segment, so it can only be part
    /// of an id, and ids may not have them (they would escape their namespace, as <c>dev/../prod</c> does). Dots inside
    /// a segment (<c>db.password</c>, <c>app.example.com</c>, <c>..x</c>) are ordinary characters.
    /// </summary>
    public static bool HasDotSegment(HttpContext ctx)
    {
        // Every request passes here: without a '.' raw or encoded there is nothing to decode.
        var raw = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? ctx.Request.Path.Value ?? "";
        if (!raw.Contains('.', StringComparison.Ordinal) && !raw.Contains("%2e", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var segments = Decoded(ctx);
        if (segments is null)
        {
            return false; // not decodable at all: the handler answers as it does for any such path
        }

        foreach (var segment in segments)
        {
            if (segment.Contains('.', StringComparison.Ordinal) && PolicyResolver.HasDotSegment(segment))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The query parameters whose values are ids (full <c>acct:kind:id</c>, <c>kind:id</c> or bare), spec 2.4-2.7.</summary>
    private static readonly string[] IdParameters = ["variable_ids", "role", "member", "acting_as", "filter", "filter[]"];

    /// <summary>
    /// Issue 8 (medium 6) for ids in the query: the first id parameter (<see cref="IdParameters"/>) one of whose ids
    /// has a <c>.</c> or <c>..</c> segment, or null. <c>variable_ids</c> is a comma-separated list.
    /// </summary>
    public static string? QueryIdWithDotSegment(HttpContext ctx)
    {
        var raw = ctx.Request.QueryString.Value;
        if (raw is null || (!raw.Contains('.', StringComparison.Ordinal) && !raw.Contains("%2e", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        foreach (var name in IdParameters)
        {
            foreach (var value in ctx.Request.Query[name])
            {
                if (value is null)
                {
                    continue;
                }

                var ids = name == "variable_ids" ? value.Split(',') : [value];
                if (ids.Any(id => HoldsDotSegmentAfterPrefixes(id)))
                {
                    return name;
                }
            }
        }

        return null;
    }

    // An id in the query may carry up to two "part:" prefixes (account and kind): the identifier is what follows.
    private static bool HoldsDotSegmentAfterPrefixes(string id)
    {
        foreach (var part in id.Split('/'))
        {
            var rest = part;
            for (var i = 0; i < 3; i++)
            {
                if (rest is "." or "..")
                {
                    return true;
                }

                var colon = rest.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0)
                {
                    break;
                }

                rest = rest[(colon + 1)..];
            }
        }

        return false;
    }


    /// <summary>
    /// Rails drops one trailing '/' before it matches a route, and one Conjur SDK appends '/' to every resource path
    /// (also before the query). So one trailing '/' is removed from both the routed path and the raw target the
    /// handlers read, and the request continues exactly as if it had been absent. An encoded <c>%2F</c> at the end
    /// is part of an id and stays.
    /// </summary>
    public static void DropOneTrailingSlash(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value;
        if (path is not { Length: > 1 } || path[^1] != '/')
        {
            return;
        }

        ctx.Request.Path = new PathString(path[..^1]);
        var feature = ctx.Features.Get<IHttpRequestFeature>();
        if (feature?.RawTarget is not { Length: > 0 } raw || raw[0] != '/')
        {
            // An absolute-form or empty target: Decoded falls back to the (already trimmed) path.
            return;
        }

        var q = raw.IndexOf('?', StringComparison.Ordinal);
        var rawPath = q >= 0 ? raw[..q] : raw;
        if (rawPath.Length > 1 && rawPath[^1] == '/')
        {
            feature.RawTarget = string.Concat(rawPath.AsSpan(0, rawPath.Length - 1), q >= 0 ? raw.AsSpan(q) : default);
        }
    }

    /// <summary>
    /// The first query parameter whose name or value holds a NUL (sent as <c>%00</c>), or null when none does. Such a
    /// value can name no id and must never reach a database (PostgreSQL refuses NUL in text).
    /// </summary>
    public static string? QueryParameterWithNul(HttpContext ctx)
    {
        var raw = ctx.Request.QueryString.Value;
        if (raw is null || !raw.Contains("%00", StringComparison.Ordinal))
        {
            return null;
        }

        foreach (var (name, values) in ctx.Request.Query)
        {
            if (name.Contains('\0', StringComparison.Ordinal) || values.Any(v => v is not null && v.Contains('\0', StringComparison.Ordinal)))
            {
                return name;
            }
        }

        // Query.Parse and the feature decode alike; a %00 they both missed is still refused.
        return "";
    }

    /// <summary>Segment <paramref name="index"/> (0-based), decoded.</summary>
    public static string? At(HttpContext ctx, int index)
    {
        var s = Decoded(ctx);
        return s is not null && index < s.Length ? s[index] : null;
    }

    /// <summary>
    /// Spec 1.1: an <c>{account}</c> segment that decodes to a value containing '/' (sent as <c>a%2Fb</c>) names no
    /// route, so the answer is 404. (A login segment may: <c>host%2Fapp</c> is the host <c>app</c>.)
    /// </summary>
    public static bool ContainsSlash(string? segment) => segment is not null && segment.Contains('/', StringComparison.Ordinal);

    /// <summary>The glob tail from segment <paramref name="index"/> on, each segment decoded, joined by '/'.</summary>
    public static string? Tail(HttpContext ctx, int index)
    {
        var s = Decoded(ctx);
        return s is not null && index < s.Length ? string.Join('/', s[index..]) : null;
    }

    private static bool TryDecode(string segment, out string value)
    {
        value = segment;
        if (!segment.Contains('%', StringComparison.Ordinal))
        {
            return true;
        }

        // Strict: every '%' must start a valid escape, and the bytes must be UTF-8.
        var bytes = new List<byte>(segment.Length);
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            if (c == '%')
            {
                if (i + 2 >= segment.Length || !Uri.IsHexDigit(segment[i + 1]) || !Uri.IsHexDigit(segment[i + 2]))
                {
                    return false;
                }

                bytes.Add(Convert.ToByte(segment.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(c.ToString()));
            }
        }

        try
        {
            value = new System.Text.UTF8Encoding(false, true).GetString(bytes.ToArray());
            return true;
        }
        catch (System.Text.DecoderFallbackException)
        {
            return false;
        }
    }
}
