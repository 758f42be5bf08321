using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Secrets.Policy.Store;
using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Security;

/// <summary>
/// Issue 8, critical: the owner of a branch named <c>user</c> loaded <c>!role {kind: user, id: admin}</c>, got an API
/// key for <c>user:user/admin</c>, authenticated as <c>user%2Fuser%2Fadmin</c> and received a token whose <c>sub</c>
/// (<c>user/admin</c>) the server read as <c>admin</c>. The same through a branch named <c>host</c> gave any host.
/// </summary>
public abstract class ClosingTheRoleIdEscalation(ServerFixture f)
{
    [Fact]
    public async Task A_role_of_kind_user_in_a_branch_named_user_gets_no_api_key_and_cannot_act_as_admin()
    {
        using var admin = await f.AdminClientAsync();
        var (owner, secretId) = await DelegateBranchAsync(admin, "user");

        var load = await PostAsync(owner, "user", "- !role { kind: user, id: admin }\n");

        // The role is the user `admin@user` (spec 4.4 user ids), and a !role gets no credentials: nothing to log in with.
        Assert.Equal((201, "{\"created_roles\":{},\"version\":1}"), (load.Status, load.Body));
        Assert.True(await RoleExistsAsync(f, Full("user", "admin@user")));
        Assert.False(await RoleExistsAsync(f, Full("user", "user/admin")));
        Assert.Equal("", await CredentialRoleIdsLikeAsync("admin@user"));

        // Whatever key the attacker tries, `user%2Fuser%2Fadmin` does not authenticate, and the secret stays unread.
        Assert.Equal(401, await AuthenticateStatusAsync(f, "user/user/admin", f.AdminApiKey));
        using var fetch = await owner.GetAsync($"/secrets/{Account}/variable/{Uri.EscapeDataString(secretId)}");
        Assert.Equal(HttpStatusCode.NotFound, fetch.StatusCode);
    }

    [Fact]
    public async Task A_role_of_kind_user_in_a_branch_named_host_gets_no_api_key_and_cannot_act_as_the_host()
    {
        using var admin = await f.AdminClientAsync();
        var (owner, _) = await DelegateBranchAsync(admin, "host");
        var target = World.Unique("app");
        await LoadAsync(admin, HttpMethod.Post, "root", $"- !host prod/{target}\n");

        var load = await PostAsync(owner, "host", $"- !role {{ kind: user, id: prod/{target} }}\n");

        Assert.Equal(201, load.Status);
        Assert.Empty(load.CreatedRoles);
        Assert.True(await RoleExistsAsync(f, Full("user", $"{target}@host-prod")));
        Assert.Equal(401, await AuthenticateStatusAsync(f, $"user/host/prod/{target}", f.AdminApiKey));
    }

    [Theory]
    [InlineData("host")]
    [InlineData("user")]
    [InlineData("group")]
    public async Task A_role_record_of_any_kind_gets_no_api_key(string kind)
    {
        using var admin = await f.AdminClientAsync();
        var id = World.Unique("bare");

        var load = await PostAsync(admin, "root", $"- !role {{ kind: {kind}, id: {id} }}\n");

        Assert.Equal((201, "{\"created_roles\":{},\"version\":" + load.Version + "}"), (load.Status, load.Body));
        Assert.True(await RoleExistsAsync(f, Full(kind, id)));
        Assert.Equal("", await CredentialRoleIdsLikeAsync(id));
        Assert.Equal(401, await AuthenticateStatusAsync(f, kind == "user" ? id : $"{kind}/{id}", f.AdminApiKey));
    }

    [Fact]
    public async Task Credentials_left_from_before_the_fix_on_a_user_with_a_slash_yield_no_token()
    {
        // A database written by the old code: the user `user/<name>` with an API key (and the user `<name>`).
        var name = World.Unique("admin");
        await DirectRoles.CreateUserAsync(f, name);
        var apiKey = await DirectRoles.CreateUserAsync(f, $"user/{name}");

        // Its key is right, but its login `user/<name>` names the user `<name>`: no token is issued.
        var request = Requests.Make(HttpMethod.Post, $"/authn/{Account}/{Uri.EscapeDataString($"user/user/{name}")}/authenticate", apiKey);
        var seen = await Requests.ObserveAsync(f.Client, request);

        Assert.Equal((401, ""), (seen.Status, seen.Body));
    }

