namespace Secrets.Server.Data;

/// <summary>One stored version of a secret (still encrypted) and the variable's <c>conjur/mime_type</c> annotation.</summary>
internal sealed record StoredSecret(int Version, byte[] Value, string? MimeType);
