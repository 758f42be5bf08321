namespace Secrets.Server.Http;

/// <summary>Query-string reading with Rails' semantics (spec 1.1).</summary>
internal static class QueryParams
{
    /// <summary>Action selectors (<c>?check</c>, <c>?members</c>, …) are recognised by key presence; the value is ignored.</summary>
    public static bool Has(HttpContext ctx, string key) => ctx.Request.Query.ContainsKey(key);

    /// <summary>Rails' <c>params[key].presence</c>: the (last) value, or null when absent or empty.</summary>
    public static string? Present(HttpContext ctx, string key)
    {
        if (!ctx.Request.Query.TryGetValue(key, out var values))
        {
            return null;
        }

        var value = values.Count == 0 ? null : values[^1];
        return string.IsNullOrEmpty(value) ? null : value;
    }

    /// <summary>A list parameter as Rack reads it: <c>key[]=a&amp;key[]=b</c>, or <c>key=a</c> as a list of one. Empty values are dropped.</summary>
    public static IReadOnlyList<string> List(HttpContext ctx, string key)
    {
        var query = ctx.Request.Query;
        var values = query.TryGetValue(key + "[]", out var bracketed) ? bracketed : query.TryGetValue(key, out var plain) ? plain : default;
        return values.Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).ToList();
    }
}
