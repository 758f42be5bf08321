using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Secrets.Server.Http;

namespace Secrets.Server.Resources;

/// <summary><c>{"count":N}</c>, the answer of every <c>count</c> request (spec 2.6, 2.7).</summary>
internal sealed record CountJson([property: JsonPropertyName("count")] int Count);

/// <summary>
/// <c>limit</c>/<c>offset</c> as Conjur validates them (spec 2.6, 9): a limit is a positive integer, an offset an
/// integer ≥ 0, otherwise 422 with the exact messages. Values too large for an int are clamped (a limit so large
/// exceeds any configured maximum; an offset so large is past the end).
/// </summary>
internal readonly record struct Paging(int? Limit, int? Offset)
{
    public static ConjurError? TryParse(HttpContext ctx, out Paging paging)
    {
        paging = default;
        var limitRaw = ctx.Request.Query.TryGetValue("limit", out var l) ? l.ToString() : null;
        var offsetRaw = ctx.Request.Query.TryGetValue("offset", out var o) ? o.ToString() : null;
        int? limit = null, offset = null;
        if (limitRaw is not null)
        {
            if (!TryNonNegative(limitRaw, out var value) || value == 0)
            {
                return Errors.LimitInvalid();
            }

            limit = value;
        }

        if (offsetRaw is not null)
        {
            if (!TryNonNegative(offsetRaw, out var value))
            {
                return Errors.OffsetInvalid();
            }

            offset = value;
        }

        paging = new Paging(limit, offset);
        return null;
    }

    /// <summary>
    /// The page of an ordered list: with neither parameter, everything (or the caller's default); with either, the
    /// missing limit is 10 and the missing offset 0 (Conjur's <c>limit((limit || 10), (offset || 0))</c>).
    /// </summary>
    public IEnumerable<T> Apply<T>(IReadOnlyList<T> ordered)
    {
        if (Limit is null && Offset is null)
        {
            return ordered;
        }

        return ordered.Skip(Offset ?? 0).Take(Limit ?? 10);
    }

    private static bool TryNonNegative(string raw, out int value)
    {
        value = 0;
        if (raw.Length == 0 || !raw.All(char.IsAsciiDigit))
        {
            return false;
        }

        value = long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= int.MaxValue ? (int)n : int.MaxValue;
        return true;
    }
}

/// <summary>
/// The <c>subject</c> of list-style audit records (spec 8.2): the request parameters, as SD params and as the text
/// Conjur prints (a Ruby hash inspect, e.g. <c>{:account=>"acct", :kind=>"variable"}</c>).
/// </summary>
internal static class AuditParameters
{
    public static string Describe(IReadOnlyList<(string Name, string Value)> parameters)
    {
        var sb = new StringBuilder("{");
        for (var i = 0; i < parameters.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            sb.Append(':').Append(parameters[i].Name).Append("=>").Append(JsonSerializer.Serialize(parameters[i].Value, WireJson.Options));
        }

        return sb.Append('}').ToString();
    }

    /// <summary>The named query parameters that are present, in the given order (list parameters joined with ',').</summary>
    public static List<(string Name, string Value)> From(HttpContext ctx, params string[] names)
    {
        var result = new List<(string, string)>();
        foreach (var name in names)
        {
            var values = QueryParams.List(ctx, name);
            if (values.Count > 0)
            {
                result.Add((name, string.Join(',', values)));
            }
        }

        return result;
    }
}
