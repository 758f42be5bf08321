using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Data;
using Secrets.Server.Http;

namespace Secrets.Server.Status;

/// <summary>GET / (status page, JSON version for clients that gate features on it), GET /health (+ /health/ready, /health/live); /info stays 404 (spec 2.10).</summary>
internal static class StatusEndpoints
{
    /// <summary>The Conjur version we report: clients gate features on it (dry run ≥1.21.1; public keys removed ≥1.27.0).</summary>
    public const string CompatibleVersion = "1.24.0";

    public static IEndpointRouteBuilder MapStatusEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", Root).TokenIgnored();

        // Groups without a prefix where a route is the feature's root: a prefix would make that route "/health/".
        var health = app.MapGroup("").TokenIgnored();
        health.MapGet("/health", Health);
        health.MapGet("/health/ready", Health);
        health.MapGet("/health/live", Live);
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

    /// <summary>
    /// GET /health and GET /health/ready (the Kubernetes readiness probe): 200 when the store answers a query and the
    /// migrations this build needs are applied, else 503. Both report the store's state as this node last saw it:
    /// "refusing writes" (a full disk) keeps the node ready, because the reads it serves still work.
    /// </summary>
    internal static async Task<JsonHttpResult<HealthDocument>> Health(SecretsDbContext db, StoreAvailability availability, MigrationsApplied migrations, CancellationToken ct)
    {
        bool reachable;
        var migrated = false;
        try
        {
            reachable = await db.Database.CanConnectAsync(ct) && await db.ServerState.AnyAsync(ct);
            migrated = reachable && await migrations.CheckAsync(db, ct);
        }
        catch (Exception e) when (StoreAvailability.Classify(e) is not null || e is InvalidOperationException or System.Data.Common.DbException)
        {
            reachable = false;
        }

        var state = reachable ? availability.State : StoreState.Unreachable;
        var ok = reachable && migrated;
        return TypedResults.Json(
            new HealthDocument(ok, new HealthDatabase(ok, StoreAvailability.Describe(state), migrated)),
            statusCode: ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>GET /health/live (the Kubernetes liveness probe): the process answers; the store is not consulted, so an outage does not get the node restarted.</summary>
    internal static JsonHttpResult<LiveDocument> Live() => TypedResults.Json(new LiveDocument(true));

    private static string ProductVersion =>
        typeof(StatusEndpoints).Assembly.GetName().Version?.ToString(3) ?? "0.1.0";

    internal sealed record VersionDocument(
        [property: JsonPropertyName("version")] string Version,
        [property: JsonPropertyName("server_version")] string ServerVersion);

    internal sealed record HealthDocument([property: JsonPropertyName("ok")] bool Ok, [property: JsonPropertyName("database")] HealthDatabase Database);

    internal sealed record HealthDatabase(
        [property: JsonPropertyName("ok")] bool Ok,
        [property: JsonPropertyName("state")] string State,
        [property: JsonPropertyName("migrations_applied")] bool MigrationsApplied);

    internal sealed record LiveDocument([property: JsonPropertyName("ok")] bool Ok);
}
