using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Data;
using Secrets.Server.Http;

namespace Secrets.Server.Tests.Infrastructure;

/// <summary>
/// A test's own corner of the account, reached through the front door as a Conjur user would: ids no other test of
/// the class uses (tests of one class share a database), its policy loads, its secrets, and its rows read straight from the database.
/// </summary>
internal static class World
{
    public const string Account = ServerFixture.Account;

    public static string PolicyPath(string identifier, bool dryRun = false, string account = Account) =>
        $"/policies/{account}/policy/{Uri.EscapeDataString(identifier)}{(dryRun ? "?dryRun=true" : "")}";

    public static Task<ApiResponse> PostAsync(HttpClient client, string identifier, string text, bool dryRun = false) =>
        Requests.SendAsync(client, HttpMethod.Post, PolicyPath(identifier, dryRun), text);

    public static Task<ApiResponse> PatchAsync(HttpClient client, string identifier, string text, bool dryRun = false) =>
        Requests.SendAsync(client, HttpMethod.Patch, PolicyPath(identifier, dryRun), text);

    public static Task<ApiResponse> PutAsync(HttpClient client, string identifier, string text, bool dryRun = false) =>
        Requests.SendAsync(client, HttpMethod.Put, PolicyPath(identifier, dryRun), text);

    /// <summary>Loads <paramref name="text"/> and insists on 201: the setup step of most scenarios (<see cref="ApiResponse.ApiKeys"/> has the created roles).</summary>
    public static async Task<ApiResponse> LoadAsync(HttpClient client, HttpMethod method, string identifier, string text, string account = Account)
    {
        var response = await Requests.SendAsync(client, method, PolicyPath(identifier, account: account), text);
        Assert.True(response.Status == 201, $"{method} {identifier} answered {response.Status}: {response.Body}");
        return response;
    }

    /// <summary>Creates policy <c>&lt;unique&gt;</c> under root (loaded by admin with POST) and returns its identifier.</summary>
    public static async Task<string> NewBranchAsync(HttpClient admin, string prefix, string? body = null)
    {
        var branch = Unique(prefix);
        await LoadAsync(admin, HttpMethod.Post, "root", body is null ? $"- !policy {branch}\n" : $"- !policy\n  id: {branch}\n  body:\n{Indent(body, 2)}");
        return branch;
    }

    /// <summary>Indents every line of a policy fragment (to nest it under <c>body:</c>).</summary>
    public static string Indent(string text, int spaces) =>
        string.Concat(text.Split('\n').Where(l => l.Length > 0).Select(l => new string(' ', spaces) + l + "\n"));

    /// <summary>The secrets path of a resource (<c>account:kind:identifier</c>), the identifier encoded as the Go SDK does (url.PathEscape of the whole id).</summary>
    public static string SecretPath(string resourceId)
    {
        var parts = resourceId.Split(':', 3);
        return $"/secrets/{parts[0]}/{parts[1]}/{Uri.EscapeDataString(parts[2])}";
    }

