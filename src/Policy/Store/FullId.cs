namespace Secrets.Policy.Store;

/// <summary>
/// A full id <c>account:kind:identifier</c> (spec 1.3), split on its first two colons only: the identifier may
/// contain <c>:</c>. The one parser of ids, and the home of the login ↔ role id rules.
/// </summary>
/// <remarks>
/// <para>
/// Logins (the token <c>sub</c>, the Basic-auth user name, the <c>{login}</c> path segment of <c>authenticate</c>)
/// follow Conjur's rule (spec 3.3 step 5, Conjur's <c>Role.roleid_from_username</c> and <c>Role#login</c>): a login
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
public readonly record struct FullId(string Account, string Kind, string Identifier)
{
    private const string UserKind = "user";
    private const string HostKind = "host";

    /// <summary>The id as stored and sent: <c>account:kind:identifier</c>.</summary>
    public override string ToString() => string.Concat(Account, ":", Kind, ":", Identifier);

    /// <summary>
    /// Splits <paramref name="id"/> on its first two colons. False when a colon is missing or a part is empty.
    /// </summary>
    public static bool TryParse(string? id, out FullId fullId)
    {
        fullId = default;
        var first = id is null ? -1 : id.IndexOf(':', StringComparison.Ordinal);
        if (first <= 0)
        {
            return false;
        }

        var second = id!.IndexOf(':', first + 1);
        if (second <= first + 1 || second == id.Length - 1)
        {
            return false;
        }

        fullId = new FullId(id[..first], id[(first + 1)..second], id[(second + 1)..]);
        return true;
    }

    /// <exception cref="FormatException"><paramref name="id"/> is not a full id (see <see cref="TryParse"/>).</exception>
    public static FullId Parse(string id) =>
        TryParse(id, out var fullId) ? fullId : throw new FormatException("A full id is account:kind:identifier, with no part empty.");

    /// <summary>
    /// The kind of a stored id, read without allocating the other parts; empty when <paramref name="id"/> has fewer
    /// than two colons.
    /// </summary>
    public static string KindOf(string id)
    {
        var first = id.IndexOf(':', StringComparison.Ordinal);
        var second = first < 0 ? -1 : id.IndexOf(':', first + 1);
        return second < 0 ? string.Empty : id[(first + 1)..second];
    }

    /// <summary>The account of an id: what precedes its first colon (the whole id when it has none).</summary>
    public static string AccountOf(string id)
    {
        var first = id.IndexOf(':', StringComparison.Ordinal);
        return first < 0 ? id : id[..first];
    }

    /// <summary>The identifier of an id: what follows its second colon (the whole id when it has fewer than two).</summary>
    public static string IdentifierOf(string id)
    {
        var first = id.IndexOf(':', StringComparison.Ordinal);
        var second = first < 0 ? -1 : id.IndexOf(':', first + 1);
        return second < 0 ? id : id[(second + 1)..];
    }

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
    public static string? ToLogin(string roleId) =>
        TryParse(roleId, out var id) ? (id.Kind == UserKind ? id.Identifier : string.Concat(id.Kind, "/", id.Identifier)) : null;

    /// <summary>
    /// The login of <paramref name="roleId"/> when it parses back to exactly that role
    /// (<c>FromLogin(account, login) == roleId</c>); false otherwise, e.g. for the user <c>user/admin</c> or
    /// <c>dev/alice</c>, whose logins would name the user <c>admin</c> and a role of kind <c>dev</c>.
    /// </summary>
    public static bool TryGetLogin(string roleId, out string login)
    {
        login = string.Empty;
        if (!TryParse(roleId, out var id) || ToLogin(roleId) is not { } candidate
            || !string.Equals(FromLogin(id.Account, candidate), roleId, StringComparison.Ordinal))
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
        TryParse(roleId, out var id) && id.Kind is UserKind or HostKind && TryGetLogin(roleId, out _);
}

/// <summary>Account names (spec 9).</summary>
public static class AccountName
{
    /// <summary>Non-empty, at most 255 characters, no space, <c>:</c>, <c>/</c> or <c>%</c>; control characters and white space are refused too.</summary>
    public static bool IsValid(string? name) =>
        !string.IsNullOrEmpty(name)
        && name.Length <= 255
        && !name.Any(c => c is ' ' or ':' or '/' or '%' || char.IsControl(c) || char.IsWhiteSpace(c));
}
