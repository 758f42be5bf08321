using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace Secrets.Server.Http;

/// <summary>
/// Request parameters as Conjur's BodyParser sees them (spec 2.8: "form body or query"; also the authenticator PATCH of spec 2.3): the query string merged
/// with a body that is a form (no Content-Type, or application/x-www-form-urlencoded) or a JSON object
/// (application/json). A body parameter wins over a query parameter of the same name, as Rails'
/// <c>params.merge(body_params)</c> does. Other media types leave the body unread (spec 1.3: tolerate odd
/// Content-Types). Rack's bracket forms are understood: <c>cidr[]=a&amp;cidr[]=b</c> is a list and
/// <c>annotations[name]=value</c> a map.
/// </summary>
internal sealed class RequestParams
{
    /// <summary>The largest body read: a host-factory form is a few ids, CIDRs and annotations.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    private readonly Source _body;
    private readonly Source _query;

    private RequestParams(Source body, Source query)
    {
        _body = body;
        _query = query;
    }

    /// <summary>The outcome of reading: the parameters, or why the body was refused.</summary>
    internal enum Failure
    {
        None,
        TooLarge,
        MalformedJson,

        /// <summary>A name or value holds NUL: no id, CIDR or annotation can, and PostgreSQL refuses it in text.</summary>
        NulCharacter,
    }

    public static async Task<(RequestParams? Params, Failure Failure)> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        var query = Source.FromPairs(request.Query.SelectMany(kv => kv.Value.Select(v => (kv.Key, v ?? ""))));
        var mediaType = MediaType(request.ContentType);
        var body = Source.Empty;
        if (mediaType is "" or "application/x-www-form-urlencoded" or "application/json")
        {
            var bytes = await RawBody.ReadBytesAsync(request, MaxBodyBytes, ct);
            if (bytes is null)
            {
                return (null, Failure.TooLarge);
            }

            if (mediaType == "application/json")
            {
                var parsed = Source.FromJson(bytes);
                if (parsed is null)
                {
                    return (null, Failure.MalformedJson);
                }

                body = parsed;
            }
            else if (bytes.Length > 0)
            {
                var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(bytes));
                body = Source.FromPairs(form.SelectMany(kv => kv.Value.Select(v => (kv.Key, v ?? ""))));
            }
        }

        return body.ContainsNul() ? (null, Failure.NulCharacter) : (new RequestParams(body, query), Failure.None);
    }

    /// <summary>A plain parameter (the last one when repeated, as Rack keeps it), or null when absent.</summary>
    public string? Single(string name) => _body.Single(name) ?? _query.Single(name);

    /// <summary>A list parameter: <c>name[]</c> entries, or a plain <c>name</c> taken as a list of one.</summary>
    public IReadOnlyList<string> List(string name) => _body.HasList(name) ? _body.List(name) : _query.List(name);

    /// <summary>A map parameter: <c>name[key]=value</c> entries, in the order sent (a repeated key keeps its last value).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Map(string name) => _body.HasMap(name) ? _body.Map(name) : _query.Map(name);

    private static string MediaType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return "";
        }

        // Only the media type matters; parameters (charset) and malformed values are tolerated, as Rails does.
        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
    }

    private sealed class Source
    {
        public static readonly Source Empty = new();

        private readonly Dictionary<string, string> _singles = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<string>> _lists = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<KeyValuePair<string, string>>> _maps = new(StringComparer.Ordinal);

        public static Source FromPairs(IEnumerable<(string Key, string Value)> pairs)
        {
            var s = new Source();
            foreach (var (key, value) in pairs)
            {
                var open = key.IndexOf('[', StringComparison.Ordinal);
                if (open <= 0 || !key.EndsWith(']'))
                {
                    s._singles[key] = value;
                }
                else if (open == key.Length - 2)
                {
                    s.ListOf(key[..open]).Add(value);
                }
                else
                {
                    s.MapOf(key[..open]).Add(new(key[(open + 1)..^1], value));
                }
            }

            return s;
        }

        /// <summary>A JSON object body: strings and numbers are plain values, arrays lists, objects maps; null when malformed.</summary>
        public static Source? FromJson(byte[] bytes)
        {
            if (bytes.Length == 0)
            {
                return Empty;
            }

            try
            {
                using var doc = JsonDocument.Parse(bytes);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    return null;
                }

                var s = new Source();
                foreach (var property in doc.RootElement.EnumerateObject())
                {
                    switch (property.Value.ValueKind)
                    {
                        case JsonValueKind.Array:
                            s.ListOf(property.Name).AddRange(property.Value.EnumerateArray().Select(Scalar));
                            break;
                        case JsonValueKind.Object:
                            s.MapOf(property.Name).AddRange(property.Value.EnumerateObject().Select(p => new KeyValuePair<string, string>(p.Name, Scalar(p.Value))));
                            break;
                        case JsonValueKind.Null:
                            break;
                        default:
                            s._singles[property.Name] = Scalar(property.Value);
                            break;
                    }
                }

                return s;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                // InvalidOperationException: a string whose bytes are not UTF-8 (JsonDocument checks only structure).
                return null;
            }
        }

        public bool ContainsNul() =>
            _singles.Any(p => HasNul(p.Key) || HasNul(p.Value))
            || _lists.Any(p => HasNul(p.Key) || p.Value.Any(HasNul))
            || _maps.Any(p => HasNul(p.Key) || p.Value.Any(e => HasNul(e.Key) || HasNul(e.Value)));

        private static bool HasNul(string s) => s.Contains('\0', StringComparison.Ordinal);

        public string? Single(string name) => _singles.GetValueOrDefault(name);

        public bool HasList(string name) => _lists.ContainsKey(name) || _singles.ContainsKey(name);

        public List<string> List(string name) =>
            _lists.TryGetValue(name, out var list) ? [.. list] : _singles.TryGetValue(name, out var one) ? [one] : [];

        public bool HasMap(string name) => _maps.ContainsKey(name);

        public List<KeyValuePair<string, string>> Map(string name)
        {
            if (!_maps.TryGetValue(name, out var entries))
            {
                return [];
            }

            // Last value wins for a repeated key; first position is kept so the order stays the client's.
            var result = new List<KeyValuePair<string, string>>();
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var e in entries)
            {
                if (index.TryGetValue(e.Key, out var i))
                {
                    result[i] = e;
                }
                else
                {
                    index[e.Key] = result.Count;
                    result.Add(e);
                }
            }

            return result;
        }

        private static string Scalar(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString() ?? "" : e.GetRawText();

        private List<string> ListOf(string name) => _lists.TryGetValue(name, out var l) ? l : _lists[name] = [];

        private List<KeyValuePair<string, string>> MapOf(string name) => _maps.TryGetValue(name, out var m) ? m : _maps[name] = [];
    }
}
