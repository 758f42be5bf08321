using Secrets.Policy.Store;

namespace Secrets.Policy.Language;

/// <summary>How a policy text is loaded (spec 4.6).</summary>
public enum PolicyLoadMode
{
    /// <summary>POST: inserts only; deletion statements are rejected.</summary>
    Add,

    /// <summary>PATCH: inserts and updates; executes <c>!delete</c>/<c>!revoke</c>/<c>!deny</c>.</summary>
    Update,

    /// <summary>PUT: like PATCH, and deletes this policy's rows that the text no longer declares.</summary>
    Replace,
}

/// <summary>Server settings that change how records are validated (spec 4.2, 9.1).</summary>
public sealed record PolicyPlanOptions
{
    /// <summary><c>CONJUR_USERS_IN_ROOT_POLICY_ONLY=true</c>: users may only be declared at the top of root.</summary>
    public bool UsersInRootPolicyOnly { get; init; }

    /// <summary><c>CONJUR_AUTHN_API_KEY_DEFAULT=false</c>: hosts must carry the annotation <c>authn/api-key: true</c>.</summary>
    public bool HostsRequireApiKeyAnnotation { get; init; }

    /// <summary>
    /// <c>SECRETS_POLICY_MAX_ROWS_PER_LINE</c> (default 50): a load may declare at most this many rows per line of
    /// text, and never less than <see cref="PolicySize.MinimumCap"/> in all (see <see cref="PolicySize"/>).
    /// </summary>
    public int MaxRowsPerLine { get; init; } = 50;

    /// <summary><c>SECRETS_POLICY_MAX_ROWS</c> (default 2,000,000): the absolute cap of rows one load may declare.</summary>
    public long MaxRows { get; init; } = 2_000_000;
}

/// <summary>
/// The role loading a policy and the role graph it is judged against (the snapshot of the state being planned), for
/// the rules that depend on who loads: what it may see, delete, and annotate.
/// </summary>
/// <param name="RoleId">Full id of the caller's role.</param>
/// <param name="Snapshot">The account's role graph at the version of the planned state.</param>
public sealed record PolicyCaller(string RoleId, Authorization.AuthorizationSnapshot Snapshot)
{
    /// <summary>
    /// Whether the caller can see <paramref name="id"/> (spec 5.2): ids without a resource are not hidden (there is
    /// nothing to see), a resource is visible when the caller holds its owner or a role with a permission on it.
    /// </summary>
    public bool Sees(string id) => !Snapshot.ResourceExists(id) || Snapshot.IsVisible(id, RoleId);

    /// <summary>Whether the caller is, or is a member of, <paramref name="roleId"/>.</summary>
    public bool Holds(string roleId) => Snapshot.Holds(RoleId, roleId);
}

/// <summary>A row before and after an update.</summary>
/// <typeparam name="T">The row type.</typeparam>
/// <param name="Before">The stored row.</param>
/// <param name="After">The row to store.</param>
public sealed record RowUpdate<T>(T Before, T After);

/// <summary>A public key to store as the secret of its <c>public_key</c> resource (when it differs from the latest version).</summary>
/// <param name="ResourceId">Full id <c>account:public_key:user/&lt;login&gt;/&lt;name&gt;</c>.</param>
/// <param name="Value">The key text.</param>
public sealed record PublicKeyValue(string ResourceId, string Value);

/// <summary>Rows grouped by table, in the order they should be written.</summary>
/// <param name="Roles">Role rows, owners first.</param>
/// <param name="Resources">Resource rows, owners first.</param>
/// <param name="Memberships">Membership rows.</param>
/// <param name="Permissions">Permission rows.</param>
/// <param name="Annotations">Annotation rows.</param>
/// <param name="CredentialRestrictions">Credential restriction rows.</param>
public sealed record PolicyRows(
    IReadOnlyList<RoleRow> Roles,
    IReadOnlyList<ResourceRow> Resources,
    IReadOnlyList<MembershipRow> Memberships,
    IReadOnlyList<PermissionRow> Permissions,
    IReadOnlyList<AnnotationRow> Annotations,
    IReadOnlyList<CredentialRestrictionRow> CredentialRestrictions)
{
    /// <summary>No rows.</summary>
    public static PolicyRows None { get; } = new([], [], [], [], [], []);

    /// <summary>Total number of rows.</summary>
    public int Count => Roles.Count + Resources.Count + Memberships.Count + Permissions.Count + Annotations.Count + CredentialRestrictions.Count;
}

/// <summary>Changes to non-key columns of existing rows of the target policy (PATCH and PUT only).</summary>
/// <param name="Resources">Owner changes.</param>
/// <param name="Memberships">Admin option changes.</param>
/// <param name="Annotations">Value changes.</param>
/// <param name="CredentialRestrictions">restricted_to changes (POST too: union with the stored value).</param>
public sealed record PolicyRowUpdates(
    IReadOnlyList<RowUpdate<ResourceRow>> Resources,
    IReadOnlyList<RowUpdate<MembershipRow>> Memberships,
    IReadOnlyList<RowUpdate<AnnotationRow>> Annotations,
    IReadOnlyList<RowUpdate<CredentialRestrictionRow>> CredentialRestrictions)
{
    /// <summary>No updates.</summary>
    public static PolicyRowUpdates None { get; } = new([], [], [], []);

    /// <summary>Total number of updated rows.</summary>
    public int Count => Resources.Count + Memberships.Count + Annotations.Count + CredentialRestrictions.Count;
}

