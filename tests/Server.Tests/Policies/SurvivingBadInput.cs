using System.Text;
using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Policies;

/// <summary>
/// Whatever arrives at /policies, the answer is a deliberate status, never a 500: binary garbage, invalid UTF-8, NUL
/// characters, huge or unicode ids, encoded slashes, alias bombs and deep nesting (spec 1.1, 9).
/// </summary>
public abstract class SurvivingBadInput(ServerFixture f)
{
    private const string NotUtf8 = """{"error":{"code":"policy_invalid","message":"policy text is not valid UTF-8"}}""";
    private const string ControlCharacters = """{"error":{"code":"policy_invalid","message":"control characters are not allowed"}}""";

    [Fact]
    public async Task Binary_garbage_is_422()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "garbage");
        var random = new Random(20261126);

        for (var i = 0; i < 20; i++)
        {
            var bytes = new byte[random.Next(1, 4096)];
            random.NextBytes(bytes);

            var response = await Requests.SendAsync(admin, HttpMethod.Post, PolicyPath(branch), bytes, "application/octet-stream");

            Assert.Equal(422, response.Status);
        }

        Assert.Empty(await VersionsOfAsync(f, branch));
    }

    [Fact]
    public async Task A_nul_character_in_the_body_is_422_and_other_control_characters_are_never_a_500()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "control");

        foreach (var text in new[] { "\0", "- !user a\0b\n", "# \0\n[]" })
        {
            var response = await PostAsync(admin, branch, text);

            Assert.Equal((422, ControlCharacters), (response.Status, response.Body));
        }

        foreach (var text in new[] { "\u0001\u0002\u0003", "- !variable \u001b[31m\n", "\uFEFF\uFEFF- !user x\n", "- !variable \"tab\\there\"\n" })
        {
            var response = await PostAsync(admin, branch, text);

            Assert.True(response.Status is 422 or 201, $"{response.Status}: {response.Body}");
        }
    }

    [Fact]
    public async Task Invalid_utf8_is_422_policy_invalid_and_audited()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "utf8");

        var response = await Requests.SendAsync(admin, HttpMethod.Put, PolicyPath(branch), [.. "- !user "u8, 0xC3, 0x28, .. "\n"u8]);

        Assert.Equal((422, NotUtf8), (response.Status, response.Body));
        Assert.EndsWith("operation=\"update\"] Failed to load policy: policy text is not valid UTF-8", Assert.Single(Requests.AuditFor(f, response)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_bytes_sent_to_a_policy_the_caller_cannot_see_are_still_404()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "hidden");
        var login = World.Unique("stranger");
        var created = await LoadAsync(admin, HttpMethod.Post, "root", $"- !user {login}\n");
        using var stranger = await f.ClientForAsync(login, created.ApiKeyOf(Full("user", login)));

        var invalid = await Requests.SendAsync(stranger, HttpMethod.Post, PolicyPath(branch), [0xFF, 0xFE, 0x00]);
        var blank = await PostAsync(stranger, branch, "");

        Assert.Equal(404, invalid.Status);
        Assert.Equal(404, blank.Status);
        Assert.Equal(invalid.Body, blank.Body);
    }

    [Fact]
    public async Task A_nul_character_inside_an_id_or_annotation_is_never_a_500()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "nul");

        var id = await PostAsync(admin, branch, "- !variable \"a\\0b\"\n");
        var annotation = await PostAsync(admin, branch, "- !variable {id: c, annotations: {\"x\\0\": \"y\\0z\"}}\n");
        var host = await PostAsync(admin, branch, "- !host \"h\\0\"\n");

        Assert.All(new[] { id, annotation, host }, r => Assert.Equal((422, ControlCharacters), (r.Status, r.Body)));
        Assert.Empty(await VersionsOfAsync(f, branch));
    }

    [Theory]
    [InlineData(3_000)]
    [InlineData(20_000)]
    public async Task A_huge_id_in_the_text_is_never_a_500(int length)
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "huge");
        // Random letters: a repeated character would compress below PostgreSQL's index row limit.
        var random = new Random(length);
        var name = new string(Enumerable.Range(0, length).Select(_ => (char)('a' + random.Next(26))).ToArray());

        var variable = await PostAsync(admin, branch, $"- !variable {name}\n");
        var host = await PostAsync(admin, branch, $"- !host {name}\n");
        var annotation = await PostAsync(admin, branch, $"- !variable {{id: small, annotations: {{{name}: {name}}}}}\n");

        const string TooLong = """{"error":{"code":"policy_invalid","message":"Ids, privileges and annotation names are limited to 800 bytes"}}""";
        Assert.All(new[] { variable, host, annotation }, r => Assert.Equal((422, TooLong), (r.Status, r.Body)));
        Assert.Empty(await VersionsOfAsync(f, branch));
    }

    [Fact]
    public async Task Ids_just_under_the_limit_load_on_every_store()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "long");
        var random = new Random(42);
        string Name(int length) => new(Enumerable.Range(0, length).Select(_ => (char)('a' + random.Next(26))).ToArray());
        var variable = Name(790 - $"cucumber:variable:{branch}/".Length);
        var host = Name(790 - $"cucumber:host:{branch}/".Length);
        var privilege = Name(790);

        var response = await PostAsync(admin, branch, $"- !variable {variable}\n- !host {host}\n- !permit {{role: !host {host}, privilege: {privilege}, resource: !variable {variable}}}\n");

        Assert.Equal(201, response.Status);
        Assert.Equal(privilege, await PrivilegesAsync(f, Full("variable", $"{branch}/{variable}"), Full("host", $"{branch}/{host}")));
    }

    [Fact]
    public async Task A_huge_identifier_in_the_url_is_not_found()
    {
        using var admin = await f.AdminClientAsync();

        var response = await PostAsync(admin, new string('p', 5000), "[]");

        Assert.Equal(404, response.Status);
    }

    [Fact]
    public async Task Unicode_ids_load_and_log_in()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "ünïcødé-политика-秘密");
        var response = await PostAsync(admin, branch, "- !user jürgen\n- !host 服务器\n- !variable пароль🔑\n");

        var user = Full("user", $"jürgen@{branch}");
        var host = Full("host", $"{branch}/服务器");
        Assert.Equal(201, response.Status);
        Assert.Equal(ApiResponse.Created(1, (user, response.ApiKeyOf(user)), (host, response.ApiKeyOf(host))), response.Body);
        Assert.True(await ResourceExistsAsync(f, Full("variable", $"{branch}/пароль🔑")));
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"jürgen@{branch}", response.ApiKeyOf(user)));
        Assert.Equal(200, await AuthenticateStatusAsync(f, $"host/{branch}/服务器", response.ApiKeyOf(host)));
    }

    [Fact]
    public async Task Encoded_and_literal_slashes_in_the_identifier_name_the_same_policy()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "slash", "- !policy a\n- !policy a/b\n");

        var encoded = await Requests.SendAsync(admin, HttpMethod.Post, $"/policies/cucumber/policy/{branch}%2Fa%2Fb", "- !variable one\n");
        var lower = await Requests.SendAsync(admin, HttpMethod.Post, $"/policies/cucumber/policy/{branch}%2fa/b", "- !variable two\n");
        var literal = await Requests.SendAsync(admin, HttpMethod.Post, $"/policies/cucumber/policy/{branch}/a/b", "- !variable three\n");

        Assert.Equal((201, ApiResponse.Created(1)), (encoded.Status, encoded.Body));
        Assert.Equal((201, ApiResponse.Created(2)), (lower.Status, lower.Body));
        Assert.Equal((201, ApiResponse.Created(3)), (literal.Status, literal.Body));
        foreach (var v in new[] { "one", "two", "three" })
        {
            Assert.True(await ResourceExistsAsync(f, Full("variable", $"{branch}/a/b/{v}")));
        }
    }

    [Theory]
    [InlineData("/policies/cucumber/policy/%zz")]
    [InlineData("/policies/cucumber/policy/a%")]
    [InlineData("/policies/cucumber/policy/%C3%28")]
    [InlineData("/policies/cucumber/policy/")]
    [InlineData("/policies/cucumber/policy")]
    [InlineData("/policies/cucumber/variable/x")]
    [InlineData("/policies/no-such-account/policy/root")]
    [InlineData("/policies/cuc%2Fumber/policy/root")]
    public async Task Malformed_or_foreign_paths_are_404(string path)
    {
        using var admin = await f.AdminClientAsync();

        var response = await Requests.SendAsync(admin, HttpMethod.Post, path, "[]");

        Assert.Equal(404, response.Status);
    }

    [Fact]
    public async Task An_alias_bomb_is_answered_quickly()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "bomb");
        var text = new StringBuilder("- &l0 [!variable a, !variable b, !variable c, !variable d, !variable e, !variable f, !variable g, !variable h, !variable i, !variable j]\n");
        for (var i = 1; i <= 12; i++)
        {
            text.Append($"- &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 10))}]\n");
        }

        text.Append("- !group g\n- !permit {role: !group g, privilege: read, resources: *l12}\n");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var response = await PostAsync(admin, branch, text.ToString()).WaitAsync(cts.Token);

        Assert.True(response.Status is 201 or 422, $"{response.Status}: {response.Body}");
    }

    [Theory]
    [InlineData(500)]
    [InlineData(100_000)]
    public async Task Deep_nesting_is_422(int depth)
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "deep");

        var lists = await PostAsync(admin, branch, new string('[', depth) + new string(']', depth));
        var maps = await PostAsync(admin, branch, string.Concat(Enumerable.Repeat("{a: ", depth)) + "b" + new string('}', depth));
        var policies = await PostAsync(admin, branch, string.Concat(Enumerable.Range(0, Math.Min(depth, 300)).Select(i => new string(' ', i * 2) + $"- !policy\n{new string(' ', (i * 2) + 2)}id: p\n{new string(' ', (i * 2) + 2)}body:\n")));

        Assert.Equal(422, lists.Status);
        Assert.Equal(422, maps.Status);
        Assert.True(policies.Status is 201 or 422, $"{policies.Status}: {policies.Body}");
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_413_before_it_is_read()
    {
        using var admin = await f.AdminClientAsync();
        var branch = await NewBranchAsync(admin, "big");
        var limit = f.Settings.Limits.MaxRequestBodyBytes;

        // Headers only: the server must answer from Content-Length without waiting for 16 MB that never come.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(f.BaseAddress.Host, f.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"PUT {PolicyPath(branch)} HTTP/1.1\r\nHost: {f.BaseAddress.Authority}\r\nContent-Type: application/x-yaml\r\nContent-Length: {limit + 1}\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.StartsWith("HTTP/1.1 413 ", statusLine, StringComparison.Ordinal);
        Assert.Empty(await VersionsOfAsync(f, branch));
    }
}

public sealed class SurvivingBadInputOnSqlite(SqliteServer f) : SurvivingBadInput(f), IClassFixture<SqliteServer>;

public sealed class SurvivingBadInputOnPostgres(PostgresServerFixture f) : SurvivingBadInput(f), IClassFixture<PostgresServerFixture>;
