using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Secrets.Policy.Store;
using Secrets.Server.Accounts;
using Secrets.Server.Crypto;
using Secrets.Server.Data;
using Secrets.Server.Http;
using Secrets.Server.Variables;

namespace Secrets.Server.PublicKeys;

/// <summary>
/// GET /public_keys/{account}/{kind}/{id} (spec 2.9): the SSH public keys of a user, for tools that provision
/// authorized_keys. Public by design: the token is optional and no authorization applies, as in Conjur.
/// </summary>
internal static class PublicKeyEndpoints
{
    private static readonly char[] RubyWhitespace = [' ', '\t', '\n', '\v', '\f', '\r', '\0'];

    public static IEndpointRouteBuilder MapPublicKeyEndpoints(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/public_keys").TokenOptional();
        keys.MapGet("/{account}/{kind}/{**identifier}", List);
        return app;
    }

    /// <summary>
    /// The latest value of every <c>public_key</c> resource <c>&lt;kind&gt;/&lt;id&gt;/&lt;name&gt;</c>, sorted by
    /// resource id, each stripped, one per line, with a trailing newline (an empty list is <c>"\n"</c>).
    /// </summary>
    internal static async Task<Results<ContentHttpResult, ConjurError>> List(
        HttpContext ctx, SecretsDbContext db, DataKeyCipher cipher, CancellationToken ct)
    {
        var segments = PathSegments.Decoded(ctx);
        if (segments is null || segments.Length < 4 || !AccountName.IsValid(segments[1]) || segments[2].Length == 0)
        {
            return Errors.RouteNotFound();
        }

        var account = segments[1];
        var owner = $"{segments[2]}/{string.Join('/', segments[3..])}";
        if (owner.EndsWith('/'))
        {
            return Errors.RouteNotFound();
        }

        var keys = await db.LatestValuesByPrefixAsync(account, $"{account}:public_key:{owner}/", ct);
        var lines = keys.Select(k => Encoding.UTF8.GetString(cipher.OpenSecret(k.Value, account, k.ResourceId, k.Version)).Trim(RubyWhitespace));

        // Ruby: values.map(&:strip).join("\n").strip + "\n".
        var text = string.Join('\n', lines).Trim(RubyWhitespace) + "\n";
        return TypedResults.Text(text, "text/plain", Encoding.UTF8);
    }
}
