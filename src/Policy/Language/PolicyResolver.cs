using Secrets.Policy.Store;

namespace Secrets.Policy.Language;

/// <summary>
/// Resolves parsed statements into full ids (spec 4.4) and owners (spec 4.5) for a load into one policy.
/// </summary>
public static class PolicyResolver
{
    /// <summary>Upper bound on memberships + permissions a text may expand to (roles × privileges × resources).</summary>
    internal const int MaxRelationships = 5_000_000;

    /// <summary>
    /// True when <paramref name="id"/>, split on '/', has a <c>.</c> or <c>..</c> segment (issue 8, medium 6). Dots
    /// inside a segment (<c>db.password</c>, <c>..x</c>) are ordinary characters. The one rule for policies and for
    /// ids that reach the server any other way.
    /// </summary>
    public static bool HasDotSegment(string id)
    {
        foreach (var segment in id.Split('/'))
        {
            if (segment is "." or "..")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Resolves <paramref name="policy"/> for a load into <paramref name="policyIdentifier"/>.
    /// </summary>
    /// <param name="policy">The parsed text.</param>
    /// <param name="account">The account of the URL.</param>
    /// <param name="policyIdentifier">The target policy identifier: <c>root</c> or a branch such as <c>prod/db</c>.</param>
    /// <param name="policyOwnerId">Full id of the target policy's current owner (<c>acct:user:admin</c> for root).</param>
    /// <returns>The resolved policy, or a <c>policy_invalid</c> error (blank id, duplicate, cycle, bad path, ...).</returns>
    public static PolicyResult<ResolvedPolicy> Resolve(ParsedPolicy policy, string account, string policyIdentifier, string policyOwnerId)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentException.ThrowIfNullOrWhiteSpace(account);
        ArgumentException.ThrowIfNullOrWhiteSpace(policyIdentifier);
        ArgumentException.ThrowIfNullOrWhiteSpace(policyOwnerId);
        if (!FullId.TryParse(policyOwnerId, out _))
        {
            throw new ArgumentException("The owner must be a full id 'account:kind:identifier'.", nameof(policyOwnerId));
        }

        try
        {
            return PolicyResult.Success(new Run(account, policyIdentifier, policyOwnerId).Resolve(policy));
        }
        catch (PolicyErrorException ex)
        {
            return PolicyResult.Failure<ResolvedPolicy>(ex.Error);
        }
    }

    /// <summary>Annotation names that are also policy keywords produce a warning (spec 4.2, Conjur ≥ 1.24).</summary>
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "id", "owner", "body", "user", "annotations", "restricted_to", "permit", "deny", "role", "privileges",
        "resource", "grant", "revoke", "member", "host-factory", "layers", "layer", "variable", "kind",
        "mime_type", "delete", "record", "group", "host", "webservice",
    };

    private sealed class Declared(ResolvedRecord record, RecordNode node, List<string> dependencies)
    {
        public ResolvedRecord Record { get; } = record;

        public RecordNode Node { get; } = node;

        public List<string> Dependencies { get; } = dependencies;
    }

    private sealed class Run(string account, string policyIdentifier, string policyOwnerId)
    {
        private readonly Dictionary<RecordNode, string> _namespaced = new(ReferenceEqualityComparer.Instance);
        private readonly HashSet<SyntaxNode> _visited = new(ReferenceEqualityComparer.Instance);
        private readonly HashSet<(RecordType Type, string? Kind, string Id)> _declaredKeys = [];
        private readonly List<Declared> _declared = [];
        private readonly List<ResolvedRecord> _publicKeys = [];
        private readonly List<ResolvedMembership> _grants = [];
        private readonly List<ResolvedPermit> _permits = [];
        private readonly List<ResolvedMembership> _revokes = [];
        private readonly List<ResolvedPermit> _denies = [];
        private readonly List<string> _deletes = [];
        private readonly List<ResolvedReference> _recordReferences = [];
        private readonly List<ResolvedReference> _relationshipReferences = [];
        private readonly List<string> _warnings = [];
        private readonly HashSet<string> _warned = new(StringComparer.Ordinal);
        private bool _hasDeletions;
        private long _relationships;

        private bool IsRoot => policyIdentifier == "root";

        private string PolicyFullId => $"{account}:policy:{policyIdentifier}";

