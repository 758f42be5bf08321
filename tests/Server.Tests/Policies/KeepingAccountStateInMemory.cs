using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Secrets.Policy.Language;
using Secrets.Server.Authorization;
using Secrets.Server.Data;
using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// A load keeps the rows it planned against, plus its plan, as the account's next state (AccountStateCache) and
/// plans the next load against them without reading the database. These tests hold that copy to the database
/// after every kind of write, including writes that are not policy loads.
/// </summary>
public abstract class KeepingAccountStateInMemory(ServerFixture f)
{
    private const string Initial = """
        - !group admins
        - !group readers
        - !layer apps
        - !host {id: app, restricted_to: 10.0.0.0/8, annotations: {team: one}}
        - !user {id: alice, restricted_to: [192.168.0.0/16]}
        - !policy
          id: db
          owner: !group admins
          body:
          - !variable {id: password, annotations: {conjur/mime_type: text/plain, rotate: daily}}
          - !variable url
          - !webservice api
        - !grant {role: !layer apps, member: !host app}
        - !grant {role: !group readers, members: [!layer apps, !user alice]}
        - !permit {role: !group readers, privileges: [read, execute], resources: [!variable db/password, !variable db/url]}
        - !permit {role: !host app, privilege: execute, resource: !webservice db/api}
        """;

    private const string Changed = """
        - !group admins
        - !group readers
        - !layer apps
        - !host {id: app, owner: !group admins, restricted_to: 172.16.0.0/12, annotations: {team: two, tier: gold}}
        - !user alice
        - !policy
          id: db
          owner: !group admins
          body:
          - !variable {id: password, annotations: {conjur/mime_type: application/json}}
          - !variable url
        - !grant {role: !group readers, member: {role: !layer apps, admin: true}}
        - !revoke {role: !group readers, member: !user alice}
        - !deny {role: !group readers, privilege: read, resource: !variable db/url}
        - !delete {record: !webservice db/api}
        """;

