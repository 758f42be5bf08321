using System.Text.Json.Serialization;

namespace Secrets.Server.Resources;

// Wire shapes of spec 2.6. Property order is part of the contract. Conjur omits `policy` wherever it is null (its
// write_id_to_json), but writes the other nulls (a secret's expires_at, a policy version's finished_at).

/// <summary>A resource as <c>GET /resources…</c> renders it; the kind-specific members are present only for their kind.</summary>
internal sealed record ResourceJson(
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("owner")] string Owner,
    [property: JsonPropertyName("policy"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Policy,
    [property: JsonPropertyName("permissions")] IReadOnlyList<ResourcePermissionJson> Permissions,
    [property: JsonPropertyName("annotations")] IReadOnlyList<ResourceAnnotationJson> Annotations)
{
    /// <summary>variable: its versions, ascending, without values.</summary>
    [JsonPropertyName("secrets")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<SecretVersionJson>? Secrets { get; init; }

    /// <summary>policy: its loaded versions, ascending.</summary>
    [JsonPropertyName("policy_versions")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<PolicyVersionJson>? PolicyVersions { get; init; }

    /// <summary>host_factory: its tokens.</summary>
    [JsonPropertyName("tokens")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<HostFactoryTokenJson>? Tokens { get; init; }

    /// <summary>host_factory: the layers its role is a direct member of.</summary>
    [JsonPropertyName("layers")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Layers { get; init; }

    /// <summary>user/host: the CIDRs of its credentials.</summary>
    [JsonPropertyName("restricted_to")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? RestrictedTo { get; init; }
}

internal sealed record ResourcePermissionJson(
    [property: JsonPropertyName("privilege")] string Privilege,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("policy"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Policy);

internal sealed record ResourceAnnotationJson(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("value")] string Value,
    [property: JsonPropertyName("policy"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Policy);

internal sealed record SecretVersionJson(
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("expires_at")] string? ExpiresAt);

internal sealed record PolicyVersionJson(
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("finished_at")] string? FinishedAt,
    [property: JsonPropertyName("policy_text")] string PolicyText,
    [property: JsonPropertyName("policy_sha256")] string PolicySha256,
    [property: JsonPropertyName("client_ip")] string? ClientIp,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("role")] string Role);

/// <summary>A host-factory token; <c>expiration</c> is UTC ISO-8601 to the second with <c>Z</c> (spec 11.13).</summary>
internal sealed record HostFactoryTokenJson(
    [property: JsonPropertyName("expiration")] string Expiration,
    [property: JsonPropertyName("cidr")] IReadOnlyList<string> Cidr,
    [property: JsonPropertyName("token")] string Token);
