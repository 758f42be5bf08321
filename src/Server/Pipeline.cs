using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Secrets.Server.Crypto;
using Secrets.Server.Data;
using Secrets.Server.Http;
using Secrets.Server.Status;

namespace Secrets.Server;

internal static partial class Pipeline
{
    /// <summary>
    /// Request id, body-size limit, and the single exception handler: the unexpected becomes a 500 with no details
    /// (the exception is logged, without request bodies or headers); a store that is down or full becomes 503 with
    /// Retry-After (logged by <see cref="StoreAvailability"/>, once per outage); a data-key mismatch becomes 422 data_key_invalid;
    /// a body over the limit becomes 413; a client that went away is not an error.
    /// </summary>
    public static void UseSecretsPipeline(this WebApplication app, long maxBodyBytes)
    {
        app.Use(async (ctx, next) =>
        {
            // Rails answers HEAD with the GET route's status and headers and no body; routes here are mapped for GET
            // only, so a HEAD request takes the GET route. Kestrel still knows the request was HEAD and sends no body.
            if (HttpMethods.IsHead(ctx.Request.Method))
            {
                ctx.Request.Method = HttpMethods.Get;
            }

            PathSegments.DropOneTrailingSlash(ctx);
            RequestIds.Assign(ctx);
            var sizeFeature = ctx.Features.Get<IHttpMaxRequestBodySizeFeature>();
            if (sizeFeature is { IsReadOnly: false })
            {
                sizeFeature.MaxRequestBodySize = maxBodyBytes;
            }

            if (ctx.Request.ContentLength > maxBodyBytes)
            {
                await Errors.PayloadTooLarge(maxBodyBytes).ExecuteAsync(ctx);
                return;
            }

            if (PathSegments.QueryParameterWithNul(ctx) is { } nulParameter)
            {
                await Errors.NulInParameter(nulParameter).ExecuteAsync(ctx);
                return;
            }

            await next(ctx);
        });

        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = _ => 500,

            // The middleware's own error log carries the stack trace; a store outage is logged once by StoreAvailability.
            SuppressDiagnosticsCallback = c => StoreAvailability.Classify(c.Exception) is not null,
            ExceptionHandler = async ctx =>
            {
                var error = ctx.Features.Get<IExceptionHandlerFeature>()?.Error;
                ConjurError result;
                switch (error)
                {
                    case DataKeyMismatchException:
                        result = Errors.DataKeyInvalid();
                        break;
                    case Audit.AuditUnavailableException:
                        result = Errors.AuditUnavailable();
                        break;
                    case BadHttpRequestException { StatusCode: 413 }:
                        result = Errors.PayloadTooLarge(maxBodyBytes);
                        break;
                    case BadHttpRequestException bad:
                        result = ConjurError.Head(bad.StatusCode);
                        break;
                    case not null when StoreAvailability.Classify(error) is { } state:
                        ctx.RequestServices.GetRequiredService<StoreAvailability>().ReportFailure(state, error);
                        result = Errors.StoreUnavailable(StoreAvailability.Describe(state), StoreAvailability.RetryAfterSeconds);
                        break;
                    default:
                        var logger = ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Secrets.Server.Unhandled");
                        // The route pattern, never the path: a path can carry a host-factory token or a secret's id.
                        var route = (ctx.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";
                        LogUnhandled(logger, ctx.Request.Method, route, error?.GetType().FullName ?? "unknown", error);
                        result = Errors.Internal();
                        break;
                }

                ctx.Response.Headers["X-Request-Id"] = RequestIds.Get(ctx);
                await result.ExecuteAsync(ctx);
            },
        });
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Error, Message = "Unhandled {ExceptionType} on {Method} {Route}")]
    private static partial void LogUnhandled(ILogger logger, string method, string route, string exceptionType, Exception? exception);
}
