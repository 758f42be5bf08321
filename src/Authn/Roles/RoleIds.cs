namespace Secrets.Authn.Roles;

/// <summary>
/// Conversions between a login (the token <c>sub</c>, the Basic-auth user name, the <c>{login}</c> path segment of
/// <c>authenticate</c>) and a full role id <c>account:kind:identifier</c>.
/// </summary>
/// <remarks>
/// <para>
/// Conjur's rule (spec 3.3 step 5, Conjur's <c>Role.roleid_from_username</c> and <c>Role#login</c>): a login
/// <c>a/b</c> is the role of kind <c>a</c> and id <c>b</c> (split on the first <c>/</c>), a login without <c>/</c> is
/// a user; the login of a user is its id and the login of any other role is <c>kind/id</c>.
/// </para>
/// <para>
/// The two directions are not inverse for every id: the user <c>user/admin</c> would have the login
/// <c>user/admin</c>, which parses back as the user <c>admin</c>. Such a role has no login at all
/// (<see cref="TryGetLogin"/>), and <see cref="CanHoldCredentials"/> is the one rule every place that creates
/// credentials or issues or accepts a token asks (issue 8: a branch named <c>user</c> could otherwise mint admin).
/// </para>
/// </remarks>
public static class RoleIds
{
    private const string UserKind = "user";
    private const string HostKind = "host";

    /// <summary>
    /// The role id a login stands for in <paramref name="account"/>: <c>alice</c> → <c>acct:user:alice</c>,
    /// <c>user/alice</c> → <c>acct:user:alice</c>, <c>host/app/01</c> → <c>acct:host:app/01</c>,
    /// <c>alice@dev-db</c> → <c>acct:user:alice@dev-db</c>, <c>group/ops</c> → <c>acct:group:ops</c>. Null when the
    /// account is empty or contains <c>:</c>, or the kind or identifier is empty, or the kind contains <c>:</c> (the
    /// role id would split elsewhere).
    /// </summary>
    public static string? FromLogin(string account, string login)
    {
        if (string.IsNullOrEmpty(account) || account.Contains(':', StringComparison.Ordinal) || string.IsNullOrEmpty(login))
        {
            return null;
        }

        var slash = login.IndexOf('/', StringComparison.Ordinal);
        var (kind, identifier) = slash < 0 ? (UserKind, login) : (login[..slash], login[(slash + 1)..]);
        if (kind.Length == 0 || identifier.Length == 0 || kind.Contains(':', StringComparison.Ordinal))
        {
            return null;
        }

        return string.Concat(account, ":", kind, ":", identifier);
    }

    /// <summary>
    /// Conjur's login of a full role id: <c>acct:user:alice</c> → <c>alice</c>, <c>acct:host:app/01</c> →
    /// <c>host/app/01</c>, any other kind → <c>kind/identifier</c>. Null when <paramref name="roleId"/> is not a full
    /// id. This string need not parse back to the role; use <see cref="TryGetLogin"/> wherever it must.
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
    /// The login of <paramref name="roleId"/> when it parses back to exactly that role
    /// (<c>FromLogin(account, login) == roleId</c>); false otherwise, e.g. for the user <c>user/admin</c> or
    /// <c>dev/alice</c>, whose logins would name the user <c>admin</c> and a role of kind <c>dev</c>.
    /// </summary>
    public static bool TryGetLogin(string roleId, out string login)
    {
        login = string.Empty;
        if (!TrySplit(roleId, out var account, out _, out _) || ToLogin(roleId) is not { } candidate
            || !string.Equals(FromLogin(account, candidate), roleId, StringComparison.Ordinal))
        {
            return false;
        }

        login = candidate;
        return true;
    }

    /// <summary>
    /// True when <paramref name="roleId"/> may have credentials and access tokens: a user or a host (Conjur gives
    /// credentials to nothing else) whose login round-trips (<see cref="TryGetLogin"/>). Credentials are created,
    /// tokens issued and tokens accepted only for such roles.
    /// </summary>
    public static bool CanHoldCredentials(string roleId) =>
        TrySplit(roleId, out _, out var kind, out _) && kind is UserKind or HostKind && TryGetLogin(roleId, out _);

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
}