    [Fact]
    public async Task After_each_load_the_rows_kept_in_memory_equal_the_database()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "state");

        Assert.Equal(201, (await PostAsync(admin, branch, Initial)).Status);
        await AssertKeptStateMatchesDatabaseAsync();

        Assert.Equal(201, (await PatchAsync(admin, branch, Changed)).Status);
        await AssertKeptStateMatchesDatabaseAsync();

        // PUT deletes what the text omits, cascading through owners: the whole db policy and what it owns.
        Assert.Equal(201, (await PutAsync(admin, branch, "- !group admins\n- !layer apps\n- !host app\n")).Status);
        await AssertKeptStateMatchesDatabaseAsync();

        Assert.Equal(201, (await PostAsync(admin, branch, Initial)).Status);
        await AssertKeptStateMatchesDatabaseAsync();
    }

    [Fact]
    public async Task A_load_after_a_membership_change_made_through_the_roles_api_plans_against_it()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "outside");
        Assert.Equal(201, (await PostAsync(admin, branch, "- !group g\n- !host h\n")).Status);
        await AssertKeptStateMatchesDatabaseAsync();

        // Not a policy load: it moves the authorization version, so the kept rows are no longer used.
        var group = Uri.EscapeDataString($"{branch}/g");
        using (var grant = await admin.PostAsync($"/roles/{Account}/group/{group}?members&member={Full("host", $"{branch}/h")}", null))
        {
            Assert.Equal(204, (int)grant.StatusCode);
        }

        // The same membership in a text: already there, so nothing to insert (a stale copy would insert it twice).
        var patch = await PatchAsync(admin, branch, "- !grant {role: !group g, member: !host h}\n");
        Assert.Equal(201, patch.Status);
        Assert.Contains($"membership {Full("group", $"{branch}/g")} {Full("host", $"{branch}/h")} False ", await DumpAsync(f), StringComparison.Ordinal);
        await AssertKeptStateMatchesDatabaseAsync();

        using (var revoke = await admin.DeleteAsync($"/roles/{Account}/group/{group}?members&member={Full("host", $"{branch}/h")}"))
        {
            Assert.Equal(204, (int)revoke.StatusCode);
        }

        Assert.Equal(201, (await PatchAsync(admin, branch, "- !grant {role: !group g, member: !host h}\n")).Status);
        Assert.True(await MembershipExistsAsync(f, Full("group", $"{branch}/g"), Full("host", $"{branch}/h")));
        await AssertKeptStateMatchesDatabaseAsync();
    }

    [Fact]
    public async Task Reloading_an_unchanged_text_stores_a_policy_version_but_leaves_the_authorization_version_alone()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "same");
        const string Text = "- !group g\n- !variable v\n- !permit {role: !group g, privilege: read, resource: !variable v}\n";
        Assert.Equal(201, (await PatchAsync(admin, branch, Text)).Status);
        var before = await AuthorizationVersionAsync();

        var again = await PatchAsync(admin, branch, Text);

        Assert.Equal((201, ApiResponse.Created(2)), (again.Status, again.Body));
        Assert.Equal(before, await AuthorizationVersionAsync());
        Assert.Equal([1, 2], await VersionsOfAsync(f, branch));
        await AssertKeptStateMatchesDatabaseAsync();
    }

    [Fact]
    public async Task A_resent_text_is_planned_against_the_current_rows_not_the_rows_it_was_first_planned_against()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "resent");
        const string Text = "- !group g\n- !variable v\n";
        Assert.Equal(201, (await PatchAsync(admin, branch, Text)).Status);
        Assert.Equal(201, (await PatchAsync(admin, branch, "- !delete {record: !variable v}\n")).Status);

        // Same text as the first load (its parse is reused): the variable is created again.
        Assert.Equal(201, (await PatchAsync(admin, branch, Text)).Status);

        Assert.True(await ResourceExistsAsync(f, Full("variable", $"{branch}/v")));
        await AssertKeptStateMatchesDatabaseAsync();
    }

    private Task<long> AuthorizationVersionAsync() =>
        f.WithDbAsync(db => db.ServerState.AsNoTracking().Where(s => s.Key == AuthorizationVersion.Key).Select(s => s.Number).SingleAsync());

    /// <summary>The server holds the account's rows at the database's current version, and they are the database's rows.</summary>
    private async Task AssertKeptStateMatchesDatabaseAsync()
    {
        var version = await AuthorizationVersionAsync();
        var kept = f.Services.GetRequiredService<AccountStateCache>().Get(Account, version);
        Assert.NotNull(kept);
        var stored = await f.WithDbAsync(db => AccountStateCache.ReadAsync(db, Account, CancellationToken.None));
        Assert.Equal(Lines(stored), Lines(kept));
    }

    private static List<string> Lines(PolicyState state)
    {
        var lines = new List<string>();
        lines.AddRange(state.Roles.Select(r => $"role {r.RoleId} {r.PolicyId}"));
        lines.AddRange(state.Resources.Select(r => $"resource {r.ResourceId} {r.OwnerId} {r.PolicyId}"));
        lines.AddRange(state.Memberships.Select(m => $"membership {m.RoleId} {m.MemberId} {m.AdminOption} {m.PolicyId}"));
        lines.AddRange(state.Permissions.Select(p => $"permission {p.ResourceId} {p.Privilege} {p.RoleId} {p.PolicyId}"));
        lines.AddRange(state.Annotations.Select(a => $"annotation {a.ResourceId} {a.Name}={a.Value} {a.PolicyId}"));
        lines.AddRange(state.CredentialRestrictions.Select(c => $"restriction {c.RoleId} {string.Join(',', c.RestrictedTo)}"));
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }
}

public sealed class KeepingAccountStateInMemoryOnSqlite(SqliteServer f) : KeepingAccountStateInMemory(f), IClassFixture<SqliteServer>;

public sealed class KeepingAccountStateInMemoryOnPostgres(PostgresServerFixture f) : KeepingAccountStateInMemory(f), IClassFixture<PostgresServerFixture>;
