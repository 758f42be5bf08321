using System.Text;
using System.Text.Json;
using Secrets.Server.Tests.HostFactories;
using Secrets.Server.Tests.Infrastructure;
using static Secrets.Server.Tests.Infrastructure.World;

namespace Secrets.Server.Tests.Security;

/// <summary>
/// Issue 8, medium 6: <c>!policy {id: ../prod}</c> inside <c>dev</c> created <c>dev/../prod/…</c>. Ids with a
/// <c>.</c> or <c>..</c> segment are refused: in policies with a 422 and the line and column, and in every path
/// that carries an id with the same 422 <c>argument_error</c>. Dots inside a segment stay ordinary characters.
/// </summary>
public abstract class RefusingDotSegmentsInIds(ServerFixture f)
{
    private const string DotSegmentBody = """{"error":{"code":"argument_error","message":"Invalid id: '.' and '..' may not be segments of an id"}}""";

    [Fact]
    public async Task A_policy_with_a_dot_dot_id_is_refused_with_its_line_and_column()
    {
        using var admin = await f.AdminClientAsync();
        var dev = await NewBranchAsync(admin, "dev");

        var load = await PostAsync(admin, dev, "- !variable fine\n- !policy\n  id: ../prod\n  body:\n    - !variable password\n");

        Assert.Equal(422, load.Status);
        var error = JsonDocument.Parse(load.Body).RootElement.GetProperty("error");
        Assert.Equal(
            $"Error at line 2, column 3 in policy : Invalid id: {dev}/../prod ('.' and '..' may not be segments of an id)",
            error.GetProperty("message").GetString());
        Assert.Equal((2, 3), (error.GetProperty("innererror").GetProperty("line").GetInt32(), error.GetProperty("innererror").GetProperty("column").GetInt32()));
        Assert.False(await ResourceExistsAsync(f, Full("policy", $"{dev}/../prod")));
        Assert.False(await ResourceExistsAsync(f, Full("variable", $"{dev}/fine")));
    }

    [Fact]
    public async Task Dots_inside_segments_are_ordinary_characters()
    {
        using var admin = await f.AdminClientAsync();
        var dev = await NewBranchAsync(admin, "dots");

        var load = await PostAsync(admin, dev, "- !variable db.password\n- !host app.example.com\n- !variable ..hidden\n");
        Assert.True(load.Status == 201, load.Body);
        await SetSecretAsync(f, Full("variable", $"{dev}/db.password"), "v1");

        using var fetch = await admin.GetAsync($"/secrets/{Account}/variable/{dev}/db.password");
        Assert.Equal("v1", await fetch.Content.ReadAsStringAsync());
        using var show = await admin.GetAsync($"/resources/{Account}/variable/{Uri.EscapeDataString($"{dev}/..hidden")}");
        Assert.Equal(200, (int)show.StatusCode);
    }

    [Theory]
    [InlineData("GET", "/secrets/{0}/variable/dev%2F..%2Fprod%2Fdb")]
    [InlineData("POST", "/secrets/{0}/variable/dev%2F..%2Fprod%2Fdb")]
    [InlineData("GET", "/secrets/{0}/variable/dev/.%2Fdb")]
    [InlineData("GET", "/resources/{0}/variable/..%2Fx")]
    [InlineData("GET", "/resources/{0}/variable/a%2F.")]
    [InlineData("GET", "/resources/{0}/variable/a%2F%2E%2E%2Fb")]
    [InlineData("GET", "/secrets/{0}/variable/a%2F%2e")]
    [InlineData("GET", "/roles/{0}/user/..%2Fadmin")]
    [InlineData("GET", "/roles/{0}/host/prod%2F..%2Fadmin")]
    [InlineData("GET", "/public_keys/{0}/user/..%2Fadmin")]
    [InlineData("POST", "/policies/{0}/policy/root%2F..%2Fx")]
    [InlineData("GET", "/policies/{0}/policy/a%2F..%2Fb")]
    [InlineData("POST", "/authn/{0}/host%2F..%2Fadmin/authenticate")]
    public async Task A_path_id_with_a_dot_segment_is_refused(string method, string pathFormat)
    {
        using var admin = await f.AdminClientAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), string.Format(System.Globalization.CultureInfo.InvariantCulture, pathFormat, Account))
        {
            Content = method == "POST" ? new StringContent("value", Encoding.UTF8, "text/plain") : null,
        };

        using var response = await admin.SendAsync(request);

        Assert.Equal((422, DotSegmentBody), ((int)response.StatusCode, await response.Content.ReadAsStringAsync()));
    }

    [Theory]
    [InlineData("GET", "/secrets?variable_ids={0}:variable:ok,{0}:variable:dev/../prod/db")]
    [InlineData("GET", "/secrets?variable_ids={0}:variable:..")]
    [InlineData("GET", "/resources/{0}/variable/x?check=true&privilege=read&role={0}:user:../admin")]
    [InlineData("GET", "/resources/{0}?acting_as={0}:user:a/./b")]
    [InlineData("GET", "/roles/{0}/group/g?members=true&filter[]={0}:user:..")]
    [InlineData("PUT", "/authn/{0}/api_key?role=host:prod/../app")]
    [InlineData("POST", "/roles/{0}/group/g?members&member={0}:user:%2E%2E/admin")]
    public async Task A_query_id_with_a_dot_segment_is_refused(string method, string pathFormat)
    {
        using var admin = await f.AdminClientAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), string.Format(System.Globalization.CultureInfo.InvariantCulture, pathFormat, Account));

        using var response = await admin.SendAsync(request);

        Assert.Equal((422, DotSegmentBody), ((int)response.StatusCode, await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Query_ids_with_dots_inside_segments_are_looked_up_as_usual()
    {
        using var admin = await f.AdminClientAsync();

        using var response = await admin.GetAsync($"/secrets?variable_ids={Account}:variable:db.password,{Account}:variable:..x");

        Assert.Equal(404, (int)response.StatusCode);
    }

    [Fact]
    public async Task A_host_factory_id_with_a_dot_segment_is_refused()
    {
        var app = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        using var request = HostFactoryRequests.CreateTokens(
            ("host_factory", $"{Account}:host_factory:x/../{app.Prefix}/factory"),
            ("expiration", f.Time.GetUtcNow().AddHours(1).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)));

        var observed = await Requests.ObserveAsync(admin, request);

        Assert.Equal((422, DotSegmentBody), (observed.Status, observed.Body));
    }
}

public sealed class RefusingDotSegmentsInIdsOnSqlite(SqliteServer f) : RefusingDotSegmentsInIds(f), IClassFixture<SqliteServer>;

public sealed class RefusingDotSegmentsInIdsOnPostgres(PostgresServerFixture f) : RefusingDotSegmentsInIds(f), IClassFixture<PostgresServerFixture>;
