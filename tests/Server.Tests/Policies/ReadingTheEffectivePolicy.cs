using System.Text.Json;
using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// <c>GET /policies/{account}/policy/{identifier}</c> (spec 2.5): the owner of a policy reads back the policy text of
/// everything under it, as YAML or JSON, limited by <c>depth</c> and <c>limit</c>; the text loads back unchanged.
/// </summary>
public abstract class ReadingTheEffectivePolicy(ServerFixture f)
{
    private const string Body = """
        - !user alice
        - !group devs
        - !variable {id: db/password, kind: password, mime_type: text/plain, annotations: {description: the db password}}
        - !host {id: app, restricted_to: 10.1.0.0/16}
        - !policy
          id: inner
          body:
          - !webservice svc
          - !user bob
          - !permit {role: !user bob, privilege: read, resource: !webservice svc}
        - !grant {role: !group devs, members: [!user alice, !user inner/bob]}
        - !permit {role: !group devs, privileges: [read, execute], resource: !variable db/password}
        """;

    private static Task<ApiResponse> GetAsync(HttpClient client, string identifier, string query = "", bool json = false, string kind = "policy", string account = Account) =>
        Requests.SendAsync(client, HttpMethod.Get, $"/policies/{account}/{kind}/{identifier}{query}", json ? Array.Empty<byte>() : (byte[]?)null, json ? "application/json" : null);

    private static string Expected(string branch) => $"""
        ---
        - !policy
          id: {branch}
          body:
          - !user alice
          - !policy
            id: inner
            body:
            - !user bob
            - !webservice svc
            - !permit
              role: !user bob
              privileges: [read]
              resource: !webservice svc
          - !variable
            id: db/password
            kind: password
            mime_type: text/plain
            annotations:
              description: the db password
          - !host
            id: app
            restricted_to: [10.1.0.0/16]
          - !group devs
          - !grant
            role: !group devs
            members:
            - !user /{branch}/alice
            - !user /{branch}/inner/bob
          - !permit
            role: !group devs
            privileges: [execute, read]
            resource: !variable db/password

        """.Replace("\r\n", "\n", StringComparison.Ordinal);

