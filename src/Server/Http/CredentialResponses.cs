namespace Secrets.Server.Http;

/// <summary>
/// Responses that carry a secret value, an access token, an API key or a host-factory token: no cache (browser, proxy
/// or client library) may keep them, and no browser may sniff them into something it renders (issue 8).
/// </summary>
internal static class CredentialResponses
{
    /// <summary>Sets the headers on <paramref name="response"/>; for handlers on hot paths (no filter per request).</summary>
    public static void MarkUncached(HttpResponse response)
    {
        // RFC 9111 5.2.2.5: no-store forbids any cache to store the response.
        response.Headers.CacheControl = "no-store";
        response.Headers.XContentTypeOptions = "nosniff";
    }

    /// <summary>Marks every answer of the endpoint, errors included (they carry nothing worth caching either).</summary>
    public static TBuilder ServesCredentials<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(static (context, next) =>
        {
            MarkUncached(context.HttpContext.Response);
            return next(context);
        });
}
