using System.Net;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.HostFactories;

/// <summary>CONJUR_HOST_FACTORIES_ENABLED=false (spec 2.8, 9.1): the three routes are absent, so they answer like any unknown path.</summary>
public abstract class DisablingHostFactories(ServerFixture f)
{
    private const string RouteNotFound = """{"error":{"code":"not_found","message":"The requested resource does not exist"}}""";

    [Fact]
    public async Task The_host_factory_routes_do_not_exist()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();

        var create = await Requests.ObserveAsync(admin, HostFactoryRequests.CreateTokens(("host_factory", app.FactoryId), ("expiration", "2050-12-31T00:00:00Z")));
        var revoke = await Requests.ObserveAsync(admin, HostFactoryRequests.Revoke("sometoken"));
        var enroll = await Requests.ObserveAsync(f.Client, HostFactoryRequests.CreateHost("sometoken", null, ("id", "web-01")));

        Assert.Equal((404, RouteNotFound), (create.Status, create.Body));
        Assert.Equal((404, RouteNotFound), (revoke.Status, revoke.Body));
        Assert.Equal((404, RouteNotFound), (enroll.Status, enroll.Body));
        Assert.Equal(0, await f.WithDbAsync(db => db.HostFactoryTokens.CountAsync()));
    }

    [Fact]
    public async Task Policies_may_still_declare_host_factories()
    {
        var app = await HostFactoryApp.LoadAsync(f);

        Assert.True(await f.WithDbAsync(db => db.Resources.AnyAsync(r => r.ResourceId == app.FactoryId && r.Kind == "host_factory")));
        using var admin = await f.AdminClientAsync();
        using var whoami = await admin.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.OK, whoami.StatusCode);
    }
}

/// <summary>A server started with host factories switched off (the Conjur variable name, "false").</summary>
public sealed class SqliteServerWithoutHostFactories : ServerFixture
{
    public SqliteServerWithoutHostFactories()
        : base(Store.Sqlite)
    {
    }

    protected override IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["CONJUR_HOST_FACTORIES_ENABLED"] = "false" };
}

/// <summary>The PostgreSQL twin of <see cref="SqliteServerWithoutHostFactories"/>.</summary>
public sealed class PostgresServerWithoutHostFactories : ServerFixture
{
    public PostgresServerWithoutHostFactories()
        : base(Store.Postgres)
    {
    }

    protected override IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["CONJUR_HOST_FACTORIES_ENABLED"] = "false" };
}

public sealed class DisablingHostFactoriesOnSqlite(SqliteServerWithoutHostFactories f) : DisablingHostFactories(f), IClassFixture<SqliteServerWithoutHostFactories>;

public sealed class DisablingHostFactoriesOnPostgres(PostgresServerWithoutHostFactories f) : DisablingHostFactories(f), IClassFixture<PostgresServerWithoutHostFactories>;
