using System.Text.Json;
using Secrets.Policy.Authorization;
using Secrets.Policy.Language;
using static Secrets.Policy.Tests.Language.PolicyKit;

namespace Secrets.Policy.Tests.Language;

/// <summary>
/// The dry-run report of a plan (spec 2.5 `?dryRun=true`), without a server: created, updated (before and after) and
/// deleted records, what the caller cannot see left out, and the one-error shape of a refused text. The HTTP side
/// (status codes, audit) is tested in Server.Tests.
/// </summary>
public sealed class ReportingAPlan
{
    private static AuthorizationSnapshot SnapshotOf(PolicyState state) =>
        AuthorizationSnapshot.Build(state.Roles, state.Resources, state.Memberships, state.Permissions, 1);

    private static JsonElement Report(PolicyState before, string text, PolicyLoadMode mode = PolicyLoadMode.Add, string caller = Admin) =>
        JsonDocument.Parse(PlanReport.Valid(caller, Plan(text, mode, before), before, SnapshotOf(before))).RootElement;

    private static string[] Ids(JsonElement section) => [.. section.EnumerateArray().Select(i => i.GetProperty("identifier").GetString()!)];

    [Fact]
    public void Created_records_are_reported_and_nothing_else_when_the_account_was_empty()
    {
        var report = Report(Bootstrap(), "- !user alice\n- !variable db/password\n");

        Assert.Equal("Valid YAML", report.GetProperty("status").GetString());
        Assert.Equal(["acct:user:alice", "acct:variable:db/password"], Ids(report.GetProperty("created").GetProperty("items")));
        Assert.Empty(Ids(report.GetProperty("deleted").GetProperty("items")));

        // Conjur's quirk, kept: the owner of the new records (admin) is reported as updated, its memberships grew.
        Assert.Equal(["acct:user:admin"], Ids(report.GetProperty("updated").GetProperty("after").GetProperty("items")));
    }

    [Fact]
    public void A_replace_reports_what_it_deletes_and_the_owner_change_as_an_update()
    {
        var before = Load(Bootstrap(), "- !user alice\n- !group devs\n- !variable db/password\n");

        var report = Report(before, "- !user alice\n- !variable {id: db/password, owner: !user alice}\n", PolicyLoadMode.Replace);

        Assert.Equal(["acct:group:devs"], Ids(report.GetProperty("deleted").GetProperty("items")));
        Assert.Contains("acct:variable:db/password", Ids(report.GetProperty("updated").GetProperty("after").GetProperty("items")));
        Assert.Empty(Ids(report.GetProperty("created").GetProperty("items")));
    }

    [Fact]
    public void A_record_the_caller_cannot_see_is_never_an_item()
    {
        // bob may update the branch "team" but cannot see the variable outside it that the load would delete.
        var before = Load(Bootstrap("team"), """
            - !user bob
            - !variable outside
            - !permit {role: !user bob, privileges: [read, update, create], resource: !policy team}
            """);

        var asAdmin = Report(before, "- !delete {record: !variable outside}\n", PolicyLoadMode.Update);
        var asBob = Report(before, "- !delete {record: !variable outside}\n", PolicyLoadMode.Update, caller: "acct:user:bob");

        Assert.Contains("acct:variable:outside", Ids(asAdmin.GetProperty("deleted").GetProperty("items")));
        Assert.DoesNotContain("acct:variable:outside", Ids(asBob.GetProperty("deleted").GetProperty("items")));
    }

    [Fact]
    public void A_refused_text_is_reported_with_its_line_column_and_policy_id()
    {
        var error = Fail("- !user alice\n- !nonsense x\n");

        var report = JsonDocument.Parse(PlanReport.Invalid("team/apps", error)).RootElement;

        Assert.Equal("Invalid YAML", report.GetProperty("status").GetString());
        var only = Assert.Single(report.GetProperty("errors").EnumerateArray());
        Assert.Equal(error.Line ?? 0, only.GetProperty("line").GetInt32());
        Assert.Equal("team/apps", only.GetProperty("context").GetProperty("policy_id").GetString());
        Assert.StartsWith(error.Detail, only.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
