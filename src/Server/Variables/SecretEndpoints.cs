using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Secrets.Authn.Wire;
using Secrets.Policy.Authorization;
using Secrets.Policy.Store;
using Secrets.Server.Accounts;
using Secrets.Server.Audit;
using Secrets.Server.Authentication;
using Secrets.Server.Authorization;
using Secrets.Server.Configuration;
using Secrets.Server.Crypto;
using Secrets.Server.Data;
using Secrets.Server.Http;

namespace Secrets.Server.Variables;

/// <summary>
/// The secrets endpoints (spec 2.4): fetch one value, store a value, force expiration, fetch a batch.
/// Ids come from the raw path (spec 1.1): the identifier is a glob, sent with <c>%2F</c> or with literal slashes.
/// </summary>
internal static class SecretEndpoints
{
    /// <summary>The copy of latest values PostgreSQL nodes keep (<see cref="SecretValueCache"/>).</summary>
    public static IServiceCollection AddVariables(this IServiceCollection services) =>
        services.AddStoreChangeSubscriber<SecretValueCache>();

    private const string Variable = "variable";
    private const string PublicKey = "public_key";
    private const int WriteAttempts = 5;

    // Rails renders non-ASCII text as-is; only what JSON requires is escaped.
    private static readonly JsonWriterOptions BatchJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IEndpointRouteBuilder MapSecretEndpoints(this IEndpointRouteBuilder app)
    {
        var secrets = app.MapGroup("").TokenRequired();
        secrets.MapGet("/secrets", FetchBatch);

        // Only variables are fetchable; another kind in the path matches no route and gets the route-not-found 404.
        secrets.MapGet("/secrets/{account}/variable/{**identifier}", Fetch);
        secrets.MapPost("/secrets/{account}/{kind}/{**identifier}", Store);
        return app;
    }

