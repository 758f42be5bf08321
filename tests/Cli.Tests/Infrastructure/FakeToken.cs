using System.Text;

namespace Secrets.Cli.Tests.Infrastructure;

/// <summary>Access tokens shaped like Conjur's (spec §3.2): JSON with base64url-with-padding fields. Not signed.</summary>
public static class FakeToken
{
    public static string Create(string subject, DateTimeOffset issuedAt, TimeSpan lifetime)
    {
        var header = Encode("""{"alg":"conjur.org/slosilo/v2","kid":"0123abcd"}""");
        var payload = Encode($$"""{"iat":{{issuedAt.ToUnixTimeSeconds()}},"sub":"{{subject}}","exp":{{(issuedAt + lifetime).ToUnixTimeSeconds()}}}""");
        // Real signatures carry a random salt, so two tokens are never equal; so do these.
        var signature = Encode("not-a-real-signature-" + Guid.NewGuid().ToString("N"));
        return $$"""{"protected":"{{header}}","payload":"{{payload}}","signature":"{{signature}}"}""";
    }

    public static string HeaderFor(string tokenJson) =>
        $"Token token=\"{Convert.ToBase64String(Encoding.UTF8.GetBytes(tokenJson))}\"";

    /// <summary>The JSON inside an Authorization header value.</summary>
    public static string JsonOf(string authorizationHeader)
    {
        const string prefix = "Token token=\"";
        Assert.StartsWith(prefix, authorizationHeader, StringComparison.Ordinal);
        Assert.EndsWith("\"", authorizationHeader, StringComparison.Ordinal);
        return Encoding.UTF8.GetString(Convert.FromBase64String(authorizationHeader[prefix.Length..^1]));
    }

    private static string Encode(string json) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).Replace('+', '-').Replace('/', '_');
}
