using Microsoft.EntityFrameworkCore;
using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>The example of spec 4.8, loaded with POST into root, verbatim (its ids are fixed, so the class holds one test).</summary>
public abstract class LoadingTheSpecExample(ServerFixture f)
{
    private const string Example = """
        # loaded with POST /policies/acct/policy/root
        - !user alice
        - !group ops
        - !grant { role: !group ops, member: !user alice }
        - !policy
          id: prod/db                        # creates policy:prod/db owned by group:ops
          owner: !group ops
          body:
          - &secrets
            - !variable { id: password, kind: password, mime_type: text/plain }
            - !variable url
          - !layer                           # layer:prod/db
          - !host { id: app-01, restricted_to: 10.1.0.0/16, annotations: { authn/api-key: true } }
          - !grant { role: !layer, member: !host app-01 }
          - !permit { role: !layer, privileges: [read, execute], resources: *secrets }
          - !permit { role: !group /ops, privilege: update, resource: !variable password }
          - !user bob                        # user:bob@prod-db, owned by policy:prod/db
          - !host-factory { layers: [ !layer ] }   # host_factory:prod/db

        """;

    [Fact]
    public async Task Loads_every_record_relationship_and_default_owner_and_answers_with_the_three_new_logins()
    {
        using var admin = await f.AdminClientAsync();
        var before = (await VersionsOfAsync(f, "root")).DefaultIfEmpty(0).Max();

        var response = await PostAsync(admin, "root", Example);

        Assert.Equal(201, response.Status);
        var (alice, app, bob) = ("cucumber:user:alice", "cucumber:host:prod/db/app-01", "cucumber:user:bob@prod-db");
        Assert.Equal(
            ApiResponse.Created(before + 1, (alice, response.ApiKeyOf(alice)), (app, response.ApiKeyOf(app)), (bob, response.ApiKeyOf(bob))),
            response.Body);

        var rows = await f.WithDbAsync(async db => new
        {
            Resources = (await db.Resources.AsNoTracking().Where(r => r.PolicyId == "cucumber:policy:root").ToListAsync())
                .Select(r => $"{r.ResourceId} owner={r.OwnerId}").Order(StringComparer.Ordinal).ToList(),
            Roles = (await db.Roles.AsNoTracking().Where(r => r.PolicyId == "cucumber:policy:root").ToListAsync())
                .Select(r => r.RoleId).Order(StringComparer.Ordinal).ToList(),
            Memberships = (await db.RoleMemberships.AsNoTracking().Where(r => r.PolicyId == "cucumber:policy:root").ToListAsync())
                .Select(m => $"{m.MemberId} in {m.RoleId} admin={m.AdminOption}").Order(StringComparer.Ordinal).ToList(),
            Permissions = (await db.Permissions.AsNoTracking().Where(r => r.PolicyId == "cucumber:policy:root").ToListAsync())
                .Select(p => $"{p.RoleId} {p.Privilege} {p.ResourceId}").Order(StringComparer.Ordinal).ToList(),
            Annotations = (await db.Annotations.AsNoTracking().Where(r => r.PolicyId == "cucumber:policy:root").ToListAsync())
                .Select(a => $"{a.ResourceId} {a.Name}={a.Value}").Order(StringComparer.Ordinal).ToList(),
        });

        Assert.Equal(
            [
                "cucumber:group:ops owner=cucumber:user:admin",
                "cucumber:host:prod/db/app-01 owner=cucumber:policy:prod/db",
                "cucumber:host_factory:prod/db owner=cucumber:policy:prod/db",
                "cucumber:layer:prod/db owner=cucumber:policy:prod/db",
                "cucumber:policy:prod/db owner=cucumber:group:ops",
                "cucumber:user:alice owner=cucumber:user:admin",
                "cucumber:user:bob@prod-db owner=cucumber:policy:prod/db",
                "cucumber:variable:prod/db/password owner=cucumber:policy:prod/db",
                "cucumber:variable:prod/db/url owner=cucumber:policy:prod/db",
            ],
            rows.Resources);
        Assert.Equal(
            [
                "cucumber:group:ops",
                "cucumber:host:prod/db/app-01",
                "cucumber:host_factory:prod/db",
                "cucumber:layer:prod/db",
                "cucumber:policy:prod/db",
                "cucumber:user:alice",
                "cucumber:user:bob@prod-db",
            ],
            rows.Roles);
        Assert.Equal(
            [
                "cucumber:host:prod/db/app-01 in cucumber:layer:prod/db admin=False",
                "cucumber:host_factory:prod/db in cucumber:layer:prod/db admin=False",
                "cucumber:user:alice in cucumber:group:ops admin=False",
            ],
            rows.Memberships);
        Assert.Equal(
            [
                "cucumber:group:ops update cucumber:variable:prod/db/password",
                "cucumber:layer:prod/db execute cucumber:variable:prod/db/password",
                "cucumber:layer:prod/db execute cucumber:variable:prod/db/url",
                "cucumber:layer:prod/db read cucumber:variable:prod/db/password",
                "cucumber:layer:prod/db read cucumber:variable:prod/db/url",
            ],
            rows.Permissions);
        Assert.Equal(
            [
                "cucumber:host:prod/db/app-01 authn/api-key=true",
                "cucumber:variable:prod/db/password conjur/kind=password",
                "cucumber:variable:prod/db/password conjur/mime_type=text/plain",
            ],
            rows.Annotations);

        // app-01 only authenticates from 10.1.0.0/16; alice and bob@prod-db from anywhere.
        Assert.Equal("10.1.0.0/16", await RestrictedToAsync(f, app));
        Assert.Equal(401, await AuthenticateStatusAsync(f, "host/prod/db/app-01", response.ApiKeyOf(app)));
        Assert.Equal(200, await AuthenticateStatusAsync(f, "host/prod/db/app-01", response.ApiKeyOf(app), fromAddress: "10.1.2.3"));
        Assert.Equal(200, await AuthenticateStatusAsync(f, "alice", response.ApiKeyOf(alice)));
        Assert.Equal(200, await AuthenticateStatusAsync(f, "bob@prod-db", response.ApiKeyOf(bob)));

        // alice is in ops, which owns prod/db: she may load into it; bob (inside prod/db) may not even see it.
        using var asAlice = await f.ClientForAsync("alice", response.ApiKeyOf(alice));
        using var asBob = await f.ClientForAsync("bob@prod-db", response.ApiKeyOf(bob));
        Assert.Equal(201, (await PostAsync(asAlice, "prod/db", "- !variable extra\n")).Status);
        Assert.Equal(404, (await PostAsync(asBob, "prod/db", "- !variable extra2\n")).Status);
    }
}

public sealed class LoadingTheSpecExampleOnSqlite(SqliteServer f) : LoadingTheSpecExample(f), IClassFixture<SqliteServer>;

public sealed class LoadingTheSpecExampleOnPostgres(PostgresServerFixture f) : LoadingTheSpecExample(f), IClassFixture<PostgresServerFixture>;