        public ResolvedPolicy Resolve(ParsedPolicy policy)
        {
            if (IsRoot)
            {
                // Top-level records of a root load are owned by the root policy's owner (spec 4.5).
                Walk(policy.Statements, null, policyOwnerId);
            }
            else
            {
                // A branch load is wrapped in `!policy id: <branch>` (spec 4.4 step 2). The wrapper declares the
                // branch itself, which always exists and belongs to the parent, so it yields no rows; it still
                // counts for duplicate detection, as in Conjur.
                _declaredKeys.Add((RecordType.Policy, null, policyIdentifier));
                Walk(policy.Statements, policyIdentifier, PolicyFullId);
            }

            var records = Sort();
            records.AddRange(_publicKeys);
            return new ResolvedPolicy(
                account,
                PolicyFullId,
                records,
                _grants,
                _permits,
                _revokes,
                _denies,
                _deletes,
                _hasDeletions,
                _warnings,
                [.. _recordReferences, .. _relationshipReferences]);
        }

        private void Walk(List<SyntaxNode> statements, string? ns, string defaultOwner)
        {
            foreach (var statement in statements)
            {
                // A statement reached twice through an alias is the same object: declare it once.
                if (statement.Shared && !_visited.Add(statement))
                {
                    continue;
                }

                switch (statement)
                {
                    case RecordNode record:
                        var declared = Declare(record, ns, defaultOwner);
                        if (record.Type == RecordType.Policy)
                        {
                            Walk(record.Body ?? [], declared.Identifier, declared.FullId);
                        }

                        break;
                    case GrantNode grant:
                        {
                            var roles = References(grant.Roles, ns, relative: false, subject: true, isRole: true, _relationshipReferences);
                            var members = new List<(string Id, bool Admin)>();
                            foreach (var member in grant.Members)
                            {
                                foreach (var memberRole in member.Roles)
                                {
                                    members.Add((Reference(memberRole, ns, relative: true, subject: false, isRole: true, _relationshipReferences), member.Admin));
                                }
                            }

                            foreach (var roleId in roles)
                            {
                                foreach (var (memberId, admin) in members)
                                {
                                    AddRelationship(grant);
                                    _grants.Add(new(roleId, memberId, admin, grant.Line, grant.Column));
                                }
                            }

                            break;
                        }

                    case RevokeNode revoke:
                        {
                            _hasDeletions = true;
                            var roles = References(revoke.Roles, ns, relative: false, subject: true, isRole: true, null);
                            var members = References(revoke.Members, ns, relative: true, subject: false, isRole: true, null);
                            foreach (var roleId in roles)
                            {
                                foreach (var memberId in members)
                                {
                                    AddRelationship(revoke);
                                    _revokes.Add(new(roleId, memberId, false, revoke.Line, revoke.Column));
                                }
                            }

                            break;
                        }

                    case PermitNode permit:
                        {
                            _hasDeletions |= permit.IsDeny;
                            // Only !permit needs its records to exist; !deny of something absent does nothing.
                            var references = permit.IsDeny ? null : _relationshipReferences;
                            var roles = References(permit.Roles, ns, relative: true, subject: false, isRole: true, references);
                            var resources = References(permit.Resources, ns, relative: false, subject: true, isRole: false, references);
                            var into = permit.IsDeny ? _denies : _permits;
                            foreach (var resourceId in resources)
                            {
                                foreach (var roleId in roles)
                                {
                                    foreach (var privilege in permit.Privileges)
                                    {
                                        AddRelationship(permit);
                                        into.Add(new(resourceId, privilege, roleId, permit.Line, permit.Column));
                                    }
                                }
                            }

                            break;
                        }

                    case DeleteNode delete:
                        _hasDeletions = true;
                        foreach (var record in delete.Records)
                        {
                            _deletes.Add(Reference(record, ns, relative: false, subject: true, isRole: false, null));
                        }

                        break;
                }
            }
        }

        private void AddRelationship(SyntaxNode at)
        {
            if (++_relationships > MaxRelationships)
            {
                throw Error(PolicyMessages.TooLarge, at);
            }
        }

