namespace Secrets.Cli.Client;

/// <summary>
/// Keeps access tokens between client instances (the CLI keeps them in 0600 files so one invocation
/// reuses the token of the previous one). Keys are opaque, non-secret strings built by the client.
/// </summary>
public interface IAccessTokenStore
{
    /// <summary>The stored token for <paramref name="key"/>, or null.</summary>
    AccessToken? Load(string key);

    /// <summary>Stores <paramref name="token"/> under <paramref name="key"/>.</summary>
    void Save(string key, AccessToken token);

    /// <summary>Forgets the token stored under <paramref name="key"/>.</summary>
    void Clear(string key);
}
