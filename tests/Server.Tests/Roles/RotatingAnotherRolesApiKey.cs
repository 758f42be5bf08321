using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Tests.Infrastructure;
using Secrets.Server.Tests.Resources;

namespace Secrets.Server.Tests.Roles;

/// <summary>
/// PUT /authn/{account}/api_key?role=… with an access token (spec 2.1): the matrix of Conjur's rotate_api_key
/// feature — update privilege (directly or through a layer) rotates, read only is 403, invisible or absent is 404,
/// roles without credentials are 405.
/// </summary>
public abstract class RotatingAnotherRolesApiKey(ServerFixture f)
{
    private const string Root = """
        - !policy
          id: p1
          body:
          - !layer hidden
        - !user bob
        - !user target-one
        - !user target-two
        - !user target-three
        - !user privileged
        - !user reader
        - !user nobody
        - !layer host-layer
        - !policy strict
        - !group supers
        - !host privileged-host
        - !host keyless
        - !permit
          role: !user privileged
          privilege: [update]
          resources: [!user bob, !user target-one, !user target-two, !layer host-layer, !policy strict, !group supers, !host keyless]
        - !permit
          role: !user reader
          privilege: [read]
          resources: [!layer host-layer, !user bob, !policy strict]
        - !grant
          role: !layer host-layer
          member: !host privileged-host
        - !permit
          role: !layer host-layer
          privilege: [update]
          resource: !user target-three
        """;

    private Task<PolicyWorld> WorldAsync() => Worlds.GetAsync(f, "rotation", ("root", Root));

    [Fact]
    public async Task A_user_with_update_rotates_another_users_key_and_the_old_key_stops_working()
    {
        var world = await WorldAsync();
        using var privileged = await world.ClientAsync("privileged");
        var oldKey = world.ApiKeys["cucumber:user:target-one"];

        using var response = await privileged.PutAsync("/authn/cucumber/api_key?role=user:target-one", null);
        var newKey = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.NotEqual(oldKey, newKey);
        Assert.Matches("^[0-9a-hjkmnp-tv-z]{8,56}$", newKey);
        Assert.Equal(HttpStatusCode.Unauthorized, await AuthenticateStatusAsync("target-one", oldKey));
        Assert.Equal(HttpStatusCode.OK, await AuthenticateStatusAsync("target-one", newKey));
    }

