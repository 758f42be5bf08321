using Microsoft.AspNetCore.Http.HttpResults;
using Secrets.Authn.Tokens;
using Secrets.Authn.Wire;

namespace Secrets.Server.Authentication;

/// <summary>The authenticate response: token JSON, or its Base64 when Accept-Encoding lists base64 (spec 2.1).</summary>
internal static class TokenResponses
{
    public static ContentHttpResult Write(HttpContext ctx, string tokenJson)
    {
        if (AcceptEncoding.ListsBase64(ctx.Request.Headers.AcceptEncoding.ToString()))
        {
            ctx.Response.Headers.ContentEncoding = "base64";
            return TypedResults.Content(AccessTokens.ToBase64(tokenJson), "text/plain");
        }

        return TypedResults.Content(tokenJson, "application/json");
    }
}
