using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Security;

/// <summary>
/// Issue 8, Medium 3: annotations under <c>authn*/</c>, <c>conjur/</c> and <c>kubernetes/</c> decide who may log in as
/// a host and how a secret is served, so a load writes them on an existing record only when the target policy owns
/// the record or the caller holds its owner. Other annotations on a record of another policy are shadowed, like the
/// record's other columns.
/// </summary>
public abstract class GuardingReservedAnnotations(ServerFixture f)
{
    /// <summary>
    /// Root creates branch <c>dev</c> owned by group owners (bob is a member), a host <c>dev/ci</c> declared at the top
    /// of root (owned by admin), and inside the branch a host <c>ci2</c> (owned by the branch, defined by root).
    /// </summary>
    private async Task<(string Branch, HttpClient Bob, string BobId)> BranchAsync()
    {
        using var admin = await f.AdminClientAsync();
        var owners = World.Unique("owners");
        var bob = World.Unique("bob");
        var branch = World.Unique("dev");
        var setup = await LoadAsync(
            admin,
            HttpMethod.Post,
            "root",
            $"- !group {owners}\n- !user {bob}\n- !grant {{role: !group {owners}, member: !user {bob}}}\n"
            + $"- !policy {{id: {branch}, owner: !group {owners}, body: [!host ci2]}}\n"
            + $"- !host {branch}/ci\n");
        return (branch, await f.ClientForAsync(bob, setup.ApiKeyOf(Full("user", bob))), Full("user", bob));
    }

    [Fact]
    public async Task A_post_into_the_branch_does_not_add_an_authn_annotation_to_a_host_root_created()
    {
        var (branch, bob, _) = await BranchAsync();
        using var _ = bob;

        var response = await PostAsync(bob, branch, "- !host {id: ci, annotations: {authn-jwt/github/repository: evil/repo, note: mine}}\n");

        Assert.Equal(201, response.Status);
        Assert.Equal("", await AnnotationsOfAsync(f, Full("host", $"{branch}/ci")));
    }

    [Fact]
    public async Task A_patch_does_not_change_conjur_mime_type_on_a_variable_admin_owns()
    {
        var (branch, bob, bobId) = await BranchAsync();
        using var _ = bob;
        using var admin = await f.AdminClientAsync();
        await LoadAsync(
            admin,
            HttpMethod.Patch,
            branch,
            $"- !variable {{id: page, owner: !user /admin, annotations: {{conjur/mime_type: text/plain, description: a page}}}}\n- !permit {{role: !user /{bobId.Split(':')[2]}, privilege: read, resource: !variable page}}\n");

        var patch = await PatchAsync(bob, branch, "- !variable {id: page, annotations: {conjur/mime_type: text/html, kubernetes/x: y, description: changed}}\n");

        // The record is of this policy, so its ordinary annotation follows the text; the reserved ones do not, and
        // neither does its owner (taking it over would open the reserved annotations to the next load).
        Assert.Equal(201, patch.Status);
        Assert.Equal("conjur/mime_type=text/plain\ndescription=changed", await AnnotationsOfAsync(f, Full("variable", $"{branch}/page")));
        Assert.Equal("cucumber:user:admin", await OwnerOfAsync(f, Full("variable", $"{branch}/page")));
    }

    [Fact]
    public async Task A_put_does_not_remove_a_reserved_annotation_of_a_record_whose_owner_the_caller_does_not_hold()
    {
        var (branch, bob, bobId) = await BranchAsync();
        using var _ = bob;
        using var admin = await f.AdminClientAsync();
        var bobLogin = bobId.Split(':')[2];

        // bob may update everything under the branch (so may PUT it), but holds neither admin nor the variable's owner.
        await LoadAsync(admin, HttpMethod.Post, "root", $"- !permit {{role: !user {bobLogin}, privilege: update, resource: !host {branch}/ci}}\n");
        await LoadAsync(
            admin,
            HttpMethod.Patch,
            branch,
            $"- !variable {{id: page, owner: !user /admin, annotations: {{conjur/mime_type: text/plain, note: n}}}}\n- !permit {{role: !user /{bobLogin}, privileges: [read, update], resource: !variable page}}\n");

        var put = await PutAsync(bob, branch, "- !host ci2\n- !variable page\n");

        Assert.Equal(201, put.Status);
        Assert.Equal("conjur/mime_type=text/plain", await AnnotationsOfAsync(f, Full("variable", $"{branch}/page")));
    }

    [Fact]
    public async Task The_owner_side_may_write_reserved_annotations()
    {
        var (branch, bob, _) = await BranchAsync();
        using var _ = bob;

        // Its own new host; then a change of it; and a host root defined inside the branch, owned by the branch.
        var created = await PostAsync(bob, branch, "- !host {id: mine, annotations: {authn-jwt/github/repository: org/repo}}\n");
        var changed = await PatchAsync(bob, branch, "- !host {id: mine, annotations: {authn-jwt/github/repository: org/other}}\n");
        var ci2 = await PostAsync(bob, branch, "- !host {id: ci2, annotations: {authn-jwt/github/repository: org/repo, note: shadowed}}\n");

        Assert.Equal((201, 201, 201), (created.Status, changed.Status, ci2.Status));
        Assert.Equal("authn-jwt/github/repository=org/other", await AnnotationsOfAsync(f, Full("host", $"{branch}/mine")));
        Assert.Equal("authn-jwt/github/repository=org/repo", await AnnotationsOfAsync(f, Full("host", $"{branch}/ci2")));
    }

    [Fact]
    public async Task Admin_holding_the_owner_may_annotate_the_root_created_host_from_the_branch()
    {
        var (branch, bob, _) = await BranchAsync();
        using var _ = bob;
        using var admin = await f.AdminClientAsync();

        var response = await PostAsync(admin, branch, "- !host {id: ci, annotations: {authn-jwt/github/repository: org/repo, note: shadowed}}\n");

        Assert.Equal(201, response.Status);
        Assert.Equal("authn-jwt/github/repository=org/repo", await AnnotationsOfAsync(f, Full("host", $"{branch}/ci")));
    }
}

public sealed class GuardingReservedAnnotationsOnSqlite(SqliteServer f) : GuardingReservedAnnotations(f), IClassFixture<SqliteServer>;

public sealed class GuardingReservedAnnotationsOnPostgres(PostgresServerFixture f) : GuardingReservedAnnotations(f), IClassFixture<PostgresServerFixture>;
