using Secrets.Policy.Store;

namespace Secrets.Policy.Tests.Store;

public sealed class MappingLoginsToRoleIds
{
    [Theory]
    [InlineData("alice", "acct:user:alice")]
    [InlineData("alice@dev-db", "acct:user:alice@dev-db")]
    [InlineData("user/alice", "acct:user:alice")]
    [InlineData("host/app/01", "acct:host:app/01")]
    [InlineData("host/prod/app-01", "acct:host:prod/app-01")]
    [InlineData("host/a:b", "acct:host:a:b")]
    [InlineData("user/user/admin", "acct:user:user/admin")]
    [InlineData("group/ops", "acct:group:ops")]
    [InlineData("layer/web", "acct:layer:web")]
    [InlineData("Host/app", "acct:Host:app")]
    public void A_login_parses_its_first_segment_as_the_kind_as_Conjur_does(string login, string roleId)
    {
        Assert.Equal(roleId, FullId.FromLogin("acct", login));
    }

    [Theory]
    [InlineData("acct", "")]
    [InlineData("acct", "host/")]
    [InlineData("acct", "user/")]
    [InlineData("acct", "/alice")]
    [InlineData("acct", "a:b/c")]
    [InlineData("", "alice")]
    [InlineData("a:b", "alice")]
    public void An_empty_part_or_a_colon_in_the_account_gives_no_role(string account, string login)
    {
        Assert.Null(FullId.FromLogin(account, login));
    }

    [Theory]
    [InlineData("acct:host:app/01", "host/app/01")]
    [InlineData("acct:user:alice", "alice")]
    [InlineData("acct:user:alice@dev-db", "alice@dev-db")]
    [InlineData("acct:group:ops", "group/ops")]
    [InlineData("acct:host:a:b", "host/a:b")]
    public void A_role_id_maps_back_to_its_login(string roleId, string login)
    {
        Assert.Equal(login, FullId.ToLogin(roleId));
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("acct:user")]
    [InlineData("acct:user:")]
    [InlineData(":user:alice")]
    [InlineData("acct::alice")]
    public void A_string_that_is_not_a_full_id_has_no_login(string roleId)
    {
        Assert.Null(FullId.ToLogin(roleId));
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("host/app/01")]
    [InlineData("alice@dev-db")]
    public void Login_and_role_id_round_trip(string login)
    {
        Assert.Equal(login, FullId.ToLogin(FullId.FromLogin("acct", login)!));
    }
}
