using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// The table of spec 4.6: POST only inserts (owners and annotation values of existing rows stay, restricted_to is the
/// union), PATCH also updates (restricted_to replaced), PUT also deletes what the text no longer declares.
/// </summary>
public abstract class ComparingLoadModes(ServerFixture f)
{
    private const string Initial = """
        - !group a
        - !group b
        - !host {id: h, restricted_to: 10.0.0.0/8}
        - !variable {id: v, owner: !group a, annotations: {x: one, y: two}}
        - !grant {role: !group a, member: !host h}
        """;

    private const string Changed = """
        - !group a
        - !group b
        - !host {id: h, restricted_to: 192.168.0.0/16}
        - !variable {id: v, owner: !group b, annotations: {x: changed, z: new}}
        - !grant {role: !group a, member: {role: !host h, admin: true}}
        """;

    private static async Task<(string Branch, string HostKey)> InitialAsync(HttpClient admin)
    {
        var branch = await NewBranchAsync(admin, "modes");
        var created = await LoadAsync(admin, HttpMethod.Post, branch, Initial);
        return (branch, created.ApiKeyOf(Full("host", $"{branch}/h")));
    }

    [Fact]
    public async Task Post_adds_new_annotation_names_and_unions_restrictions_but_changes_nothing_that_exists()
    {
        using var admin = await f.AdminClientAsync();
        var (branch, key) = await InitialAsync(admin);

        var post = await PostAsync(admin, branch, Changed);

        Assert.Equal((201, ApiResponse.Created(2)), (post.Status, post.Body));
        Assert.Equal(Full("group", $"{branch}/a"), await OwnerOfAsync(f, Full("variable", $"{branch}/v")));
        Assert.Equal("x=one\ny=two\nz=new", await AnnotationsOfAsync(f, Full("variable", $"{branch}/v")));
        Assert.Equal(false, await AdminOptionAsync(f, Full("group", $"{branch}/a"), Full("host", $"{branch}/h")));
        Assert.Equal("10.0.0.0/8,192.168.0.0/16", await RestrictedToAsync(f, Full("host", $"{branch}/h")));
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"host/{branch}/h", key, "10.9.9.9"));
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"host/{branch}/h", key, "192.168.1.1"));
        Assert.Equal(401, await AuthenticateStatusAsync(f, $"host/{branch}/h", key, "172.16.0.1"));
    }

    [Fact]
    public async Task Patch_updates_owner_annotation_values_admin_option_and_replaces_restrictions_but_deletes_nothing()
    {
        using var admin = await f.AdminClientAsync();
        var (branch, key) = await InitialAsync(admin);

        var patch = await PatchAsync(admin, branch, Changed);

        Assert.Equal((201, ApiResponse.Created(2)), (patch.Status, patch.Body));
        Assert.Equal(Full("group", $"{branch}/b"), await OwnerOfAsync(f, Full("variable", $"{branch}/v")));
        Assert.Equal("x=changed\ny=two\nz=new", await AnnotationsOfAsync(f, Full("variable", $"{branch}/v")));
        Assert.Equal(true, await AdminOptionAsync(f, Full("group", $"{branch}/a"), Full("host", $"{branch}/h")));
        Assert.Equal("192.168.0.0/16", await RestrictedToAsync(f, Full("host", $"{branch}/h")));
        Assert.Equal(401, await AuthenticateStatusAsync(f, $"host/{branch}/h", key, "10.9.9.9"));
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"host/{branch}/h", key, "192.168.1.1"));
    }

    [Fact]
    public async Task Put_updates_like_patch_and_deletes_what_the_text_omits()
    {
        using var admin = await f.AdminClientAsync();
        var (branch, key) = await InitialAsync(admin);

        var put = await PutAsync(admin, branch, Changed);

        Assert.Equal((201, ApiResponse.Created(2)), (put.Status, put.Body));
        Assert.Equal(Full("group", $"{branch}/b"), await OwnerOfAsync(f, Full("variable", $"{branch}/v")));
        Assert.Equal("x=changed\nz=new", await AnnotationsOfAsync(f, Full("variable", $"{branch}/v")));
        Assert.Equal(true, await AdminOptionAsync(f, Full("group", $"{branch}/a"), Full("host", $"{branch}/h")));
        Assert.Equal("192.168.0.0/16", await RestrictedToAsync(f, Full("host", $"{branch}/h")));
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"host/{branch}/h", key, "192.168.1.1"));
    }

    [Fact]
    public async Task Patch_and_put_without_restricted_to_lift_the_restriction_and_post_keeps_it()
    {
        using var admin = await f.AdminClientAsync();
        var (branch, key) = await InitialAsync(admin);
        var host = Full("host", $"{branch}/h");

        await LoadAsync(admin, HttpMethod.Post, branch, "- !host h\n");
        var afterPost = await RestrictedToAsync(f, host);
        await LoadAsync(admin, HttpMethod.Patch, branch, "- !host h\n");
        var afterPatch = await RestrictedToAsync(f, host);

        Assert.Equal("10.0.0.0/8", afterPost);
        Assert.Equal("", afterPatch);
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"host/{branch}/h", key));
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PATCH")]
    [InlineData("PUT")]
    public async Task A_restriction_added_to_an_unrestricted_host_is_enforced(string method)
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "restrict");
        var created = await LoadAsync(admin, HttpMethod.Post, branch, "- !host open\n");
        var key = created.ApiKeyOf(Full("host", $"{branch}/open"));
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"host/{branch}/open", key));

        await LoadAsync(admin, new HttpMethod(method), branch, "- !host {id: open, restricted_to: [10.0.0.0/8, 172.16.0.1]}\n");

        Assert.Equal("10.0.0.0/8,172.16.0.1/32", await RestrictedToAsync(f, Full("host", $"{branch}/open")));
        Assert.Equal(401, await AuthenticateStatusAsync(f, $"host/{branch}/open", key));
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"host/{branch}/open", key, "10.1.2.3"));
    }

    [Fact]
    public async Task Post_and_patch_keep_rows_the_text_omits()
    {
        using var admin = await f.AdminClientAsync();
        var (branch, _) = await InitialAsync(admin);
        var before = await CountUnderAsync(f, branch);

        await LoadAsync(admin, HttpMethod.Post, branch, "[]");
        var afterPost = await CountUnderAsync(f, branch);
        await LoadAsync(admin, HttpMethod.Patch, branch, "- !group a\n");
        var afterPatch = await CountUnderAsync(f, branch);
        await LoadAsync(admin, HttpMethod.Put, branch, "- !group a\n");
        var afterPut = await CountUnderAsync(f, branch);

        Assert.Equal(new RowCounts(4, 5, 1, 0, 2, 1, 0), before);
        Assert.Equal(before, afterPost);
        Assert.Equal(before, afterPatch);
        Assert.Equal(new RowCounts(2, 2, 0, 0, 0, 0, 0), afterPut);
    }
}

public sealed class ComparingLoadModesOnSqlite(SqliteServer f) : ComparingLoadModes(f), IClassFixture<SqliteServer>;

public sealed class ComparingLoadModesOnPostgres(PostgresServerFixture f) : ComparingLoadModes(f), IClassFixture<PostgresServerFixture>;
