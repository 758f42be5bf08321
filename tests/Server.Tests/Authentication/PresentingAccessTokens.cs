using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Authentication;

/// <summary>The token middleware (spec 1.2, 3.3) in front of a token-only endpoint (GET /whoami).</summary>
public abstract class PresentingAccessTokens(ServerFixture f)
{
    private const string Account = ServerFixture.Account;

    [Fact]
    public async Task Whoami_describes_the_caller_and_is_audited()
    {
        var host = World.Unique("app");
        var apiKey = await DirectRoles.CreateHostAsync(f, host);
        var token = await f.AuthenticateAsync($"host/{host}", apiKey);
        var iat = TokenForge.DecodedPayload(token).GetProperty("iat").GetInt64();
        var request = Requests.Make(HttpMethod.Get, "/whoami", authorization: ServerFixture.TokenHeader(token));
        request.Headers.UserAgent.ParseAdd("foundation-tests/1.0");

        using var response = await f.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var issued = DateTimeOffset.FromUnixTimeSeconds(iat).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(
            $"{{\"client_ip\":\"127.0.0.1\",\"user_agent\":\"foundation-tests/1.0\",\"account\":\"{Account}\",\"username\":\"host/{host}\",\"token_issued_at\":\"{issued}.000+00:00\"}}",
            await response.Content.ReadAsStringAsync());
        var line = Requests.SingleAuditFor(f, Requests.RequestId(request));
        Assert.Matches(
            $"^<38>1 \\S+ - conjur {Requests.RequestId(request)} identity-check \\[subject@43868 role=\"cucumber:host:{host}\"\\]\\[auth@43868 user=\"cucumber:host:{host}\"\\]"
            + $"\\[client@43868 ip=\"127.0.0.1\"\\]\\[action@43868 result=\"success\" operation=\"check\"\\] cucumber:host:{host} checked its identity using whoami$",
            line);
    }

    [Fact]
    public async Task No_authorization_header_is_401_Authorization_missing()
    {
        var seen = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/whoami"));

        AssertPlainText(seen, 401, "Authorization missing");
    }

    [Theory]
    [InlineData("Basic YWRtaW46c2VjcmV0")]
    [InlineData("Bearer abc.def.ghi")]
    [InlineData("Token")]
    public async Task A_header_that_is_not_a_token_is_401_Authorization_missing(string header)
    {
        var seen = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/whoami", authorization: header));

        AssertPlainText(seen, 401, "Authorization missing");
    }

    [Theory]
    [InlineData("Token token=\"!!!not base64!!!\"")]
    [InlineData("Token token=\"bm90IGpzb24=\"")]
    [InlineData("Token token=\"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2ln\"")]
    [InlineData("Token token=\"eyJwcm90ZWN0ZWQiOiJ4In0=\"")]
    public async Task A_token_that_is_not_base64_of_the_token_json_is_401_Malformed(string header)
    {
        var seen = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/whoami", authorization: header));

        AssertPlainText(seen, 401, "Malformed authorization token");
    }

    [Fact]
    public async Task A_tampered_payload_is_401_Invalid_token()
    {
        var token = await f.AuthenticateAsync("admin", f.AdminApiKey);
        var fields = TokenForge.Fields(token);
        var otherClaims = TokenForge.Claims(f.Time.GetUtcNow(), "someone-else");
        var tampered = $"{{\"protected\":\"{fields.Protected}\",\"payload\":\"{TokenForge.UrlSafe(Encoding.UTF8.GetBytes(otherClaims))}\",\"signature\":\"{fields.Signature}\"}}";

        var seen = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/whoami", authorization: ServerFixture.TokenHeader(tampered)));

        AssertPlainText(seen, 401, "Unauthorized: Invalid token");
    }

    [Fact]
    public async Task A_tampered_signature_is_401_Invalid_token()
    {
        var token = await f.AuthenticateAsync("admin", f.AdminApiKey);
        var fields = TokenForge.Fields(token);
        var signature = TokenForge.FromUrlSafe(fields.Signature);
        signature[10] ^= 0x01;
        var tampered = $"{{\"protected\":\"{fields.Protected}\",\"payload\":\"{fields.Payload}\",\"signature\":\"{TokenForge.UrlSafe(signature)}\"}}";

        var seen = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/whoami", authorization: ServerFixture.TokenHeader(tampered)));

        AssertPlainText(seen, 401, "Unauthorized: Invalid token");
    }

    [Fact]
    public async Task A_token_signed_by_an_unknown_key_is_401_Invalid_token()
    {
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = TokenForge.Sign(stranger, TokenForge.Header(stranger), TokenForge.Claims(f.Time.GetUtcNow(), "admin"));

        var seen = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/whoami", authorization: ServerFixture.TokenHeader(forged)));

        AssertPlainText(seen, 401, "Unauthorized: Invalid token");
    }

    [Fact]
    public async Task A_token_with_the_right_kid_but_another_algorithm_is_401_Invalid_token()
    {
        using var key = await TokenForge.AccountKeyAsync(f);
        var forged = TokenForge.Sign(key, $"{{\"alg\":\"conjur.org/slosilo/v2\",\"kid\":\"{TokenForge.Kid(key)}\"}}", TokenForge.Claims(f.Time.GetUtcNow(), "admin"));

        var seen = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/whoami", authorization: ServerFixture.TokenHeader(forged)));

        AssertPlainText(seen, 401, "Unauthorized: Invalid token");
    }

    [Fact]
    public async Task A_token_with_an_unrecognized_claim_is_401()
    {
        using var key = await TokenForge.AccountKeyAsync(f);
        var forged = TokenForge.Sign(key, TokenForge.Header(key), TokenForge.Claims(f.Time.GetUtcNow(), "admin", extra: "\"admin\":true"));

        var seen = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/whoami", authorization: ServerFixture.TokenHeader(forged)));

        AssertPlainText(seen, 401, "token contains unrecognized claims");
    }

