using Secrets.Policy.Store;

namespace Secrets.Policy.Tests.Store;

public sealed class ParsingFullIds
{
    [Theory]
    [InlineData("acct:user:alice", "acct", "user", "alice")]
    [InlineData("acct:host:a:b", "acct", "host", "a:b")]
    [InlineData("acct:variable:db/pass:word", "acct", "variable", "db/pass:word")]
    [InlineData("a:b:c", "a", "b", "c")]
    public void A_full_id_splits_on_its_first_two_colons_only(string id, string account, string kind, string identifier)
    {
        Assert.True(FullId.TryParse(id, out var parsed));
        Assert.Equal(new FullId(account, kind, identifier), parsed);
        Assert.Equal(id, parsed.ToString());
        Assert.Equal(parsed, FullId.Parse(id));
        Assert.Equal(account, FullId.AccountOf(id));
        Assert.Equal(kind, FullId.KindOf(id));
        Assert.Equal(identifier, FullId.IdentifierOf(id));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("acct")]
    [InlineData("acct:user")]
    [InlineData("acct:user:")]
    [InlineData(":user:alice")]
    [InlineData("acct::alice")]
    [InlineData("::")]
    public void An_id_with_a_missing_colon_or_an_empty_part_is_not_a_full_id(string? id)
    {
        Assert.False(FullId.TryParse(id, out var parsed));
        Assert.Equal(default, parsed);
        if (id is not null)
        {
            Assert.Throws<FormatException>(() => FullId.Parse(id));
        }
    }

    [Theory]
    [InlineData("acct", "acct", "", "acct")]
    [InlineData("acct:user", "acct", "", "acct:user")]
    [InlineData("acct::x", "acct", "", "x")]
    public void The_part_readers_are_lenient_on_stored_text(string id, string account, string kind, string identifier)
    {
        // Used on ids read back from rows and from list filters, where a malformed id must not throw.
        Assert.Equal(account, FullId.AccountOf(id));
        Assert.Equal(kind, FullId.KindOf(id));
        Assert.Equal(identifier, FullId.IdentifierOf(id));
    }

    [Theory]
    [InlineData("acct", true)]
    [InlineData("my-org.prod_1", true)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("a:b", false)]
    [InlineData("a/b", false)]
    [InlineData("a b", false)]
    [InlineData("a%2F", false)]
    [InlineData("a\tb", false)]
    [InlineData("a\u0000", false)]
    public void Account_names_follow_spec_9(string? name, bool valid)
    {
        Assert.Equal(valid, AccountName.IsValid(name));
        Assert.False(AccountName.IsValid(new string('a', 256)));
        Assert.True(AccountName.IsValid(new string('a', 255)));
    }
}
