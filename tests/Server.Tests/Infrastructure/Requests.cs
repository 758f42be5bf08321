using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Secrets.Server.Tests.Infrastructure;

/// <summary>
/// HTTP calls as a client makes them. Every request carries its own X-Request-Id (the RFC 5424 PROCID of its audit
/// records), so that the records of one request can be found among those of the whole class.
/// </summary>
internal static class Requests
{
    public static HttpRequestMessage Make(HttpMethod method, string path, string? body = null, AuthenticationHeaderValue? auth = null, string? authorization = null, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "text/plain");
        }

        if (content is not null)
        {
            request.Content = content;
        }

        if (auth is not null)
        {
            request.Headers.Authorization = auth;
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        request.Headers.Add("X-Request-Id", NewRequestId());
        return request;
    }

    public static string NewRequestId() => "test-" + Guid.NewGuid().ToString("N");

    public static string RequestId(HttpRequestMessage request) => request.Headers.GetValues("X-Request-Id").Single();

    /// <summary>Sends <paramref name="text"/> (none when null) with <paramref name="contentType"/>; the answer as a client reads it.</summary>
    public static Task<ApiResponse> SendAsync(HttpClient client, HttpMethod method, string path, string? text = null, string? contentType = "application/x-yaml") =>
        SendAsync(client, method, path, text is null ? null : Encoding.UTF8.GetBytes(text), contentType);

    public static async Task<ApiResponse> SendAsync(HttpClient client, HttpMethod method, string path, byte[]? body, string? contentType = "application/x-yaml")
    {
        using var request = Make(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            if (contentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var retryAfter = response.Headers.TryGetValues("Retry-After", out var values) ? string.Join(",", values) : null;
        return new ApiResponse((int)response.StatusCode, text, response.Content.Headers.ContentType?.MediaType, retryAfter, RequestId(request));
    }

    public static Task<ApiResponse> GetAsync(HttpClient client, string path) => SendAsync(client, HttpMethod.Get, path);

    /// <summary>GET that must answer 200 JSON; returns the body.</summary>
    public static async Task<string> GetJsonAsync(HttpClient client, string path)
    {
        var (status, body, contentType) = await GetAsync(client, path);
        Assert.True(status == HttpStatusCode.OK, $"GET {path}: {(int)status} {body}");
        Assert.Equal("application/json", contentType);
        return body;
    }

    /// <summary>The response as a client sees it, minus what differs per request (Date, X-Request-Id).</summary>
    public static async Task<Observed> ObserveAsync(HttpClient client, HttpRequestMessage request)
    {
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var headers = response.Headers.Concat(response.Content.Headers)
            .Where(h => !h.Key.Equals("Date", StringComparison.OrdinalIgnoreCase) && !h.Key.Equals("X-Request-Id", StringComparison.OrdinalIgnoreCase))
            .Select(h => $"{h.Key}: {string.Join(",", h.Value)}")
            .Order(StringComparer.Ordinal)
            .ToArray();
        return new Observed((int)response.StatusCode, body, string.Join("\n", headers));
    }

    /// <summary>
    /// The audit lines written for the request with <paramref name="requestId"/> (its RFC 5424 PROCID); with
    /// <paramref name="fromMsgId"/>, each without its timestamp, host, app and request id: PRI/VERSION, then the MSGID on.
    /// </summary>
    public static IReadOnlyList<string> AuditFor(ServerFixture f, string requestId, bool fromMsgId = false)
    {
        var marker = $" conjur {requestId} ";
        return f.Audit.Lines
            .Where(l => l.Contains(marker, StringComparison.Ordinal))
            .Select(l => fromMsgId ? l[..l.IndexOf(' ', StringComparison.Ordinal)] + " " + l[(l.IndexOf(marker, StringComparison.Ordinal) + marker.Length)..] : l)
            .ToList();
    }

    public static IReadOnlyList<string> AuditFor(ServerFixture f, HttpRequestMessage request, bool fromMsgId = false) => AuditFor(f, RequestId(request), fromMsgId);

    public static IReadOnlyList<string> AuditFor(ServerFixture f, ApiResponse response) => AuditFor(f, response.RequestId);

    public static string SingleAuditFor(ServerFixture f, string requestId) => Assert.Single(AuditFor(f, requestId));

    /// <summary>The <c>id</c> of every object of a JSON array body.</summary>
    public static IReadOnlyList<string> Ids(string body)
    {
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList();
    }

    /// <summary>A JSON array of strings.</summary>
    public static IReadOnlyList<string> Strings(string body)
    {
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.EnumerateArray().Select(e => e.GetString()!).ToList();
    }

    /// <summary>The record-not-found envelope of spec 1.4, byte for byte.</summary>
    public static string NotFoundBody(string kind, string identifier) =>
        $"{{\"error\":{{\"code\":\"not_found\",\"message\":\"{char.ToUpperInvariant(kind[0])}{kind[1..]} '{identifier}' not found in account '{ServerFixture.Account}'\",\"target\":\"{kind}\",\"details\":{{\"code\":\"not_found\",\"target\":\"id\",\"message\":\"{ServerFixture.Account}:{kind}:{identifier}\"}}}}}}";
}

/// <summary>The three host-factory requests, as a client sends them (form bodies; the raw token in the header).</summary>
internal static class HostFactoryRequests
{
    public static HttpRequestMessage CreateTokens(params (string Name, string Value)[] form)
    {
        var request = Requests.Make(HttpMethod.Post, "/host_factory_tokens");
        request.Content = new FormUrlEncodedContent(form.Select(p => new KeyValuePair<string, string>(p.Name, p.Value)));
        return request;
    }

    public static HttpRequestMessage CreateHost(string? token, string? clientIp = null, params (string Name, string Value)[] form)
    {
        var request = Requests.Make(HttpMethod.Post, "/host_factories/hosts", authorization: token is null ? null : $"Token token=\"{token}\"");
        request.Content = new FormUrlEncodedContent(form.Select(p => new KeyValuePair<string, string>(p.Name, p.Value)));
        if (clientIp is not null)
        {
            request.Headers.Add("X-Forwarded-For", clientIp);
        }

        return request;
    }

    public static HttpRequestMessage Revoke(string token) => Requests.Make(HttpMethod.Delete, $"/host_factory_tokens/{Uri.EscapeDataString(token)}");

    /// <summary>Creates tokens as <paramref name="client"/> and returns them; fails the test unless the answer is 200.</summary>
    public static async Task<IReadOnlyList<string>> IssueAsync(HttpClient client, string factoryId, DateTimeOffset expiration, int count = 1, params string[] cidrs)
    {
        var form = new List<(string, string)>
        {
            ("host_factory", factoryId),
            ("expiration", expiration.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)),
            ("count", count.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        form.AddRange(cidrs.Select(c => ("cidr[]", c)));
        using var response = await client.SendAsync(CreateTokens([.. form]));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.EnumerateArray().Select(e => e.GetProperty("token").GetString()!).ToList();
    }

    /// <summary>A whole-second time, so an expiration survives the round trip through the wire format unchanged.</summary>
    public static DateTimeOffset WholeSecond(DateTimeOffset t) => new(t.Ticks - (t.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}

internal sealed record Observed(int Status, string Body, string Headers);

/// <summary>An answer as a client reads it, with the request id its audit records carry.</summary>
internal sealed record ApiResponse(int Status, string Body, string? MediaType, string? RetryAfter, string RequestId)
{
    public HttpStatusCode Code => (HttpStatusCode)Status;

    /// <summary>The API keys of <c>created_roles</c> (a policy load's 201 body), by full role id, in body order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> CreatedRoles
    {
        get
        {
            using var doc = JsonDocument.Parse(Body);
            return doc.RootElement.GetProperty("created_roles").EnumerateObject()
                .Select(p => new KeyValuePair<string, string>(p.Name, p.Value.GetProperty("api_key").GetString()!))
                .ToList();
        }
    }

    /// <summary><see cref="CreatedRoles"/> as role id → API key.</summary>
    public IReadOnlyDictionary<string, string> ApiKeys => CreatedRoles.ToDictionary(k => k.Key, k => k.Value, StringComparer.Ordinal);

    public string ApiKeyOf(string roleId) => CreatedRoles.Single(k => k.Key == roleId).Value;

    public int Version
    {
        get
        {
            using var doc = JsonDocument.Parse(Body);
            return doc.RootElement.GetProperty("version").GetInt32();
        }
    }

    /// <summary>The exact 201 body the server must send for these created roles (in this order) and version.</summary>
    public static string Created(int version, params (string RoleId, string ApiKey)[] roles) =>
        "{\"created_roles\":{" + string.Join(',', roles.Select(r => $"\"{r.RoleId}\":{{\"id\":\"{r.RoleId}\",\"api_key\":\"{r.ApiKey}\"}}")) + $"}},\"version\":{version}}}";

    /// <summary>Status, body and media type, as the resource and role scenarios compare them.</summary>
    public void Deconstruct(out HttpStatusCode status, out string body, out string? mediaType)
    {
        status = Code;
        body = Body;
        mediaType = MediaType;
    }
}
