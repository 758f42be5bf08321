using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Security;

/// <summary>
/// Issue 8, Medium 2: a <c>!delete</c>, and everything it cascades to, needs what PUT needs for each record it
/// deletes: <c>update</c> on it. A record the caller cannot see is, to it, a record that does not exist: deleting it
/// changes nothing and the dry run says nothing, exactly as for an id that exists nowhere.
/// </summary>
public abstract class DeletingOnlyWhatTheCallerMayReplace(ServerFixture f)
{
    private const string EmptyReport = """{"status":"Valid YAML","created":{"items":[]},"updated":{"before":{"items":[]},"after":{"items":[]}},"deleted":{"items":[]}}""";

    /// <summary>
    /// Admin creates a branch owned by group owners (bob is a member), then, by a load into the branch itself,
    /// records bob cannot see (owned by admin, no permission) or may only read.
    /// </summary>
    private async Task<(string Branch, HttpClient Bob)> BranchWithAdminRecordsAsync()
    {
        using var admin = await f.AdminClientAsync();
        var owners = World.Unique("owners");
        var bob = World.Unique("bob");
        var branch = World.Unique("del");
        var setup = await LoadAsync(
            admin,
            HttpMethod.Post,
            "root",
            $"- !group {owners}\n- !user {bob}\n- !grant {{role: !group {owners}, member: !user {bob}}}\n- !policy {{id: {branch}, owner: !group {owners}}}\n");
        await LoadAsync(
            admin,
            HttpMethod.Patch,
            branch,
            "- !variable {id: hidden, owner: !user /admin}\n"
            + "- !variable {id: readable, owner: !user /admin}\n"
            + $"- !permit {{role: !user /{bob}, privileges: [read, execute], resource: !variable readable}}\n"
            + "- !group {id: other, owner: !user /admin}\n"
            + $"- !permit {{role: !user /{bob}, privilege: update, resource: !group other}}\n"
            + "- !variable {id: cascaded, owner: !group other}\n"
            + "- !variable own\n");
        foreach (var name in new[] { "hidden", "readable", "cascaded", "own" })
        {
            await SetSecretAsync(f, Full("variable", $"{branch}/{name}"), $"value of {name}");
        }

        return (branch, await f.ClientForAsync(bob, setup.ApiKeyOf(Full("user", bob))));
    }

    [Fact]
    public async Task Deleting_a_variable_the_caller_cannot_see_changes_nothing_and_its_secret_survives()
    {
        var (branch, bob) = await BranchWithAdminRecordsAsync();
        using var _ = bob;
        var before = await DumpAsync(f);

        var response = await PatchAsync(bob, branch, "- !delete {record: !variable hidden}\n");

        Assert.Equal(201, response.Status);
        Assert.Equal(before, await DumpAsync(f));
        Assert.Equal((200, "value of hidden"), await GetSecretAsync(f, Full("variable", $"{branch}/hidden")));
    }

    [Fact]
    public async Task The_dry_run_of_that_delete_is_the_dry_run_of_deleting_a_record_that_does_not_exist()
    {
        var (branch, bob) = await BranchWithAdminRecordsAsync();
        using var _ = bob;

        var hidden = await PatchAsync(bob, branch, "- !delete {record: !variable hidden}\n", dryRun: true);
        var missing = await PatchAsync(bob, branch, "- !delete {record: !variable never-declared}\n", dryRun: true);

        Assert.Equal((200, EmptyReport), (hidden.Status, hidden.Body));
        Assert.Equal((200, EmptyReport), (missing.Status, missing.Body));
        Assert.True(await ResourceExistsAsync(f, Full("variable", $"{branch}/hidden")));
    }

    [Fact]
    public async Task Deleting_a_visible_variable_without_update_on_it_is_forbidden_and_changes_nothing()
    {
        var (branch, bob) = await BranchWithAdminRecordsAsync();
        using var _ = bob;
        var before = await DumpAsync(f);

        var response = await PatchAsync(bob, branch, "- !delete {record: !variable readable}\n");
        var dryRun = await PatchAsync(bob, branch, "- !delete {record: !variable readable}\n", dryRun: true);

        Assert.Equal((403, ""), (response.Status, response.Body));
        Assert.Equal((403, ""), (dryRun.Status, dryRun.Body));
        Assert.Equal(before, await DumpAsync(f));
        Assert.Equal((200, "value of readable"), await GetSecretAsync(f, Full("variable", $"{branch}/readable")));
        Assert.Contains(Requests.AuditFor(f, response), l => l.Contains("Failed to load policy: Forbidden", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_delete_whose_cascade_reaches_a_record_the_caller_may_not_delete_fails_as_a_whole()
    {
        // bob may update group other (so may delete it), but not the variable it owns, which bob cannot see.
        var (branch, bob) = await BranchWithAdminRecordsAsync();
        using var _ = bob;
        var before = await DumpAsync(f);

        var response = await PatchAsync(bob, branch, "- !delete {record: !group other}\n");

        Assert.Equal((403, ""), (response.Status, response.Body));
        Assert.Equal(before, await DumpAsync(f));
        Assert.Equal((200, "value of cascaded"), await GetSecretAsync(f, Full("variable", $"{branch}/cascaded")));
    }

    [Fact]
    public async Task Deleting_what_the_caller_may_update_still_works()
    {
        var (branch, bob) = await BranchWithAdminRecordsAsync();
        using var _ = bob;

        var response = await PatchAsync(bob, branch, "- !delete {record: !variable own}\n");

        Assert.Equal(201, response.Status);
        Assert.False(await ResourceExistsAsync(f, Full("variable", $"{branch}/own")));
        Assert.Equal(0, await SecretCountAsync(f, Full("variable", $"{branch}/own")));
        Assert.True(await ResourceExistsAsync(f, Full("variable", $"{branch}/hidden")));
    }
}

public sealed class DeletingOnlyWhatTheCallerMayReplaceOnSqlite(SqliteServer f) : DeletingOnlyWhatTheCallerMayReplace(f), IClassFixture<SqliteServer>;

public sealed class DeletingOnlyWhatTheCallerMayReplaceOnPostgres(PostgresServerFixture f) : DeletingOnlyWhatTheCallerMayReplace(f), IClassFixture<PostgresServerFixture>;
