using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Secrets.Server.Crypto;
using Secrets.Server.Data;
using Secrets.Server.Tests.HostFactories;
using Secrets.Server.Tests.Infrastructure;
using Secrets.Server.Tests.Variables;

namespace Secrets.Server.Tests.Security;

/// <summary>
/// Issue 8, encryption binds too little: a database writer who moves ciphertexts between rows gets a failed read
/// (422 data_key_invalid), never another row's value. Secret values are bound to account, resource id and version;
/// host-factory tokens to their factory, expiry and CIDRs. Rows sealed in the old format still read once start-up has
/// re-sealed them, and the serving cipher refuses the old format after that.
/// </summary>
public abstract class BindingCiphertextsToTheirRows(ServerFixture f)
{
    private const string Account = ServerFixture.Account;
    private const string DataKeyInvalid =
        """{"error":{"code":"data_key_invalid","message":"Conjur data key is invalid or does not match encrypted data. Please check your CONJUR_DATA_KEY."}}""";

    [Fact]
    public async Task Swapping_two_versions_of_a_variable_does_not_roll_it_back()
    {
        using var w = await SecretsWorld.CreateAsync(f, ["db"]);
        await w.SetAsync("db", "old-password");
        await w.SetAsync("db", "new-password");
        var id = w.VariableId("db");

        await f.WithDbAsync(async db =>
        {
            var rows = await db.Secrets.Where(s => s.ResourceId == id).OrderBy(s => s.Version).ToListAsync();
            Assert.Equal([1, 2], rows.Select(r => r.Version));
            (rows[0].Value, rows[1].Value) = (rows[1].Value, rows[0].Value);
            return await db.SaveChangesAsync();
        });

        await AssertRefusedAsync(w.Host, w.SecretPath("db"), "old-password");
        await AssertRefusedAsync(w.Host, w.SecretPath("db") + "?version=1", "new-password");
        await AssertRefusedAsync(w.Host, "/secrets?variable_ids=" + Uri.EscapeDataString(id), "old-password");
    }

    [Fact]
    public async Task A_ciphertext_copied_from_another_account_does_not_open()
    {
        var other = World.Unique("acct");
        var created = await f.CreateAccountAsync(other);
        using (var theirAdmin = await f.ClientForAsync("admin", created.AdminApiKey, other))
        {
            await World.LoadAsync(theirAdmin, HttpMethod.Post, "root", "- !variable db\n", other);
            using var set = await theirAdmin.PostAsync($"/secrets/{other}/variable/db", new StringContent("their-password"));
            Assert.Equal(HttpStatusCode.Created, set.StatusCode);
        }

        using var w = await SecretsWorld.CreateAsync(f, ["db"]);
        await w.SetAsync("db", "our-password");
        var id = w.VariableId("db");
        await f.WithDbAsync(async db =>
        {
            var theirs = await db.Secrets.SingleAsync(s => s.ResourceId == $"{other}:variable:db");
            var ours = await db.Secrets.SingleAsync(s => s.ResourceId == id);
            ours.Value = theirs.Value;
            return await db.SaveChangesAsync();
        });

        await AssertRefusedAsync(w.Host, w.SecretPath("db"), "their-password");
    }

