using System.Text.Json;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Security;

/// <summary>
/// Issue 8: a token the server issued has one encoding. Its twin signature (r, n − s) and its unpadded fields are
/// the same signed content spelled differently, and the token middleware refuses them.
/// </summary>
public abstract class RefusingNonCanonicalTokens(ServerFixture f)
{
    [Fact]
    public async Task The_issued_token_works_and_its_other_spellings_are_401()
    {
        var token = await f.AuthenticateAsync("admin", f.AdminApiKey);
        var (protectedPart, payloadPart, signature) = TokenForge.Fields(token);
        var bytes = TokenForge.FromUrlSafe(signature);
        Assert.Equal(bytes, TokenForge.LowS(bytes));

        var twin = Envelope(protectedPart, payloadPart, TokenForge.UrlSafe(TokenForge.Twin(bytes)));
        var unpadded = Envelope(protectedPart, payloadPart, signature.TrimEnd('='));
        Assert.NotEqual(signature, signature.TrimEnd('='));

        var issued = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/whoami", authorization: ServerFixture.TokenHeader(token)));
        var highS = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/whoami", authorization: ServerFixture.TokenHeader(twin)));
        var noPadding = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/whoami", authorization: ServerFixture.TokenHeader(unpadded)));

        Assert.Equal(200, issued.Status);
        Assert.Equal((401, "Unauthorized: Invalid token"), (highS.Status, highS.Body));
        Assert.Equal((401, "Malformed authorization token"), (noPadding.Status, noPadding.Body));
    }

    private static string Envelope(string protectedPart, string payloadPart, string signature) =>
        JsonSerializer.Serialize(new Dictionary<string, string> { ["protected"] = protectedPart, ["payload"] = payloadPart, ["signature"] = signature });
}

public sealed class RefusingNonCanonicalTokensOnSqlite(SqliteServer f) : RefusingNonCanonicalTokens(f), IClassFixture<SqliteServer>;

public sealed class RefusingNonCanonicalTokensOnPostgres(PostgresServerFixture f) : RefusingNonCanonicalTokens(f), IClassFixture<PostgresServerFixture>;
