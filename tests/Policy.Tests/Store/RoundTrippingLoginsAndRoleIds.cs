using System.Text;
using Secrets.Policy.Store;

namespace Secrets.Policy.Tests.Store;

/// <summary>
/// Issue 8: a login and a role id must name each other exactly, or a role created as <c>user:user/admin</c> gets a
/// token that acts as <c>user:admin</c>. Properties over generated ids (seeded, so a failure reproduces).
/// </summary>
public sealed class RoundTrippingLoginsAndFullId
{
    private const int Cases = 20_000;

    private static readonly string[] Kinds = ["user", "host", "group", "layer", "policy", "variable", "webservice", "host_factory", "Host", "x.y", "ü"];

    private static readonly string[] Pieces = ["/", "/", "@", ":", ".", "..", "-", "_", "user", "host", "admin", "conjur", "é", "日本", "🔑", " ", "%2F", "a", "b", "0"];

    [Fact]
    public void Login_to_role_to_login_is_the_identity_for_every_login_a_role_has()
    {
        var random = new Random(8_001);
        var checkedLogins = 0;
        for (var i = 0; i < Cases; i++)
        {
            var login = Text(random);
            if (FullId.FromLogin("acct", login) is not { } roleId)
            {
                continue;
            }

            // The login the role has (if any) names the same role; when it is the login we started from, unchanged.
            if (FullId.TryGetLogin(roleId, out var back))
            {
                Assert.Equal(roleId, FullId.FromLogin("acct", back));
                if (!login.StartsWith("user/", StringComparison.Ordinal))
                {
                    Assert.Equal(login, back);
                    checkedLogins++;
                }
            }
        }

        Assert.True(checkedLogins > Cases / 4, $"only {checkedLogins} generated logins had a login back");
    }

    [Fact]
    public void Role_to_login_to_role_is_the_identity_whenever_a_login_exists()
    {
        var random = new Random(8_002);
        var withLogin = 0;
        var withoutLogin = 0;
        for (var i = 0; i < Cases; i++)
        {
            var kind = Kinds[random.Next(Kinds.Length)];
            var roleId = $"acct:{kind}:{Text(random)}";
            if (FullId.TryGetLogin(roleId, out var login))
            {
                Assert.Equal(roleId, FullId.FromLogin("acct", login));
                Assert.Equal(login, FullId.ToLogin(roleId));
                withLogin++;
            }
            else
            {
                // No login: then the string ToLogin gives must not name this role, or TryGetLogin lied.
                Assert.NotEqual(roleId, FullId.ToLogin(roleId) is { } l ? FullId.FromLogin("acct", l) : null);
                Assert.False(FullId.CanHoldCredentials(roleId));
                withoutLogin++;
            }
        }

        Assert.True(withLogin > Cases / 4 && withoutLogin > Cases / 100, $"{withLogin} with a login, {withoutLogin} without");
    }

    [Fact]
    public void A_role_that_can_hold_credentials_is_named_by_its_login_and_by_nothing_else_of_another_kind()
    {
        var random = new Random(8_003);
        for (var i = 0; i < Cases; i++)
        {
            var roleId = $"acct:{(random.Next(2) == 0 ? "user" : "host")}:{Text(random)}";
            if (!FullId.CanHoldCredentials(roleId))
            {
                continue;
            }

            Assert.True(FullId.TryGetLogin(roleId, out var login));
            Assert.Equal(roleId, FullId.FromLogin("acct", login));
        }
    }

    [Theory]
    [InlineData("acct:user:user/admin")]
    [InlineData("acct:user:host/prod/app")]
    [InlineData("acct:user:dev/alice")]
    [InlineData("acct:user:group/ops")]
    public void A_user_whose_id_contains_a_slash_has_no_login_and_no_credentials(string roleId)
    {
        Assert.False(FullId.TryGetLogin(roleId, out _));
        Assert.False(FullId.CanHoldCredentials(roleId));
    }

    [Theory]
    [InlineData("acct:user:alice", "alice")]
    [InlineData("acct:user:alice@dev-db", "alice@dev-db")]
    [InlineData("acct:host:prod/app", "host/prod/app")]
    [InlineData("acct:host:a:b", "host/a:b")]
    [InlineData("acct:user:db.admin", "db.admin")]
    public void Users_and_hosts_with_ordinary_ids_have_their_login_and_may_hold_credentials(string roleId, string login)
    {
        Assert.True(FullId.TryGetLogin(roleId, out var actual));
        Assert.Equal(login, actual);
        Assert.True(FullId.CanHoldCredentials(roleId));
    }

    [Theory]
    [InlineData("acct:group:ops")]
    [InlineData("acct:layer:web")]
    [InlineData("acct:policy:root")]
    public void Roles_of_other_kinds_have_a_login_but_never_credentials(string roleId)
    {
        Assert.True(FullId.TryGetLogin(roleId, out _));
        Assert.False(FullId.CanHoldCredentials(roleId));
    }

    private static string Text(Random random)
    {
        var sb = new StringBuilder();
        var length = random.Next(1, 7);
        for (var i = 0; i < length; i++)
        {
            sb.Append(Pieces[random.Next(Pieces.Length)]);
        }

        return sb.ToString();
    }
}
