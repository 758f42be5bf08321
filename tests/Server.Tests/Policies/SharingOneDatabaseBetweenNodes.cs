using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Secrets.Server.Audit;
using Secrets.Server.Authorization;
using Secrets.Server.Data;
using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// Two server nodes on one PostgreSQL database (the way to scale out). Each caches the role graph; a change made
/// through one node reaches the other's decisions through LISTEN/NOTIFY, and through per-request reads of the
/// version while the listener is down. A node's own writes count at once for its next request.
/// </summary>
public sealed class SharingOneDatabaseBetweenNodes(PostgresServerFixture f) : IClassFixture<PostgresServerFixture>, IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private WebApplication? _second;
    private HttpClient? _secondClient;

    public async Task InitializeAsync()
    {
        _second = await ServerApp.BuildAsync(f.Settings with { Urls = "http://127.0.0.1:0" }, [], s => s.AddSingleton<IAuditSink>(new MemoryAuditSink()));
        await _second.StartAsync();
        var address = _second.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _secondClient = new HttpClient { BaseAddress = new Uri(address) };
        await EventuallyAsync(() => Task.FromResult(Versions(_second).Live && Versions(f.Services).Live));
    }

    public void Dispose() => _secondClient?.Dispose();

    public async Task DisposeAsync()
    {
        if (_second is not null)
        {
            await _second.StopAsync();
            await _second.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_revocation_through_one_node_stops_fetches_through_the_other_and_the_grant_back_restores_them()
    {
        using var admin = await f.AdminClientAsync();
        var (branch, host) = await SetUpAsync(admin);
        Assert.Equal(200, await FetchOnSecondAsync(host, branch));

        Assert.Equal(201, (await PatchAsync(admin, branch, "- !revoke {role: !layer apps, member: !host app}\n")).Status);

        // The first node, which made the change, decides on it at once; the second as soon as the notification lands.
        Assert.Equal(404, await FetchAsync(f.Client, host, branch));
        await EventuallyAsync(async () => await FetchOnSecondAsync(host, branch) == 404);

        Assert.Equal(201, (await PatchAsync(admin, branch, "- !grant {role: !layer apps, member: !host app}\n")).Status);
        Assert.Equal(200, await FetchAsync(f.Client, host, branch));
        await EventuallyAsync(async () => await FetchOnSecondAsync(host, branch) == 200);
    }

    [Fact]
    public async Task While_the_listener_is_cut_off_the_node_reads_the_version_per_request_and_then_listens_again()
    {
        using var admin = await f.AdminClientAsync();
        var (branch, host) = await SetUpAsync(admin);
        Assert.Equal(200, await FetchOnSecondAsync(host, branch));

        // Kill every listener connection (both nodes'); each node notices and falls back until it reconnects.
        await KillListenersAsync();

        Assert.Equal(201, (await PatchAsync(admin, branch, "- !revoke {role: !layer apps, member: !host app}\n")).Status);
        await EventuallyAsync(async () => await FetchOnSecondAsync(host, branch) == 404);
        await EventuallyAsync(() => Task.FromResult(Versions(_second!).Live));

        Assert.Equal(201, (await PatchAsync(admin, branch, "- !grant {role: !layer apps, member: !host app}\n")).Status);
        await EventuallyAsync(async () => await FetchOnSecondAsync(host, branch) == 200);
    }

    [Fact]
    public async Task A_value_written_through_one_node_replaces_the_copy_the_other_node_serves()
    {
        using var admin = await f.AdminClientAsync();
        var (branch, host) = await SetUpAsync(admin);
        Assert.Equal((200, "value"), await ReadOnSecondAsync(host, branch));
        Assert.Equal((200, "value"), await ReadOnSecondAsync(host, branch));
        Assert.Equal((200, "value"), await ReadAsync(f.Client, host, branch));

        await SetSecretAsync(f, Full("variable", $"{branch}/v"), "second");

        // The writing node serves the new value at once; the other as soon as the notification lands.
        Assert.Equal((200, "second"), await ReadAsync(f.Client, host, branch));
        await EventuallyAsync(async () => await ReadOnSecondAsync(host, branch) == (200, "second"));

        // With the listeners cut off, nothing is served from a copy: the next write is seen by the next read.
        await KillListenersAsync();
        await EventuallyAsync(() => Task.FromResult(!Versions(_second!).Live));
        await SetSecretAsync(f, Full("variable", $"{branch}/v"), "third");
        if (!Versions(_second!).Live)
        {
            Assert.Equal((200, "third"), await ReadOnSecondAsync(host, branch));
        }

        await EventuallyAsync(async () => await ReadOnSecondAsync(host, branch) == (200, "third"));
    }

    private Task<(int Status, string Body)> ReadOnSecondAsync(string host, string branch) => ReadAsync(_secondClient!, host, branch);

    private static async Task<(int Status, string Body)> ReadAsync(HttpClient client, string host, string branch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/secrets/{Account}/variable/{Uri.EscapeDataString($"{branch}/v")}");
        request.Headers.TryAddWithoutValidation("Authorization", host);
        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task KillListenersAsync()
    {
        await using var connection = new NpgsqlConnection(f.Settings.Database.ConnectionString);
        await connection.OpenAsync();
        await using var kill = new NpgsqlCommand(
            $"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{StoreChangeListener.ListenerName}' AND datname = current_database()",
            connection);
        Assert.True((long)(await kill.ExecuteScalarAsync())! >= 2);
    }

    private static AuthorizationVersions Versions(WebApplication app) => Versions(app.Services);

    private static AuthorizationVersions Versions(IServiceProvider services) => services.GetRequiredService<AuthorizationVersions>();

    /// <summary>A host that may fetch a variable through a layer, the variable set; returns the branch and the host's token header.</summary>
    private async Task<(string Branch, string Host)> SetUpAsync(HttpClient admin)
    {
        var branch = await NewBranchAsync(admin, "nodes");
        var load = await PostAsync(admin, branch, """
            - !layer apps
            - !host app
            - !variable v
            - !grant {role: !layer apps, member: !host app}
            - !permit {role: !layer apps, privilege: [read, execute], resource: !variable v}
            """);
        Assert.Equal(201, load.Status);
        await SetSecretAsync(f, Full("variable", $"{branch}/v"), "value");
        var token = await f.AuthenticateAsync($"host/{branch}/app", load.ApiKeyOf(Full("host", $"{branch}/app")));
        return (branch, ServerFixture.TokenHeader(token));
    }

    private Task<int> FetchOnSecondAsync(string host, string branch) => FetchAsync(_secondClient!, host, branch);

    private static async Task<int> FetchAsync(HttpClient client, string host, string branch) => (await ReadAsync(client, host, branch)).Status;

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var started = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(started.Elapsed < Patience, "the condition did not hold in time");
            await Task.Delay(20);
        }
    }
}
