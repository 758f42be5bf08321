using System.Diagnostics;
using System.Text;
using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>A policy of 2,000 hosts (with a layer, grants, variables and permits) loads in one request, and reloads and shrinks as fast.</summary>
public abstract class LoadingALargePolicy(ServerFixture f)
{
    private const int Hosts = 2_000;

    private static string Text(int hosts)
    {
        var text = new StringBuilder("- !layer\n- !group admins\n");
        for (var i = 0; i < hosts; i++)
        {
            text.Append($"- !host {{id: host-{i:D4}, annotations: {{index: '{i}'}}}}\n- !variable secret-{i:D4}\n");
        }

        text.Append("- !grant\n  role: !layer\n  members:\n");
        for (var i = 0; i < hosts; i++)
        {
            text.Append($"  - !host host-{i:D4}\n");
        }

        text.Append("- !permit\n  role: !layer\n  privileges: [read, execute]\n  resources:\n");
        for (var i = 0; i < hosts; i++)
        {
            text.Append($"  - !variable secret-{i:D4}\n");
        }

        return text.ToString();
    }

    [Fact]
    public async Task Two_thousand_hosts_load_in_one_request_and_each_key_works()
    {
        using var admin = await f.AdminClientAsync();
        admin.Timeout = TimeSpan.FromMinutes(5);
        var branch = await NewBranchAsync(admin, "large");
        var clock = Stopwatch.StartNew();

        var response = await PutAsync(admin, branch, Text(Hosts));

        var elapsed = clock.Elapsed;
        Assert.True(response.Status == 201, response.Body[..Math.Min(500, response.Body.Length)]);
        Assert.True(elapsed < TimeSpan.FromSeconds(60), $"took {elapsed}");
        var keys = response.CreatedRoles;
        Assert.Equal(Enumerable.Range(0, Hosts).Select(i => Full("host", $"{branch}/host-{i:D4}")), keys.Select(k => k.Key));
        Assert.Equal(Hosts, keys.Select(k => k.Value).Distinct().Count());
        Assert.Equal(1, response.Version);
        Assert.Equal(new RowCounts(Hosts + 3, (2 * Hosts) + 3, Hosts, 2 * Hosts, Hosts, Hosts, 0), await CountUnderAsync(f, branch));
        foreach (var i in new[] { 0, 1234, Hosts - 1 })
        {
            Assert.Equal(200, await AuthenticateStatusAsync(f, $"host/{branch}/host-{i:D4}", response.ApiKeyOf(Full("host", $"{branch}/host-{i:D4}"))));
        }

        // The same text again changes nothing; a text with half the hosts deletes the other half and their rows.
        var again = await PutAsync(admin, branch, Text(Hosts));
        Assert.Equal((201, ApiResponse.Created(2)), (again.Status, again.Body));
        var half = await PutAsync(admin, branch, Text(Hosts / 2));
        Assert.Equal((201, ApiResponse.Created(3)), (half.Status, half.Body));
        Assert.Equal(new RowCounts((Hosts / 2) + 3, Hosts + 3, Hosts / 2, Hosts, Hosts / 2, Hosts / 2, 0), await CountUnderAsync(f, branch));
        Assert.Equal(401, await AuthenticateStatusAsync(f, $"host/{branch}/host-{Hosts - 1:D4}", response.ApiKeyOf(Full("host", $"{branch}/host-{Hosts - 1:D4}"))));
    }
}

public sealed class LoadingALargePolicyOnSqlite(SqliteServer f) : LoadingALargePolicy(f), IClassFixture<SqliteServer>;

public sealed class LoadingALargePolicyOnPostgres(PostgresServerFixture f) : LoadingALargePolicy(f), IClassFixture<PostgresServerFixture>;
