using System.Security.Cryptography;
using Secrets.Server.Configuration;

namespace Secrets.Server.Tests.Security;

/// <summary>
/// Issue 8: key files (the generated data key, the bootstrap admin API key) are created 0600 before anything is
/// written, never through a symlink planted at their path, and an existing data-key file that others can read stops
/// start-up, as ssh refuses a readable private key.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class WritingKeyFilesSafely : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly string _dir = Directory.CreateTempSubdirectory("secrets-keyfiles-").FullName;
    private readonly string _elsewhere = Directory.CreateTempSubdirectory("secrets-elsewhere-").FullName;

    public void Dispose()
    {
        Directory.Delete(_dir, true);
        Directory.Delete(_elsewhere, true);
    }

    [Fact]
    public void A_data_key_is_not_generated_through_a_dangling_symlink()
    {
        var target = Path.Combine(_elsewhere, "stolen-key");
        var keyFile = Path.Combine(_dir, SettingsLoader.DataKeyFileName);
        File.CreateSymbolicLink(keyFile, target);

        var error = Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(_ => null, _dir, generateMissingDataKey: true));

        Assert.Equal($"the data key file '{keyFile}' is a symbolic link to a missing file; remove it or point it at the key", error.Message);
        Assert.False(File.Exists(target), "the key was written through the symlink");
    }

    [Fact]
    public void A_generated_data_key_is_0600_and_no_temporary_file_remains()
    {
        var settings = SettingsLoader.Load(_ => null, _dir, generateMissingDataKey: true);

        var keyFile = Path.Combine(_dir, SettingsLoader.DataKeyFileName);
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(keyFile));
        Assert.Equal(settings.Encryption.DataKey, Convert.FromBase64String(File.ReadAllText(keyFile).Trim()));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(_dir), e => e.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void A_key_file_replaces_an_existing_symlink_instead_of_writing_through_it()
    {
        var victim = Path.Combine(_elsewhere, "victim");
        File.WriteAllText(victim, "unchanged");
        File.SetUnixFileMode(victim, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var keyFile = Path.Combine(_dir, "cucumber-admin-api-key");
        File.CreateSymbolicLink(keyFile, victim);

        FilePermissions.WriteSecretFile(keyFile, "the-api-key\n");

        Assert.Equal("unchanged", File.ReadAllText(victim));
        Assert.Null(new FileInfo(keyFile).LinkTarget);
        Assert.Equal("the-api-key\n", File.ReadAllText(keyFile));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(keyFile));
    }

    [Fact]
    public void An_existing_readable_file_is_replaced_by_a_0600_one_and_no_temporary_file_remains()
    {
        var keyFile = Path.Combine(_dir, "cucumber-admin-api-key");
        File.WriteAllText(keyFile, "old");
        File.SetUnixFileMode(keyFile, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        FilePermissions.WriteSecretFile(keyFile, "new");

        Assert.Equal("new", File.ReadAllText(keyFile));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(keyFile));
        Assert.Equal([keyFile], Directory.GetFileSystemEntries(_dir));
    }

    [Theory]
    [InlineData(UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.OtherRead)]
    [InlineData(UnixFileMode.GroupWrite)]
    public void An_existing_data_key_that_others_can_access_stops_start_up(UnixFileMode extra)
    {
        var keyFile = Path.Combine(_dir, SettingsLoader.DataKeyFileName);
        File.WriteAllText(keyFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
        File.SetUnixFileMode(keyFile, OwnerOnly | extra);

        var error = Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(_ => null, _dir, generateMissingDataKey: true));

        Assert.Contains($"the data key file '{keyFile}' is accessible by others", error.Message, StringComparison.Ordinal);
        Assert.Contains("chmod 600", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_existing_0600_data_key_is_used()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var keyFile = Path.Combine(_dir, SettingsLoader.DataKeyFileName);
        File.WriteAllText(keyFile, Convert.ToBase64String(key) + "\n");
        File.SetUnixFileMode(keyFile, OwnerOnly);

        Assert.Equal(key, SettingsLoader.Load(_ => null, _dir, generateMissingDataKey: true).Encryption.DataKey);
    }
}
