using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Secrets.Server.Tests.Infrastructure;
using Xunit.Abstractions;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Security;

/// <summary>
/// Issue 8, Medium 5: a 14 KB text declaring a million rows through anchors is refused with 422 and the counts,
/// before it is expanded or written; a load may declare 50 rows per line (at least 10,000, at most
/// SECRETS_POLICY_MAX_ROWS). Large loads are audited by one summary record per kind and operation; the dry-run
/// report is bounded.
/// </summary>
public abstract class CappingRowsPerLoad(ServerFixture f, ITestOutputHelper output)
{
    /// <summary>The issue's anchor example: a !permit of <paramref name="groups"/> groups × <paramref name="variables"/> variables × 4 privileges.</summary>
    internal static string AnchorExample(int groups, int variables)
    {
        var text = new StringBuilder("- &groups\n");
        for (var i = 0; i < groups; i++)
        {
            text.Append("  - !group g").Append(i).Append('\n');
        }

        text.Append("- &variables\n");
        for (var i = 0; i < variables; i++)
        {
            text.Append("  - !variable v").Append(i).Append('\n');
        }

        text.Append("- !permit\n  role: *groups\n  privileges: [read, execute, update, create]\n  resource: *variables\n");
        return text.ToString();
    }

    internal static string TooLarge(long rows, int lines, long cap) =>
        $$$"""{"error":{"code":"policy_too_large","message":"The policy declares {{{rows}}} rows in {{{lines}}} lines; at most {{{cap}}} are allowed for this text"}}""";

    [Fact]
    public async Task The_anchor_example_is_refused_quickly_with_the_counts_and_nothing_is_written()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "cap");
        var text = AnchorExample(500, 500);
        var before = await DumpAsync(f);
        var allocated = GC.GetTotalAllocatedBytes();
        var started = Stopwatch.GetTimestamp();

        var response = await PostAsync(admin, branch, text);

        var elapsed = Stopwatch.GetElapsedTime(started);
        output.WriteLine($"{Encoding.UTF8.GetByteCount(text)} bytes refused in {elapsed.TotalMilliseconds:F0} ms, {(GC.GetTotalAllocatedBytes() - allocated) / (1024 * 1024)} MB allocated in the process meanwhile");
        var expected = TooLarge(1_002_000, 1006, 50 * 1006);
        Assert.Equal((422, expected), (response.Status, response.Body));
        Assert.Equal("application/json", response.MediaType);
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"took {elapsed}");
        Assert.Equal(before, await DumpAsync(f));
        Assert.Empty(await VersionsOfAsync(f, branch));
        Assert.Contains(Requests.AuditFor(f, response), l => l.Contains("Failed to load policy: The policy declares 1002000 rows", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_dry_run_of_the_anchor_example_is_refused_the_same_way()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "cap-dry");

        var response = await PatchAsync(admin, branch, AnchorExample(500, 500), dryRun: true);

        Assert.Equal((422, TooLarge(1_002_000, 1006, 50 * 1006)), (response.Status, response.Body));
    }

    [Fact]
    public async Task A_short_text_may_declare_ten_thousand_rows_and_a_large_load_is_audited_by_summary()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "cap-min");

        // 25 groups, 25 variables and 2,500 permissions in 56 lines: over 50 per line, under the minimum cap.
        var response = await PostAsync(admin, branch, AnchorExample(25, 25));

        Assert.Equal(201, response.Status);
        Assert.Equal(2500, (await CountUnderAsync(f, branch)).Permissions);
        var policy = $"[policy@43868 id=\"cucumber:policy:{branch}\" version=\"1\"]";
        var lines = Requests.AuditFor(f, response).Select(l => l[l.IndexOf("[subject@43868", StringComparison.Ordinal)..]).ToList();
        Assert.Equal(
            [
                $"[subject@43868 kind=\"role\" count=\"25\"]{policy}[client@43868 ip=\"127.0.0.1\"][action@43868 result=\"success\" operation=\"add\"] cucumber:user:admin added 25 role rows in policy cucumber:policy:{branch}",
                $"[subject@43868 kind=\"resource\" count=\"50\"]{policy}[client@43868 ip=\"127.0.0.1\"][action@43868 result=\"success\" operation=\"add\"] cucumber:user:admin added 50 resource rows in policy cucumber:policy:{branch}",
                $"[subject@43868 kind=\"permission\" count=\"2500\"]{policy}[client@43868 ip=\"127.0.0.1\"][action@43868 result=\"success\" operation=\"add\"] cucumber:user:admin added 2500 permission rows in policy cucumber:policy:{branch}",
            ],
            lines);
    }

    [Fact]
    public async Task A_small_load_is_still_audited_row_by_row()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "cap-small");

        var response = await PostAsync(admin, branch, "- !variable a\n- !variable b\n- !group g\n- !permit {role: !group g, privilege: read, resource: !variable a}\n");

        Assert.Equal(201, response.Status);
        var lines = Requests.AuditFor(f, response);
        Assert.Equal(5, lines.Count);
        Assert.Contains(lines, l => l.EndsWith($"cucumber:user:admin added permission of {Full("group", $"{branch}/g")} to read on {Full("variable", $"{branch}/a")}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_dry_run_report_lists_at_most_a_thousand_items_per_section_and_says_how_many_there_were()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "cap-report");
        var text = string.Concat(Enumerable.Range(0, 1100).Select(i => $"- !variable v{i}\n"));

        var response = await PostAsync(admin, branch, text, dryRun: true);

        Assert.Equal(200, response.Status);
        using var doc = JsonDocument.Parse(response.Body);
        var created = doc.RootElement.GetProperty("created");
        Assert.Equal(1000, created.GetProperty("items").GetArrayLength());
        Assert.Equal(1100, created.GetProperty("total").GetInt32());
        Assert.False(doc.RootElement.GetProperty("deleted").TryGetProperty("total", out _));
    }
}

