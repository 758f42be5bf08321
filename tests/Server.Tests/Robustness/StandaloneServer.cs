using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Secrets.Server.Configuration;

namespace Secrets.Server.Tests.Robustness;

/// <summary>
/// A real server on Kestrel at 127.0.0.1 over a store the test chooses (a PostgreSQL behind a <see cref="TcpProxy"/>,
/// a SQLite with a page quota), with its logs recorded. For the scenarios <see cref="Infrastructure.ServerFixture"/>
/// cannot set up, because it picks the database itself.
/// </summary>
internal sealed class StandaloneServer : IAsyncDisposable
{
    public const string Account = "cucumber";

    private WebApplication _app = null!;

    private StandaloneServer(string dataDir) => DataDir = dataDir;

    public string DataDir { get; }

    public RecordingLogs Logs { get; } = new();

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public HttpClient Client { get; private set; } = null!;

    public string AdminApiKey { get; private set; } = "";

    internal ServerSettings Settings { get; private set; } = null!;

    /// <param name="database">SECRETS_DATABASE, or null for the embedded SQLite in a fresh data directory.</param>
    public static async Task<StandaloneServer> StartAsync(string? database, IReadOnlyDictionary<string, string>? extra = null)
    {
        var server = new StandaloneServer(Directory.CreateTempSubdirectory("secrets-robust-").FullName);
        var env = new Dictionary<string, string>(extra ?? new Dictionary<string, string>())
        {
            ["SECRETS_DATA_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["SECRETS_ACCOUNT"] = Account,
        };
        if (database is not null)
        {
            env["SECRETS_DATABASE"] = database;
        }

        server.Settings = SettingsLoader.Load(k => env.GetValueOrDefault(k), server.DataDir, generateMissingDataKey: false) with
        {
            Urls = "http://127.0.0.1:0",
            Time = server.Time,
        };
        server._app = await ServerApp.BuildAsync(server.Settings, [], services =>
        {
            services.AddSingleton<ILoggerProvider>(server.Logs);
            services.AddSingleton<Audit.IAuditSink>(new Audit.MemoryAuditSink());
        });
        await server._app.StartAsync();
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
        server.AdminApiKey = (await File.ReadAllTextAsync(Path.Combine(server.DataDir, $"{Account}-admin-api-key"))).Trim();
        return server;
    }

    public async Task<HttpClient> AdminClientAsync()
    {
        using var response = await Client.PostAsync(
            $"/authn/{Account}/admin/authenticate", new StringContent(AdminApiKey, Encoding.UTF8, "text/plain"));
        response.EnsureSuccessStatusCode();
        var token = await response.Content.ReadAsStringAsync();
        var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = Client.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.TryAddWithoutValidation(
            "Authorization", $"Token token=\"{Convert.ToBase64String(Encoding.UTF8.GetBytes(token))}\"");
        return client;
    }

    public static async Task<HttpStatusCode> LoadPolicyAsync(HttpClient admin, string yaml)
    {
        using var response = await admin.PostAsync(
            $"/policies/{Account}/policy/root", new StringContent(yaml, Encoding.UTF8, "application/x-yaml"));
        return response.StatusCode;
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDir, true);
        }
        catch (IOException)
        {
        }
    }
}
