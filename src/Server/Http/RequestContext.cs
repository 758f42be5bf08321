using System.Net;

namespace Secrets.Server.Http;

/// <summary>X-Request-Id (spec 1.3): honoured when alphanumeric/'-' and at most 255 chars, generated otherwise, always echoed.</summary>
internal static class RequestIds
{
    private const string Key = "secrets.request-id";

    public static string Get(HttpContext ctx) => ctx.Items[Key] as string ?? ctx.TraceIdentifier;

    public static void Assign(HttpContext ctx)
    {
        var given = ctx.Request.Headers["X-Request-Id"].ToString();
        var id = IsValid(given) ? given : Guid.NewGuid().ToString();
        ctx.Items[Key] = id;
        ctx.Response.Headers["X-Request-Id"] = id;
    }

    public static bool IsValid(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 255 && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}

/// <summary>The client address after trusted-proxy resolution, computed once per request.</summary>
internal static class ClientAddresses
{
    private const string Key = "secrets.client-ip";

    public static IPAddress? Get(HttpContext ctx) => ctx.Items[Key] as IPAddress ?? ctx.Connection.RemoteIpAddress;

    public static void Set(HttpContext ctx, IPAddress? ip) => ctx.Items[Key] = ip;
}
