using System.Net;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Variables;

/// <summary>GET /public_keys/{account}/user/{login} (spec 2.9): public, text/plain, one key per line.</summary>
public abstract class ListingPublicKeys(ServerFixture f)
{
    private const string Rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7rsa laptop";
    private const string Ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEd desktop";

    [Fact]
    public async Task The_keys_of_a_user_from_policy_are_listed_sorted_by_resource_id_without_a_token()
    {
        using var w = await SecretsWorld.CreateAsync(f, [], publicKeys: [Rsa, Ed25519]);
        using var anonymous = f.NewClient();

        using var response = await anonymous.GetAsync($"/public_keys/{ServerFixture.Account}/user/{Uri.EscapeDataString($"keyholder@{w.Branch}")}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType!.ToString());

        // user/<login>/desktop sorts before user/<login>/laptop.
        Assert.Equal($"{Ed25519}\n{Rsa}\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_token_is_accepted_and_the_latest_value_of_each_key_is_listed()
    {
        using var w = await SecretsWorld.CreateAsync(f, [], publicKeys: [Rsa]);
        const string replaced = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCnew laptop";
        using (var write = await w.Admin.PostAsync(
            $"/secrets/{ServerFixture.Account}/public_key/{Uri.EscapeDataString($"user/keyholder@{w.Branch}/laptop")}",
            new StringContent("  " + replaced + "\n\n")))
        {
            Assert.Equal(HttpStatusCode.Created, write.StatusCode);
        }

        var body = await w.Stranger.GetStringAsync($"/public_keys/{ServerFixture.Account}/user/keyholder@{w.Branch}");

        Assert.Equal(replaced + "\n", body);
    }

    [Fact]
    public async Task A_user_without_keys_or_an_unknown_user_yields_a_single_newline()
    {
        using var w = await SecretsWorld.CreateAsync(f, [], publicKeys: [Rsa]);
        using var anonymous = f.NewClient();

        foreach (var login in new[] { $"reader@{w.Branch}", "nobody", $"keyholde_@{w.Branch}", $"KEYHOLDER@{w.Branch}", $"keyholder%25{w.Branch}", $"keyholder@{w.Branch}%2Flaptop" })
        {
            using var response = await anonymous.GetAsync($"/public_keys/{ServerFixture.Account}/user/{login}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("\n", await response.Content.ReadAsStringAsync());
        }
    }
}

public sealed class ListingPublicKeysOnSqlite(SqliteServer f) : ListingPublicKeys(f), IClassFixture<SqliteServer>;

public sealed class ListingPublicKeysOnPostgres(PostgresServerFixture f) : ListingPublicKeys(f), IClassFixture<PostgresServerFixture>;
