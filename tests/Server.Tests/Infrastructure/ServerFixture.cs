using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Secrets.Server.Accounts;
using Secrets.Server.Audit;
using Secrets.Server.Configuration;
using Secrets.Server.Crypto;
using Secrets.Server.Data;

namespace Secrets.Server.Tests.Infrastructure;

public enum Store
{
    Sqlite,
    Postgres,
}

/// <summary>
/// A real server on Kestrel at 127.0.0.1 (a free port) over a fresh database, one per test class: the test API.
/// The clock is a FakeTimeProvider set to the real time, so tests can move it instead of sleeping.
/// </summary>
public abstract class ServerFixture : IAsyncLifetime
{
    public const string Account = "cucumber";

    private WebApplication? _app;
    private string? _dataDir;

    protected ServerFixture(Store store) => Store = store;

    public Store Store { get; }

    public HttpClient Client { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public string AdminApiKey { get; private set; } = "";

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    internal MemoryAuditSink Audit { get; } = new();

    internal ServerSettings Settings { get; private set; } = null!;

    /// <summary>Extra environment for the settings (e.g. token TTLs); set before InitializeAsync runs.</summary>
    protected virtual IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>();

    /// <summary>False: records go to the sink SECRETS_AUDIT configures (a real file), not to <see cref="Audit"/>.</summary>
    protected virtual bool AuditInMemory => true;

    public async Task InitializeAsync()
    {
        _dataDir = Directory.CreateTempSubdirectory("secrets-test-").FullName;
        var env = new Dictionary<string, string>(Environment)
        {
            ["SECRETS_DATA_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["SECRETS_ACCOUNT"] = Account,
        };
        if (Store == Store.Postgres)
        {
            env["SECRETS_DATABASE"] = await PostgresServer.CreateDatabaseAsync(GetType().Name);
        }

        Settings = SettingsLoader.Load(k => env.GetValueOrDefault(k), _dataDir, generateMissingDataKey: false) with
        {
            Urls = "http://127.0.0.1:0",
            Time = Time,
        };
        _app = await ServerApp.BuildAsync(Settings, [], AuditInMemory ? services => services.AddSingleton<IAuditSink>(Audit) : null);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
        Client = NewClient();
        AdminApiKey = (await File.ReadAllTextAsync(Path.Combine(_dataDir, $"{Account}-admin-api-key"))).Trim();
    }

    public HttpClient NewClient() => new(new SocketsHttpHandler { UseCookies = false, AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = BaseAddress };

    /// <summary>The running server's services (to look at its caches).</summary>
    internal IServiceProvider Services => _app!.Services;

    /// <summary>Runs code against the database directly (to inspect what was stored).</summary>
    internal async Task<T> WithDbAsync<T>(Func<SecretsDbContext, Task<T>> action)
    {
        await using var db = DatabaseSetup.CreateContext(Settings.Database);
        return await action(db);
    }

    /// <summary>Creates another account through the admin service, as `account create` does.</summary>
    internal async Task<CreatedAccount> CreateAccountAsync(string name, string? password = null)
    {
        await using var db = DatabaseSetup.CreateContext(Settings.Database);
        using var cipher = new DataKeyCipher(Settings.Encryption.DataKey);
        return await new AccountService(db, cipher, Settings.PasswordHasher, Time).CreateAsync(name, password, CancellationToken.None);
    }

    public async Task<string> AuthenticateAsync(string login, string apiKey, string? account = null)
    {
        using var response = await Client.PostAsync(
            $"/authn/{account ?? Account}/{Uri.EscapeDataString(login)}/authenticate",
            new StringContent(apiKey, Encoding.UTF8, "text/plain"));
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The Authorization header value for a token JSON.</summary>
    public static string TokenHeader(string tokenJson) => $"Token token=\"{Convert.ToBase64String(Encoding.UTF8.GetBytes(tokenJson))}\"";

    /// <summary>A client that sends an access token for the given login (of <paramref name="account"/>, by default the test account).</summary>
    public async Task<HttpClient> ClientForAsync(string login, string apiKey, string? account = null)
    {
        var token = await AuthenticateAsync(login, apiKey, account);
        var client = NewClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", TokenHeader(token));
        return client;
    }

    public Task<HttpClient> AdminClientAsync() => ClientForAsync("admin", AdminApiKey);

    public static AuthenticationHeaderValue Basic(string login, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{login}:{secret}")));

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_dataDir is not null)
        {
            try
            {
                Directory.Delete(_dataDir, true);
            }
            catch (IOException)
            {
            }
        }
    }
}

public sealed class SqliteServer : ServerFixture
{
    public SqliteServer()
        : base(Store.Sqlite)
    {
    }
}

public sealed class PostgresServerFixture : ServerFixture
{
    public PostgresServerFixture()
        : base(Store.Postgres)
    {
    }
}
