using System.Net;
using System.Net.Sockets;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Robustness;

/// <summary>
/// The executable refuses to start in one clear stderr line and a non-zero exit, with no stack trace and no
/// "Serving" line, and writes nothing (no data directory, no data key, no account) when the listen address is bad.
/// </summary>
public sealed class FailingToStartClearly : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("secrets-start-").FullName;

    private string DataDir => Path.Combine(_root, "data");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_port_in_use_fails_in_one_line_before_anything_is_written()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;

        var result = await ServerProcess.RunAsync(new Dictionary<string, string>(), null, "serve", "--data-dir", DataDir, "--urls", $"http://127.0.0.1:{port}");

        AssertOneLineFailure(result, $"error: cannot listen on http://127.0.0.1:{port}: port {port} is already in use");
        Assert.False(Directory.Exists(DataDir), "the data directory was created before failing");
    }

    [Theory]
    [InlineData("not-a-url")]
    [InlineData("http://127.0.0.1:99999")]
    [InlineData("ftp://127.0.0.1:8080")]
    [InlineData("http://127.0.0.1:8080/some/path")]
    public async Task An_invalid_urls_fails_in_one_line_before_anything_is_written(string urls)
    {
        var result = await ServerProcess.RunAsync(new Dictionary<string, string>(), null, "serve", "--data-dir", DataDir, "--urls", urls);

        AssertOneLineFailure(result, $"error: --urls: '{urls}' is not a listen address: use http://HOST:PORT, e.g. http://127.0.0.1:8080");
        Assert.False(Directory.Exists(DataDir), "the data directory was created before failing");
    }

    [Fact]
    public async Task A_foreign_ip_fails_in_one_line()
    {
        var result = await ServerProcess.RunAsync(new Dictionary<string, string>(), null, "serve", "--data-dir", DataDir, "--urls", "http://192.0.2.1:8080");

        AssertOneLineFailure(result, "error: cannot listen on http://192.0.2.1:8080: 192.0.2.1 is not an address of this machine");
        Assert.False(Directory.Exists(DataDir));
    }

    [Fact]
    public async Task A_data_dir_that_is_a_file_is_named_as_such()
    {
        var file = Path.Combine(_root, "a-file");
        await File.WriteAllTextAsync(file, "not a directory");

        var result = await ServerProcess.RunAsync(new Dictionary<string, string>(), null, "serve", "--data-dir", file, "--urls", $"http://127.0.0.1:{ServerProcess.FreePort()}");

        AssertOneLineFailure(result, $"error: the data directory '{file}' is a file, not a directory: choose a directory with --data-dir or SECRETS_DATA_DIR");
        Assert.Equal("not a directory", await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task Serve_help_names_the_store_and_data_key_variables_with_the_real_executable_name()
    {
        var result = await ServerProcess.RunAsync(new Dictionary<string, string>(), null, "serve", "--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var name in new[] { "SECRETS_DATABASE", "DATABASE_URL", "SECRETS_DATA_KEY", "CONJUR_DATA_KEY", "SECRETS_DATA_KEY_FILE", "README \"Configuration\"" })
        {
            Assert.Contains(name, result.Stdout, StringComparison.Ordinal);
        }

        // The tests run the server as `dotnet Secrets.Server.dll`, as the container does.
        Assert.Contains("dotnet Secrets.Server.dll serve --urls http://127.0.0.1:8080", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("secrets-server serve", result.Stdout, StringComparison.Ordinal);
    }

    private static void AssertOneLineFailure(CommandResult result, string line)
    {
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Equal(line, result.Stderr.TrimEnd('\n'));
        Assert.DoesNotContain("Serving", result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stdout + result.Stderr, StringComparison.Ordinal);
    }
}