public sealed class CappingRowsPerLoadOnSqlite(SqliteServer f, ITestOutputHelper output) : CappingRowsPerLoad(f, output), IClassFixture<SqliteServer>;

public sealed class CappingRowsPerLoadOnPostgres(PostgresServerFixture f, ITestOutputHelper output) : CappingRowsPerLoad(f, output), IClassFixture<PostgresServerFixture>;

/// <summary>SECRETS_POLICY_MAX_ROWS bounds every load, however long its text.</summary>
public abstract class CappingRowsPerLoadWithAnAbsoluteCap(ServerFixture f)
{
    [Fact]
    public async Task A_load_over_the_configured_cap_is_refused_and_one_under_it_loads()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "cap-abs");
        string Variables(int n) => string.Concat(Enumerable.Range(0, n).Select(i => $"- !variable v{i}\n"));

        var over = await PostAsync(admin, branch, Variables(60));
        var under = await PostAsync(admin, branch, Variables(40));

        Assert.Equal((422, CappingRowsPerLoad.TooLarge(120, 60, 100)), (over.Status, over.Body));
        Assert.Equal(201, under.Status);
        Assert.Equal(40, (await CountUnderAsync(f, branch)).Resources - 1);
    }
}

public sealed class SqliteServerWithARowCap : ServerFixture
{
    public SqliteServerWithARowCap()
        : base(Store.Sqlite)
    {
    }

    protected override IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["SECRETS_POLICY_MAX_ROWS"] = "100" };
}

public sealed class PostgresServerWithARowCap : ServerFixture
{
    public PostgresServerWithARowCap()
        : base(Store.Postgres)
    {
    }

    protected override IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["SECRETS_POLICY_MAX_ROWS"] = "100" };
}

public sealed class CappingRowsPerLoadWithAnAbsoluteCapOnSqlite(SqliteServerWithARowCap f) : CappingRowsPerLoadWithAnAbsoluteCap(f), IClassFixture<SqliteServerWithARowCap>;

public sealed class CappingRowsPerLoadWithAnAbsoluteCapOnPostgres(PostgresServerWithARowCap f) : CappingRowsPerLoadWithAnAbsoluteCap(f), IClassFixture<PostgresServerWithARowCap>;
