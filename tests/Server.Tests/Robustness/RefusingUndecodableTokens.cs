using System.Text;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Robustness;

/// <summary>
/// A token whose JSON envelope or protected header holds a string that is not UTF-8 is a malformed token: 401 with
/// spec 1.2's text, never a 500 (JsonDocument accepts such bytes and throws only when the string is read).
/// </summary>
public abstract class RefusingUndecodableTokens(ServerFixture f)
{
    [Theory]
    [InlineData("protected")]
    [InlineData("payload")]
    [InlineData("signature")]
    public async Task An_envelope_with_invalid_utf8_is_401_malformed(string field)
    {
        byte[] Value(string name) => name == field ? [0xFF, 0xC3, 0x28] : "YQ=="u8.ToArray();

        await AssertMalformedAsync(
        [
            .. "{\"protected\":\""u8, .. Value("protected"),
            .. "\",\"payload\":\""u8, .. Value("payload"),
            .. "\",\"signature\":\""u8, .. Value("signature"),
            .. "\"}"u8,
        ]);
    }

    [Fact]
    public async Task A_protected_header_with_invalid_utf8_is_401_malformed()
    {
        byte[] headerJson = [.. "{\"alg\":\"ES256\",\"kid\":\""u8, 0xFF, .. "\"}"u8];
        var header = Convert.ToBase64String(headerJson).Replace('+', '-').Replace('/', '_');
        var payload = Convert.ToBase64String("{\"sub\":\"admin\",\"iat\":1700000000}"u8.ToArray()).Replace('+', '-').Replace('/', '_');

        await AssertMalformedAsync(Encoding.ASCII.GetBytes($"{{\"protected\":\"{header}\",\"payload\":\"{payload}\",\"signature\":\"c2ln\"}}"));
    }

    private async Task AssertMalformedAsync(byte[] envelope)
    {
        foreach (var path in new[] { "/whoami", $"/secrets/{RobustnessWorld.Account}/variable/x", "/resources" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation("Authorization", $"Token token=\"{Convert.ToBase64String(envelope)}\"");
            using var response = await f.Client.SendAsync(request);

            Assert.Equal((401, "Malformed authorization token"), ((int)response.StatusCode, await response.Content.ReadAsStringAsync()));
        }
    }
}

public sealed class RefusingUndecodableTokensOnSqlite(SqliteServer f) : RefusingUndecodableTokens(f), IClassFixture<SqliteServer>;

public sealed class RefusingUndecodableTokensOnPostgres(PostgresServerFixture f) : RefusingUndecodableTokens(f), IClassFixture<PostgresServerFixture>;