    /// <summary>Stores a secret value with POST /secrets (a new version each time); insists on 201.</summary>
    public static async Task SetSecretAsync(HttpClient client, string variableId, byte[] value)
    {
        using var response = await client.PostAsync(SecretPath(variableId), new ByteArrayContent(value));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    public static Task SetSecretAsync(HttpClient client, string variableId, string value) => SetSecretAsync(client, variableId, Encoding.UTF8.GetBytes(value));

    /// <summary>Stores a secret value as the account's admin.</summary>
    public static async Task SetSecretAsync(ServerFixture f, string variableId, string value)
    {
        using var admin = await f.AdminClientAsync();
        await SetSecretAsync(admin, variableId, value);
    }

    /// <summary>GET /secrets as the account's admin: the status and the body.</summary>
    public static async Task<(int Status, string Body)> GetSecretAsync(ServerFixture f, string variableId)
    {
        using var admin = await f.AdminClientAsync();
        using var response = await admin.GetAsync(SecretPath(variableId));
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static int _counter;

    /// <summary>POST /authn/…/authenticate with an API key, optionally from another client address (X-Forwarded-For from loopback is trusted).</summary>
    public static async Task<int> AuthenticateStatusAsync(ServerFixture f, string login, string apiKey, string? fromAddress = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/authn/{Account}/{Uri.EscapeDataString(login)}/authenticate")
        {
            Content = new StringContent(apiKey, Encoding.UTF8, "text/plain"),
        };
        if (fromAddress is not null)
        {
            request.Headers.Add("X-Forwarded-For", fromAddress);
        }

        using var response = await f.Client.SendAsync(request);
        return (int)response.StatusCode;
    }

    public static string Full(string kind, string identifier) => $"{Account}:{kind}:{identifier}";

    // ---- Rows, read straight from the database.

    /// <summary>Rows whose ids fall under <paramref name="branch"/> (<c>account:kind:branch</c> and <c>account:kind:branch/…</c>, users <c>…@branch…</c>).</summary>
    public static Task<RowCounts> CountUnderAsync(ServerFixture f, string branch) =>
        f.WithDbAsync(async db =>
        {
            var under = $":{branch}/";
            var exact = $":{branch}";
            var user = $"@{branch.Replace('/', '-')}";
            bool Match(string id) => id.Contains(under, StringComparison.Ordinal) || id.EndsWith(exact, StringComparison.Ordinal) || id.Contains(user, StringComparison.Ordinal);

            var roles = (await db.Roles.AsNoTracking().Select(r => r.RoleId).ToListAsync()).Count(Match);
            var resources = (await db.Resources.AsNoTracking().Select(r => r.ResourceId).ToListAsync()).Count(Match);
            var memberships = (await db.RoleMemberships.AsNoTracking().Select(m => new { m.RoleId, m.MemberId }).ToListAsync()).Count(m => Match(m.RoleId) || Match(m.MemberId));
            var permissions = (await db.Permissions.AsNoTracking().Select(p => new { p.ResourceId, p.RoleId }).ToListAsync()).Count(p => Match(p.ResourceId) || Match(p.RoleId));
            var annotations = (await db.Annotations.AsNoTracking().Select(a => a.ResourceId).ToListAsync()).Count(Match);
            var credentials = (await db.Credentials.AsNoTracking().Select(c => c.RoleId).ToListAsync()).Count(Match);
            var secrets = (await db.Secrets.AsNoTracking().Select(s => s.ResourceId).ToListAsync()).Count(Match);
            return new RowCounts(roles, resources, memberships, permissions, annotations, credentials, secrets);
        });

    public static Task<string?> OwnerOfAsync(ServerFixture f, string resourceId) =>
        f.WithDbAsync(db => db.Resources.AsNoTracking().Where(r => r.ResourceId == resourceId).Select(r => (string?)r.OwnerId).SingleOrDefaultAsync());

    public static Task<string?> PolicyOfAsync(ServerFixture f, string resourceId) =>
        f.WithDbAsync(db => db.Resources.AsNoTracking().Where(r => r.ResourceId == resourceId).Select(r => r.PolicyId).SingleOrDefaultAsync());

    public static Task<bool> RoleExistsAsync(ServerFixture f, string roleId) =>
        f.WithDbAsync(db => db.Roles.AsNoTracking().AnyAsync(r => r.RoleId == roleId));

    public static Task<bool> ResourceExistsAsync(ServerFixture f, string resourceId) =>
        f.WithDbAsync(db => db.Resources.AsNoTracking().AnyAsync(r => r.ResourceId == resourceId));

    /// <summary>The annotations of a resource as "name=value" lines, by name.</summary>
    public static Task<string> AnnotationsOfAsync(ServerFixture f, string resourceId) =>
        f.WithDbAsync(async db => string.Join('\n', (await db.Annotations.AsNoTracking().Where(a => a.ResourceId == resourceId).ToListAsync())
            .OrderBy(a => a.Name, StringComparer.Ordinal).Select(a => $"{a.Name}={a.Value}")));

    public static Task<bool> MembershipExistsAsync(ServerFixture f, string roleId, string memberId) =>
        f.WithDbAsync(db => db.RoleMemberships.AsNoTracking().AnyAsync(m => m.RoleId == roleId && m.MemberId == memberId));

    public static Task<bool?> AdminOptionAsync(ServerFixture f, string roleId, string memberId) =>
        f.WithDbAsync(db => db.RoleMemberships.AsNoTracking().Where(m => m.RoleId == roleId && m.MemberId == memberId).Select(m => (bool?)m.AdminOption).SingleOrDefaultAsync());

    /// <summary>The privileges <paramref name="roleId"/> holds explicitly on <paramref name="resourceId"/>, sorted and comma-joined.</summary>
    public static Task<string> PrivilegesAsync(ServerFixture f, string resourceId, string roleId) =>
        f.WithDbAsync(async db => string.Join(',', (await db.Permissions.AsNoTracking().Where(p => p.ResourceId == resourceId && p.RoleId == roleId).Select(p => p.Privilege).ToListAsync()).Order(StringComparer.Ordinal)));

    public static Task<string?> RestrictedToAsync(ServerFixture f, string roleId) =>
        f.WithDbAsync(db => db.Credentials.AsNoTracking().Where(c => c.RoleId == roleId).Select(c => c.RestrictedTo).SingleOrDefaultAsync());

    public static Task<int> SecretCountAsync(ServerFixture f, string resourceId) =>
        f.WithDbAsync(db => db.Secrets.AsNoTracking().CountAsync(s => s.ResourceId == resourceId));

    /// <summary>The stored versions of a policy, ascending.</summary>
    public static Task<List<int>> VersionsOfAsync(ServerFixture f, string identifier) =>
        f.WithDbAsync(async db => (await db.PolicyVersions.AsNoTracking().Where(v => v.ResourceId == Full("policy", identifier)).Select(v => v.Version).ToListAsync()).Order().ToList());

    /// <summary>Every row of the account, as sorted text: to prove that a load changed nothing.</summary>
    public static Task<string> DumpAsync(ServerFixture f) =>
        f.WithDbAsync(async db =>
        {
            var lines = new List<string>();
            lines.AddRange((await db.Roles.AsNoTracking().ToListAsync()).Select(r => $"role {r.RoleId} {r.PolicyId}"));
            lines.AddRange((await db.Resources.AsNoTracking().ToListAsync()).Select(r => $"resource {r.ResourceId} {r.OwnerId} {r.PolicyId}"));
            lines.AddRange((await db.RoleMemberships.AsNoTracking().ToListAsync()).Select(m => $"membership {m.RoleId} {m.MemberId} {m.AdminOption} {m.PolicyId}"));
            lines.AddRange((await db.Permissions.AsNoTracking().ToListAsync()).Select(p => $"permission {p.ResourceId} {p.Privilege} {p.RoleId} {p.PolicyId}"));
            lines.AddRange((await db.Annotations.AsNoTracking().ToListAsync()).Select(a => $"annotation {a.ResourceId} {a.Name}={a.Value} {a.PolicyId}"));
            lines.AddRange((await db.Credentials.AsNoTracking().ToListAsync()).Select(c => $"credential {c.RoleId} {Convert.ToHexString(c.ApiKeyHash ?? [])} {c.RestrictedTo}"));
            lines.AddRange((await db.Secrets.AsNoTracking().ToListAsync()).Select(s => $"secret {s.ResourceId} {s.Version}"));
            return string.Join('\n', lines.Order(StringComparer.Ordinal));
        });

    /// <summary>Conjur's Rails time rendering of a stored created_at.</summary>
    public static async Task<string> CreatedAtAsync(ServerFixture f, string resourceId)
    {
        var at = await f.WithDbAsync(db => db.Resources.AsNoTracking().Where(r => r.ResourceId == resourceId).Select(r => r.CreatedAt).SingleAsync());
        return JsonTimes.Format(at);
    }

    public static async Task<string> RoleCreatedAtAsync(ServerFixture f, string roleId)
    {
        var at = await f.WithDbAsync(db => db.Roles.AsNoTracking().Where(r => r.RoleId == roleId).Select(r => r.CreatedAt).SingleAsync());
        return JsonTimes.Format(at);
    }

    /// <summary>An id no other test of the class uses: <paramref name="prefix"/>, a counter and a random suffix.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid().ToString("N")[..6]}";
}

internal sealed record RowCounts(int Roles, int Resources, int Memberships, int Permissions, int Annotations, int Credentials, int Secrets)
{
    public static RowCounts None { get; } = new(0, 0, 0, 0, 0, 0, 0);
}
