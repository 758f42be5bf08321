namespace Secrets.Authn.Roles;

/// <summary>
/// Conversions between a login (the token <c>sub</c>, the Basic-auth user name, the <c>{login}</c> path segment of
/// <c>authenticate</c>) and a full role id <c>account:kind:identifier</c>.
/// </summary>
/// <remarks>
/// Only users and hosts hold credentials, so only they have logins. A login is <c>user/&lt;id&gt;</c> or
/// <c>host/&lt;id&gt;</c> when it starts with one of those two kinds, and a user id otherwise (spec 1.2 and 2.1:
/// <c>alice</c>, <c>alice@dev-db</c>, <c>user/alice</c>, <c>host/app/01</c>). Conjur takes any first segment as the
/// kind; we deliberately recognise only the two credential-bearing kinds, so <c>group/x</c> reads as the user
/// <c>group/x</c> and can never name a group.
/// </remarks>
public static class RoleIds
{
    private const string UserKind = "user";
    private const string HostKind = "host";

    /// <summary>
    /// The role id a login stands for in <paramref name="account"/>: <c>alice</c> → <c>acct:user:alice</c>,
    /// <c>user/alice</c> → <c>acct:user:alice</c>, <c>host/app/01</c> → <c>acct:host:app/01</c>,
    /// <c>alice@dev-db</c> → <c>acct:user:alice@dev-db</c>. Null when the account is empty or contains <c>:</c>, or
    /// the login or its identifier part is empty.
    /// </summary>
    public static string? FromLogin(string account, string login)
    {
        if (string.IsNullOrEmpty(account) || account.Contains(':', StringComparison.Ordinal) || string.IsNullOrEmpty(login))
        {
            return null;
        }

        var (kind, identifier) = SplitLogin(login);
        return identifier.Length == 0 ? null : string.Concat(account, ":", kind, ":", identifier);
    }

    /// <summary>
    /// The login of a full role id: <c>acct:user:alice</c> → <c>alice</c>, <c>acct:host:app/01</c> →
    /// <c>host/app/01</c>, any other kind → <c>kind/identifier</c>. Null when <paramref name="roleId"/> is not a full
    /// id.
    /// </summary>
    public static string? ToLogin(string roleId)
    {
        if (!TrySplit(roleId, out _, out var kind, out var identifier))
        {
            return null;
        }

        return kind == UserKind ? identifier : string.Concat(kind, "/", identifier);
    }

    /// <summary>
    /// Splits a full id <c>account:kind:identifier</c> on its first two colons only (the identifier may contain
    /// <c>:</c>). False when a part is empty or a colon is missing.
    /// </summary>
    public static bool TrySplit(string fullId, out string account, out string kind, out string identifier)
    {
        account = kind = identifier = string.Empty;
        var first = fullId.IndexOf(':', StringComparison.Ordinal);
        if (first <= 0)
        {
            return false;
        }

        var second = fullId.IndexOf(':', first + 1);
        if (second <= first + 1 || second == fullId.Length - 1)
        {
            return false;
        }

        account = fullId[..first];
        kind = fullId[(first + 1)..second];
        identifier = fullId[(second + 1)..];
        return true;
    }

    private static (string Kind, string Identifier) SplitLogin(string login)
    {
        var slash = login.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0)
        {
            var prefix = login[..slash];
            if (prefix is UserKind or HostKind)
            {
                return (prefix, login[(slash + 1)..]);
            }
        }

        return (UserKind, login);
    }
}
