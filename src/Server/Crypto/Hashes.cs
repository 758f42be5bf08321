using System.Security.Cryptography;
using System.Text;

namespace Secrets.Server.Crypto;

/// <summary>The one text digest of the server: lower-case hex SHA-256 of the UTF-8 bytes.</summary>
internal static class Hashes
{
    /// <summary>
    /// Stored as <c>policy_versions.policy_sha256</c> and as the lookup key of host-factory tokens, and used as the
    /// key of in-memory caches that must not hold the text itself (verified tokens, resolved policies).
    /// </summary>
    public static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
