using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Secrets.Server.Policies;
using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// Loads of one account are serialised (spec 2.5, 4.6): each is applied whole or not at all. A load that cannot get the
/// account's lock within its wait answers 409 policy_conflict with Retry-After 1..8 and changes nothing; the database
/// never shows half a load, not even while loads run.
/// </summary>
public abstract class LoadingPoliciesConcurrently(ServerFixture f)
{
    private const string Conflict = """{"error":{"code":"policy_conflict","message":"Concurrent policy load in progress, please retry"}}""";
    private const int Hosts = 1_500;

    private static string Text(int hosts)
    {
        var text = new StringBuilder("- !layer\n");
        for (var i = 0; i < hosts; i++)
        {
            text.Append($"- !host h{i}\n- !variable v{i}\n- !grant {{role: !layer, member: !host h{i}}}\n- !permit {{role: !host h{i}, privilege: execute, resource: !variable v{i}}}\n");
        }

        return text.ToString();
    }

    private Task<int> HostCountAsync(string branch) =>
        f.WithDbAsync(db => db.Roles.AsNoTracking().CountAsync(r => r.RoleId.StartsWith($"cucumber:host:{branch}/")));

    internal static void AssertConflict(ApiResponse response)
    {
        Assert.Equal((409, Conflict), (response.Status, response.Body));
        Assert.True(int.TryParse(response.RetryAfter, out var seconds), $"Retry-After: {response.RetryAfter}");
        Assert.InRange(seconds, 1, 8);
    }

    [Fact]
    public async Task Simultaneous_large_loads_into_different_branches_each_apply_whole_or_not_at_all()
    {
        using var admin = await f.AdminClientAsync();
        admin.Timeout = TimeSpan.FromMinutes(5);
        var branches = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            branches.Add(await NewBranchAsync(admin, $"parallel{i}"));
        }

        var text = Text(Hosts);
        var loads = branches.Select(b => Task.Run(() => PostAsync(admin, b, text))).ToList();

        // While the loads run, every look at the database sees each branch empty or complete.
        var observed = new List<int>();
        while (!loads.All(l => l.IsCompleted))
        {
            foreach (var b in branches)
            {
                observed.Add(await HostCountAsync(b));
            }
        }

        var responses = await Task.WhenAll(loads);
        Assert.All(observed, n => Assert.True(n is 0 or Hosts, $"saw {n} hosts of a load"));
        Assert.Contains(responses, r => r.Status == 201);
        for (var i = 0; i < branches.Count; i++)
        {
            var (branch, response) = (branches[i], responses[i]);
            if (response.Status == 201)
            {
                Assert.Equal(Hosts, response.CreatedRoles.Count);
                Assert.Equal(1, response.Version);
                Assert.Equal(new RowCounts(Hosts + 2, (2 * Hosts) + 2, Hosts, Hosts, 0, Hosts, 0), await CountUnderAsync(f, branch));
                Assert.Equal([1], await VersionsOfAsync(f, branch));
            }
            else
            {
                AssertConflict(response);
                Assert.Equal(new RowCounts(1, 1, 0, 0, 0, 0, 0), await CountUnderAsync(f, branch));
                Assert.Empty(await VersionsOfAsync(f, branch));
            }
        }
    }

    [Fact]
    public async Task Simultaneous_loads_of_the_same_text_create_each_role_exactly_once()
    {
        using var admin = await f.AdminClientAsync();
        admin.Timeout = TimeSpan.FromMinutes(5);
        var branch = await NewBranchAsync(admin, "same");
        var text = Text(Hosts);

        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => PostAsync(admin, branch, text))));

        var succeeded = responses.Where(r => r.Status == 201).ToList();
        Assert.NotEmpty(succeeded);
        Assert.All(responses.Where(r => r.Status != 201), AssertConflict);
        Assert.Equal(Enumerable.Range(1, succeeded.Count), succeeded.Select(r => r.Version).Order());
        Assert.Equal([Hosts], succeeded.Select(r => r.CreatedRoles.Count).Where(n => n > 0));
        Assert.Equal(succeeded.Count - 1, succeeded.Count(r => r.CreatedRoles.Count == 0));
        Assert.Equal(new RowCounts(Hosts + 2, (2 * Hosts) + 2, Hosts, Hosts, 0, Hosts, 0), await CountUnderAsync(f, branch));
        Assert.Equal(Enumerable.Range(1, succeeded.Count), await VersionsOfAsync(f, branch));
    }

    [Fact]
    public async Task A_client_that_retries_after_a_conflict_gets_its_load_applied()
    {
        using var admin = await f.AdminClientAsync();
        admin.Timeout = TimeSpan.FromMinutes(5);
        var branches = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            branches.Add(await NewBranchAsync(admin, $"retry{i}"));
        }

        var text = Text(Hosts);
        async Task<(ApiResponse Final, int Conflicts)> LoadWithRetriesAsync(string branch)
        {
            var conflicts = 0;
            while (true)
            {
                var response = await PostAsync(admin, branch, text);
                if (response.Status != 409)
                {
                    return (response, conflicts);
                }

                conflicts++;
                AssertConflict(response);
                Assert.True(conflicts < 20, "never got the lock");
                await Task.Delay(TimeSpan.FromSeconds(int.Parse(response.RetryAfter!, System.Globalization.CultureInfo.InvariantCulture)) / 4);
            }
        }

        var results = await Task.WhenAll(branches.Select(b => Task.Run(() => LoadWithRetriesAsync(b))));

        Assert.All(results, r => Assert.Equal((201, Hosts, 1), (r.Final.Status, r.Final.CreatedRoles.Count, r.Final.Version)));
        foreach (var branch in branches)
        {
            Assert.Equal(Hosts, await HostCountAsync(branch));
        }
    }
}

