using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Secrets.Cli.Tests.Infrastructure;

/// <summary>One request as it arrived: method, the still-encoded target, headers and the raw body.</summary>
public sealed record RecordedRequest(string Method, string RawTarget, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    /// <summary>The encoded path without the query.</summary>
    public string RawPath => RawTarget.Split('?', 2)[0];

    /// <summary>The raw query string without '?', or "".</summary>
    public string RawQuery => RawTarget.Contains('?', StringComparison.Ordinal) ? RawTarget.Split('?', 2)[1] : "";

    public string BodyText => Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>A canned answer.</summary>
public sealed record Reply(int Status, byte[] Body, string? ContentType = null, IReadOnlyDictionary<string, string>? Headers = null)
{
    public static Reply Json(string json, int status = 200) => new(status, Encoding.UTF8.GetBytes(json), "application/json");

    public static Reply Text(string text, int status = 200) => new(status, Encoding.UTF8.GetBytes(text), "text/plain");

    public static Reply Bytes(byte[] body, int status = 200) => new(status, body, "application/octet-stream");

    public static Reply Empty(int status) => new(status, []);

    public static Reply Error(int status, string code, string message) =>
        Json(JsonSerializer.Serialize(new { error = new { code, message } }), status);
}

/// <summary>
/// A stand-in for the server on 127.0.0.1 (real Kestrel, real HTTP) that records every request and answers from
/// canned replies keyed by method and encoded path. Any <c>…/authenticate</c> POST gets a fresh fake token unless a
/// test says otherwise; anything unexpected gets a 404 that names the request, so a wrong URL fails loudly.
/// </summary>
public sealed class RecordingServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<RecordedRequest> requests = new();
    private readonly ConcurrentDictionary<(string Method, string Path), Func<RecordedRequest, Reply>> replies = new();

    private RecordingServer(WebApplication app, Uri url)
    {
        this.app = app;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>The clock used for the iat/exp of the tokens this fake issues.</summary>
    public Func<DateTimeOffset> Clock { get; set; } = () => DateTimeOffset.UtcNow;

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(8);

    public IReadOnlyList<RecordedRequest> Requests => [.. requests];

    public IReadOnlyList<RecordedRequest> RequestsExceptAuthentication =>
        [.. requests.Where(r => !r.RawPath.EndsWith("/authenticate", StringComparison.Ordinal))];

    public IReadOnlyList<RecordedRequest> Authentications =>
        [.. requests.Where(r => r.RawPath.EndsWith("/authenticate", StringComparison.Ordinal))];

    public static async Task<RecordingServer> StartAsync(X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        var app = builder.Build();
        RecordingServer? server = null;
        app.Run(context => server!.HandleAsync(context));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server = new RecordingServer(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
        return server;
    }

    public void On(string method, string rawPath, Reply reply) => replies[(method, rawPath)] = _ => reply;

    public void On(string method, string rawPath, Func<RecordedRequest, Reply> reply) => replies[(method, rawPath)] = reply;

    public string IssueToken(string subject) => FakeToken.Create(subject, Clock(), TokenLifetime);

    public RecordedRequest SingleRequest(string method, string rawPathPrefix) =>
        Assert.Single(requests, r => r.Method == method && r.RawPath.StartsWith(rawPathPrefix, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var recorded = new RecordedRequest(
            context.Request.Method,
            context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget,
            headers,
            body.ToArray());
        requests.Enqueue(recorded);

        Reply reply;
        if (replies.TryGetValue((recorded.Method, recorded.RawPath), out var canned))
        {
            reply = canned(recorded);
        }
        else if (recorded.Method == "POST" && recorded.RawPath.EndsWith("/authenticate", StringComparison.Ordinal))
        {
            var segments = recorded.RawPath.Split('/');
            reply = Reply.Json(IssueToken(Uri.UnescapeDataString(segments[^2])));
        }
        else
        {
            reply = Reply.Error(404, "not_found", $"no canned reply for {recorded.Method} {recorded.RawTarget}");
        }

        context.Response.StatusCode = reply.Status;
        if (reply.ContentType is not null)
        {
            context.Response.ContentType = reply.ContentType;
        }

        foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        await context.Response.Body.WriteAsync(reply.Body);
    }
}
