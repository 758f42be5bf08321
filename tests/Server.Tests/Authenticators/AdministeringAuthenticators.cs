using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Authenticators;

/// <summary>GET /authenticators and PATCH /{authenticator}[/{service_id}]/{account} (spec 2.3, 7.1).</summary>
public abstract class AdministeringAuthenticators(ServerFixture f)
{
    private const string Account = ServerFixture.Account;

    /// <summary>A branch with an authn webservice the user <c>editor</c> may update and <c>reader</c> may only read.</summary>
    private async Task<(string Service, HttpClient Editor, HttpClient Reader)> WorldAsync()
    {
        var service = "svc-" + Guid.NewGuid().ToString("N")[..8];
        var policy = $$"""
            - !user editor-{{service}}
            - !user reader-{{service}}
            - !policy
              id: conjur/authn/{{service}}
              body:
              - !webservice
            - !policy
              id: conjur/authn-jwt/{{service}}
              body:
              - !webservice
              - !webservice status
            - !policy
              id: conjur/authn-gcp/{{service}}
              body:
              - !webservice
            - !permit
              role: !user editor-{{service}}
              privileges: [read, update]
              resources: [!webservice conjur/authn/{{service}}, !webservice conjur/authn-jwt/{{service}}, !webservice conjur/authn-gcp/{{service}}]
            - !permit
              role: !user reader-{{service}}
              privileges: [read]
              resource: !webservice conjur/authn/{{service}}
            """;
        using var admin = await f.AdminClientAsync();
        using var load = await admin.PostAsync($"/policies/{Account}/policy/root", new StringContent(policy, Encoding.UTF8, "application/x-yaml"));
        var body = await load.Content.ReadAsStringAsync();
        Assert.True(load.StatusCode == HttpStatusCode.Created, body);
        var keys = JsonDocument.Parse(body).RootElement.GetProperty("created_roles");
        var editor = await f.ClientForAsync($"editor-{service}", keys.GetProperty($"{Account}:user:editor-{service}").GetProperty("api_key").GetString()!);
        var reader = await f.ClientForAsync($"reader-{service}", keys.GetProperty($"{Account}:user:reader-{service}").GetProperty("api_key").GetString()!);
        return (service, editor, reader);
    }

