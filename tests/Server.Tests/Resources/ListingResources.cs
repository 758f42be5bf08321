using System.Net;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Resources;

/// <summary>GET /resources[/{account}[/{kind}]] (spec 2.6): visibility, filters, search, paging, counts, acting_as.</summary>
public abstract class ListingResources(ServerFixture f)
{
    private const string LimitInvalid = """{"error":{"code":"unprocessable_entity","message":"'limit' contains an invalid value. 'limit' must be a positive integer."}}""";
    private const string OffsetInvalid = """{"error":{"code":"unprocessable_entity","message":"'offset' contains an invalid value. 'offset' must be an integer greater than or equal to 0."}}""";

    [Fact]
    public async Task Admin_sees_every_resource_of_the_account_ordered_by_id()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        Assert.Equal(ResourceWorld.All, Requests.Ids(await Requests.GetJsonAsync(admin, "/resources/cucumber")));
        Assert.Equal(ResourceWorld.All, Requests.Ids(await Requests.GetJsonAsync(admin, "/resources")));
    }

    [Theory]
    [InlineData("alice", new[] { "cucumber:group:db/readers", "cucumber:policy:db", "cucumber:variable:db/password", "cucumber:variable:db/url" })]
    [InlineData("bob", new[] { "cucumber:variable:db/password" })]
    [InlineData("host/app-01", new[] { "cucumber:variable:db/password" })]
    [InlineData("dave", new[] { "cucumber:variable:db/url" })]
    [InlineData("carol", new string[0])]
    public async Task Each_role_lists_only_what_it_can_see_through_ownership_groups_and_layers(string login, string[] expected)
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var client = await world.ClientAsync(login);

        Assert.Equal(expected, Requests.Ids(await Requests.GetJsonAsync(client, "/resources/cucumber")));
    }

    [Fact]
    public async Task A_role_that_sees_nothing_gets_an_empty_array()
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var carol = await world.ClientAsync("carol");

        Assert.Equal("[]", await Requests.GetJsonAsync(carol, "/resources/cucumber"));
        Assert.Equal("[]", await Requests.GetJsonAsync(carol, "/resources/cucumber/variable"));
    }

    [Fact]
    public async Task Another_account_shows_nothing()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        Assert.Equal("[]", await Requests.GetJsonAsync(admin, "/resources/no-such-account"));
        Assert.Equal("""{"count":0}""", await Requests.GetJsonAsync(admin, "/resources/no-such-account/variable?count=true"));
    }

    [Fact]
    public async Task Kind_comes_from_the_path_or_the_query()
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();
        string[] variables = ["cucumber:variable:db/password", "cucumber:variable:db/url", "cucumber:variable:team/deploy-key.pem"];

        Assert.Equal(variables, Requests.Ids(await Requests.GetJsonAsync(admin, "/resources/cucumber/variable")));
        Assert.Equal(variables, Requests.Ids(await Requests.GetJsonAsync(admin, "/resources/cucumber?kind=variable")));
        Assert.Equal(["cucumber:policy:db", "cucumber:policy:root"], Requests.Ids(await Requests.GetJsonAsync(admin, "/resources/cucumber/policy")));
        Assert.Equal("[]", await Requests.GetJsonAsync(admin, "/resources/cucumber/no-such-kind"));
        Assert.Equal("[]", await Requests.GetJsonAsync(admin, "/resources/cucumber/variable:db"));

        using var alice = await world.ClientAsync("alice");
        Assert.Equal(["cucumber:group:db/readers"], Requests.Ids(await Requests.GetJsonAsync(alice, "/resources/cucumber/group")));
    }

    [Theory]
    [InlineData("password", new[] { "cucumber:variable:db/password" })]
    [InlineData("Production", new[] { "cucumber:variable:db/password" })]
    [InlineData("PROD", new[] { "cucumber:variable:db/password" })]
    [InlineData("connection string", new[] { "cucumber:variable:db/url" })]
    [InlineData("db", new[] { "cucumber:group:db/readers", "cucumber:policy:db", "cucumber:variable:db/password", "cucumber:variable:db/url" })]
    [InlineData("deploy", new[] { "cucumber:variable:team/deploy-key.pem" })]
    [InlineData("key", new[] { "cucumber:variable:team/deploy-key.pem" })]
    [InlineData("pem", new[] { "cucumber:variable:team/deploy-key.pem" })]
    [InlineData("team/deploy-key.pem", new[] { "cucumber:variable:team/deploy-key.pem" })]
    [InlineData("team signing", new[] { "cucumber:variable:team/deploy-key.pem" })]
    [InlineData("team nothing", new string[0])]
    [InlineData("01", new[] { "cucumber:host:app-01" })]
    [InlineData("alice operations", new[] { "cucumber:user:alice" })]
    [InlineData("variable", new string[0])]
    public async Task Search_matches_identifier_words_and_annotation_values_case_insensitively(string search, string[] expected)
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        Assert.Equal(expected, Requests.Ids(await Requests.GetJsonAsync(admin, $"/resources/cucumber?search={Uri.EscapeDataString(search)}")));
    }

    [Fact]
    public async Task Search_only_finds_among_visible_resources_and_within_the_kind()
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var bob = await world.ClientAsync("bob");
        using var admin = await f.AdminClientAsync();

        Assert.Equal("[]", await Requests.GetJsonAsync(bob, "/resources/cucumber?search=connection"));
        Assert.Equal(["cucumber:variable:db/password"], Requests.Ids(await Requests.GetJsonAsync(bob, "/resources/cucumber?search=production")));
        Assert.Equal(["cucumber:group:db/readers"], Requests.Ids(await Requests.GetJsonAsync(admin, "/resources/cucumber/group?search=db")));
        Assert.Equal("""{"count":4}""", await Requests.GetJsonAsync(admin, "/resources/cucumber?search=db&count=true"));
    }

    [Fact]
    public async Task A_search_without_words_filters_nothing_and_too_many_words_are_refused()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        Assert.Equal(ResourceWorld.All, Requests.Ids(await Requests.GetJsonAsync(admin, "/resources/cucumber?search=./-")));
        var many = string.Join("+", Enumerable.Range(1, 17).Select(i => $"w{i}"));
        var (status, body, _) = await Requests.GetAsync(admin, $"/resources/cucumber?search={many}");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("""{"error":{"code":"unprocessable_entity","message":"'search' must not contain more than 16 words"}}""", body);
    }

    [Fact]
    public async Task Limit_and_offset_page_through_the_ordered_list()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        Assert.Equal(ResourceWorld.All[..2], Requests.Ids(await Requests.GetJsonAsync(admin, "/resources/cucumber?limit=2")));
        Assert.Equal(ResourceWorld.All[3..5], Requests.Ids(await Requests.GetJsonAsync(admin, "/resources/cucumber?limit=2&offset=3")));
        Assert.Equal(ResourceWorld.All[14..], Requests.Ids(await Requests.GetJsonAsync(admin, "/resources/cucumber?offset=14&limit=5")));
        Assert.Equal("[]", await Requests.GetJsonAsync(admin, "/resources/cucumber?offset=15"));
        Assert.Equal("[]", await Requests.GetJsonAsync(admin, "/resources/cucumber?offset=99999999999"));
        Assert.Equal(ResourceWorld.All, Requests.Ids(await Requests.GetJsonAsync(admin, "/resources/cucumber?offset=0&limit=1000")));
    }

    [Fact]
    public async Task Offset_alone_pages_by_ten()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        Assert.Equal(ResourceWorld.All[2..12], Requests.Ids(await Requests.GetJsonAsync(admin, "/resources/cucumber?offset=2")));
        Assert.Equal(ResourceWorld.All[..10], Requests.Ids(await Requests.GetJsonAsync(admin, "/resources/cucumber?offset=0")));
    }

    [Theory]
    [InlineData("limit=abc", LimitInvalid)]
    [InlineData("limit=0", LimitInvalid)]
    [InlineData("limit=-10", LimitInvalid)]
    [InlineData("limit=1.5", LimitInvalid)]
    [InlineData("limit=", LimitInvalid)]
    [InlineData("offset=1&limit=abc", LimitInvalid)]
    [InlineData("offset=abc", OffsetInvalid)]
    [InlineData("offset=-10", OffsetInvalid)]
    [InlineData("offset=abc&limit=1", OffsetInvalid)]
    [InlineData("limit=1001", """{"error":{"code":"unprocessable_entity","message":"'Limit' parameter must not exceed 1000"}}""")]
    [InlineData("limit=99999999999", """{"error":{"code":"unprocessable_entity","message":"'Limit' parameter must not exceed 1000"}}""")]
    public async Task Bad_paging_values_are_refused_with_the_exact_messages(string query, string expected)
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        var (status, body, contentType) = await Requests.GetAsync(admin, $"/resources/cucumber?{query}");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("application/json", contentType);
        Assert.Equal(expected, body);
    }

    [Fact]
    public async Task The_legacy_synchronizer_limit_is_tolerated_and_counts_ignore_the_cap()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        Assert.Equal(ResourceWorld.All, Requests.Ids(await Requests.GetJsonAsync(admin, "/resources/cucumber?limit=10000")));
        Assert.Equal("""{"count":15}""", await Requests.GetJsonAsync(admin, "/resources/cucumber?count=true&limit=5000"));
    }

    [Fact]
    public async Task Count_true_answers_the_number_of_matches()
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();
        using var alice = await world.ClientAsync("alice");

        Assert.Equal("""{"count":15}""", await Requests.GetJsonAsync(admin, "/resources/cucumber?count=true"));
        Assert.Equal("""{"count":3}""", await Requests.GetJsonAsync(admin, "/resources/cucumber/variable?count=true"));
        Assert.Equal("""{"count":4}""", await Requests.GetJsonAsync(alice, "/resources/cucumber?count=true"));
        Assert.Equal("""{"count":2}""", await Requests.GetJsonAsync(admin, "/resources/cucumber?count=true&limit=2"));
        Assert.Equal("""{"count":5}""", await Requests.GetJsonAsync(admin, "/resources/cucumber?count=true&offset=10"));

        // Only the value "true" asks for a count (Conjur compares the string).
        Assert.Equal(ResourceWorld.All, Requests.Ids(await Requests.GetJsonAsync(admin, "/resources/cucumber?count=yes")));
    }

    [Fact]
    public async Task Owner_filters_by_the_roles_the_owner_holds()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();
        string[] ownedThroughOps = ["cucumber:group:db/readers", "cucumber:policy:db", "cucumber:variable:db/password", "cucumber:variable:db/url"];

        Assert.Equal(ownedThroughOps, Requests.Ids(await Requests.GetJsonAsync(admin, "/resources/cucumber?owner=cucumber:group:ops")));
        Assert.Equal(ownedThroughOps, Requests.Ids(await Requests.GetJsonAsync(admin, "/resources/cucumber?owner=group:ops")));
        Assert.Equal(["cucumber:variable:db/password", "cucumber:variable:db/url"], Requests.Ids(await Requests.GetJsonAsync(admin, "/resources/cucumber/variable?owner=policy:db")));
        Assert.Equal("[]", await Requests.GetJsonAsync(admin, "/resources/cucumber?owner=user:carol"));
    }

    [Fact]
    public async Task An_unknown_owner_is_not_found_and_a_malformed_one_is_refused()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        var (status, body, _) = await Requests.GetAsync(admin, "/resources/cucumber?owner=group:nope");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(Requests.NotFoundBody("group", "nope"), body);

        (status, body, _) = await Requests.GetAsync(admin, "/resources/cucumber?owner=nope");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("""{"error":{"code":"argument_error","message":"Expected at least 2 tokens in nope"}}""", body);
    }

    [Theory]
    [InlineData("role")]
    [InlineData("acting_as")]
    public async Task Acting_as_a_held_role_lists_what_that_role_sees(string parameter)
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();
        using var alice = await world.ClientAsync("alice");

        // admin owns bob's role, so holds it.
        Assert.Equal(["cucumber:variable:db/password"], Requests.Ids(await Requests.GetJsonAsync(admin, $"/resources/cucumber?{parameter}=cucumber:user:bob")));
        Assert.Equal("[]", await Requests.GetJsonAsync(admin, $"/resources/cucumber?{parameter}=cucumber:user:carol"));
        Assert.Equal(ResourceWorld.SeenByAlice, Requests.Ids(await Requests.GetJsonAsync(alice, $"/resources/cucumber?{parameter}=cucumber:group:ops")));
        Assert.Equal("""{"count":1}""", await Requests.GetJsonAsync(admin, $"/resources/cucumber?{parameter}=cucumber:user:bob&count=true"));

        // An empty value is no value (Rails' presence).
        Assert.Equal(ResourceWorld.SeenByAlice, Requests.Ids(await Requests.GetJsonAsync(alice, $"/resources/cucumber?{parameter}=")));
    }

    [Theory]
    [InlineData("role=cucumber:user:bob")]
    [InlineData("acting_as=cucumber:user:bob")]
    [InlineData("role=cucumber:user:nobody")]
    [InlineData("role=user:bob")]
    [InlineData("role=other:user:alice")]
    public async Task Acting_as_a_role_not_held_is_forbidden_with_an_empty_body(string query)
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var alice = await world.ClientAsync("alice");

        var (status, body, _) = await Requests.GetAsync(alice, $"/resources/cucumber?{query}");

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("", body);
    }

    [Fact]
    public async Task The_account_segment_must_be_an_account_name()
    {
        await ResourceWorld.BuildAsync(f);
        using var admin = await f.AdminClientAsync();

        var (status, _, _) = await Requests.GetAsync(admin, "/resources/a%2Fb");
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task Listing_requires_an_access_token()
    {
        await ResourceWorld.BuildAsync(f);
        using var anonymous = f.NewClient();

        var (status, body, _) = await Requests.GetAsync(anonymous, "/resources/cucumber");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("Authorization missing", body);
    }

    [Fact]
    public async Task Listings_are_audited_with_their_parameters()
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var bob = await world.ClientAsync("bob");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/resources/cucumber/variable?search=prod&limit=5");
        var requestId = "list-" + Guid.NewGuid().ToString("N");
        request.Headers.Add("X-Request-Id", requestId);
        using var response = await bob.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var line = Assert.Single(f.Audit.Lines, l => l.Contains($" conjur {requestId} ", StringComparison.Ordinal));
        Assert.StartsWith("<86>1 ", line, StringComparison.Ordinal);
        Assert.Contains(" list [auth@43868 user=\"cucumber:user:bob\"][subject@43868 account=\"cucumber\" limit=\"5\" search=\"prod\"]", line, StringComparison.Ordinal);
        Assert.Contains("[action@43868 result=\"success\" operation=\"list\"]", line, StringComparison.Ordinal);
        Assert.EndsWith(" cucumber:user:bob successfully listed resources with parameters: {:account=>\"cucumber\", :limit=>\"5\", :search=>\"prod\"}", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refused_listings_are_audited_as_failures()
    {
        var world = await ResourceWorld.BuildAsync(f);
        using var bob = await world.ClientAsync("bob");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/resources/cucumber?limit=5000");
        var requestId = "list-" + Guid.NewGuid().ToString("N");
        request.Headers.Add("X-Request-Id", requestId);
        using var response = await bob.SendAsync(request);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);

        var line = Assert.Single(f.Audit.Lines, l => l.Contains($" conjur {requestId} ", StringComparison.Ordinal));
        Assert.StartsWith("<84>1 ", line, StringComparison.Ordinal);
        Assert.EndsWith(": 'Limit' parameter must not exceed 1000", line, StringComparison.Ordinal);
    }
}

public sealed class ListingResourcesOnSqlite(SqliteServer f) : ListingResources(f), IClassFixture<SqliteServer>;

public sealed class ListingResourcesOnPostgres(PostgresServerFixture f) : ListingResources(f), IClassFixture<PostgresServerFixture>;
