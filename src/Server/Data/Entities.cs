namespace Secrets.Server.Data;

// Storage model after spec section 10 (Conjur's PostgreSQL schema), portable to SQLite.
// Every id is a full id "account:kind:identifier". Times are UTC. Encrypted columns hold the
// DataKeyCipher envelope (see Crypto/DataKeyCipher.cs); their additional authenticated data is the
// row identity named beside each column, so a ciphertext copied to another row does not decrypt.

internal sealed class RoleEntity
{
    public required string RoleId { get; set; }
    public required string Account { get; set; }
    public string? PolicyId { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class ResourceEntity
{
    public required string ResourceId { get; set; }
    public required string Account { get; set; }
    public required string Kind { get; set; }
    public required string OwnerId { get; set; }
    public string? PolicyId { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>Explicit grants only; ownership memberships are derived from resource owners.</summary>
internal sealed class RoleMembershipEntity
{
    public required string RoleId { get; set; }
    public required string MemberId { get; set; }
    public required string Account { get; set; }
    public bool AdminOption { get; set; }
    public string? PolicyId { get; set; }
}

internal sealed class PermissionEntity
{
    public required string ResourceId { get; set; }
    public required string Privilege { get; set; }
    public required string RoleId { get; set; }
    public required string Account { get; set; }
    public string? PolicyId { get; set; }
}

internal sealed class AnnotationEntity
{
    public required string ResourceId { get; set; }
    public required string Name { get; set; }
    public required string Value { get; set; }
    public required string Account { get; set; }
    public string? PolicyId { get; set; }
}

/// <summary>Credentials of a user or host.</summary>
internal sealed class CredentialEntity
{
    public required string RoleId { get; set; }
    public required string Account { get; set; }

    /// <summary>HMAC-SHA256 of the API key under a key derived from the data key (never the key itself).</summary>
    public byte[]? ApiKeyHash { get; set; }

    /// <summary>
    /// Random 32 bytes from which the API key is derived with a keyed hash (see Authn/ApiKeyDerivation.cs), so that
    /// login can hand back the current key without the database ever holding it.
    /// </summary>
    public byte[]? ApiKeySeed { get; set; }

    /// <summary>Encrypted Argon2id PHC string; AAD = role id.</summary>
    public byte[]? EncryptedPasswordHash { get; set; }

    public DateTime? Expiration { get; set; }

    /// <summary>Normalised CIDRs separated by ','; empty = unrestricted.</summary>
    public string RestrictedTo { get; set; } = "";

    public DateTime UpdatedAt { get; set; }
}

internal sealed class SecretEntity
{
    public required string ResourceId { get; set; }
    public int Version { get; set; }
    public required string Account { get; set; }

    /// <summary>Encrypted value; AAD = resource id.</summary>
    public required byte[] Value { get; set; }

    public DateTime? ExpiresAt { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class PolicyVersionEntity
{
    public required string ResourceId { get; set; }
    public int Version { get; set; }
    public required string Account { get; set; }
    public required string RoleId { get; set; }
    public required string PolicyText { get; set; }
    public required string PolicySha256 { get; set; }
    public string? ClientIp { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
}

internal sealed class HostFactoryTokenEntity
{
    /// <summary>Lowercase hex SHA-256 of the token: the lookup key.</summary>
    public required string TokenSha256 { get; set; }

    /// <summary>Encrypted token; AAD = token sha256.</summary>
    public required byte[] Token { get; set; }

    public required string ResourceId { get; set; }
    public required string Account { get; set; }

    /// <summary>Normalised CIDRs separated by ','.</summary>
    public string Cidr { get; set; } = "";

    public DateTime Expiration { get; set; }
}

/// <summary>An account's token-signing key (spec 3.1); one row per account, id "authn:&lt;account&gt;".</summary>
internal sealed class SigningKeyEntity
{
    /// <summary>The row id, which is also the AAD of <see cref="PrivateKey"/>: <c>authn:&lt;account&gt;</c>.</summary>
    public static string IdFor(string account) => "authn:" + account;

    public required string Id { get; set; }
    public required string Account { get; set; }

    /// <summary>Encrypted PKCS#8 private key; AAD = <see cref="Id"/>.</summary>
    public required byte[] PrivateKey { get; set; }

    /// <summary>Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo: the token "kid".</summary>
    public required string Fingerprint { get; set; }

    public DateTime CreatedAt { get; set; }
}

internal sealed class AuthenticatorConfigEntity
{
    public int Id { get; set; }
    public required string ResourceId { get; set; }
    public bool Enabled { get; set; }
}

/// <summary>
/// Small server-wide key/value rows: the data-key canary, and the authorization version counter that
/// every node compares to invalidate its cached role graph.
/// </summary>
internal sealed class ServerStateEntity
{
    public required string Key { get; set; }
    public byte[]? Blob { get; set; }
    public long Number { get; set; }
}
