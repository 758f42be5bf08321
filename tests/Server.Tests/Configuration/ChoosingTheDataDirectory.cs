using Secrets.Server.Configuration;

namespace Secrets.Server.Tests.Configuration;

/// <summary>
/// The embedded default's data directory is per user, never the working directory (`dotnet run --project src/Server`
/// runs in the project folder, so "./.secrets-data" was not where the README said it was).
/// </summary>
public sealed class ChoosingTheDataDirectory
{
    [Fact]
    public void SECRETS_DATA_DIR_wins() =>
        Assert.Equal("/srv/secrets", SettingsLoader.DefaultDataDir(k => k switch
        {
            "SECRETS_DATA_DIR" => "/srv/secrets",
            "XDG_DATA_HOME" => "/xdg",
            "HOME" => "/home/u",
            _ => null,
        }));

    [Fact]
    public void XDG_DATA_HOME_comes_next() =>
        Assert.Equal("/xdg/secrets-server", SettingsLoader.DefaultDataDir(k => k switch
        {
            "XDG_DATA_HOME" => "/xdg",
            "HOME" => "/home/u",
            _ => null,
        }));

    [Fact]
    public void Otherwise_the_users_local_share() =>
        Assert.Equal("/home/u/.local/share/secrets-server", SettingsLoader.DefaultDataDir(k => k == "HOME" ? "/home/u" : null));
}
