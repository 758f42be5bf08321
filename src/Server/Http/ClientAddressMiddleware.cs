using Secrets.Authn.Network;
using Secrets.Server.Configuration;

namespace Secrets.Server.Http;

/// <summary>The pipeline step that resolves the client address (docs/architecture.md, step 2).</summary>
internal static class ClientAddressMiddleware
{
    /// <summary>Resolves the client address once per request (X-Forwarded-For only behind trusted proxies, spec 1.3).</summary>
    public static void UseClientAddress(this WebApplication app)
    {
        var network = app.Services.GetRequiredService<NetworkOptions>();
        var trusted = network.ToTrustedProxies();
        app.Use((ctx, next) =>
        {
            var forwarded = ctx.Request.Headers["X-Forwarded-For"];
            ClientAddresses.Set(ctx, ClientAddress.Resolve(ctx.Connection.RemoteIpAddress, forwarded.Count == 0 ? null : string.Join(',', forwarded.ToArray()), trusted));
            return next(ctx);
        });
    }
}