    /// <summary>
    /// GET /secrets/{account}/variable/{identifier}[?version=N]: the raw bytes of the value. Invisible, unknown and
    /// valueless variables all answer the same CONJ00076E 404; visible without <c>execute</c> is head 403.
    /// </summary>
    internal static async Task<Results<FileContentHttpResult, ConjurError>> Fetch(
        HttpContext ctx, SecretsDbContext db, RequestSnapshots authz, DataKeyCipher cipher, AuditLog audit, HotReads reads, SecretValueCache values, CancellationToken ct)
    {
        var caller = ctx.RequiredCaller();
        if (Target(ctx) is not { Kind: Variable } target)
        {
            return Errors.RouteNotFound();
        }

        var resourceId = target.ResourceId;
        var versionText = ctx.Request.Query.TryGetValue("version", out var v) && !string.IsNullOrEmpty(v.ToString()) ? v.ToString() : null;
        ConjurError Fail(ConjurError error, string? reason = null)
        {
            audit.Write(SecretEvents.Fetch(caller.RoleId, resourceId, versionText, reason ?? error.Message ?? SecretEvents.Forbidden));
            return error;
        }

        // Decide 404 / 403 before looking at anything else in the request (Conjur authorizes first).
        switch (await CheckAsync(db, authz, caller, target, "execute", ct))
        {
            case AccessDecision.Hidden:
                return Fail(Errors.SecretNotFound(resourceId), SecretEvents.Forbidden);
            case AccessDecision.Absent:
                return Fail(Errors.SecretNotFound(resourceId));
            case AccessDecision.Forbidden:
                return Fail(Errors.Forbidden());
        }

        int? version = null;
        if (versionText is not null)
        {
            if (!long.TryParse(versionText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
            {
                return Fail(Errors.InvalidVersionParameter());
            }

            // An integer that no version can have (0, negative, beyond int) is simply not found.
            version = n is > 0 and <= int.MaxValue ? (int)n : 0;
        }

        // The latest version (nearly every fetch): this node's cached copy, else the prepared statement of the hot path.
        StoredSecret? stored;
        if (version is null)
        {
            var authorizationVersion = (await authz.GetAsync(db, target.Account, ct)).Version;
            if (!values.TryGet(resourceId, authorizationVersion, out var cached))
            {
                var generation = values.Generation;
                stored = await reads.LatestSecretAsync(resourceId, ct);
                if (stored is not null)
                {
                    values.Keep(resourceId, authorizationVersion, stored, generation);
                }
            }
            else
            {
                stored = cached;
            }
        }
        else
        {
            stored = await db.FindValueAsync(resourceId, version.Value, ct);
        }

        if (stored is null)
        {
            return Fail(Errors.SecretNotFound(resourceId));
        }

        var value = cipher.OpenSecret(stored.Value, target.Account, resourceId, stored.Version);
        CredentialResponses.MarkUncached(ctx.Response);
        if (audit.Enabled)
        {
            audit.Write(SecretEvents.Fetch(caller.RoleId, resourceId, versionText, null));
        }

        // Rails' send_data: the bytes unchanged, as an attachment (spec 2.4, 11.5).
        ctx.Response.Headers.ContentDisposition = "attachment";
        ctx.Response.Headers["Content-Transfer-Encoding"] = "binary";
        return TypedResults.Bytes(value, SecretValues.ContentType(stored.MimeType));
    }

    /// <summary>
    /// POST /secrets/{account}/{kind}/{identifier} (kind variable or public_key): the raw body becomes a new version.
    /// With <c>?expirations</c> (key presence, spec 1.1) it instead clears expires_at on every version (spec 6.2).
    /// </summary>
    internal static async Task<Results<Created, ConjurError>> Store(
        HttpContext ctx,
        SecretsDbContext db,
        RequestSnapshots authz,
        DataKeyCipher cipher,
        AuditLog audit,
        LimitsOptions limits,
        TimeProvider time,
        SecretValueCache values,
        CancellationToken ct)
    {
        var caller = ctx.RequiredCaller();
        var expirations = ctx.Request.Query.ContainsKey("expirations");
        if (Target(ctx) is not { } target || target.Kind is not (Variable or PublicKey) || (expirations && target.Kind != Variable))
        {
            return Errors.RouteNotFound();
        }

        var resourceId = target.ResourceId;
        ConjurError Fail(ConjurError error, string? reason = null)
        {
            // Conjur audits every outcome of a write, including the refusals (spec 8.2).
            if (!expirations)
            {
                audit.Write(SecretEvents.Update(caller.RoleId, resourceId, reason ?? error.Message ?? SecretEvents.Forbidden));
            }

            return error;
        }

        switch (await CheckAsync(db, authz, caller, target, "update", ct))
        {
            case AccessDecision.Hidden:
                return Fail(Errors.RecordNotFound(target.Account, target.Kind, target.Identifier), SecretEvents.Forbidden);
            case AccessDecision.Absent:
                return Fail(Errors.RecordNotFound(target.Account, target.Kind, target.Identifier));
            case AccessDecision.Forbidden:
                return Fail(Errors.Forbidden());
        }

        if (expirations)
        {
            // One statement: every version of the variable is due for rotation now.
            await db.Secrets.Where(s => s.ResourceId == resourceId).ExecuteUpdateAsync(s => s.SetProperty(x => x.ExpiresAt, (DateTime?)null), ct);
            return TypedResults.Created();
        }

        // The raw body whatever the Content-Type: the Go SDK sends application/x-www-form-urlencoded with the bare
        // value, which must not be form-decoded (spec 2.4, 11.4).
        var value = await ReadBodyAsync(ctx.Request, limits.MaxRequestBodyBytes, ct);
        if (value is null)
        {
            return Fail(Errors.PayloadTooLarge(limits.MaxRequestBodyBytes));
        }

        if (SecretValues.IsBlank(value))
        {
            return Fail(Errors.SecretValueEmpty());
        }

        if (target.Kind == PublicKey && !SecretValues.IsPublicKey(value))
        {
            return Fail(Errors.InvalidPublicKey());
        }

        if (!await WriteVersionAsync(db, cipher, values, target, value, time.GetUtcNow().UtcDateTime, limits.SecretsVersionLimit, ct))
        {
            return Fail(Errors.RecordNotFound(target.Account, target.Kind, target.Identifier));
        }

        audit.Write(SecretEvents.Update(caller.RoleId, resourceId, null));
        return TypedResults.Created();
    }

    /// <summary>
    /// GET /secrets?variable_ids=a,b,…: full ids → latest values as one JSON object. Order of refusals (spec 2.4):
    /// bad list 422; any id of another account, or any existing variable of the caller's account without
    /// <c>execute</c>, 403, visible or not; then the first id that does not exist or has no value 404; then, without
    /// <c>Accept-Encoding: base64</c>, a value that is not UTF-8 406. Ids of another account are never looked up, so
    /// the answer says nothing about that account (docs/decisions.md).
    /// </summary>
    internal static async Task<Results<FileContentHttpResult, ConjurError>> FetchBatch(
        HttpContext ctx, SecretsDbContext db, RequestSnapshots authz, DataKeyCipher cipher, AuditLog audit, CancellationToken ct)
    {
        var caller = ctx.RequiredCaller();
        if (ParseVariableIds(ctx.Request.Query["variable_ids"]) is not { } ids)
        {
            return Errors.VariableIdsInvalid();
        }

        // A variable of another account is never permitted, whether it exists or not: such ids are refused (403, as
        // Conjur answers for an existing one) without being looked up, so the answer reveals nothing about the other
        // account. Only the caller's own ids are queried.
        var own = ids.Where(id => !OfAnotherAccount(id, caller.Account)).ToList();
        var refused = new HashSet<string>(ids.Where(id => OfAnotherAccount(id, caller.Account)), StringComparer.Ordinal);

        // Query 1: which of the caller's ids are variables at all (existence decides 403 versus 404, as in Conjur).
        var existing = own.Count == 0 ? [] : (await db.Resources.AsNoTracking()
            .Where(r => own.Contains(r.ResourceId) && r.Kind == Variable)
            .Select(r => r.ResourceId)
            .ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);

        AuthorizationSnapshot? snapshot = null;
        foreach (var id in own.Where(existing.Contains))
        {
            snapshot ??= await authz.GetAsync(db, caller.Account, ct);
            if (!snapshot.IsAllowed(caller.RoleId, "execute", id))
            {
                refused.Add(id);
            }
        }

        var forbidden = ids.Where(refused.Contains).ToList();

        if (forbidden.Count > 0)
        {
            foreach (var id in forbidden)
            {
                audit.Write(SecretEvents.Fetch(caller.RoleId, id, null, SecretEvents.Forbidden));
            }

            return Errors.Forbidden();
        }

        // Query 2: the latest version of every existing variable.
        var latest = existing.Count == 0
            ? []
            : (await db.LatestValuesAsync(existing, ct)).ToDictionary(s => s.ResourceId, StringComparer.Ordinal);
        if (ids.FirstOrDefault(id => !latest.ContainsKey(id)) is { } missing)
        {
            var error = Errors.SecretNotFound(missing);
            audit.Write(SecretEvents.Fetch(caller.RoleId, missing, null, error.Message));
            return error;
        }

        // Exactly "base64", unlike authenticate's list-aware reading (spec 2.4, 11.6).
        var base64 = AcceptEncoding.IsExactlyBase64(ctx.Request.Headers.AcceptEncoding.ToString());
        var values = new List<(string Id, string Text)>(ids.Count);
        var notText = new List<string>();
        foreach (var id in ids)
        {
            var row = latest[id];
            var plain = cipher.OpenSecret(row.Value, caller.Account, id, row.Version);
            if (base64)
            {
                values.Add((id, RubyBase64.Encode64(plain)));
            }
            else if (SecretValues.TryDecodeUtf8(plain, out var text))
            {
                values.Add((id, text));
            }
            else
            {
                notText.Add(id);
            }
        }

        if (notText.Count > 0)
        {
            var error = Errors.NotAcceptableBinary();
            foreach (var id in notText)
            {
                audit.Write(SecretEvents.Fetch(caller.RoleId, id, null, error.Message));
            }

            return error;
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, BatchJson))
        {
            json.WriteStartObject();
            foreach (var (id, text) in values)
            {
                json.WriteString(id, text);
            }

            json.WriteEndObject();
        }

        foreach (var id in ids)
        {
            audit.Write(SecretEvents.Fetch(caller.RoleId, id, null, null));
        }

        CredentialResponses.MarkUncached(ctx.Response);
        if (base64)
        {
            ctx.Response.Headers.ContentEncoding = "base64";
        }

        return TypedResults.Bytes(buffer.WrittenMemory, "application/json; charset=utf-8");
    }

    /// <summary>
    /// The <c>variable_ids</c> list: comma separated, none empty (spec 2.4). Conjur reads the last occurrence of a
    /// repeated parameter; a repeated id is fetched once. Null when the list is missing or has an empty element.
    /// </summary>
    internal static List<string>? ParseVariableIds(Microsoft.Extensions.Primitives.StringValues parameter)
    {
        var raw = parameter.Count == 0 ? null : parameter[^1];
        if (string.IsNullOrEmpty(raw))
        {
            return null;
        }

        var parts = raw.Split(',');
        return parts.Any(p => p.Length == 0) ? null : parts.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Spec 5.2 order: the one decision of <see cref="AuthorizationSnapshot.Decide(string, string?, string)"/> (Hidden keeps the
    /// difference from Absent for the audit record only). A caller never sees into another account, so such a
    /// request is answered without building (and caching) that account's snapshot.
    /// </summary>
    private static async Task<AccessDecision> CheckAsync(SecretsDbContext db, RequestSnapshots authz, Caller caller, SecretTarget target, string privilege, CancellationToken ct)
    {
        if (target.Account != caller.Account)
        {
            return AccessDecision.Absent;
        }

        var snapshot = await authz.GetAsync(db, target.Account, ct);
        return snapshot.Decide(caller.RoleId, privilege, target.ResourceId);
    }

    /// <summary>
    /// Adds the version and enforces retention in one transaction. Writers of one variable are serialised so that
    /// each reads the latest version the previous one wrote: SQLite's write transactions are exclusive (BEGIN
    /// IMMEDIATE), and on PostgreSQL the transaction first locks the variable's resource row (FOR NO KEY UPDATE, which
    /// does not block foreign-key checks). Should two writers still collide on the primary key, the loser retries.
    /// False when the variable was deleted in the meantime.
    /// </summary>
    private static async Task<bool> WriteVersionAsync(
        SecretsDbContext db, DataKeyCipher cipher, SecretValueCache values, SecretTarget target, byte[] value, DateTime now, int versionLimit, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            try
            {
                if (db.Database.IsNpgsql())
                {
                    var locked = await db.Database
                        .SqlQuery<int>($"SELECT 1 AS \"Value\" FROM resources WHERE resource_id = {target.ResourceId} FOR NO KEY UPDATE")
                        .ToListAsync(ct);
                    if (locked.Count == 0)
                    {
                        return false;
                    }
                }

                await SecretVersions.AddAsync(db, cipher, target.Account, target.ResourceId, value, now, versionLimit, ct);
                await tx.CommitAsync(ct);
                values.Invalidate(target.ResourceId);
                return true;
            }
            catch (DbUpdateException e) when (Data.StoreAvailability.Classify(e) is null)
            {
                await tx.RollbackAsync(ct);
                db.ChangeTracker.Clear();
                if (!await db.Resources.AsNoTracking().AnyAsync(r => r.ResourceId == target.ResourceId, ct))
                {
                    return false;
                }

                if (attempt >= WriteAttempts)
                {
                    throw;
                }
            }
        }
    }

    /// <summary>The raw body, or null when it is larger than the limit (also when Kestrel's own limit trips first).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, long max, CancellationToken ct)
    {
        try
        {
            return await RawBody.ReadBytesAsync(request, max, ct);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
    }

    /// <summary>{account}/{kind}/{identifier…} from the raw path (spec 1.1); null for an invalid account or an empty id.</summary>
    private static SecretTarget? Target(HttpContext ctx)
    {
        var segments = PathSegments.Decoded(ctx);
        if (segments is null || segments.Length < 4)
        {
            return null;
        }

        var identifier = string.Join('/', segments[3..]);
        return AccountName.IsValid(segments[1]) && segments[2].Length > 0 && identifier.Length > 0
            ? new SecretTarget(segments[1], segments[2], identifier)
            : null;
    }

    /// <summary>An id naming an account (text before its first ':') other than the caller's; an id without ':' names none.</summary>
    private static bool OfAnotherAccount(string id, string callerAccount) =>
        id.Contains(':', StringComparison.Ordinal) && FullId.AccountOf(id) != callerAccount;

    private sealed record SecretTarget(string Account, string Kind, string Identifier)
    {
        public string ResourceId { get; } = $"{Account}:{Kind}:{Identifier}";
    }
}