/// <summary>
/// Another server process sharing the PostgreSQL database holds the account's advisory lock (as it does for the whole
/// of its load transaction): this node waits for it, up to its limit, then answers 409.
/// </summary>
public abstract class LoadingWhileAnotherNodeHoldsTheLock(ServerFixture f)
{
    private static async Task<NpgsqlTransaction> HoldLockAsync(NpgsqlConnection connection)
    {
        await connection.OpenAsync();
        var tx = await connection.BeginTransactionAsync();
        var key = PolicyLocks.AdvisoryKey(Account);
        await using var command = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({key})", connection, tx);
        await command.ExecuteNonQueryAsync();
        return tx;
    }

    [Fact]
    public async Task A_load_gives_up_after_its_wait_with_409_and_changes_nothing()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "locked");
        await using var connection = new NpgsqlConnection(f.Settings.Database.ConnectionString);
        await using var tx = await HoldLockAsync(connection);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var response = await PostAsync(admin, branch, "- !host h\n");

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(30));
        LoadingPoliciesConcurrently.AssertConflict(response);
        Assert.False(await RoleExistsAsync(f, Full("host", $"{branch}/h")));
        Assert.Empty(await VersionsOfAsync(f, branch));

        await tx.RollbackAsync();
        var after = await PostAsync(admin, branch, "- !host h\n");
        Assert.Equal(201, after.Status);
        Assert.Equal(1, after.Version);
    }

    [Fact]
    public async Task A_load_that_waits_less_than_its_limit_goes_through()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "waits");
        await using var connection = new NpgsqlConnection(f.Settings.Database.ConnectionString);
        var tx = await HoldLockAsync(connection);

        var load = Task.Run(() => PostAsync(admin, branch, "- !host h\n"));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(load.IsCompleted);
        await tx.RollbackAsync();
        await tx.DisposeAsync();
        var response = await load;

        Assert.Equal(201, response.Status);
        Assert.True(await RoleExistsAsync(f, Full("host", $"{branch}/h")));
    }

    [Fact]
    public async Task A_load_queued_behind_another_nodes_load_that_revokes_the_callers_rights_is_refused()
    {
        using var admin = await f.AdminClientAsync();
        var (ops, dana, branch) = (World.Unique("ops"), World.Unique("dana"), World.Unique("revoked"));
        var setup = await LoadAsync(
            admin,
            HttpMethod.Post,
            "root",
            $"- !group {ops}\n- !user {dana}\n- !grant {{role: !group {ops}, member: !user {dana}}}\n- !policy {{id: {branch}, owner: !group {ops}}}\n");
        using var client = await f.ClientForAsync(dana, setup.ApiKeyOf(Full("user", dana)));
        await using var connection = new NpgsqlConnection(f.Settings.Database.ConnectionString);
        var tx = await HoldLockAsync(connection);

        // Dana's load passes the authorization check, then waits for the lock the other node holds while it revokes her.
        var load = Task.Run(() => PostAsync(client, branch, "- !host h\n"));
        await Task.Delay(TimeSpan.FromSeconds(1));
        await using (var revoke = new NpgsqlCommand(
            "DELETE FROM role_memberships WHERE role_id = @role AND member_id = @member; UPDATE server_state SET number = number + 1 WHERE key = 'authz_version'",
            connection,
            tx))
        {
            revoke.Parameters.AddWithValue("role", Full("group", ops));
            revoke.Parameters.AddWithValue("member", Full("user", dana));
            await revoke.ExecuteNonQueryAsync();
        }

        await tx.CommitAsync();
        await tx.DisposeAsync();
        var response = await load;

        Assert.Equal(404, response.Status);
        Assert.False(await RoleExistsAsync(f, Full("host", $"{branch}/h")));
        Assert.Empty(await VersionsOfAsync(f, branch));
    }
}

public sealed class LoadingPoliciesConcurrentlyOnSqlite(SqliteServer f) : LoadingPoliciesConcurrently(f), IClassFixture<SqliteServer>;

public sealed class LoadingPoliciesConcurrentlyOnPostgres(PostgresServerFixture f) : LoadingPoliciesConcurrently(f), IClassFixture<PostgresServerFixture>;

public sealed class LoadingWhileAnotherNodeHoldsTheLockOnPostgres(PostgresServerFixture f) : LoadingWhileAnotherNodeHoldsTheLock(f), IClassFixture<PostgresServerFixture>;
