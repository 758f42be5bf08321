using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// Each successful load stores a policy_versions row for its target policy (version max+1, text, sha256, loader, client
/// address, times); only the latest 20 are kept; failed loads and dry runs store none; loading the same text again
/// changes nothing but the version (spec 4.7).
/// </summary>
public abstract class KeepingPolicyVersions(ServerFixture f)
{
    [Fact]
    public async Task A_version_row_records_the_text_its_hash_the_loader_and_the_client_address()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "version");
        const string Text = "- !variable a # café\n";
        var loadedAt = f.Time.GetUtcNow().UtcDateTime;

        await LoadAsync(admin, HttpMethod.Post, branch, Text);

        var row = await f.WithDbAsync(db => db.PolicyVersions.AsNoTracking().SingleAsync(v => v.ResourceId == Full("policy", branch)));
        Assert.Equal(1, row.Version);
        Assert.Equal(Text, row.PolicyText);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Text))), row.PolicySha256);
        Assert.Equal("cucumber:user:admin", row.RoleId);
        Assert.Equal("127.0.0.1", row.ClientIp);
        Assert.Equal(Account, row.Account);
        Assert.Equal(loadedAt, row.CreatedAt, TimeSpan.FromSeconds(1));
        Assert.NotNull(row.FinishedAt);
    }

    [Fact]
    public async Task Loading_the_same_text_twice_changes_nothing_but_the_version()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "twice");
        const string Text = "- !host h\n- !user u\n- !group g\n- !variable {id: v, annotations: {a: b}}\n- !grant {role: !group g, members: [!host h, !user u]}\n- !permit {role: !group g, privilege: read, resource: !variable v}\n";
        var first = await LoadAsync(admin, HttpMethod.Post, branch, Text);
        var before = await DumpAsync(f);
        var auditBefore = f.Audit.Lines.Count;

        var post = await PostAsync(admin, branch, Text);
        var patch = await PatchAsync(admin, branch, Text);
        var put = await PutAsync(admin, branch, Text);

        Assert.Equal(ApiResponse.Created(2), post.Body);
        Assert.Equal(ApiResponse.Created(3), patch.Body);
        Assert.Equal(ApiResponse.Created(4), put.Body);
        Assert.Equal(before, await DumpAsync(f));
        Assert.Equal([1, 2, 3, 4], await VersionsOfAsync(f, branch));
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"host/{branch}/h", first.ApiKeyOf(Full("host", $"{branch}/h"))));
        Assert.DoesNotContain(f.Audit.Lines.Skip(auditBefore), l => l.Contains(" policy [", StringComparison.Ordinal) && l.Contains($"\"cucumber:policy:{branch}\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Only_the_latest_twenty_versions_are_kept()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "retention");

        var versions = new List<int>();
        for (var i = 1; i <= 21; i++)
        {
            versions.Add((await LoadAsync(admin, HttpMethod.Post, branch, $"- !variable v{i}\n")).Version);
        }

        Assert.Equal(Enumerable.Range(1, 21), versions);
        Assert.Equal(Enumerable.Range(2, 20), await VersionsOfAsync(f, branch));
        var oldest = await f.WithDbAsync(db => db.PolicyVersions.AsNoTracking().Where(v => v.ResourceId == Full("policy", branch)).OrderBy(v => v.Version).FirstAsync());
        Assert.Equal("- !variable v2\n", oldest.PolicyText);

        // What clients see: GET /resources/…/policy/… lists the kept versions, ascending.
        using (var shown = await admin.GetAsync($"/resources/cucumber/policy/{Uri.EscapeDataString(branch)}"))
        {
            Assert.Equal(200, (int)shown.StatusCode);
            using var doc = JsonDocument.Parse(await shown.Content.ReadAsStringAsync());
            var listed = doc.RootElement.GetProperty("policy_versions").EnumerateArray().ToList();
            Assert.Equal(Enumerable.Range(2, 20), listed.Select(v => v.GetProperty("version").GetInt32()));
            Assert.Equal("- !variable v2\n", listed[0].GetProperty("policy_text").GetString());
            Assert.Equal("cucumber:user:admin", listed[0].GetProperty("role").GetString());
        }

        var next = await LoadAsync(admin, HttpMethod.Post, branch, "[]");
        Assert.Equal(22, next.Version);
        Assert.Equal(Enumerable.Range(3, 20), await VersionsOfAsync(f, branch));
    }

    [Fact]
    public async Task Failed_loads_forbidden_loads_and_dry_runs_store_no_version()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "failed");
        await LoadAsync(admin, HttpMethod.Post, branch, "- !variable a\n");

        Assert.Equal(422, (await PostAsync(admin, branch, "- !foo a\n")).Status);
        Assert.Equal(422, (await PostAsync(admin, branch, "")).Status);
        Assert.Equal(422, (await PostAsync(admin, branch, "- !delete {record: !variable a}\n")).Status);
        Assert.Equal(200, (await PutAsync(admin, branch, "- !variable b\n", dryRun: true)).Status);
        var next = await LoadAsync(admin, HttpMethod.Patch, branch, "- !variable b\n");

        Assert.Equal(2, next.Version);
        Assert.Equal([1, 2], await VersionsOfAsync(f, branch));
    }

    [Fact]
    public async Task Versions_are_counted_per_target_policy()
    {
        using var admin = await f.AdminClientAsync();
        var one = await NewBranchAsync(admin, "one");
        var two = await NewBranchAsync(admin, "two");

        var a = await LoadAsync(admin, HttpMethod.Post, one, "[]");
        var b = await LoadAsync(admin, HttpMethod.Post, one, "[]");
        var c = await LoadAsync(admin, HttpMethod.Post, two, "[]");
        var nested = await LoadAsync(admin, HttpMethod.Post, one, "- !policy inner\n");
        var inner = await LoadAsync(admin, HttpMethod.Post, $"{one}/inner", "[]");

        Assert.Equal((1, 2, 1, 3, 1), (a.Version, b.Version, c.Version, nested.Version, inner.Version));
    }

    [Fact]
    public async Task Versions_of_a_deleted_policy_go_with_it_and_a_new_policy_of_that_name_starts_again_at_one()
    {
        using var admin = await f.AdminClientAsync();
        var parent = await NewBranchAsync(admin, "parent", "- !policy child\n");
        var child = $"{parent}/child";
        await LoadAsync(admin, HttpMethod.Post, child, "[]");
        await LoadAsync(admin, HttpMethod.Post, child, "[]");

        await LoadAsync(admin, HttpMethod.Patch, "root", $"- !delete {{record: !policy {child}}}\n");
        var gone = await VersionsOfAsync(f, child);
        await LoadAsync(admin, HttpMethod.Post, parent, "- !policy child\n");
        var again = await LoadAsync(admin, HttpMethod.Post, child, "[]");

        Assert.Empty(gone);
        Assert.Equal(1, again.Version);
    }
}

public sealed class KeepingPolicyVersionsOnSqlite(SqliteServer f) : KeepingPolicyVersions(f), IClassFixture<SqliteServer>;

public sealed class KeepingPolicyVersionsOnPostgres(PostgresServerFixture f) : KeepingPolicyVersions(f), IClassFixture<PostgresServerFixture>;
