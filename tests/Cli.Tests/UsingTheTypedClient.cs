using System.Net;
using System.Text;
using Secrets.Cli.Client;
using Secrets.Cli.Tests.Infrastructure;

namespace Secrets.Cli.Tests;

/// <summary>The .NET client on its own: ids, token lifetimes, error envelopes, typed results.</summary>
public sealed class UsingTheTypedClient
{
    [Theory]
    [InlineData("db/password", "variable", "acct:variable:db/password")]
    [InlineData("variable:db/password", null, "acct:variable:db/password")]
    [InlineData("other:variable:db/password", null, "other:variable:db/password")]
    [InlineData("host:app:with:colons", null, "acct:host:app:with:colons")]
    [InlineData("weird:thing:x", null, "weird:thing:x")]
    [InlineData("x:y", "variable", "acct:variable:x:y")]
    public void Ids_are_read_in_all_three_forms(string text, string? defaultKind, string expected) =>
        Assert.Equal(expected, ResourceId.Parse(text, "acct", defaultKind).ToString());

    [Theory]
    [InlineData("no-kind")]
    [InlineData("variable:")]
    [InlineData("")]
    public void Incomplete_ids_are_refused(string text) =>
        Assert.Throws<FormatException>(() => ResourceId.Parse(text, "acct"));

    [Fact]
    public void A_token_is_refreshed_at_85_percent_of_its_lifetime()
    {
        var issued = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var token = AccessToken.Parse(FakeToken.Create("host/app", issued, TimeSpan.FromSeconds(480)), issued.AddSeconds(3));

        Assert.Equal("host/app", token.Subject);
        Assert.Equal(issued.AddSeconds(408), token.RefreshAt);
        Assert.True(token.IsFresh(issued.AddSeconds(407)));
        Assert.False(token.IsFresh(issued.AddSeconds(408)));
        Assert.DoesNotContain("protected", token.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_opaque_token_is_refreshed_after_five_minutes_and_base64_tokens_are_read()
    {
        var now = DateTimeOffset.UnixEpoch.AddYears(60);
        var json = """{"protected":"x","payload":"not base64 json","signature":"y"}""";

        var token = AccessToken.Parse(Convert.ToBase64String(Encoding.UTF8.GetBytes(json)), now);

        Assert.Equal(json, token.Json);
        Assert.Equal(now.AddMinutes(5), token.RefreshAt);
        Assert.Equal($"Token token=\"{Convert.ToBase64String(Encoding.UTF8.GetBytes(json))}\"", token.AuthorizationHeaderValue);
    }

    [Fact]
    public void Credentials_never_print_their_secret()
    {
        Assert.DoesNotContain("s3cret", new ApiKeyCredentials("alice", "s3cret").ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("k3y", new CreatedRole { Id = "acct:user:a", ApiKey = "k3y" }.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("k3y", new HostFactoryHost { Id = "acct:host:a", ApiKey = "k3y" }.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(".", "%2E")]
    [InlineData("..", "%2E%2E")]
    [InlineData("a/../b", "a%2F..%2Fb")]
    [InlineData("a b+c?d#e%f", "a%20b%2Bc%3Fd%23e%25f")]
    public void Path_segments_cannot_escape_their_position(string value, string encoded) =>
        Assert.Equal(encoded, ConjurClient.Segment(value));

    [Fact]
    public async Task Typed_results_carry_fields_and_the_raw_json()
    {
        await using var server = await RecordingServer.StartAsync();
        server.On("POST", "/policies/acct/policy/root", Reply.Json(
            """{"created_roles":{"acct:host:app":{"id":"acct:host:app","api_key":"k"}},"version":7,"warnings":["w"]}""", 201));
        server.On("GET", "/roles/acct/group/ops", Reply.Json(
            """{"id":"acct:group:ops","created_at":"t","members":[{"admin_option":true,"ownership":true,"role":"acct:group:ops","member":"acct:user:admin"}]}"""));
        using var client = new ConjurClient(new ConjurClientOptions
        {
            ApplianceUrl = server.Url,
            Account = "acct",
            Credentials = new ApiKeyCredentials("admin", "key"),
        });

        using var policy = new MemoryStream("- !host app\n"u8.ToArray());
        var loaded = await client.LoadPolicyAsync(PolicyLoadMode.Load, "root", policy);
        var role = await client.ShowRoleAsync(new ResourceId("acct", "group", "ops"));

        Assert.Equal(7, loaded.Version);
        Assert.Equal("k", loaded.CreatedRoles["acct:host:app"].ApiKey);
        Assert.Equal(["w"], loaded.Warnings!);
        Assert.Equal(7, loaded.Raw.GetProperty("version").GetInt32());
        Assert.True(role.Members.Single().Ownership);
        Assert.Equal("acct:user:admin", role.Members.Single().Member);
        Assert.Single(server.Authentications);
    }

    [Fact]
    public async Task Without_credentials_an_authenticated_call_fails_locally()
    {
        await using var server = await RecordingServer.StartAsync();
        using var client = new ConjurClient(new ConjurClientOptions { ApplianceUrl = server.Url, Account = "acct" });

        await Assert.ThrowsAsync<ConjurCredentialsException>(() => client.WhoAmIAsync());
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Api_errors_expose_status_code_and_message()
    {
        await using var server = await RecordingServer.StartAsync();
        server.On("GET", "/resources/acct/variable/x", Reply.Error(404, "not_found", "Variable 'x' not found in account 'acct'"));
        using var client = new ConjurClient(new ConjurClientOptions { ApplianceUrl = server.Url, Account = "acct", Credentials = new ApiKeyCredentials("a", "k") });

        var error = await Assert.ThrowsAsync<ConjurApiException>(() => client.ShowResourceAsync(new ResourceId("acct", "variable", "x")));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Equal("not_found", error.ErrorCode);
        Assert.Equal("Variable 'x' not found in account 'acct'", error.Message);
    }

    [Fact]
    public async Task An_appliance_url_with_a_path_prefix_is_kept()
    {
        await using var server = await RecordingServer.StartAsync();
        server.On("GET", "/api/whoami", Reply.Json("""{"username":"a"}"""));
        server.On("POST", "/api/authn/acct/a/authenticate", _ => Reply.Json(server.IssueToken("a")));
        using var client = new ConjurClient(new ConjurClientOptions
        {
            ApplianceUrl = new Uri(server.Url, "/api/"),
            Account = "acct",
            Credentials = new ApiKeyCredentials("a", "k"),
        });

        var whoami = await client.WhoAmIAsync();

        Assert.Equal("a", whoami.Username);
    }
}
