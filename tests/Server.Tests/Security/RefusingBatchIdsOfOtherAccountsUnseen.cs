using System.Net;
using Secrets.Server.Tests.Infrastructure;
using Secrets.Server.Tests.Variables;

namespace Secrets.Server.Tests.Security;

/// <summary>
/// Issue 8 (kept for Conjur parity, documented): in a batch fetch, an id of another account is refused with 403
/// without being looked up, whether that variable exists, is missing, is of another kind or its account does not
/// exist, so the answer says nothing about the other account. Ids of the caller's account keep Conjur's rule
/// (existing without execute 403, missing 404).
/// </summary>
public abstract class RefusingBatchIdsOfOtherAccountsUnseen(ServerFixture f)
{
    private static string Batch(params string[] ids) => "/secrets?variable_ids=" + Uri.EscapeDataString(string.Join(',', ids));

    [Fact]
    public async Task Every_id_of_another_account_gets_the_same_403()
    {
        var other = World.Unique("acct");
        var created = await f.CreateAccountAsync(other);
        using (var theirAdmin = await f.ClientForAsync("admin", created.AdminApiKey, other))
        {
            await World.LoadAsync(theirAdmin, HttpMethod.Post, "root", "- !variable theirs\n", other);
            using var set = await theirAdmin.PostAsync($"/secrets/{other}/variable/theirs", new StringContent("their value"));
            Assert.Equal(HttpStatusCode.Created, set.StatusCode);
        }

        using var w = await SecretsWorld.CreateAsync(f, ["mine"]);
        await w.SetAsync("mine", "v");

        var foreign = new[] { $"{other}:variable:theirs", $"{other}:variable:nothing", $"{other}:user:admin", $"{World.Unique("nobody")}:variable:x" };
        foreach (var id in foreign)
        {
            using var response = await w.Admin.GetAsync(Batch(w.VariableId("mine"), id));
            Assert.Equal((HttpStatusCode.Forbidden, ""), (response.StatusCode, await response.Content.ReadAsStringAsync()));
        }
    }

    [Fact]
    public async Task Ids_of_the_callers_account_keep_conjurs_403_and_404()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["mine", "readable"]);
        await w.SetAsync("mine", "v");

        using var forbidden = await w.Reader.GetAsync(Batch(w.VariableId("readable"), w.VariableId("missing")));
        using var missing = await w.Admin.GetAsync(Batch(w.VariableId("mine"), w.VariableId("missing")));

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(
            $$$$"""{"error":{"code":"not_found","message":"CONJ00076E Variable {{{{w.VariableId("missing")}}}} is empty or not found."}}""",
            await missing.Content.ReadAsStringAsync());
    }
}

public sealed class RefusingBatchIdsOfOtherAccountsUnseenOnSqlite(SqliteServer f) : RefusingBatchIdsOfOtherAccountsUnseen(f), IClassFixture<SqliteServer>;

public sealed class RefusingBatchIdsOfOtherAccountsUnseenOnPostgres(PostgresServerFixture f) : RefusingBatchIdsOfOtherAccountsUnseen(f), IClassFixture<PostgresServerFixture>;
