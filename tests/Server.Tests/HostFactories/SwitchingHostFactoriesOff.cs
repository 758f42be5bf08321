using System.Security.Cryptography;
using Secrets.Server.Configuration;

namespace Secrets.Server.Tests.HostFactories;

/// <summary>
/// How CONJUR_HOST_FACTORIES_ENABLED (alias SECRETS_HOST_FACTORIES_ENABLED) is read (spec 9.1). Settings resolution
/// touches no database, so this runs once, not per store; <see cref="DisablingHostFactories"/> covers the routes.
/// </summary>
public sealed class SwitchingHostFactoriesOff
{
    [Theory]
    [InlineData(null, null, true)]
    [InlineData("false", null, false)]
    [InlineData("FALSE", null, false)]
    [InlineData("0", null, false)]
    [InlineData("no", null, false)]
    [InlineData("true", null, true)]
    [InlineData("1", null, true)]
    [InlineData("false", "true", true)]
    [InlineData("true", "off", false)]
    public void The_conjur_name_and_the_secrets_alias_are_read(string? conjur, string? secrets, bool expected)
    {
        var env = BaseEnvironment();
        if (conjur is not null)
        {
            env["CONJUR_HOST_FACTORIES_ENABLED"] = conjur;
        }

        if (secrets is not null)
        {
            env["SECRETS_HOST_FACTORIES_ENABLED"] = secrets;
        }

        var settings = SettingsLoader.Load(k => env.GetValueOrDefault(k), Path.GetTempPath(), generateMissingDataKey: false);

        Assert.Equal(expected, settings.Limits.HostFactoriesEnabled);
    }

    [Fact]
    public void Anything_else_stops_start_up_naming_the_setting()
    {
        var env = BaseEnvironment();
        env["CONJUR_HOST_FACTORIES_ENABLED"] = "maybe";

        var error = Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(k => env.GetValueOrDefault(k), Path.GetTempPath(), generateMissingDataKey: false));

        Assert.Equal("CONJUR_HOST_FACTORIES_ENABLED: must be true or false", error.Message);
    }

    private static Dictionary<string, string> BaseEnvironment() => new()
    {
        ["SECRETS_DATA_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        ["SECRETS_DATABASE"] = "sqlite:/tmp/unused-host-factory-settings.db",
        ["SECRETS_ACCOUNT"] = "cucumber",
    };
}
