using Secrets.Policy.Store;

namespace Secrets.Policy.Language;

/// <summary>
/// Compares a resolved policy with the account's current rows and plans the load (spec 4.6).
/// </summary>
public static class PolicyPlanner
{
    /// <summary>
    /// Plans a load of <paramref name="policy"/> in <paramref name="mode"/> against <paramref name="state"/>.
    /// </summary>
    /// <param name="policy">The resolved text.</param>
    /// <param name="mode">POST (<see cref="PolicyLoadMode.Add"/>), PATCH or PUT.</param>
    /// <param name="state">The current rows of the account.</param>
    /// <param name="options">Server settings; Conjur's defaults when null.</param>
    /// <param name="caller">
    /// The role loading the text, judged against the role graph of <paramref name="state"/>: a <c>!delete</c> of a
    /// record it cannot see changes nothing, and it writes reserved annotations (<c>authn*/</c>, <c>conjur/</c>,
    /// <c>kubernetes/</c>) or changes the owner of an existing record only when it holds the record's owner (or the
    /// target policy owns it). Null for a trusted caller with no role graph (tests, benchmarks): none of these rules.
    /// </param>
    /// <returns>The plan, or <c>validation_failed</c> (deletion statements in POST) / <c>policy_invalid</c>
    /// (reference to a record that exists nowhere, record rules).</returns>
    public static PolicyResult<PolicyPlan> Plan(ResolvedPolicy policy, PolicyLoadMode mode, PolicyState state, PolicyPlanOptions? options = null, PolicyCaller? caller = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(state);

        // POST may only add (spec 4.6, 4.9): checked before anything else, like Conjur's model validation.
        if (mode == PolicyLoadMode.Add && policy.HasDeletionStatements)
        {
            return PolicyResult.Failure<PolicyPlan>(PolicyError.Validation(PolicyMessages.MayNotContainDeletions));
        }

        try
        {
            return PolicyResult.Success(new Run(policy, mode, state, options ?? new PolicyPlanOptions(), caller).Plan());
        }
        catch (PolicyErrorException ex)
        {
            return PolicyResult.Failure<PolicyPlan>(ex.Error);
        }
    }

    /// <summary>Rows of one table keyed by primary key, in first-declared order.</summary>
    private sealed class Desired<TKey, TRow>
        where TKey : notnull
    {
        private readonly Dictionary<TKey, int> _index;

        /// <param name="capacity">The number of rows expected (sized up front: a large text adds tens of thousands).</param>
        /// <param name="comparer">The key comparer.</param>
        public Desired(int capacity, IEqualityComparer<TKey>? comparer = null)
        {
            _index = new(capacity, comparer);
            Rows = new(capacity);
        }

        public List<(TKey Key, TRow Row)> Rows { get; }

        public bool Contains(TKey key) => _index.ContainsKey(key);

        /// <summary>Adds a row; for a key already present, <paramref name="merge"/> decides the row kept (default: the first).</summary>
        public void Add(TKey key, TRow row, Func<TRow, TRow, TRow>? merge = null)
        {
            if (_index.TryGetValue(key, out var i))
            {
                if (merge is not null)
                {
                    Rows[i] = (key, merge(Rows[i].Row, row));
                }

                return;
            }

            _index[key] = Rows.Count;
            Rows.Add((key, row));
        }
    }