        private ResolvedRecord Declare(RecordNode node, string? ns, string defaultOwner)
        {
            if (node.Account is { } recordAccount && recordAccount != account)
            {
                throw Error(PolicyMessages.ForeignAccount(Display(node, node.Id ?? string.Empty), recordAccount), node);
            }

            var namespaced = Namespaced(node, ns);
            // Record ids are "subjects": always inside the current namespace (spec 4.4 step 3).
            if (namespaced.StartsWith('/'))
            {
                throw Error(PolicyMessages.IllegalAbsoluteId(namespaced), node);
            }

            RefuseDotSegments(namespaced, node);
            var identifier = IsUserKind(node) ? UserIdentifier(namespaced, node) : namespaced;
            var kind = KindOf(node, identifier);
            var fullId = $"{account}:{kind}:{identifier}";
            if (!_declaredKeys.Add((node.Type, node.Type is RecordType.Role or RecordType.Resource ? kind : null, identifier)))
            {
                throw Error(PolicyMessages.DeclaredMoreThanOnce(Display(node, identifier)), node);
            }

            var dependencies = new List<string>();
            string? owner = null;
            if (node.IsResource)
            {
                // Explicit owners accept `/` and `..` (spec 4.4 step 3); the default is the enclosing policy (4.5).
                owner = node.Owner is null
                    ? defaultOwner
                    : Reference(node.Owner, ns, relative: true, subject: false, isRole: true, _recordReferences);
                dependencies.Add(owner);
            }

            IReadOnlyList<KeyValuePair<string, string>> annotations =
                node is { Annotations: null, UidNumber: null, GidNumber: null, VariableKind: null, MimeType: null }
                    ? []
                    : Annotations(node, namespaced);
            var record = new ResolvedRecord
            {
                Kind = kind,
                Identifier = identifier,
                FullId = fullId,
                HasRole = node.IsRole,
                HasResource = node.IsResource,
                OwnerId = owner,
                Annotations = annotations,
                RestrictedTo = node.Type is RecordType.User or RecordType.Host ? node.RestrictedTo ?? [] : null,
                HasCredentials = node.Type is RecordType.User or RecordType.Host,
                Line = node.Line,
                Column = node.Column,
            };

            if (node.Type == RecordType.HostFactory)
            {
                DeclareHostFactory(node, ns, record, dependencies);
            }

            if (node.Type == RecordType.User && node.PublicKeys is { Count: > 0 })
            {
                DeclarePublicKeys(node, record);
            }

            _declared.Add(new Declared(record, node, dependencies));
            return record;
        }

        /// <summary>The factory's role becomes a member of each of its layers (Conjur's Loader::Types::HostFactory).</summary>
        private void DeclareHostFactory(RecordNode node, string? ns, ResolvedRecord record, List<string> dependencies)
        {
            if (node.Layers is null)
            {
                throw Error(PolicyMessages.HostFactoryWithoutLayers(record.Identifier), node);
            }

            foreach (var layer in node.Layers)
            {
                // Relative paths are not applied to layers (spec 4.4 step 3).
                var layerId = Reference(layer, ns, relative: false, subject: false, isRole: true, _recordReferences);
                dependencies.Add(layerId);
                AddRelationship(node);
                _grants.Add(new(layerId, record.FullId, false, node.Line, node.Column));
            }

            if (node.FactoryRole is { } role)
            {
                // Parsed and resolved for compatibility; Conjur gives it no effect on the load.
                dependencies.Add(Reference(role, ns, relative: false, subject: false, isRole: true, null));
            }
        }

        /// <summary>
        /// Each key "&lt;alg&gt; &lt;base64&gt; &lt;name&gt;" becomes resource <c>public_key:user/&lt;login&gt;/&lt;name&gt;</c>,
        /// owned like the user, whose secret is the key (spec 4.2). A repeated name keeps the last key.
        /// </summary>
        private void DeclarePublicKeys(RecordNode node, ResolvedRecord user)
        {
            var byName = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var key in node.PublicKeys!)
            {
                var tokens = key.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (tokens.Length == 0)
                {
                    throw Error(PolicyMessages.InvalidPublicKey(user.Identifier), node);
                }

                var identifier = $"user/{user.Identifier}/{tokens[^1]}";
                var record = new ResolvedRecord
                {
                    Kind = "public_key",
                    Identifier = identifier,
                    FullId = $"{account}:public_key:{identifier}",
                    HasRole = false,
                    HasResource = true,
                    OwnerId = user.OwnerId,
                    PublicKeyValue = key.Trim(),
                    Line = node.Line,
                    Column = node.Column,
                };
                if (byName.TryGetValue(identifier, out var index))
                {
                    _publicKeys[index] = record;
                }
                else
                {
                    byName[identifier] = _publicKeys.Count;
                    _publicKeys.Add(record);
                }
            }
        }

