using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Admin;

/// <summary>
/// The executable as a user runs it: <c>serve</c> on a free port, driven with a plain HttpClient. On SQLite it is the
/// embedded default (nothing configured but the data dir); on PostgreSQL the Conjur environment names are used.
/// One scenario per store, because every start of the executable costs seconds.
/// </summary>
public abstract class RunningTheExecutable : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("secrets-exe-").FullName;

    protected abstract Store Store { get; }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        try
        {
            Directory.Delete(_dataDir, true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Migrate_serve_drive_with_a_plain_http_client_and_refuse_a_wrong_data_key()
    {
        var (env, account) = await EnvironmentAsync();

        // 1. `db migrate` applies the migrations (the admin-command tests show `serve --no-migrate` refusing before).
        var migrated = await ServerProcess.RunAsync(env, null, "db", "migrate", "--data-dir", _dataDir);
        Assert.True(migrated.ExitCode == 0, migrated.ToString());
        Assert.StartsWith("Migrations applied to ", migrated.LastStdoutLine, StringComparison.Ordinal);

        // 2. `serve --no-migrate` starts, creates the bootstrap account and answers a plain HttpClient.
        var (process, baseAddress) = await ServerProcess.ServeAsync(env, "--no-migrate", "--data-dir", _dataDir);
        string adminKey, rotatedKey;
        await using (process)
        {
            (adminKey, rotatedKey) = await DriveAsync(baseAddress, account);
        }

        var output = process.Stdout + process.Stderr;
        Assert.Contains("successfully authenticated with authenticator authn", process.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{account}-admin-api-key", process.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(adminKey, output, StringComparison.Ordinal);
        Assert.DoesNotContain(rotatedKey, output, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(DataKeyOf(env)), output, StringComparison.Ordinal);

        // 3. Another data key for the same database stops start-up with a clear message (and without the key).
        var wrongKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var wrong = await ServerProcess.RunAsync(
            new Dictionary<string, string>(env) { ["SECRETS_DATA_KEY"] = wrongKey },
            null,
            "serve", "--data-dir", _dataDir, "--urls", $"http://127.0.0.1:{ServerProcess.FreePort()}");
        Assert.True(wrong.ExitCode != 0, wrong.ToString());
        Assert.Contains("error: the data key does not match this database", wrong.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongKey, wrong.Stdout + wrong.Stderr, StringComparison.Ordinal);
    }

    private async Task<(string AdminKey, string RotatedKey)> DriveAsync(Uri baseAddress, string account)
    {
        using var client = new HttpClient { BaseAddress = baseAddress };

        // First start: the admin API key of the bootstrap account is in a 0600 file in the data dir.
        var keyFile = Path.Combine(_dataDir, $"{account}-admin-api-key");
        var adminKey = (await File.ReadAllTextAsync(keyFile)).Trim();
        AssertOwnerOnly(keyFile);
        if (Store == Store.Sqlite)
        {
            AssertOwnerOnly(Path.Combine(_dataDir, "data-key"));
        }

        using var version = new HttpRequestMessage(HttpMethod.Get, "/");
        version.Headers.Accept.ParseAdd("application/json");
        using (var versionResponse = await client.SendAsync(version))
        {
            Assert.Equal("1.24.0", JsonDocument.Parse(await versionResponse.Content.ReadAsStringAsync()).RootElement.GetProperty("version").GetString());
        }

        using var login = new HttpRequestMessage(HttpMethod.Get, $"/authn/{account}/login");
        login.Headers.Authorization = Basic("admin", adminKey);
        using (var loginResponse = await client.SendAsync(login))
        {
            Assert.Equal(HttpStatusCode.OK, loginResponse.StatusCode);
            Assert.Equal(adminKey, await loginResponse.Content.ReadAsStringAsync());
        }

        using var authenticate = new HttpRequestMessage(HttpMethod.Post, $"/authn/{account}/admin/authenticate") { Content = new StringContent(adminKey) };
        authenticate.Headers.TryAddWithoutValidation("Accept-Encoding", "base64");
        using var tokenResponse = await client.SendAsync(authenticate);
        Assert.Equal(HttpStatusCode.OK, tokenResponse.StatusCode);
        var token = await tokenResponse.Content.ReadAsStringAsync();

        using var whoami = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        whoami.Headers.TryAddWithoutValidation("Authorization", $"Token token=\"{token}\"");
        using (var whoamiResponse = await client.SendAsync(whoami))
        {
            Assert.Equal(HttpStatusCode.OK, whoamiResponse.StatusCode);
            var me = JsonDocument.Parse(await whoamiResponse.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal((account, "admin"), (me.GetProperty("account").GetString(), me.GetProperty("username").GetString()));
        }

        using var rotate = new HttpRequestMessage(HttpMethod.Put, $"/authn/{account}/api_key");
        rotate.Headers.Authorization = Basic("admin", adminKey);
        string rotatedKey;
        using (var rotateResponse = await client.SendAsync(rotate))
        {
            Assert.Equal(HttpStatusCode.OK, rotateResponse.StatusCode);
            rotatedKey = await rotateResponse.Content.ReadAsStringAsync();
        }

        using var failed = await client.PostAsync($"/authn/{account}/admin/authenticate", new StringContent(adminKey));
        Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        using var health = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        return (adminKey, rotatedKey);
    }

    /// <summary>SQLite: nothing but the data dir (the embedded default). PostgreSQL: Conjur's names.</summary>
    private async Task<(Dictionary<string, string> Env, string Account)> EnvironmentAsync()
    {
        var env = new Dictionary<string, string> { ["SECRETS_AUDIT"] = "stdout" };
        if (Store == Store.Sqlite)
        {
            return (env, "default");
        }

        env["DATABASE_URL"] = await ServerProcess.PostgresUrlAsync(GetType().Name);
        env["CONJUR_DATA_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        env["CONJUR_ACCOUNT"] = "myorg";
        return (env, "myorg");
    }

    private byte[] DataKeyOf(Dictionary<string, string> env) =>
        env.TryGetValue("CONJUR_DATA_KEY", out var key)
            ? Convert.FromBase64String(key)
            : Convert.FromBase64String(File.ReadAllText(Path.Combine(_dataDir, "data-key")).Trim());

    private static AuthenticationHeaderValue Basic(string login, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{login}:{secret}")));

    private static void AssertOwnerOnly(string file)
    {
        Assert.True(File.Exists(file), file);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
    }
}

public sealed class RunningTheExecutableOnSqlite : RunningTheExecutable
{
    protected override Store Store => Store.Sqlite;
}

public sealed class RunningTheExecutableOnPostgres : RunningTheExecutable
{
    protected override Store Store => Store.Postgres;
}