    [Theory]
    [InlineData("user/admin")]
    [InlineData("user/user/admin")]
    [InlineData("group/ops")]
    [InlineData("policy/root")]
    public async Task A_signed_token_whose_sub_is_not_the_exact_login_of_a_user_or_host_is_refused(string sub)
    {
        // The token the old code issued to `user:user/admin` had `sub: user/admin`; it verified and acted as admin.
        using var key = await TokenForge.AccountKeyAsync(f);
        var token = TokenForge.Sign(key, TokenForge.Header(key), TokenForge.Claims(f.Time.GetUtcNow(), sub));

        var seen = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/whoami", authorization: ServerFixture.TokenHeader(token)));

        Assert.Equal((401, "Unauthorized: Invalid token"), (seen.Status, seen.Body));
    }

    [Fact]
    public async Task The_exact_logins_of_users_and_hosts_still_work()
    {
        using var key = await TokenForge.AccountKeyAsync(f);
        var host = World.Unique("web");
        await DirectRoles.CreateHostAsync(f, $"prod/{host}");

        foreach (var sub in new[] { "admin", $"host/prod/{host}" })
        {
            var token = TokenForge.Sign(key, TokenForge.Header(key), TokenForge.Claims(f.Time.GetUtcNow(), sub));
            var seen = await Requests.ObserveAsync(f.Client, Requests.Make(HttpMethod.Get, "/whoami", authorization: ServerFixture.TokenHeader(token)));
            Assert.True(seen.Status == 200, $"{sub}: {seen.Status} {seen.Body}");
            Assert.Equal(sub, JsonDocument.Parse(seen.Body).RootElement.GetProperty("username").GetString());
        }
    }

    [Fact]
    public async Task Every_role_a_load_returns_an_api_key_for_logs_in_as_itself_with_its_login()
    {
        using var admin = await f.AdminClientAsync();
        var tag = World.Unique("odd");
        var text = string.Join(
            '\n',
            $"- !user user/{tag}",
            $"- !user host/{tag}",
            $"- !user a/b/{tag}",
            $"- !user \"{tag}@dev-db\"",
            $"- !user \"ü-{tag}:x\"",
            $"- !host user/{tag}",
            $"- !host \"{tag}:a:b\"",
            $"- !host \"é/日本/{tag}@x\"",
            $"- !host {tag}.example.com",
            "");

        var load = await PostAsync(admin, "root", text);

        Assert.True(load.Status == 201, load.Body);
        Assert.Equal(9, load.CreatedRoles.Count);
        foreach (var (roleId, apiKey) in load.CreatedRoles)
        {
            Assert.True(FullId.TryGetLogin(roleId, out var login), roleId);
            using var client = await f.ClientForAsync(login, apiKey);
            using var whoami = await client.GetAsync("/whoami");
            Assert.Equal(login, JsonDocument.Parse(await whoami.Content.ReadAsStringAsync()).RootElement.GetProperty("username").GetString());
        }
    }

    /// <summary>
    /// A user who owns the branch <paramref name="branch"/> (a name the exploit needs literally), and a variable only
    /// admin may read. Returns the owner's client and the variable's identifier.
    /// </summary>
    private async Task<(HttpClient Owner, string SecretId)> DelegateBranchAsync(HttpClient admin, string branch)
    {
        var ownerLogin = World.Unique("owner");
        var secretId = World.Unique("admin-only");
        var load = await LoadAsync(
            admin,
            HttpMethod.Post,
            "root",
            $"- !user {ownerLogin}\n- !policy {{ id: {branch}, owner: !user {ownerLogin} }}\n- !variable {secretId}\n");
        await SetSecretAsync(f, Full("variable", secretId), "top-secret");
        var owner = await f.ClientForAsync(ownerLogin, load.ApiKeyOf(Full("user", ownerLogin)));
        return (owner, secretId);
    }

    private Task<string> CredentialRoleIdsLikeAsync(string identifier) =>
        f.WithDbAsync(async db => string.Join(",", await db.Credentials.Where(c => c.RoleId.EndsWith(":" + identifier)).Select(c => c.RoleId).ToListAsync()));
}

public sealed class ClosingTheRoleIdEscalationOnSqlite(SqliteServer f) : ClosingTheRoleIdEscalation(f), IClassFixture<SqliteServer>;

public sealed class ClosingTheRoleIdEscalationOnPostgres(PostgresServerFixture f) : ClosingTheRoleIdEscalation(f), IClassFixture<PostgresServerFixture>;
