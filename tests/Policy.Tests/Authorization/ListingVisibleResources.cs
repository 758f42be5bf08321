using Secrets.Policy.Authorization;
using static Secrets.Policy.Tests.Authorization.World;

namespace Secrets.Policy.Tests.Authorization;

/// <summary>Spec 2.6: resource listings are filtered to what the caller can see (<c>visible_resources</c>).</summary>
public sealed class ListingVisibleResources
{
    private static readonly AuthorizationSnapshot Snapshot = Example().Build();

    [Theory]
    [InlineData("user:eve", null, "variable:prod/db/url")]
    [InlineData("user:dave", null, "policy:prod/db,webservice:conjur/authn-jwt/okta")]
    [InlineData("host:prod/db/app-01", null, "host_factory:prod/db,variable:prod/db/password,variable:prod/db/url")]
    [InlineData("host:prod/db/app-01", "acct:variable:", "variable:prod/db/password,variable:prod/db/url")]
    [InlineData("host:prod/db/app-01", "acct:variable:prod/db/p", "variable:prod/db/password")]
    [InlineData("host:prod/db/app-01", "acct:host", "host_factory:prod/db")]
    [InlineData("host:prod/db/app-01", "other:", "")]
    [InlineData("user:carol", null, "")]
    [InlineData("user:alice", "acct:user:", "user:bob@prod-db")]
    public void Visible_resources_are_sorted_and_filtered_by_prefix(string role, string? prefix, string expected)
    {
        string[] want = expected.Length == 0 ? [] : [.. expected.Split(',').Select(Id)];
        Assert.Equal(want, Snapshot.VisibleResources(Id(role), prefix));
    }

    [Theory]
    [InlineData("acct:variable:prod/db/", "variable:prod/db/password,variable:prod/db/url")]
    [InlineData("acct:variable:prod/db/p", "variable:prod/db/password")]
    [InlineData("acct:variable:prod/db/zzz", "")]
    [InlineData("other:", "")]
    public void Resources_with_a_prefix_are_every_match_sorted_whoever_may_see_them(string prefix, string expected)
    {
        string[] want = expected.Length == 0 ? [] : [.. expected.Split(',').Select(Id)];
        Assert.Equal(want, Snapshot.ResourcesWithPrefix(prefix));
        Assert.Equal(Snapshot.VisibleResources(Id("user:admin"), prefix), Snapshot.ResourcesWithPrefix(prefix));
    }

    [Fact]
    public void Admin_sees_every_resource()
    {
        var all = Snapshot.VisibleResources(Id("user:admin"));
        Assert.Equal(Snapshot.ResourceCount, all.Count);
        Assert.Equal([.. all.Order(StringComparer.Ordinal)], all);
        Assert.Equal(all.Where(id => id.StartsWith("acct:variable:", StringComparison.Ordinal)), Snapshot.VisibleResources(Id("user:admin"), "acct:variable:"));
    }

    [Fact]
    public void Filter_keeps_the_given_order_and_drops_invisible_and_unknown_ids()
    {
        Assert.Equal(
            [Id("variable:prod/db/url"), Id("host_factory:prod/db"), Id("variable:prod/db/password")],
            Snapshot.FilterVisible(
                Id("host:prod/db/app-01"),
                [Id("variable:prod/db/url"), Id("user:alice"), Id("host_factory:prod/db"), Id("variable:nope"), Id("variable:prod/db/password")]));
    }

    [Fact]
    public void Visible_resources_agree_with_is_visible_for_every_role()
    {
        var everything = Snapshot.VisibleResources(Id("user:admin"));
        foreach (var role in Snapshot.AllRoles(Id("user:admin")))
        {
            Assert.Equal(everything.Where(x => Snapshot.IsVisible(x, role)), Snapshot.VisibleResources(role));
            Assert.Equal(everything.Where(x => Snapshot.IsVisible(x, role)), Snapshot.FilterVisible(role, everything));
        }
    }
}
