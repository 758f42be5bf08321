using System.Text.Json.Serialization;
using Secrets.Server.Resources;

namespace Secrets.Server.HostFactories;

// Wire shapes of spec 2.8. Property order is part of the contract (clients and tests compare bodies byte for byte).

/// <summary>One element of the 200 array of POST /host_factory_tokens: <c>{"expiration","cidr","token"}</c>.</summary>
internal sealed record TokenResponse(
    [property: JsonPropertyName("expiration")] string Expiration,
    [property: JsonPropertyName("cidr")] IReadOnlyList<string> Cidr,
    [property: JsonPropertyName("token")] string Token);

/// <summary>
/// The 201 body of POST /host_factories/hosts: the host resource as Conjur renders a resource (created_at, id, owner,
/// policy when set, permissions, annotations, restricted_to) plus its API key.
/// </summary>
internal sealed record HostResponse(
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("owner")] string Owner,
    [property: JsonPropertyName("policy"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Policy,
    [property: JsonPropertyName("permissions")] IReadOnlyList<ResourcePermissionJson> Permissions,
    [property: JsonPropertyName("annotations")] IReadOnlyList<ResourceAnnotationJson> Annotations,
    [property: JsonPropertyName("restricted_to")] IReadOnlyList<string> RestrictedTo,
    [property: JsonPropertyName("api_key")] string ApiKey);


