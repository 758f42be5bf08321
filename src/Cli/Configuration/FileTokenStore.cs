using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Secrets.Cli.Client;

namespace Secrets.Cli.Configuration;

/// <summary>
/// Keeps access tokens between CLI invocations in <c>&lt;config dir&gt;/secrets/tokens/&lt;name&gt;.json</c>, files 0600
/// in a 0700 directory. The name is HMAC-SHA256 of the client's key (URL, account, authenticator, login) and of the
/// credential itself (the API key, or the workload token), under a random per-user key kept in
/// <paramref name="hmacKeyFile"/> (0600). So a token is only ever served to the credential that obtained it: a changed,
/// wrong or revoked API key names another file, misses, and authenticates (and fails) at the server. The HMAC key
/// keeps the file names from being a hash that an offline guess of the API key could be checked against.
/// A token is only ever a few minutes from expiry, and rotating the API key does not revoke it (spec §3.3), so a
/// stolen cache file is worth no more than the token it holds.
/// </summary>
internal sealed class FileTokenStore(string directory, string hmacKeyFile, string credential) : IAccessTokenStore
{
    private const int HmacKeyBytes = 32;

    public string Folder { get; } = directory;

    public AccessToken? Load(string key)
    {
        try
        {
            // No HMAC key yet means nothing was ever cached by this user.
            if (ReadHmacKey() is not { } hmacKey || PathFor(key, hmacKey) is not { } path || !File.Exists(path))
            {
                return null;
            }

            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            var obtainedAt = DateTimeOffset.Parse(root.GetProperty("obtained_at").GetString()!, CultureInfo.InvariantCulture);
            return AccessToken.Parse(root.GetProperty("token").GetString()!, obtainedAt);
        }
        catch (Exception e) when (e is IOException or JsonException or FormatException or KeyNotFoundException or InvalidOperationException or UnauthorizedAccessException)
        {
            // A damaged cache entry is simply a miss.
            return null;
        }
    }

    public void Save(string key, AccessToken token)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["obtained_at"] = token.ObtainedAt.ToString("O", CultureInfo.InvariantCulture),
            ["token"] = token.Json,
        });
        try
        {
            SecureFile.CreatePrivateDirectory(Folder);
            SecureFile.WriteAllText(PathFor(key, ReadOrCreateHmacKey()), json, SecureFile.OwnerReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Caching is an optimisation: a read-only config dir must not fail the command.
        }
    }

    public void Clear(string key)
    {
        try
        {
            if (ReadHmacKey() is { } hmacKey)
            {
                File.Delete(PathFor(key, hmacKey));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing to clear.
        }
    }

    /// <summary>The cache file for <paramref name="key"/> and this store's credential.</summary>
    public string PathFor(string key, byte[] hmacKey)
    {
        // A NUL separates the two parts: neither a key nor a credential can hold one, so no two pairs collide.
        var message = Encoding.UTF8.GetBytes(key + "\0" + credential);
        try
        {
            return Path.Combine(Folder, Convert.ToHexStringLower(HMACSHA256.HashData(hmacKey, message)) + ".json");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(message);
        }
    }

    private byte[]? ReadHmacKey()
    {
        if (!File.Exists(hmacKeyFile))
        {
            return null;
        }

        var bytes = File.ReadAllBytes(hmacKeyFile);
        return bytes.Length == HmacKeyBytes ? bytes : null;
    }

    private byte[] ReadOrCreateHmacKey()
    {
        if (ReadHmacKey() is { } existing)
        {
            return existing;
        }

        var fresh = RandomNumberGenerator.GetBytes(HmacKeyBytes);
        try
        {
            // Created 0600 under a temporary name, then renamed without overwriting: of two invocations racing here, the
            // second reads the first one's key instead of orphaning its cache entries.
            var temporary = hmacKeyFile + "." + Guid.NewGuid().ToString("N") + ".tmp";
            SecureFile.WriteAllBytes(temporary, fresh, SecureFile.OwnerReadWrite);
            try
            {
                File.Move(temporary, hmacKeyFile, overwrite: false);
            }
            finally
            {
                File.Delete(temporary);
            }

            return fresh;
        }
        catch (IOException) when (ReadHmacKey() is { } raced)
        {
            return raced;
        }
    }
}
