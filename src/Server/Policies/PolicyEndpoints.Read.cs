using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Secrets.Policy.Authorization;
using Secrets.Policy.Language;
using Secrets.Server.Audit;
using Secrets.Server.Authentication;
using Secrets.Server.Authorization;
using Secrets.Server.Configuration;
using Secrets.Server.Data;
using Secrets.Server.Http;

namespace Secrets.Server.Policies;

/// <summary>
/// <c>GET /policies/{account}/policy/{identifier}[?depth=N&amp;limit=N]</c> (spec 2.5, Conjur ≥ 1.21.1): the policy
/// text that would recreate what the caller can see under a branch, as YAML or (request Content-Type
/// application/json) JSON. Mirrors cyberark/conjur app/controllers/policies_controller.rb#get and
/// app/domain/effective_policy/* (the tree and its text: <see cref="EffectivePolicyWriter"/> in src/Policy).
/// </summary>
internal static partial class PolicyEndpoints
{
    internal static async Task<Results<ContentHttpResult, ConjurError>> Get(
        HttpContext ctx, SecretsDbContext db, RequestSnapshots authz, AccountStateCache states, RootPolicy root, AuditLog audit, LimitsOptions limits, CancellationToken ct)
    {
        var caller = ctx.RequiredCaller();
        var account = PathSegments.At(ctx, 1);
        var kind = PathSegments.At(ctx, 2);
        var identifier = PathSegments.Tail(ctx, 3);
        if (account is null || kind is null || identifier is null || identifier.Length == 0 || PathSegments.ContainsSlash(account))
        {
            return Errors.RouteNotFound();
        }

        var query = Query.Parse(ctx.Request.QueryString.Value);
        ConjurError Fail(ConjurError error)
        {
            audit.Write(AuditEvent.Create("policy", "read", false, $"Failed to load policy: {error.Message ?? "Forbidden"}",
                SdElement.Of("auth", ("user", caller.RoleId)),
                SdElement.Of("subject", ("policy", $"{account}:{kind}:{identifier}"))));
            return error;
        }

        // Conjur's order: the kind, then ownership (404 invisible, 403 not an owner), then the parameters.
        if (kind != "policy")
        {
            return Fail(Errors.EffectivePolicyKindNotPolicy(kind));
        }

        // `root` exists once anyone touches /policies of the account (spec 2.5), reads included.
        var policyId = $"{account}:policy:{identifier}";
        var snapshot = await root.SnapshotWithRootAsync(account, ct);
        var decision = snapshot.Decide(caller.RoleId, policyId, s => s.OwnerOf(policyId) is { } owner && s.Holds(caller.RoleId, owner));
        if (Errors.For(decision, () => Errors.RecordNotFound(account, "policy", identifier)) is { } denied)
        {
            // Only the refusal of a visible policy is audited, as before.
            return decision == AccessDecision.Forbidden ? Fail(denied) : denied;
        }

        var depth = ParseNumber(query, "depth", limits.EffectivePolicyMaxDepth);
        var limit = ParseNumber(query, "limit", limits.EffectivePolicyMaxLimit);
        if ((depth.Error ?? limit.Error) is { } invalid)
        {
            return Fail(invalid);
        }

        // Conjur compares the header verbatim; a charset parameter is tolerated here.
        var json = ctx.Request.ContentType is { } type && type.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase);
        var state = states.Get(account, snapshot.Version) ?? await AccountStateCache.ReadAsync(db, account, ct);
        var written = EffectivePolicyWriter.Write(state, snapshot, caller.RoleId, identifier, depth.Value, limit.Value, json ? EffectivePolicyFormat.Json : EffectivePolicyFormat.Yaml);
        if (written.Exceeded is { } count)
        {
            return Fail(Errors.EffectivePolicyLimitExceeded(limit.Value, count));
        }

        // Conjur audits the request's parameters as the subject: account, identifier, depth, limit (when given), role.
        var subject = new List<(string Name, string Value)> { ("account", account), ("identifier", identifier) };
        if (query.TryGetValue("depth", out var d))
        {
            subject.Add(("depth", d));
        }

        if (query.TryGetValue("limit", out var l))
        {
            subject.Add(("limit", l));
        }

        subject.Add(("role_id", caller.RoleId));
        var inspected = string.Join(", ", subject.Select(p => $":{p.Name}=>\"{p.Value}\""));
        audit.Write(new AuditEvent("policy", AuditEvent.FacilityAuthPriv, AuditEvent.SeverityNotice, "read", true,
            [SdElement.Of("auth", ("user", caller.RoleId)), SdElement.Of("subject", [.. subject])],
            $"{caller.RoleId} readed {{{inspected}}}"));

        return TypedResults.Text(written.Text, json ? "application/json" : "application/x-yaml", Encoding.UTF8, 200);
    }

    /// <summary>Conjur's parse_int: absent → the maximum; an integer from 0 to the maximum; anything else → 400.</summary>
    private static (int Value, ConjurError? Error) ParseNumber(Dictionary<string, string> query, string name, int max)
    {
        if (!query.TryGetValue(name, out var raw))
        {
            return (max, null);
        }

        return int.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= 0 && value <= max
            ? (value, null)
            : (max, Errors.EffectivePolicyInvalidNumber(name, raw, max));
    }

    /// <summary>
    /// The query string as Rack reads it: pairs separated by '&amp;' or ';' (Conjur's own tests send
    /// <c>?depth=1;limit=10</c>), the last value of a name wins.
    /// </summary>
    private static class Query
    {
        public static Dictionary<string, string> Parse(string? query)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in (query ?? "").TrimStart('?').Split('&', ';'))
            {
                if (pair.Length == 0)
                {
                    continue;
                }

                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                var name = Decode(eq < 0 ? pair : pair[..eq]);
                result[name] = eq < 0 ? "" : Decode(pair[(eq + 1)..]);
            }

            return result;
        }

        private static string Decode(string s)
        {
            try
            {
                return Uri.UnescapeDataString(s.Replace('+', ' '));
            }
            catch (UriFormatException)
            {
                return s;
            }
        }
    }
}