/// <summary>
/// What a load changes, as plain data. The Server applies, in one transaction: <see cref="Deletes"/> (already
/// cascaded: it need not rely on database cascades, but must also drop secrets and credentials of the deleted
/// resources and roles), then <see cref="Updates"/>, then <see cref="Inserts"/> (roles, resources, memberships,
/// permissions, annotations, credential restrictions), then creates credentials with a fresh API key for each of
/// <see cref="CreatedRoleIds"/> and stores <see cref="PublicKeys"/>. A key may appear both in Deletes and in Inserts:
/// the record is deleted and declared again, and comes back empty (spec 4.6).
/// </summary>
public sealed class PolicyPlan
{
    private IReadOnlyList<string>? _created;
    private IReadOnlyList<string>? _updated;
    private IReadOnlyList<string>? _deleted;

    internal PolicyPlan(
        string policyId,
        PolicyLoadMode mode,
        PolicyRows inserts,
        PolicyRowUpdates updates,
        PolicyRows deletes,
        IReadOnlyList<string> createdRoleIds,
        IReadOnlyList<PublicKeyValue> publicKeys,
        IReadOnlyList<string> warnings)
    {
        PolicyId = policyId;
        Mode = mode;
        Inserts = inserts;
        Updates = updates;
        Deletes = deletes;
        CreatedRoleIds = createdRoleIds;
        PublicKeys = publicKeys;
        Warnings = warnings;
    }

    /// <summary>Full id of the target policy (the PolicyId of every inserted row).</summary>
    public string PolicyId { get; }

    /// <summary>The load mode.</summary>
    public PolicyLoadMode Mode { get; }

    /// <summary>Rows to insert.</summary>
    public PolicyRows Inserts { get; }

    /// <summary>Rows to update.</summary>
    public PolicyRowUpdates Updates { get; }

    /// <summary>Rows to delete (explicit deletions, PUT removals, and their cascades).</summary>
    public PolicyRows Deletes { get; }

    /// <summary>
    /// Full ids of users and hosts created by this load: each needs credentials with a new API key and is listed in
    /// the response's <c>created_roles</c>. Existing roles never get a new key.
    /// </summary>
    public IReadOnlyList<string> CreatedRoleIds { get; }

    /// <summary>
    /// Every public key the text declares on a resource this policy may write; store a new secret version only when
    /// it differs from the latest one (as Conjur does).
    /// </summary>
    public IReadOnlyList<PublicKeyValue> PublicKeys { get; }

    /// <summary>The response's <c>warnings</c>.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>True when the load changes no row (public keys are compared with stored secrets by the Server).</summary>
    public bool IsEmpty => Inserts.Count == 0 && Updates.Count == 0 && Deletes.Count == 0 && CreatedRoleIds.Count == 0;

    /// <summary>Dry run: ids of the roles and resources created.</summary>
    public IReadOnlyList<string> CreatedIds => _created ??= Distinct(Inserts.Roles.Select(r => r.RoleId).Concat(Inserts.Resources.Select(r => r.ResourceId)));

    /// <summary>Dry run: ids of the roles and resources deleted.</summary>
    public IReadOnlyList<string> DeletedIds => _deleted ??= Distinct(Deletes.Roles.Select(r => r.RoleId).Concat(Deletes.Resources.Select(r => r.ResourceId)));

    /// <summary>
    /// Dry run: ids of existing records (neither created nor deleted) whose owner, annotations, memberships (as role
    /// or member), permissions (as resource or role) or restrictions change. Their "before" item comes from the
    /// current state and their "after" item from <see cref="PolicyState.Apply"/>.
    /// </summary>
    public IReadOnlyList<string> UpdatedIds => _updated ??= ComputeUpdatedIds();

    private List<string> ComputeUpdatedIds()
    {
        var touched = new List<string>();
        void Rows(PolicyRows rows)
        {
            touched.AddRange(rows.Memberships.SelectMany(m => new[] { m.RoleId, m.MemberId }));
            touched.AddRange(rows.Permissions.SelectMany(p => new[] { p.ResourceId, p.RoleId }));
            touched.AddRange(rows.Annotations.Select(a => a.ResourceId));
            touched.AddRange(rows.CredentialRestrictions.Select(r => r.RoleId));
        }

        Rows(Deletes);
        touched.AddRange(Updates.Resources.Select(u => u.After.ResourceId));
        touched.AddRange(Updates.Memberships.SelectMany(u => new[] { u.After.RoleId, u.After.MemberId }));
        touched.AddRange(Updates.Annotations.Select(u => u.After.ResourceId));
        touched.AddRange(Updates.CredentialRestrictions.Select(u => u.After.RoleId));
        Rows(Inserts);

        var excluded = new HashSet<string>(CreatedIds.Concat(DeletedIds), StringComparer.Ordinal);
        return Distinct(touched.Where(id => !excluded.Contains(id)));
    }

    private static List<string> Distinct(IEnumerable<string> ids)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return ids.Where(seen.Add).ToList();
    }
}