    [Fact]
    public async Task A_full_role_id_names_the_target_too()
    {
        var world = await WorldAsync();
        using var privileged = await world.ClientAsync("privileged");

        using var response = await privileged.PutAsync("/authn/cucumber/api_key?role=cucumber:user:target-two", null);
        var newKey = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await AuthenticateStatusAsync("target-two", newKey));
    }

    [Fact]
    public async Task A_host_with_update_through_its_layer_rotates_a_users_key()
    {
        var world = await WorldAsync();
        using var host = await world.ClientAsync("host/privileged-host");

        var requestId = "rotate-" + Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Put, "/authn/cucumber/api_key?role=user:target-three");
        request.Headers.Add("X-Request-Id", requestId);
        using var response = await host.SendAsync(request);
        var newKey = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await AuthenticateStatusAsync("target-three", newKey));
        var line = Assert.Single(f.Audit.Lines, l => l.Contains($" conjur {requestId} ", StringComparison.Ordinal));
        Assert.StartsWith("<86>1 ", line, StringComparison.Ordinal);
        Assert.Contains(" api-key [auth@43868 user=\"cucumber:host:privileged-host\"][subject@43868 role=\"cucumber:user:target-three\"]", line, StringComparison.Ordinal);
        Assert.EndsWith(" cucumber:host:privileged-host successfully rotated the api key for cucumber:user:target-three", line, StringComparison.Ordinal);
        Assert.DoesNotContain(newKey, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("reader", "user:bob")]
    [InlineData("reader", "layer:host-layer")]
    [InlineData("reader", "policy:strict")]
    public async Task Read_only_is_an_empty_403_whatever_the_kind(string login, string role)
    {
        var world = await WorldAsync();
        using var client = await world.ClientAsync(login);

        var (status, body, _) = await Requests.SendAsync(client, HttpMethod.Put, $"/authn/cucumber/api_key?role={role}");

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("", body);
    }

    [Theory]
    [InlineData("layer:host-layer", "cucumber:layer:host-layer")]
    [InlineData("policy:strict", "cucumber:policy:strict")]
    [InlineData("group:supers", "cucumber:group:supers")]
    public async Task Roles_without_credentials_are_not_applicable(string role, string fullId)
    {
        var world = await WorldAsync();
        using var privileged = await world.ClientAsync("privileged");

        var (status, body, contentType) = await Requests.SendAsync(privileged, HttpMethod.Put, $"/authn/cucumber/api_key?role={role}");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        Assert.Equal("application/json", contentType);
        Assert.Equal("""{"error":{"code":"method_not_allowed","message":"CONJ00126E Role '""" + fullId + """' is not applicable for key rotation"}}""", body);
    }

    [Theory]
    [InlineData("privileged", "user:does_not_exist", "cucumber:user:does_not_exist")]
    [InlineData("nobody", "layer:p1/hidden", "cucumber:layer:p1/hidden")]
    [InlineData("nobody", "user:bob", "cucumber:user:bob")]
    [InlineData("privileged", "nonexistent_account:user:bob", "nonexistent_account:user:bob")]
    [InlineData("privileged", "cucumber:variable:x", "cucumber:variable:x")]
    public async Task Absent_and_invisible_targets_are_the_same_404(string login, string role, string fullId)
    {
        var world = await WorldAsync();
        using var client = await world.ClientAsync(login);
        var caller = $"cucumber:user:{login}";

        var (status, body, _) = await Requests.SendAsync(client, HttpMethod.Put, $"/authn/cucumber/api_key?role={Uri.EscapeDataString(role)}");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(
            $"{{\"error\":{{\"code\":\"not_found\",\"message\":\"CONJ00123E Resource '{fullId}' requested by role '{caller}' not found\",\"target\":\"role\",\"details\":{{\"code\":\"not_found\",\"target\":\"id\",\"message\":\"{fullId}\"}}}}}}",
            body);
    }

    [Fact]
    public async Task A_host_that_does_not_use_an_api_key_is_not_applicable()
    {
        var world = await WorldAsync();
        using var privileged = await world.ClientAsync("privileged");

        // A host without an API key (Conjur: annotated authn/api-key: false) has a credentials row without key material.
        await f.WithDbAsync(db => db.Credentials.Where(c => c.RoleId == "cucumber:host:keyless")
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.ApiKeySeed, (byte[]?)null).SetProperty(c => c.ApiKeyHash, (byte[]?)null)));

        var (status, body, _) = await Requests.SendAsync(privileged, HttpMethod.Put, "/authn/cucumber/api_key?role=host:keyless");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        Assert.Equal("""{"error":{"code":"method_not_allowed","message":"Operation is not supported for host since it does not use api-key for authentication"}}""", body);
    }

    [Fact]
    public async Task A_role_parameter_that_is_not_an_id_is_refused()
    {
        var world = await WorldAsync();
        using var privileged = await world.ClientAsync("privileged");

        var (status, body, _) = await Requests.SendAsync(privileged, HttpMethod.Put, "/authn/cucumber/api_key?role=bob");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("""{"error":{"code":"argument_error","message":"Expected at least 2 tokens in bob"}}""", body);
    }

    [Theory]
    [InlineData("")]
    [InlineData("?role=user:privileged")]
    [InlineData("?role=cucumber:user:privileged")]
    public async Task An_access_token_cannot_rotate_its_own_key(string query)
    {
        var world = await WorldAsync();
        using var privileged = await world.ClientAsync("privileged");

        var (status, body, _) = await Requests.SendAsync(privileged, HttpMethod.Put, $"/authn/cucumber/api_key{query}");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("""{"error":{"code":"unauthorized","message":"Credential strength is insufficient"}}""", body);
    }

    [Fact]
    public async Task Refusals_are_audited_with_the_reason()
    {
        var world = await WorldAsync();
        using var reader = await world.ClientAsync("reader");
        var requestId = "rotate-" + Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Put, "/authn/cucumber/api_key?role=user:bob");
        request.Headers.Add("X-Request-Id", requestId);
        using var response = await reader.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);

        var line = Assert.Single(f.Audit.Lines, l => l.Contains($" conjur {requestId} ", StringComparison.Ordinal));
        Assert.StartsWith("<84>1 ", line, StringComparison.Ordinal);
        Assert.Contains("[action@43868 result=\"failure\" operation=\"rotate\"]", line, StringComparison.Ordinal);
        Assert.EndsWith(
            " cucumber:user:reader failed to rotate the api key for cucumber:user:bob: CONJ00124E Role 'cucumber:user:reader' has insufficient privileges over the resource",
            line,
            StringComparison.Ordinal);
    }

    private async Task<HttpStatusCode> AuthenticateStatusAsync(string login, string apiKey)
    {
        using var response = await f.Client.PostAsync($"/authn/cucumber/{Uri.EscapeDataString(login)}/authenticate", new StringContent(apiKey, Encoding.UTF8, "text/plain"));
        return response.StatusCode;
    }
}

public sealed class RotatingAnotherRolesApiKeyOnSqlite(SqliteServer f) : RotatingAnotherRolesApiKey(f), IClassFixture<SqliteServer>;

public sealed class RotatingAnotherRolesApiKeyOnPostgres(PostgresServerFixture f) : RotatingAnotherRolesApiKey(f), IClassFixture<PostgresServerFixture>;
