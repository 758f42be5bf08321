using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Robustness;

/// <summary>
/// Clients read the Conjur version from GET / (JSON with Accept: application/json, else the HTML page) and gate
/// features on it (spec 2.10, 12): the Go SDK and the CLI allow a policy dry run and the effective-policy fetch only
/// from 1.21.1, stop calling /public_keys from 1.27.0, and expect the v2 APIs (which we do not serve) from 1.29.0.
/// The reported version must stay inside that window, in both forms, and parse as semver. The store plays no part.
/// </summary>
public sealed partial class PassingClientVersionGates(SqliteServer f) : IClassFixture<SqliteServer>
{
    private static readonly Version DryRunAndPolicyFetch = new(1, 21, 1);
    private static readonly Version PublicKeysRemoved = new(1, 27, 0);
    private static readonly Version V2Apis = new(1, 29, 0);

    [Fact]
    public async Task The_json_version_allows_dry_runs_and_policy_fetches_and_keeps_public_keys()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await f.Client.SendAsync(request);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        AssertInsideTheGates(doc.RootElement.GetProperty("version").GetString());
    }

    [Fact]
    public async Task The_html_version_is_the_same_and_inside_the_gates()
    {
        using var json = new HttpRequestMessage(HttpMethod.Get, "/");
        json.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var jsonResponse = await f.Client.SendAsync(json);
        using var doc = JsonDocument.Parse(await jsonResponse.Content.ReadAsStringAsync());

        var html = await f.Client.GetStringAsync("/");
        var match = HtmlVersion().Match(html);

        Assert.True(match.Success, html);
        AssertInsideTheGates(match.Groups[1].Value);
        Assert.Equal(doc.RootElement.GetProperty("version").GetString(), match.Groups[1].Value);
    }

    private static void AssertInsideTheGates(string? reported)
    {
        // Semver: MAJOR.MINOR.PATCH, nothing the Go SDK's semver parser would refuse.
        Assert.Matches("^[0-9]+\\.[0-9]+\\.[0-9]+$", reported);
        var version = Version.Parse(reported!);
        Assert.True(version >= DryRunAndPolicyFetch, $"{version}: clients refuse dry runs and policy fetches below {DryRunAndPolicyFetch}");
        Assert.True(version < PublicKeysRemoved, $"{version}: clients stop using /public_keys from {PublicKeysRemoved}");
        Assert.True(version < V2Apis, $"{version}: clients expect the v2 APIs from {V2Apis}");
    }

    [GeneratedRegex("<dd>Version ([^<]+)</dd>")]
    private static partial Regex HtmlVersion();
}