    private static async Task<(string[] Installed, string[] Configured, string[] Enabled)> ListAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/authenticators");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        string[] Read(string name) => [.. root.GetProperty(name).EnumerateArray().Select(e => e.GetString()!)];
        return (Read("installed"), Read("configured"), Read("enabled"));
    }

    private static HttpRequestMessage Patch(string path, string body, string contentType = "application/x-www-form-urlencoded") =>
        new(HttpMethod.Patch, path) { Content = new StringContent(body, Encoding.UTF8, contentType) };

    private Task<bool?> EnabledInDatabaseAsync(string service) =>
        f.WithDbAsync(db => db.AuthenticatorConfigs.AsNoTracking()
            .Where(c => c.ResourceId == $"{Account}:webservice:conjur/authn/{service}")
            .Select(c => (bool?)c.Enabled)
            .SingleOrDefaultAsync());

    [Fact]
    public async Task The_list_needs_no_token_and_names_installed_configured_and_enabled_instances_sorted()
    {
        var (service, editor, _) = await WorldAsync();
        using var anonymous = f.NewClient();
        anonymous.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Token token=\"not-a-token\"");

        var (installed, configured, enabled) = await ListAsync(anonymous);

        Assert.Equal(["authn", "authn-jwt", "authn-k8s"], installed);
        // Conjur's rule: every webservice under conjur/authn-, with its sub-webservices, plus authn itself.
        Assert.Contains("authn", configured);
        Assert.Contains($"authn-jwt/{service}", configured);
        Assert.Contains($"authn-jwt/{service}/status", configured);
        Assert.DoesNotContain($"authn/{service}", configured);
        Assert.Equal(configured.Order(StringComparer.Ordinal), configured);
        Assert.Equal(configured.Distinct(StringComparer.Ordinal).Count(), configured.Length);
        Assert.Contains("authn", enabled);
        Assert.DoesNotContain($"authn/{service}", enabled);
        editor.Dispose();
    }

    [Fact]
    public async Task Patch_with_update_enables_and_disables_the_instance_with_a_form_or_json_body()
    {
        var (service, editor, _) = await WorldAsync();
        var path = $"/authn/{service}/{Account}";

        using (var on = await editor.SendAsync(Patch(path, "enabled=true")))
        {
            Assert.Equal(HttpStatusCode.NoContent, on.StatusCode);
        }

        Assert.True(await EnabledInDatabaseAsync(service));
        Assert.Contains($"authn/{service}", (await ListAsync(editor)).Enabled);
        Assert.Contains(f.Audit.Lines, l => l.Contains("update-authenticator-configuration", StringComparison.Ordinal)
            && l.Contains($"{Account}:user:editor-{service} successfully updated authenticator authn service {Account}:webservice:conjur/authn/{service}", StringComparison.Ordinal));

        using (var off = await editor.SendAsync(Patch(path, """{"enabled":false}""", "application/json")))
        {
            Assert.Equal(HttpStatusCode.NoContent, off.StatusCode);
        }

        Assert.False(await EnabledInDatabaseAsync(service));
        Assert.DoesNotContain($"authn/{service}", (await ListAsync(editor)).Enabled);

        using (var json = await editor.SendAsync(Patch(path, """{"enabled":true}""", "application/json")))
        {
            Assert.Equal(HttpStatusCode.NoContent, json.StatusCode);
        }

        Assert.True(await EnabledInDatabaseAsync(service));

        // Anything other than "true" means false (spec 2.3).
        using (var yes = await editor.SendAsync(Patch(path, "enabled=yes")))
        {
            Assert.Equal(HttpStatusCode.NoContent, yes.StatusCode);
        }

        Assert.False(await EnabledInDatabaseAsync(service));
        editor.Dispose();
    }

    [Fact]
    public async Task Patch_without_update_is_forbidden_and_changes_nothing()
    {
        var (service, editor, reader) = await WorldAsync();

        using var response = await reader.SendAsync(Patch($"/authn/{service}/{Account}", "enabled=true"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(await EnabledInDatabaseAsync(service));
        Assert.Contains(f.Audit.Lines, l => l.Contains("update-authenticator-configuration", StringComparison.Ordinal)
            && l.Contains($"reader-{service} failed to update authenticator authn", StringComparison.Ordinal)
            && l.Contains("CONJ00006E", StringComparison.Ordinal));
        editor.Dispose();
        reader.Dispose();
    }

    [Fact]
    public async Task Patch_of_a_missing_account_or_webservice_or_an_uninstalled_type_is_401_and_needs_a_token()
    {
        var (service, editor, _) = await WorldAsync();

        using var noWebservice = await editor.SendAsync(Patch($"/authn/other-{service}/{Account}", "enabled=true"));
        using var noAccount = await editor.SendAsync(Patch($"/authn/{service}/no-such-account", "enabled=true"));
        // The webservice exists and the editor may update it, but this server has no authn-gcp.
        using var notInstalled = await editor.SendAsync(Patch($"/authn-gcp/{service}/{Account}", "enabled=true"));
        using var notAnAuthenticator = await editor.SendAsync(Patch($"/resources/{service}/{Account}", "enabled=true"));
        using var anonymous = f.NewClient();
        using var noToken = await anonymous.SendAsync(Patch($"/authn/{service}/{Account}", "enabled=true"));

        Assert.Equal(HttpStatusCode.Unauthorized, noWebservice.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, noAccount.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, notInstalled.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, notAnAuthenticator.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Null(await EnabledInDatabaseAsync(service));
        Assert.DoesNotContain($"authn-gcp/{service}", (await ListAsync(editor)).Enabled);
        editor.Dispose();
    }
}

public sealed class AdministeringAuthenticatorsOnSqlite(SqliteServer f) : AdministeringAuthenticators(f), IClassFixture<SqliteServer>;

public sealed class AdministeringAuthenticatorsOnPostgres(PostgresServerFixture f) : AdministeringAuthenticators(f), IClassFixture<PostgresServerFixture>;