    [Theory]
    [InlineData("expiration")]
    [InlineData("cidr")]
    [InlineData("factory")]
    public async Task A_host_factory_token_row_that_was_changed_does_not_open(string changed)
    {
        var app = await HostFactoryApp.LoadAsync(f);
        var other = await HostFactoryApp.LoadAsync(f);
        using var admin = await f.AdminClientAsync();
        var token = Assert.Single(await HostFactoryRequests.IssueAsync(admin, app.FactoryId, f.Time.GetUtcNow().AddHours(1), 1, "10.0.0.0/8"));
        var sha = Hashes.Sha256Hex(token);

        await f.WithDbAsync(async db =>
        {
            var row = await db.HostFactoryTokens.SingleAsync(t => t.TokenSha256 == sha);
            switch (changed)
            {
                case "expiration":
                    row.Expiration = row.Expiration.AddYears(10);
                    break;
                case "cidr":
                    row.Cidr = "";
                    break;
                default:
                    row.ResourceId = other.FactoryId;
                    break;
            }

            return await db.SaveChangesAsync();
        });

        using var enrolled = await f.Client.SendAsync(HostFactoryRequests.CreateHost(token, "10.1.2.3", ("id", World.Unique("enrolled"))));

        Assert.Equal((HttpStatusCode.UnprocessableEntity, DataKeyInvalid), (enrolled.StatusCode, await enrolled.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task An_old_format_row_is_refused_while_serving_and_reads_after_start_up_re_seals_it()
    {
        var refused = await LegacyVariableAsync("refused-value");
        var resealed = await LegacyVariableAsync("legacy-value");
        using var admin = await f.AdminClientAsync();

        // Every row was re-sealed when this server started, so a format-1 row now can only have been put there.
        await AssertRefusedAsync(admin, SecretPath(refused), "refused-value");

        // A start-up over a database that still holds format-1 rows (an upgrade): the step re-seals them.
        await f.WithDbAsync(db => db.ServerState.Where(s => s.Key == SealFormatMigration.Key).ExecuteDeleteAsync());
        await ServerApp.PrepareStorageAsync(f.Settings, CancellationToken.None);

        using var fetched = await admin.GetAsync(SecretPath(resealed));
        Assert.Equal((HttpStatusCode.OK, "legacy-value"), (fetched.StatusCode, await fetched.Content.ReadAsStringAsync()));
        var stored = await f.WithDbAsync(db => db.Secrets.AsNoTracking().SingleAsync(s => s.ResourceId == $"{Account}:variable:{resealed}"));
        Assert.Equal(DataKeyCipher.CurrentFormat, stored.Value[0]);
        Assert.True(await f.WithDbAsync(db => db.ServerState.AnyAsync(s => s.Key == SealFormatMigration.Key && s.Number == DataKeyCipher.CurrentFormat)));
    }

    private static string SecretPath(string identifier) => $"/secrets/{Account}/variable/{Uri.EscapeDataString(identifier)}";

    /// <summary>A variable whose one version is sealed as the server sealed values before issue 8 (format 1), by hand.</summary>
    private async Task<string> LegacyVariableAsync(string value)
    {
        var identifier = World.Unique("legacy");
        var resourceId = $"{Account}:variable:{identifier}";
        await DirectRoles.CreateAsync(f, "variable", identifier, withCredentials: false);
        var key = f.Settings.Encryption.DataKey;
        var plain = Encoding.UTF8.GetBytes(value);
        var envelope = new byte[33 + plain.Length];
        envelope[0] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(envelope.AsSpan(1, 4), DataKeyCipher.ComputeKeyId(key));
        RandomNumberGenerator.Fill(envelope.AsSpan(5, 12));
        using (var aes = new AesGcm(key, 16))
        {
            aes.Encrypt(envelope.AsSpan(5, 12), plain, envelope.AsSpan(33), envelope.AsSpan(17, 16), Encoding.UTF8.GetBytes(resourceId));
        }

        await f.WithDbAsync(db =>
        {
            db.Secrets.Add(new SecretEntity { ResourceId = resourceId, Version = 1, Account = Account, Value = envelope, CreatedAt = f.Time.GetUtcNow().UtcDateTime });
            return db.SaveChangesAsync();
        });
        return identifier;
    }

    private static async Task AssertRefusedAsync(HttpClient client, string path, string wrongValue)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(wrongValue, body, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.UnprocessableEntity, DataKeyInvalid), (response.StatusCode, body));
    }
}

public sealed class BindingCiphertextsToTheirRowsOnSqlite(SqliteServer f) : BindingCiphertextsToTheirRows(f), IClassFixture<SqliteServer>;

public sealed class BindingCiphertextsToTheirRowsOnPostgres(PostgresServerFixture f) : BindingCiphertextsToTheirRows(f), IClassFixture<PostgresServerFixture>;
