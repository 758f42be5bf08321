using System.Net;
using System.Text;

namespace Secrets.Server.Tests.Infrastructure;

/// <summary>
/// A test's own corner of the account, reached through the front door as a Conjur user would: ids no other test of
/// the class uses (tests of one class share a database), its policy loads and its secrets.
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

    /// <summary>An id no other test of the class uses: <paramref name="prefix"/>, a counter and a random suffix.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid().ToString("N")[..6]}";
}