    [Fact]
    public async Task The_owner_gets_the_branch_as_yaml_and_it_is_audited_as_read()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "eff", Body);

        var response = await GetAsync(admin, branch);

        Assert.Equal(200, response.Status);
        Assert.Equal("application/x-yaml", response.MediaType);
        Assert.Equal(Expected(branch), response.Body);
        var line = Assert.Single(Requests.AuditFor(f, response));
        Assert.StartsWith("<85>1 ", line, StringComparison.Ordinal);
        Assert.Contains($"[subject@43868 account=\"cucumber\" identifier=\"{branch}\" role_id=\"cucumber:user:admin\"]", line, StringComparison.Ordinal);
        Assert.Contains("[action@43868 result=\"success\" operation=\"read\"]", line, StringComparison.Ordinal);
        Assert.EndsWith($"cucumber:user:admin readed {{:account=>\"cucumber\", :identifier=>\"{branch}\", :role_id=>\"cucumber:user:admin\"}}", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_json_content_type_gets_json_in_build_order()
    {
        using var admin = await f.AdminClientAsync();
        var b = await NewBranchAsync(admin, "eff-json", Body);

        var response = await GetAsync(admin, b, json: true);

        Assert.Equal(200, response.Status);
        Assert.Equal("application/json", response.MediaType);
        Assert.Equal(
            """[{"policy":{"id":"@B@","body":[{"group":{"id":"devs"}},{"host":{"id":"app","restricted_to":["10.1.0.0/16"]}},{"policy":{"id":"inner","body":[{"webservice":{"id":"svc"}},{"permit":{"role":{"user":"bob"},"privileges":["read"],"resource":{"webservice":"svc"}}},{"user":{"id":"bob"}}]}},{"variable":{"id":"db/password","kind":"password","mime_type":"text/plain","annotations":{"description":"the db password"}}},{"permit":{"role":{"group":"devs"},"privileges":["execute","read"],"resource":{"variable":"db/password"}}},{"user":{"id":"alice"}},{"grant":{"role":{"group":"devs"},"members":[{"user":"/@B@/alice"},{"user":"/@B@/inner/bob"}]}}]}}]""".Replace("@B@", b, StringComparison.Ordinal),
            response.Body);
    }

    [Fact]
    public async Task The_text_loads_back_into_a_fresh_account_unchanged()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "eff-trip", Body);
        var text = (await GetAsync(admin, branch)).Body;
        var other = World.Unique("eff-account");
        var created = await f.CreateAccountAsync(other);
        using var otherAdmin = await f.ClientForAsync("admin", created.AdminApiKey, other);

        var load = await Requests.SendAsync(otherAdmin, HttpMethod.Post, PolicyPath("root", account: other), text);
        var again = await GetAsync(otherAdmin, branch, account: other);
        var replace = await Requests.SendAsync(otherAdmin, HttpMethod.Put, PolicyPath("root", dryRun: true, account: other), text);

        Assert.Equal(201, load.Status);
        Assert.Equal(text, again.Body);
        Assert.Equal(200, replace.Status);
        Assert.Equal("""{"status":"Valid YAML","created":{"items":[]},"updated":{"before":{"items":[]},"after":{"items":[]}},"deleted":{"items":[]}}""", replace.Body);
    }

    [Fact]
    public async Task Reading_root_of_an_account_that_never_loaded_a_policy_creates_root_and_answers_it()
    {
        var other = World.Unique("eff-empty");
        var created = await f.CreateAccountAsync(other);
        using var otherAdmin = await f.ClientForAsync("admin", created.AdminApiKey, other);

        var response = await GetAsync(otherAdmin, "root", account: other);

        Assert.Equal((200, "application/x-yaml"), (response.Status, response.MediaType));
        Assert.True(await ResourceExistsAsync(f, $"{other}:policy:root"));
    }

    [Fact]
    public async Task The_text_loaded_back_into_the_same_policy_changes_nothing()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "eff-same", Body);
        var text = (await GetAsync(admin, branch)).Body;

        var response = await Requests.SendAsync(admin, HttpMethod.Patch, PolicyPath("root", dryRun: true), text);

        Assert.Equal(200, response.Status);
        Assert.Equal("""{"status":"Valid YAML","created":{"items":[]},"updated":{"before":{"items":[]},"after":{"items":[]}},"deleted":{"items":[]}}""", response.Body);
    }

    [Fact]
    public async Task A_nested_branch_starts_at_that_policy()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "eff-nested", Body);

        var response = await GetAsync(admin, $"{branch}/inner");

        Assert.Equal(200, response.Status);
        Assert.Equal("---\n- !policy\n  id: inner\n  body:\n  - !user bob\n  - !webservice svc\n  - !permit\n    role: !user bob\n    privileges: [read]\n    resource: !webservice svc\n", response.Body);
    }

    [Fact]
    public async Task Depth_cuts_the_tree_and_users_are_allowed_one_more_level()
    {
        using var admin = await f.AdminClientAsync();
        var b = await NewBranchAsync(admin, "eff-depth", Body);

        var zero = await GetAsync(admin, b, "?depth=0");
        var one = await GetAsync(admin, b, "?depth=1;limit=100");

        Assert.Equal($"---\n- !policy\n  id: {b}\n  body:\n  - !user alice\n", zero.Body);
        Assert.Equal(
            $"---\n- !policy\n  id: {b}\n  body:\n  - !user alice\n  - !policy\n    id: inner\n    body:\n    - !user bob\n  - !host\n    id: app\n    restricted_to: [10.1.0.0/16]\n  - !group devs\n"
            + $"  - !grant\n    role: !group devs\n    members:\n    - !user /{b}/alice\n    - !user /{b}/inner/bob\n",
            one.Body);
    }

    [Fact]
    public async Task Bad_depth_or_limit_is_400_and_a_branch_over_the_limit_is_422()
    {
        using var admin = await f.AdminClientAsync();
        var b = await NewBranchAsync(admin, "eff-limits", Body);

        // 6 records, 3 annotations and 3 permissions.
        var atLimit = await GetAsync(admin, b, "?limit=12");
        var over = await GetAsync(admin, b, "?limit=11");
        var notNumber = await GetAsync(admin, b, "?depth=abc");
        var negative = await GetAsync(admin, b, "?depth=-1");
        var tooDeep = await GetAsync(admin, b, "?depth=65");
        var tooLarge = await GetAsync(admin, b, "?limit=100001");
        var empty = await GetAsync(admin, b, "?limit=");
        var huge = await GetAsync(admin, b, "?depth=99999999999999999999");

        Assert.Equal(200, atLimit.Status);
        Assert.Equal(422, over.Status);
        Assert.Equal("""{"error":{"code":"unprocessable_entity","message":"The effective policy has 12 elements, more than the limit of 11"}}""", over.Body);
        Assert.Equal("""{"error":{"code":"bad_request","message":"'depth' must be an integer between 0 and 64, got 'abc'"}}""", notNumber.Body);
        foreach (var r in new[] { notNumber, negative, tooDeep, tooLarge, empty, huge })
        {
            Assert.Equal(400, r.Status);
            Assert.Equal("application/json", r.MediaType);
        }

        Assert.Contains("between 0 and 100000", tooLarge.Body, StringComparison.Ordinal);
        var failure = Assert.Single(Requests.AuditFor(f, over));
        Assert.StartsWith("<84>1 ", failure, StringComparison.Ordinal);
        Assert.Contains("operation=\"read\"", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_members_of_the_owner_get_it_others_see_403_or_404()
    {
        using var admin = await f.AdminClientAsync();
        var own = World.Unique("own");
        var member = World.Unique("member");
        var reader = World.Unique("reader");
        var stranger = World.Unique("stranger");
        var b = World.Unique("eff-owner");
        var setup = await LoadAsync(
            admin,
            HttpMethod.Post,
            "root",
            $"- !group {own}\n- !user {member}\n- !user {reader}\n- !user {stranger}\n- !grant {{role: !group {own}, member: !user {member}}}\n"
            + $"- !policy {{id: {b}, owner: !group {own}, body: [!variable v]}}\n- !permit {{role: !user {reader}, privilege: read, resource: !policy {b}}}\n");
        using var asMember = await f.ClientForAsync(member, setup.ApiKeyOf(Full("user", member)));
        using var asReader = await f.ClientForAsync(reader, setup.ApiKeyOf(Full("user", reader)));
        using var asStranger = await f.ClientForAsync(stranger, setup.ApiKeyOf(Full("user", stranger)));

        var owner = await GetAsync(asMember, b);
        var visible = await GetAsync(asReader, b);
        var invisible = await GetAsync(asStranger, b);
        var root = await GetAsync(asMember, "root");
        var missing = await GetAsync(admin, World.Unique("no-such-policy"));
        var notAPolicy = await GetAsync(admin, "x", kind: "variable");

        Assert.Equal(200, owner.Status);
        Assert.Equal($"---\n- !policy\n  id: {b}\n  owner: !group /{own}\n  body:\n  - !variable v\n", owner.Body);
        Assert.Equal(403, visible.Status);
        Assert.Equal("", visible.Body);
        Assert.Equal(404, invisible.Status);
        Assert.Equal("""{"error":{"code":"not_found","message":"Policy '@B@' not found in account 'cucumber'","target":"policy","details":{"code":"not_found","target":"id","message":"cucumber:policy:@B@"}}}""".Replace("@B@", b, StringComparison.Ordinal), invisible.Body);
        Assert.Equal(404, root.Status);
        Assert.Equal(404, missing.Status);
        Assert.Equal(400, notAPolicy.Status);
        Assert.Contains("\"code\":\"bad_request\"", notAPolicy.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scalars_yaml_would_misread_are_quoted_and_load_back()
    {
        using var admin = await f.AdminClientAsync();
        var b = await NewBranchAsync(admin, "eff-quote", "- !variable {id: v, annotations: {flag: \"true\", count: \"10\", note: \"a: b # c\", empty: \"\"}}\n");

        var response = await GetAsync(admin, b);
        var reload = await Requests.SendAsync(admin, HttpMethod.Patch, PolicyPath("root", dryRun: true), response.Body);

        Assert.Equal($"---\n- !policy\n  id: {b}\n  body:\n  - !variable\n    id: v\n    annotations:\n      count: \"10\"\n      empty: \"\"\n      flag: \"true\"\n      note: \"a: b # c\"\n", response.Body);
        using var doc = JsonDocument.Parse(reload.Body);
        Assert.Equal(0, doc.RootElement.GetProperty("updated").GetProperty("after").GetProperty("items").GetArrayLength());
    }
}

public sealed class ReadingTheEffectivePolicyOnSqlite(SqliteServer f) : ReadingTheEffectivePolicy(f), IClassFixture<SqliteServer>;

public sealed class ReadingTheEffectivePolicyOnPostgres(PostgresServerFixture f) : ReadingTheEffectivePolicy(f), IClassFixture<PostgresServerFixture>;
