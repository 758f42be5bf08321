using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Data;
using Secrets.Server.Http;

namespace Secrets.Server.Status;

/// <summary>GET / (status page, JSON version for clients that gate features on it), GET /health; /info stays 404 (spec 2.10).</summary>
internal static class StatusEndpoints
{
    /// <summary>The Conjur version we report: clients gate features on it (dry run ≥1.21.1; public keys removed ≥1.27.0).</summary>
    public const string CompatibleVersion = "1.24.0";

    public static IEndpointRouteBuilder MapStatusEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", Root).TokenIgnored();
        app.MapGet("/health", Health).TokenIgnored();
        return app;
    }

    internal static Results<JsonHttpResult<VersionDocument>, ContentHttpResult> Root(HttpRequest request, CancellationToken ct)
    {
        var accept = request.Headers.Accept.ToString();
        if (accept.Contains("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Json(new VersionDocument(CompatibleVersion, ProductVersion));
        }

        var html = $"""
            <!DOCTYPE html>
            <html lang="en">
            <head><meta charset="utf-8"><title>Secrets server</title></head>
            <body>
            <h1>Secrets server</h1>
            <p>A Conjur-compatible secrets manager. The server is running.</p>
            <dl>
            <dt>Details</dt>
            <dd>Version {CompatibleVersion}</dd>
            <dd>API Version 5.3.0</dd>
            <dd>Server {ProductVersion}</dd>
            </dl>
            </body>
            </html>
            """;
        return TypedResults.Content(html, "text/html; charset=utf-8");
    }

    internal static async Task<Results<JsonHttpResult<HealthDocument>, ConjurError>> Health(SecretsDbContext db, CancellationToken ct)
    {
        try
        {
            var ok = await db.Database.CanConnectAsync(ct) && await db.ServerState.AnyAsync(ct);
            return ok
                ? TypedResults.Json(new HealthDocument(true, new HealthDatabase(true)))
                : ConjurError.Envelope(503, new ErrorBody("service_unavailable", "database check failed"));
        }
        catch (Exception e) when (e is InvalidOperationException or System.Data.Common.DbException)
        {
            return ConjurError.Envelope(503, new ErrorBody("service_unavailable", "database check failed"));
        }
    }

    private static string ProductVersion =>
        typeof(StatusEndpoints).Assembly.GetName().Version?.ToString(3) ?? "0.1.0";

    internal sealed record VersionDocument(
        [property: JsonPropertyName("version")] string Version,
        [property: JsonPropertyName("server_version")] string ServerVersion);

    internal sealed record HealthDocument([property: JsonPropertyName("ok")] bool Ok, [property: JsonPropertyName("database")] HealthDatabase Database);

    internal sealed record HealthDatabase([property: JsonPropertyName("ok")] bool Ok);
}