        private List<KeyValuePair<string, string>> Annotations(RecordNode node, string namespaced)
        {
            var result = new List<KeyValuePair<string, string>>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, value) in node.Annotations ?? [])
            {
                // An annotation value with a `..` segment is a path relative to the record (spec 4.4 step 3).
                var resolved = RubySplit(value).Contains("..") ? AbsolutePath($"{namespaced}/{value}", node) : value;
                result.Add(new(name, resolved));
                names.Add(name);
                if (Keywords.Contains(name) && _warned.Add(name))
                {
                    _warnings.Add(PolicyMessages.AnnotationMatchesKeyword(name));
                }
            }

            // Attributes stored as annotations; an explicit annotation of the same name wins (Conjur's `||=`).
            void Derived(string name, string? value)
            {
                if (value is not null && names.Add(name))
                {
                    result.Add(new(name, value));
                }
            }

            Derived("conjur/uidnumber", node.UidNumber);
            Derived("conjur/gidnumber", node.GidNumber);
            Derived("conjur/kind", node.VariableKind);
            Derived("conjur/mime_type", node.MimeType);
            return result;
        }

        private List<string> References(List<RecordNode> nodes, string? ns, bool relative, bool subject, bool isRole, List<ResolvedReference>? references)
        {
            var result = new List<string>(nodes.Count);
            foreach (var node in nodes)
            {
                result.Add(Reference(node, ns, relative, subject, isRole, references));
            }

            return result;
        }

        /// <summary>Resolves a reference to a full id and, when <paramref name="references"/> is given, records it for the existence check.</summary>
        private string Reference(RecordNode node, string? ns, bool relative, bool subject, bool isRole, List<ResolvedReference>? references)
        {
            var id = Namespaced(node, ns);
            if (relative)
            {
                id = AbsolutePath(id, node);
            }

            if (subject && id.StartsWith('/'))
            {
                throw Error(PolicyMessages.IllegalAbsoluteId(id), node);
            }

            RefuseDotSegments(id, node);
            if (IsUserKind(node))
            {
                id = UserIdentifier(id, node);
            }

            var fullId = $"{node.Account ?? account}:{KindOf(node, id)}:{id}";
            references?.Add(new ResolvedReference(fullId, isRole, node.Line, node.Column));
            return fullId;
        }

        /// <summary>Step 2: prefix the namespace; a blank id is the namespace itself; a leading '/' stays absolute.</summary>
        private string Namespaced(RecordNode node, string? ns)
        {
            // A shared (aliased) record keeps the id of its first resolution, as in Conjur.
            if (node.Shared && _namespaced.TryGetValue(node, out var done))
            {
                return done;
            }

            string result;
            if (string.IsNullOrWhiteSpace(node.Id))
            {
                result = ns ?? throw Error(PolicyMessages.BlankId(node.UnderscoredTypeName), node);
            }
            else if (node.Id.StartsWith('/') || ns is null)
            {
                result = node.Id;
            }
            else
            {
                result = $"{ns}/{node.Id}";
            }

            if (node.Shared)
            {
                _namespaced[node] = result;
            }

            return result;
        }

        /// <summary>
        /// Step 3: a leading '/' is removed and each '..' removes itself and the preceding segment
        /// (<c>prod/database/../frontend</c> → <c>prod/frontend</c>).
        /// </summary>
        private static string AbsolutePath(string id, SyntaxNode at)
        {
            if (id.Length > 0 && id[0] != '/' && id[^1] != '/' && !id.Contains("..", StringComparison.Ordinal))
            {
                return id; // nothing to remove (the common case)
            }

            if (id.StartsWith('/'))
            {
                id = id[1..];
            }

            var tokens = RubySplit(id);
            int index;
            while ((index = tokens.IndexOf("..")) >= 0)
            {
                if (index == 0)
                {
                    throw Error(PolicyMessages.InvalidRelativeReference(id), at);
                }

                tokens.RemoveRange(index - 1, 2);
            }

            return tokens.Count == 0 ? throw Error(PolicyMessages.InvalidRelativeReference(id), at) : string.Join('/', tokens);
        }

        /// <summary>
        /// Issue 8 (medium 6): an id whose segment is <c>.</c> or <c>..</c> once relative paths are resolved, such as
        /// <c>!policy {id: ../prod}</c> inside <c>dev</c> (<c>dev/../prod</c>), is refused; Conjur would store it as
        /// written. Dots inside a segment (<c>db.password</c>, <c>app.example.com</c>) are ordinary characters.
        /// </summary>
        private static void RefuseDotSegments(string id, SyntaxNode at)
        {
            if (id.Contains('.', StringComparison.Ordinal) && HasDotSegment(id))
            {
                // Structural, so that the HTTP answer carries the line and column (issue 8 asks for them).
                throw new PolicyErrorException(PolicyError.Structural(PolicyMessages.DotSegment(id), at.Line, at.Column));
            }
        }

        /// <summary>Step 4: <c>dev/db/alice</c> → <c>alice@dev-db</c>; root users stay <c>alice</c>.</summary>
        private static string UserIdentifier(string id, SyntaxNode at)
        {
            var tokens = RubySplit(id);
            if (tokens.Contains(".."))
            {
                throw Error(PolicyMessages.InvalidRelativeReference(id), at);
            }

            if (tokens.Count <= 1)
            {
                return tokens.Count == 1 ? tokens[0] : id;
            }

            return $"{tokens[^1]}@{string.Join('-', tokens.Take(tokens.Count - 1))}";
        }

        /// <summary>
        /// The user-id rules (step 4) apply to every record of kind <c>user</c>: <c>!user</c>, and <c>!role</c> or
        /// <c>!resource</c> with <c>kind: user</c>. Otherwise <c>!role {kind: user, id: admin}</c> in a branch named
        /// <c>user</c> would be the role <c>user:user/admin</c> (issue 8).
        /// </summary>
        private static bool IsUserKind(RecordNode node) =>
            node.Type == RecordType.User || (node.Type is RecordType.Resource or RecordType.Role && node.Kind == "user");

        private static string KindOf(RecordNode node, string identifier) =>
            string.IsNullOrWhiteSpace(node.ResolvedKind)
                ? throw Error(PolicyMessages.BlankKind(Display(node, identifier)), node)
                : node.ResolvedKind;

        /// <summary>Conjur's record to_s: <c>host factory 'x'</c>, or <c>group role 'x'</c> for <c>!role</c>.</summary>
        private static string Display(RecordNode node, string identifier) => node.Type switch
        {
            RecordType.Role or RecordType.Resource =>
                $"{node.Kind}{(string.IsNullOrEmpty(node.Kind) ? string.Empty : " ")}{node.UnderscoredTypeName} '{identifier}'",
            _ => $"{node.UnderscoredTypeName.Replace('_', ' ')} '{identifier}'",
        };

        /// <summary>
        /// Step 5: records ordered so that owners (and a host factory's layers) declared in the text come first;
        /// otherwise source order is kept. A cycle is an error.
        /// </summary>
        private List<ResolvedRecord> Sort()
        {
            var count = _declared.Count;
            var indexOfRole = new Dictionary<string, int>(count, StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                if (_declared[i].Record.HasRole)
                {
                    indexOfRole.TryAdd(_declared[i].Record.FullId, i);
                }
            }

            var dependents = new List<int>?[count];
            var pending = new int[count];
            var dependsOn = new List<int>?[count];
            for (var i = 0; i < count; i++)
            {
                foreach (var dependency in _declared[i].Dependencies)
                {
                    if (indexOfRole.TryGetValue(dependency, out var j) && j != i && !(dependsOn[i]?.Contains(j) ?? false))
                    {
                        (dependsOn[i] ??= []).Add(j);
                        (dependents[j] ??= []).Add(i);
                        pending[i]++;
                    }
                }
            }

            var ready = new PriorityQueue<int, int>();
            for (var i = 0; i < count; i++)
            {
                if (pending[i] == 0)
                {
                    ready.Enqueue(i, i);
                }
            }

            var result = new List<ResolvedRecord>(count + _publicKeys.Count);
            while (ready.TryDequeue(out var i, out _))
            {
                result.Add(_declared[i].Record);
                foreach (var dependent in dependents[i] ?? [])
                {
                    if (--pending[dependent] == 0)
                    {
                        ready.Enqueue(dependent, dependent);
                    }
                }
            }

            if (result.Count < count)
            {
                ReportCycle(pending, dependsOn);
            }

            return result;
        }

        private void ReportCycle(int[] pending, List<int>?[] dependsOn)
        {
            // Every unsorted record depends on another unsorted one: walk those edges until a record repeats.
            var current = Array.FindIndex(pending, p => p > 0);
            var seen = new HashSet<int>();
            while (seen.Add(current))
            {
                current = dependsOn[current]!.First(j => pending[j] > 0);
            }

            var next = dependsOn[current]!.First(j => pending[j] > 0);
            var (first, second) = current < next ? (current, next) : (next, current);
            throw Error(
                PolicyMessages.DependencyCycle(
                    Display(_declared[first].Node, _declared[first].Record.Identifier),
                    Display(_declared[second].Node, _declared[second].Record.Identifier)),
                _declared[second].Node);
        }

        private static PolicyErrorException Error(string message, SyntaxNode at) =>
            new(PolicyError.Invalid(message, at.Line, at.Column));

        /// <summary>Ruby's String#split('/'): like string.Split, minus trailing empty fields.</summary>
        private static List<string> RubySplit(string value)
        {
            var tokens = new List<string>(value.Split('/'));
            while (tokens.Count > 0 && tokens[^1].Length == 0)
            {
                tokens.RemoveAt(tokens.Count - 1);
            }

            return tokens;
        }
    }
}
