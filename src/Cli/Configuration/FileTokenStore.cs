using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Secrets.Cli.Client;

namespace Secrets.Cli.Configuration;

/// <summary>
/// Keeps access tokens between CLI invocations in <c>&lt;config dir&gt;/secrets/tokens/&lt;sha256(key)&gt;.json</c>,
/// files 0600 in a 0700 directory. The key (URL, account, authenticator, login) is hashed so file names reveal nothing.
/// A token is only ever a few minutes from expiry, and rotating the API key does not revoke it (spec §3.3), so a
/// stolen cache file is worth no more than the token it holds.
/// </summary>
internal sealed class FileTokenStore(string directory) : IAccessTokenStore
{
    public string Folder { get; } = directory;

    public AccessToken? Load(string key)
    {
        var path = PathFor(key);
        try
        {
            if (!File.Exists(path))
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
            SecureFile.WriteAllText(PathFor(key), json, SecureFile.OwnerReadWrite);
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
            File.Delete(PathFor(key));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing to clear.
        }
    }

    public string PathFor(string key) =>
        Path.Combine(Folder, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))) + ".json");
}
