using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// Server options that change which records a policy may declare (spec 4.2, 9.1):
/// CONJUR_USERS_IN_ROOT_POLICY_ONLY=true and CONJUR_AUTHN_API_KEY_DEFAULT=false.
/// </summary>
public abstract class EnforcingServerRecordRules(ServerFixture f)
{
    [Fact]
    public async Task Users_may_only_be_declared_in_root()
    {
        using var admin = await f.AdminClientAsync();
        Assert.Equal(201, (await PostAsync(admin, "root", $"- !user {World.Unique("top")}\n")).Status);
        var branch = await NewBranchAsync(admin, "users");

        var response = await PostAsync(admin, branch, "- !user bob\n");

        Assert.Equal(422, response.Status);
        Assert.Contains("User creation is disabled.", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hosts_need_the_api_key_annotation()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "hosts");

        var refused = await PostAsync(admin, branch, "- !host plain\n");
        var accepted = await PostAsync(admin, branch, "- !host { id: annotated, annotations: { authn/api-key: true } }\n");

        Assert.Equal(422, refused.Status);
        Assert.Contains("authn/api-key", refused.Body, StringComparison.Ordinal);
        Assert.Equal(201, accepted.Status);
    }
}

public sealed class SqliteServerWithRecordRules : ServerFixture
{
    public SqliteServerWithRecordRules()
        : base(Store.Sqlite)
    {
    }

    protected override IReadOnlyDictionary<string, string> Environment => RecordRules.Environment;
}

public sealed class PostgresServerWithRecordRules : ServerFixture
{
    public PostgresServerWithRecordRules()
        : base(Store.Postgres)
    {
    }

    protected override IReadOnlyDictionary<string, string> Environment => RecordRules.Environment;
}

internal static class RecordRules
{
    public static readonly IReadOnlyDictionary<string, string> Environment = new Dictionary<string, string>
    {
        ["CONJUR_USERS_IN_ROOT_POLICY_ONLY"] = "true",
        ["CONJUR_AUTHN_API_KEY_DEFAULT"] = "false",
    };
}

public sealed class EnforcingServerRecordRulesOnSqlite(SqliteServerWithRecordRules f) : EnforcingServerRecordRules(f), IClassFixture<SqliteServerWithRecordRules>;

public sealed class EnforcingServerRecordRulesOnPostgres(PostgresServerWithRecordRules f) : EnforcingServerRecordRules(f), IClassFixture<PostgresServerWithRecordRules>;