    /// <summary>
    /// Annotation names that authenticators and clients act on: <c>authn*/</c> (who may log in as a host, spec 7),
    /// <c>conjur/</c> (e.g. <c>conjur/mime_type</c>, served as the secret's Content-Type) and <c>kubernetes/</c>.
    /// </summary>
    public static bool IsReservedAnnotation(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && (name.StartsWith("authn", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("conjur/", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("kubernetes/", StringComparison.OrdinalIgnoreCase));
    }

    private sealed class Run(ResolvedPolicy policy, PolicyLoadMode mode, PolicyState state, PolicyPlanOptions options, PolicyCaller? caller)
    {
        private readonly string _policyId = policy.PolicyId;

        private readonly Desired<string, RoleRow> _roles = new(policy.Records.Count, StringComparer.Ordinal);
        private readonly Desired<string, ResourceRow> _resources = new(policy.Records.Count, StringComparer.Ordinal);
        private readonly Desired<(string, string), MembershipRow> _memberships = new(policy.Grants.Count);
        private readonly Desired<(string, string, string), PermissionRow> _permissions = new(policy.Permits.Count);
        private readonly Desired<(string, string), AnnotationRow> _annotations = new(0);
        private readonly Desired<string, ResolvedRecord> _credentialed = new(0, StringComparer.Ordinal);

        // What this load deletes from the current state, before anything is inserted.
        private readonly HashSet<string> _deletedEntities = new(StringComparer.Ordinal);
        private readonly HashSet<(string, string)> _deletedMemberships = [];
        private readonly HashSet<(string, string, string)> _deletedPermissions = [];
        private readonly HashSet<(string, string)> _deletedAnnotations = [];

        private bool UpdatesAllowed => mode != PolicyLoadMode.Add;

        public PolicyPlan Plan()
        {
            CheckRecordRules();
            CollectDesiredRows();
            if (mode != PolicyLoadMode.Add)
            {
                CollectDeletions();
            }

            CheckReferences();

            var deletes = BuildDeletes();
            var inserts = new Rows();
            var updates = new Updates();
            DiffRoles(inserts);
            DiffResources(inserts, updates);
            DiffMemberships(inserts, updates);
            DiffPermissions(inserts);
            DiffAnnotations(inserts, updates);
            DiffRestrictions(inserts, updates);

            var created = inserts.Roles
                .Where(r => _credentialed.Contains(r.RoleId))
                .Select(r => r.RoleId)
                .ToList();

            return new PolicyPlan(
                _policyId,
                mode,
                inserts.ToRows(),
                updates.ToUpdates(),
                deletes,
                created,
                PublicKeys(),
                policy.Warnings);
        }

        /// <summary>Record rules that depend on server settings (spec 4.2, Conjur's Loader::Types verify).</summary>
        private void CheckRecordRules()
        {
            foreach (var record in policy.Records)
            {
                if (record is { Kind: "user", HasRole: true } && options.UsersInRootPolicyOnly
                    && record.OwnerId != $"{policy.Account}:user:admin")
                {
                    throw Error(PolicyMessages.UserCreationDisabled, record.Line, record.Column);
                }

                if (record is { Kind: "host", HasRole: true } && options.HostsRequireApiKeyAnnotation)
                {
                    var apiKey = record.Annotations.FirstOrDefault(a => a.Key == "authn/api-key").Value;
                    if (apiKey is null || apiKey.Equals("false", StringComparison.OrdinalIgnoreCase))
                    {
                        throw Error(PolicyMessages.HostApiKeyAnnotationRequired, record.Line, record.Column);
                    }
                }
            }
        }

        private void CollectDesiredRows()
        {
            foreach (var record in policy.Records)
            {
                if (record.HasRole)
                {
                    _roles.Add(record.FullId, new RoleRow(record.FullId, _policyId));
                }

                if (record.HasResource)
                {
                    _resources.Add(record.FullId, new ResourceRow(record.FullId, record.OwnerId!, _policyId));
                    foreach (var (name, value) in record.Annotations)
                    {
                        _annotations.Add((record.FullId, name), new AnnotationRow(record.FullId, name, value, _policyId));
                    }
                }

                if (record.HasCredentials)
                {
                    _credentialed.Add(record.FullId, record);
                }
            }

            foreach (var grant in policy.Grants)
            {
                // The same pair granted twice keeps one row, with admin option if any grant asked for it.
                _memberships.Add(
                    (grant.RoleId, grant.MemberId),
                    new MembershipRow(grant.RoleId, grant.MemberId, grant.AdminOption, _policyId),
                    (first, second) => first.AdminOption || !second.AdminOption ? first : second);
            }

            foreach (var permit in policy.Permits)
            {
                _permissions.Add(
                    (permit.ResourceId, permit.Privilege, permit.RoleId),
                    new PermissionRow(permit.ResourceId, permit.Privilege, permit.RoleId, _policyId));
            }
        }

        /// <summary>
        /// PATCH/PUT: <c>!delete</c> removes a record whatever policy created it; <c>!revoke</c>/<c>!deny</c> remove only
        /// rows this policy created; PUT removes this policy's rows the text no longer declares (spec 4.3, 4.6).
        /// Whether the caller may delete what this collects (the records and their cascades) is the Server's check on
        /// the finished plan: <c>update</c> on each, as PUT needs.
        /// </summary>
        private void CollectDeletions()
        {
            foreach (var id in policy.Deletes)
            {
                // A record the caller cannot see does not exist for it (spec 5.2): deleting it changes nothing, exactly
                // as for an id that exists nowhere, so that neither the answer nor the dry run tells them apart.
                if (caller is not null && !caller.Sees(id))
                {
                    continue;
                }

                DeleteEntity(id);
            }

            foreach (var revoke in policy.Revokes)
            {
                var key = (revoke.RoleId, revoke.MemberId);
                if (state.MembershipIndex.TryGetValue(key, out var row) && row.PolicyId == _policyId)
                {
                    _deletedMemberships.Add(key);
                }
            }

            foreach (var deny in policy.Denies)
            {
                var key = (deny.ResourceId, deny.Privilege, deny.RoleId);
                if (state.PermissionIndex.TryGetValue(key, out var row) && row.PolicyId == _policyId)
                {
                    _deletedPermissions.Add(key);
                }
            }

            if (mode != PolicyLoadMode.Replace)
            {
                return;
            }

            // Rows are compared by primary key; every row of the text has this policy's id.
            foreach (var row in state.RoleIndex.Values)
            {
                if (row.PolicyId == _policyId && !_roles.Contains(row.RoleId))
                {
                    DeleteEntity(row.RoleId);
                }
            }

            foreach (var row in state.ResourceIndex.Values)
            {
                if (row.PolicyId == _policyId && !_resources.Contains(row.ResourceId))
                {
                    DeleteEntity(row.ResourceId);
                }
            }

            foreach (var (key, row) in state.MembershipIndex)
            {
                if (row.PolicyId == _policyId && !_memberships.Contains(key))
                {
                    _deletedMemberships.Add(key);
                }
            }

            foreach (var (key, row) in state.PermissionIndex)
            {
                if (row.PolicyId == _policyId && !_permissions.Contains(key))
                {
                    _deletedPermissions.Add(key);
                }
            }

            foreach (var (key, row) in state.AnnotationIndex)
            {
                // Removing a reserved annotation is writing it: a record whose owner the caller does not hold keeps
                // it (the record itself may still go, with everything on it, when PUT deletes the record).
                if (row.PolicyId == _policyId && !_annotations.Contains(key)
                    && (!IsReservedAnnotation(row.Name) || !state.ResourceIndex.TryGetValue(row.ResourceId, out var resource) || OwnedByCaller(resource)))
                {
                    _deletedAnnotations.Add(key);
                }
            }
        }

        /// <summary>
        /// Deletes the role and the resource with this id and, recursively, every resource owned by it (and the role
        /// of the same id), as the database's owner cascade does (spec 4.3 <c>!delete</c>, 4.6 PUT).
        /// </summary>
        private void DeleteEntity(string id)
        {
            if (!state.Exists(id) || !_deletedEntities.Add(id))
            {
                return;
            }

            var pending = new Stack<string>();
            pending.Push(id);
            while (pending.TryPop(out var current))
            {
                foreach (var owned in state.ResourcesOwnedBy(current))
                {
                    if (_deletedEntities.Add(owned))
                    {
                        pending.Push(owned);
                    }
                }
            }
        }

        /// <summary>Every reference must name a record that exists after deletions, or that the text declares (spec 4.3, 4.9).</summary>
        private void CheckReferences()
        {
            foreach (var reference in policy.References)
            {
                var exists = reference.IsRole
                    ? _roles.Contains(reference.FullId) || RoleAfterDeletes(reference.FullId) is not null
                    : _resources.Contains(reference.FullId) || ResourceAfterDeletes(reference.FullId) is not null;
                if (!exists)
                {
                    var id = reference.FullId;
                    throw Error(PolicyMessages.NotFound(FullId.KindOf(id), FullId.IdentifierOf(id), FullId.AccountOf(id)), reference.Line, reference.Column);
                }
            }
        }

        private PolicyRows BuildDeletes()
        {
            if (_deletedEntities.Count == 0 && _deletedMemberships.Count == 0 && _deletedPermissions.Count == 0
                && _deletedAnnotations.Count == 0)
            {
                return PolicyRows.None;
            }

            var roles = new List<RoleRow>();
            var resources = new List<ResourceRow>();
            foreach (var id in _deletedEntities)
            {
                if (state.RoleIndex.TryGetValue(id, out var role))
                {
                    roles.Add(role);
                }

                if (state.ResourceIndex.TryGetValue(id, out var resource))
                {
                    resources.Add(resource);
                }
            }

            // Rows that hang off a deleted role or resource go with it; one pass per table.
            var any = _deletedEntities.Count > 0;
            foreach (var (key, row) in state.MembershipIndex)
            {
                if (any && (_deletedEntities.Contains(row.RoleId) || _deletedEntities.Contains(row.MemberId)))
                {
                    _deletedMemberships.Add(key);
                }
            }

            foreach (var (key, row) in state.PermissionIndex)
            {
                if (any && (_deletedEntities.Contains(row.ResourceId) || _deletedEntities.Contains(row.RoleId)))
                {
                    _deletedPermissions.Add(key);
                }
            }

            foreach (var (key, row) in state.AnnotationIndex)
            {
                if (any && _deletedEntities.Contains(row.ResourceId))
                {
                    _deletedAnnotations.Add(key);
                }
            }

            var restrictions = state.RestrictionIndex.Values.Where(r => _deletedEntities.Contains(r.RoleId)).ToList();
            return new PolicyRows(
                roles,
                resources,
                _deletedMemberships.Select(k => state.MembershipIndex[k]).ToList(),
                _deletedPermissions.Select(k => state.PermissionIndex[k]).ToList(),
                _deletedAnnotations.Select(k => state.AnnotationIndex[k]).ToList(),
                restrictions);
        }

        // ---- Diffs. A stored row with another (or no) policy id shadows the text's row: it is left alone (spec 4.6).

        private void DiffRoles(Rows inserts)
        {
            foreach (var (id, row) in _roles.Rows)
            {
                if (RoleAfterDeletes(id) is null)
                {
                    inserts.Roles.Add(row);
                }
            }
        }

        private void DiffResources(Rows inserts, Updates updates)
        {
            foreach (var (id, row) in _resources.Rows)
            {
                var current = ResourceAfterDeletes(id);
                if (current is null)
                {
                    inserts.Resources.Add(row);
                }
                else if (current.PolicyId == _policyId && current.OwnerId != row.OwnerId && UpdatesAllowed && OwnedByCaller(current))
                {
                    // Changing the owner is writing the record: only from the owner's side, or the reserved
                    // annotations would be one load away from anyone who may load into the policy.
                    updates.Resources.Add(new(current, row));
                }
            }
        }

        private void DiffMemberships(Rows inserts, Updates updates)
        {
            foreach (var (key, row) in _memberships.Rows)
            {
                if (!state.MembershipIndex.TryGetValue(key, out var current) || IsDeleted(current))
                {
                    inserts.Memberships.Add(row);
                }
                else if (current.PolicyId == _policyId && current.AdminOption != row.AdminOption && UpdatesAllowed)
                {
                    updates.Memberships.Add(new(current, row));
                }
            }
        }

        private void DiffPermissions(Rows inserts)
        {
            foreach (var (key, row) in _permissions.Rows)
            {
                if (!state.PermissionIndex.TryGetValue(key, out var current) || IsDeleted(current))
                {
                    inserts.Permissions.Add(row);
                }
            }
        }

        private void DiffAnnotations(Rows inserts, Updates updates)
        {
            foreach (var (key, row) in _annotations.Rows)
            {
                var resource = ResourceAfterDeletes(row.ResourceId);
                if (resource is not null && !MayAnnotate(resource, row.Name))
                {
                    continue;
                }

                // The key is resource+name, so a new annotation on an existing resource of this policy is added even
                // by POST (spec 4.6).
                if (!state.AnnotationIndex.TryGetValue(key, out var current) || IsDeleted(current))
                {
                    inserts.Annotations.Add(row);
                }
                else if (current.PolicyId == _policyId && current.Value != row.Value && UpdatesAllowed)
                {
                    updates.Annotations.Add(new(current, row));
                }
            }
        }

        /// <summary>
        /// restricted_to of the users and hosts the text declares: union with the stored value for POST, replaced for
        /// PATCH/PUT (spec 4.6). A role of another policy is shadowed here too: we do not loosen its restriction.
        /// </summary>
        private void DiffRestrictions(Rows inserts, Updates updates)
        {
            foreach (var (id, record) in _credentialed.Rows)
            {
                var role = RoleAfterDeletes(id);
                if (role is not null && role.PolicyId != _policyId)
                {
                    continue;
                }

                var current = role is null ? null : state.RestrictionIndex.GetValueOrDefault(id);
                IReadOnlyList<string> stored = current?.RestrictedTo ?? [];
                var declared = record.RestrictedTo ?? [];
                var wanted = mode == PolicyLoadMode.Add ? stored.Union(declared, StringComparer.Ordinal).ToList() : declared;
                if (current is null)
                {
                    if (wanted.Count > 0)
                    {
                        inserts.CredentialRestrictions.Add(new CredentialRestrictionRow(id, wanted));
                    }
                }
                else if (!stored.SequenceEqual(wanted, StringComparer.Ordinal))
                {
                    updates.CredentialRestrictions.Add(new(current, new CredentialRestrictionRow(id, wanted)));
                }
            }
        }

        private List<PublicKeyValue> PublicKeys()
        {
            var keys = new List<PublicKeyValue>();
            foreach (var record in policy.Records)
            {
                if (record.PublicKeyValue is null)
                {
                    continue;
                }

                var current = ResourceAfterDeletes(record.FullId);
                if (current is null || current.PolicyId == _policyId)
                {
                    keys.Add(new PublicKeyValue(record.FullId, record.PublicKeyValue));
                }
            }

            return keys;
        }

        /// <summary>
        /// Annotations of an existing record. Reserved names: only when the caller holds the record's owner (or the
        /// target policy owns it), whichever policy defined it. Other names: only on a record of this policy; on a
        /// record of another policy they are shadowed like its other columns (Conjur adds new names; we do not).
        /// </summary>
        private bool MayAnnotate(ResourceRow resource, string name) =>
            IsReservedAnnotation(name) ? OwnedByCaller(resource) : resource.PolicyId == _policyId;

        private bool OwnedByCaller(ResourceRow resource) =>
            caller is null || resource.OwnerId == _policyId || caller.Holds(resource.OwnerId);

        private RoleRow? RoleAfterDeletes(string id) =>
            state.RoleIndex.TryGetValue(id, out var row) && !_deletedEntities.Contains(id) ? row : null;

        private ResourceRow? ResourceAfterDeletes(string id) =>
            state.ResourceIndex.TryGetValue(id, out var row) && !_deletedEntities.Contains(id) ? row : null;

        private bool IsDeleted(MembershipRow row) => _deletedMemberships.Contains((row.RoleId, row.MemberId));

        private bool IsDeleted(PermissionRow row) => _deletedPermissions.Contains((row.ResourceId, row.Privilege, row.RoleId));

        private bool IsDeleted(AnnotationRow row) => _deletedAnnotations.Contains((row.ResourceId, row.Name));

        private static PolicyErrorException Error(string message, int line, int column) =>
            new(PolicyError.Invalid(message, line, column));
    }

    private sealed class Rows
    {
        public List<RoleRow> Roles { get; } = [];

        public List<ResourceRow> Resources { get; } = [];

        public List<MembershipRow> Memberships { get; } = [];

        public List<PermissionRow> Permissions { get; } = [];

        public List<AnnotationRow> Annotations { get; } = [];

        public List<CredentialRestrictionRow> CredentialRestrictions { get; } = [];

        public PolicyRows ToRows() => new(Roles, Resources, Memberships, Permissions, Annotations, CredentialRestrictions);
    }

    private sealed class Updates
    {
        public List<RowUpdate<ResourceRow>> Resources { get; } = [];

        public List<RowUpdate<MembershipRow>> Memberships { get; } = [];

        public List<RowUpdate<AnnotationRow>> Annotations { get; } = [];

        public List<RowUpdate<CredentialRestrictionRow>> CredentialRestrictions { get; } = [];

        public PolicyRowUpdates ToUpdates() => new(Resources, Memberships, Annotations, CredentialRestrictions);
    }
}
