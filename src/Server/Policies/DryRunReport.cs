using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Secrets.Policy.Authorization;
using Secrets.Policy.Language;

namespace Secrets.Server.Policies;

/// <summary>
/// The `?dryRun=true` report (spec 2.5): what a load would create, update (before and after) and delete, computed
/// from the same plan the real load applies. Ids the caller cannot see are replaced by "[REDACTED]".
/// </summary>
internal static class DryRunReport
{
    private const string Redacted = "[REDACTED]";

    // Like the error envelope: quotes in messages stay quotes ("Unrecognized data type '!foo'"), not \u0027.
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IResult Valid(PolicyLoadRequest r, PolicyPlan plan, PolicyState before, AuthorizationSnapshot snapshot)
    {
        var after = before.Apply(plan);

        // Records the caller cannot see (spec 5.2) existed before this load; created ones are the caller's own.
        string Show(string id) => snapshot.ResourceExists(id) && !snapshot.IsVisible(id, r.Caller.RoleId) ? Redacted : id;

        var body = new JsonObject
        {
            ["status"] = "Valid YAML",
            ["created"] = new JsonObject { ["items"] = Items(plan.CreatedIds, after, Show) },
            ["updated"] = new JsonObject
            {
                ["before"] = new JsonObject { ["items"] = Items(plan.UpdatedIds, before, Show) },
                ["after"] = new JsonObject { ["items"] = Items(plan.UpdatedIds, after, Show) },
            },
            ["deleted"] = new JsonObject { ["items"] = Items(plan.DeletedIds, before, Show) },
        };
        return TypedResults.Text(body.ToJsonString(Json), "application/json", System.Text.Encoding.UTF8, 200);
    }

    public static IResult Invalid(PolicyLoadRequest r, PolicyError error)
    {
        var line = error.Line ?? 0;
        var body = new JsonObject
        {
            ["status"] = "Invalid YAML",
            ["errors"] = new JsonArray(new JsonObject
            {
                ["line"] = line,
                ["column"] = error.Column ?? 0,
                ["message"] = error.Detail + "\n" + Advice(error),
                ["context"] = new JsonObject
                {
                    ["policy_id"] = r.Identifier,
                    ["offending_lines"] = error.Line is null ? new JsonArray() : new JsonArray(line),
                },
            }),
        };
        return TypedResults.Text(body.ToJsonString(Json), "application/json", System.Text.Encoding.UTF8, 422);
    }

    private static string Advice(PolicyError error) => error.Code == PolicyErrorCode.ValidationFailed
        ? "Check the policy text."
        : "Review the policy statement at the line and column shown, and the policy language reference.";

    private static JsonArray Items(IReadOnlyList<string> ids, PolicyState state, Func<string, string> show)
    {
        var array = new JsonArray();
        foreach (var id in ids)
        {
            array.Add(Item(id, state, show));
        }

        return array;
    }

    private static JsonObject Item(string fullId, PolicyState state, Func<string, string> show)
    {
        var parts = fullId.Split(':', 3);
        if (show(fullId) == Redacted)
        {
            // An invisible record (named by a grant or permit, or reached by a cascade) keeps only its kind: its
            // owner, annotations, relationships and restrictions are as secret as its existence.
            return new JsonObject
            {
                ["identifier"] = Redacted,
                ["id"] = Redacted,
                ["type"] = parts.Length == 3 ? parts[1] : "",
                ["owner"] = Redacted,
                ["policy"] = Redacted,
                ["permissions"] = new JsonObject(),
                ["annotations"] = new JsonObject(),
                ["members"] = new JsonArray(),
                ["memberships"] = new JsonArray(),
                ["restricted_to"] = new JsonArray(),
            };
        }

        var resource = state.Resources.FirstOrDefault(x => x.ResourceId == fullId);
        var role = state.Roles.FirstOrDefault(x => x.RoleId == fullId);
        var permissions = new JsonObject();
        foreach (var group in state.Permissions.Where(p => p.ResourceId == fullId).GroupBy(p => p.Privilege).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            permissions[group.Key] = new JsonArray(group.Select(p => (JsonNode)show(p.RoleId)).ToArray());
        }

        var annotations = new JsonObject();
        foreach (var a in state.Annotations.Where(a => a.ResourceId == fullId).OrderBy(a => a.Name, StringComparer.Ordinal))
        {
            annotations[a.Name] = a.Value;
        }

        var item = new JsonObject
        {
            ["identifier"] = fullId,
            ["id"] = parts.Length == 3 ? parts[2] : fullId,
            ["type"] = parts.Length == 3 ? parts[1] : "",
            ["owner"] = resource is null ? "" : show(resource.OwnerId),
            ["policy"] = resource?.PolicyId ?? role?.PolicyId ?? "",
            ["permissions"] = permissions,
            ["annotations"] = annotations,
            ["members"] = new JsonArray(state.Memberships.Where(m => m.RoleId == fullId).Select(m => (JsonNode)show(m.MemberId)).ToArray()),
            ["memberships"] = new JsonArray(state.Memberships.Where(m => m.MemberId == fullId).Select(m => (JsonNode)show(m.RoleId)).ToArray()),
            ["restricted_to"] = new JsonArray(state.CredentialRestrictions.Where(c => c.RoleId == fullId).SelectMany(c => c.RestrictedTo).Select(c => (JsonNode)c).ToArray()),
        };
        return item;
    }
}