    [Fact]
    public async Task The_allowed_optional_claims_are_accepted()
    {
        using var key = await TokenForge.AccountKeyAsync(f);
        var forged = TokenForge.Sign(key, TokenForge.Header(key), TokenForge.Claims(f.Time.GetUtcNow(), "admin", extra: "\"iss\":\"x\",\"aud\":\"y\",\"jti\":\"z\""));

        var seen = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/whoami", authorization: ServerFixture.TokenHeader(forged)));

        Assert.Equal(200, seen.Status);
    }

    [Fact]
    public async Task A_cidr_claim_rejects_other_addresses_with_403_and_admits_its_own()
    {
        using var key = await TokenForge.AccountKeyAsync(f);
        var forged = TokenForge.Sign(key, TokenForge.Header(key), TokenForge.Claims(f.Time.GetUtcNow(), "admin", extra: "\"cidr\":[\"10.0.0.0/8\"]"));

        var direct = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/whoami", authorization: ServerFixture.TokenHeader(forged)));
        var outside = Requests.Make(HttpMethod.Get, "/whoami", authorization: ServerFixture.TokenHeader(forged));
        outside.Headers.Add("X-Forwarded-For", "192.168.1.1");
        var inside = Requests.Make(HttpMethod.Get, "/whoami", authorization: ServerFixture.TokenHeader(forged));
        inside.Headers.Add("X-Forwarded-For", "10.20.30.40");

        AssertPlainText(direct, 403, "IP address rejected");
        AssertPlainText(await Requests.ObserveAsync(f.Client, outside), 403, "IP address rejected");
        var admitted = await Requests.ObserveAsync(f.Client, inside);
        Assert.Equal(200, admitted.Status);
        Assert.StartsWith("{\"client_ip\":\"10.20.30.40\",", admitted.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_token_is_401_Invalid_token()
    {
        var token = await f.AuthenticateAsync("admin", f.AdminApiKey);
        using var client = f.NewClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", ServerFixture.TokenHeader(token));

        f.Time.Advance(TimeSpan.FromSeconds(479));
        var almost = await Requests.ObserveAsync(client, Requests.Make(HttpMethod.Get, "/whoami"));
        f.Time.Advance(TimeSpan.FromSeconds(1));
        var expired = await Requests.ObserveAsync(client, Requests.Make(HttpMethod.Get, "/whoami"));

        Assert.Equal(200, almost.Status);
        AssertPlainText(expired, 401, "Unauthorized: Invalid token");
    }

    [Fact]
    public async Task A_token_without_exp_expires_480_seconds_after_iat()
    {
        using var key = await TokenForge.AccountKeyAsync(f);
        var now = f.Time.GetUtcNow();
        var forged = TokenForge.Sign(key, TokenForge.Header(key), $"{{\"iat\":{now.ToUnixTimeSeconds()},\"sub\":\"admin\"}}");
        using var client = f.NewClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", ServerFixture.TokenHeader(forged));

        var fresh = await Requests.ObserveAsync(client, Requests.Make(HttpMethod.Get, "/whoami"));
        f.Time.Advance(TimeSpan.FromSeconds(480));
        var stale = await Requests.ObserveAsync(client, Requests.Make(HttpMethod.Get, "/whoami"));

        Assert.Equal(200, fresh.Status);
        AssertPlainText(stale, 401, "Unauthorized: Invalid token");
    }

    [Fact]
    public async Task A_valid_token_whose_role_was_deleted_is_head_403()
    {
        var login = World.Unique("gone");
        var apiKey = await DirectRoles.CreateUserAsync(f, login);
        using var client = await f.ClientForAsync(login, apiKey);
        await DirectRoles.DeleteAsync(f, $"{Account}:user:{login}");

        var seen = await Requests.ObserveAsync(client, Requests.Make(HttpMethod.Get, "/whoami"));

        Assert.Equal(403, seen.Status);
        Assert.Equal("", seen.Body);
    }

    [Fact]
    public async Task A_token_for_a_sub_that_was_never_a_role_is_head_403()
    {
        using var key = await TokenForge.AccountKeyAsync(f);
        var forged = TokenForge.Sign(key, TokenForge.Header(key), TokenForge.Claims(f.Time.GetUtcNow(), "host/never-existed"));

        var seen = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/whoami", authorization: ServerFixture.TokenHeader(forged)));

        Assert.Equal(403, seen.Status);
        Assert.Equal("", seen.Body);
    }

    [Fact]
    public async Task The_token_scheme_is_case_insensitive_and_whitespace_around_it_tolerated()
    {
        var token = await f.AuthenticateAsync("admin", f.AdminApiKey);
        var b64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(token));

        var seen = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/whoami", authorization: $"token  token=\"{b64}\""));

        Assert.Equal(200, seen.Status);
        Assert.Equal("admin", JsonDocument.Parse(seen.Body).RootElement.GetProperty("username").GetString());
    }

    private static void AssertPlainText(Observed seen, int status, string body)
    {
        Assert.Equal(status, seen.Status);
        Assert.Equal(body, seen.Body);
        Assert.Contains("Content-Type: text/plain", seen.Headers, StringComparison.Ordinal);
    }
}

public sealed class PresentingAccessTokensOnSqlite(SqliteServer f) : PresentingAccessTokens(f), IClassFixture<SqliteServer>;

public sealed class PresentingAccessTokensOnPostgres(PostgresServerFixture f) : PresentingAccessTokens(f), IClassFixture<PostgresServerFixture>;
