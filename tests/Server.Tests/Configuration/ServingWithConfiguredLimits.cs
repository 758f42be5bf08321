using System.Net;
using System.Text;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Configuration;

/// <summary>A server started with a small body limit and short token lifetimes, set through their environment names.</summary>
public abstract class ServingWithConfiguredLimits(ServerFixture f)
{
    public const long BodyLimit = 4096;
    private const string Account = ServerFixture.Account;
    private const string TooLargeBody = "{\"error\":{\"code\":\"payload_too_large\",\"message\":\"The request body exceeds the limit of 4096 bytes\"}}";

    public static IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["SECRETS_MAX_REQUEST_BODY_BYTES"] = BodyLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["SECRETS_USER_TOKEN_TTL"] = "60",
        ["CONJUR_HOST_AUTHORIZATION_TOKEN_TTL"] = "120",
    };

    [Fact]
    public async Task A_body_above_the_limit_announced_by_Content_Length_is_413()
    {
        var request = Requests.Make(HttpMethod.Post, $"/authn/{Account}/admin/authenticate", new string('k', (int)BodyLimit + 1));

        var seen = await Requests.ObserveAsync(f.Client, request);

        Assert.Equal(413, seen.Status);
        Assert.Equal(TooLargeBody, seen.Body);
    }

    [Fact]
    public async Task A_chunked_body_above_the_limit_is_413()
    {
        var request = Requests.Make(HttpMethod.Put, $"/authn/{Account}/password", auth: ServerFixture.Basic("admin", f.AdminApiKey));
        request.Content = new StreamContent(new MemoryStream(Encoding.ASCII.GetBytes(new string('P', (int)BodyLimit * 3))));
        request.Headers.TransferEncodingChunked = true;

        var seen = await Requests.ObserveAsync(f.Client, request);

        Assert.Equal(413, seen.Status);
        Assert.Equal(TooLargeBody, seen.Body);
    }

    [Fact]
    public async Task A_body_at_the_limit_is_read()
    {
        using var response = await f.Client.PostAsync($"/authn/{Account}/admin/authenticate", new StringContent(new string('k', (int)BodyLimit)));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task User_tokens_live_as_long_as_SECRETS_USER_TOKEN_TTL_says()
    {
        var token = await f.AuthenticateAsync("admin", f.AdminApiKey);
        var claims = TokenForge.DecodedPayload(token);
        using var client = f.NewClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", ServerFixture.TokenHeader(token));

        Assert.Equal(60, claims.GetProperty("exp").GetInt64() - claims.GetProperty("iat").GetInt64());
        f.Time.Advance(TimeSpan.FromSeconds(59));
        using (var alive = await client.GetAsync("/whoami"))
        {
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        }

        f.Time.Advance(TimeSpan.FromSeconds(1));
        using var dead = await client.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, dead.StatusCode);
    }

    [Fact]
    public async Task Host_tokens_live_as_long_as_CONJUR_HOST_AUTHORIZATION_TOKEN_TTL_says()
    {
        var host = World.Unique("app");
        var apiKey = await DirectRoles.CreateHostAsync(f, host);

        var claims = TokenForge.DecodedPayload(await f.AuthenticateAsync($"host/{host}", apiKey));

        Assert.Equal($"host/{host}", claims.GetProperty("sub").GetString());
        Assert.Equal(120, claims.GetProperty("exp").GetInt64() - claims.GetProperty("iat").GetInt64());
    }
}

public sealed class LimitedSqliteServer : ServerFixture
{
    public LimitedSqliteServer()
        : base(Store.Sqlite)
    {
    }

    protected override IReadOnlyDictionary<string, string> Environment => ServingWithConfiguredLimits.Settings;
}

public sealed class LimitedPostgresServer : ServerFixture
{
    public LimitedPostgresServer()
        : base(Store.Postgres)
    {
    }

    protected override IReadOnlyDictionary<string, string> Environment => ServingWithConfiguredLimits.Settings;
}

public sealed class ServingWithConfiguredLimitsOnSqlite(LimitedSqliteServer f) : ServingWithConfiguredLimits(f), IClassFixture<LimitedSqliteServer>;

public sealed class ServingWithConfiguredLimitsOnPostgres(LimitedPostgresServer f) : ServingWithConfiguredLimits(f), IClassFixture<LimitedPostgresServer>;
