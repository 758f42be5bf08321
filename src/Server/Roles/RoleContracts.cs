using System.Text.Json.Serialization;
using Secrets.Policy.Authorization;

namespace Secrets.Server.Roles;

// Wire shapes of spec 2.7. Property order is part of the contract; `policy` is omitted when null (Conjur's
// write_id_to_json).

/// <summary>A role: <c>{"created_at","id","policy","members":[grant…]}</c>.</summary>
internal sealed record RoleJson(
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("policy"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Policy,
    [property: JsonPropertyName("members")] IReadOnlyList<GrantJson> Members);

/// <summary>A direct membership: <paramref name="Member"/> holds <paramref name="Role"/>.</summary>
internal sealed record GrantJson(
    [property: JsonPropertyName("admin_option")] bool AdminOption,
    [property: JsonPropertyName("ownership")] bool Ownership,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("member")] string Member,
    [property: JsonPropertyName("policy"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Policy)
{
    public static GrantJson From(RoleGrant g) => new(g.AdminOption, g.Ownership, g.RoleId, g.MemberId, g.PolicyId);
}

/// <summary>An edge of <c>?graph</c>: <paramref name="Child"/> is a direct member of <paramref name="Parent"/>.</summary>
internal sealed record EdgeJson(
    [property: JsonPropertyName("parent")] string Parent,
    [property: JsonPropertyName("child")] string Child);
