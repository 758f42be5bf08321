using System.Diagnostics;
using System.Net;
using System.Text;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Resources;

/// <summary>
/// Spec 2.6 at scale: 10,000 variables, half of them readable by a group. Listing filters visibility in the
/// authorization snapshot and reads details per page in a few batched queries, so even the largest page answers
/// quickly; the time budgets are generous (CI machines vary) but an N+1 query pattern would blow them.
/// </summary>
public abstract class ListingManyResources(ServerFixture f)
{
    private const int Variables = 10_000;

    private static string Policy()
    {
        var sb = new StringBuilder();
        sb.Append("- !user bulk-reader\n- !policy\n  id: bulk\n  body:\n  - !group readers\n");
        for (var i = 0; i < Variables; i++)
        {
            sb.Append("  - !variable\n    id: v").Append(i.ToString("00000", System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
            if (i % 1000 == 0)
            {
                sb.Append("    annotations:\n      description: milestone ").Append(i).Append('\n');
            }
        }

        sb.Append("  - !permit\n    role: !group readers\n    privileges: [read, execute]\n    resources:\n");
        for (var i = 0; i < Variables; i += 2)
        {
            sb.Append("    - !variable v").Append(i.ToString("00000", System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        }

        sb.Append("- !grant\n  role: !group bulk/readers\n  member: !user bulk-reader\n");
        return sb.ToString();
    }

    private Task<PolicyWorld> WorldAsync() => Worlds.GetAsync(f, "bulk", ("root", Policy()));

    [Fact]
    public async Task Admin_gets_the_default_page_of_1000_and_counts_everything()
    {
        await WorldAsync();
        using var admin = await f.AdminClientAsync();

        var clock = Stopwatch.StartNew();
        var ids = Requests.Ids(await Requests.GetJsonAsync(admin, "/resources/cucumber/variable"));
        clock.Stop();

        Assert.Equal(1000, ids.Count);
        Assert.Equal("cucumber:variable:bulk/v00000", ids[0]);
        Assert.Equal("cucumber:variable:bulk/v00999", ids[^1]);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"listing took {clock.Elapsed}");
        Assert.Equal($$"""{"count":{{Variables}}}""", await Requests.GetJsonAsync(admin, "/resources/cucumber/variable?count=true"));
    }

    [Fact]
    public async Task A_reader_pages_through_its_half_with_the_legacy_limit()
    {
        var world = await WorldAsync();
        using var reader = await world.ClientAsync("bulk-reader");

        var clock = Stopwatch.StartNew();
        var (status, body, _) = await Requests.GetAsync(reader, "/resources/cucumber/variable?limit=10000");
        clock.Stop();

        Assert.Equal(HttpStatusCode.OK, status);
        var ids = Requests.Ids(body);
        Assert.Equal(Variables / 2, ids.Count);
        Assert.Equal("cucumber:variable:bulk/v00002", ids[1]);
        Assert.Contains("\"permissions\":[{\"privilege\":\"execute\",\"role\":\"cucumber:group:bulk/readers\",\"policy\":\"cucumber:policy:root\"},{\"privilege\":\"read\"", body, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"listing took {clock.Elapsed}");
    }

    [Fact]
    public async Task Offsets_deep_in_the_list_and_searches_stay_exact()
    {
        var world = await WorldAsync();
        using var reader = await world.ClientAsync("bulk-reader");
        using var admin = await f.AdminClientAsync();

        Assert.Equal(
            ["cucumber:variable:bulk/v09990", "cucumber:variable:bulk/v09992", "cucumber:variable:bulk/v09994", "cucumber:variable:bulk/v09996", "cucumber:variable:bulk/v09998"],
            Requests.Ids(await Requests.GetJsonAsync(reader, "/resources/cucumber/variable?offset=4995")));
        Assert.Equal(["cucumber:variable:bulk/v04321"], Requests.Ids(await Requests.GetJsonAsync(admin, "/resources/cucumber?search=v04321")));
        Assert.Equal("[]", await Requests.GetJsonAsync(reader, "/resources/cucumber?search=v04321"));
        Assert.Equal("""{"count":10}""", await Requests.GetJsonAsync(admin, "/resources/cucumber?search=milestone&count=true"));
        Assert.Equal("""{"count":10}""", await Requests.GetJsonAsync(reader, "/resources/cucumber?search=milestone&count=true"));
    }

    [Fact]
    public async Task Permission_checks_and_counts_answer_from_the_snapshot()
    {
        var world = await WorldAsync();
        using var reader = await world.ClientAsync("bulk-reader");

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 50; i++)
        {
            var id = (i * 37 % Variables).ToString("00000", System.Globalization.CultureInfo.InvariantCulture);
            var expected = i * 37 % 2 == 0 ? HttpStatusCode.NoContent : HttpStatusCode.NotFound;
            Assert.Equal(expected, (await Requests.GetAsync(reader, $"/resources/cucumber/variable/bulk%2Fv{id}?check&privilege=execute")).Code);
        }

        clock.Stop();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"50 checks took {clock.Elapsed}");
        Assert.Equal($$"""{"count":{{Variables / 2}}}""", await Requests.GetJsonAsync(reader, "/resources/cucumber?count=true"));
    }
}

public sealed class ListingManyResourcesOnSqlite(SqliteServer f) : ListingManyResources(f), IClassFixture<SqliteServer>;

public sealed class ListingManyResourcesOnPostgres(PostgresServerFixture f) : ListingManyResources(f), IClassFixture<PostgresServerFixture>;
