using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Secrets.Server.Accounts;
using Secrets.Server.Crypto;
using Secrets.Server.Data;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Crypto;

/// <summary>
/// Stores known API keys, passwords, keys and secret values through the server, then reads the raw database (the
/// SQLite files byte by byte, every PostgreSQL table cell) and asserts none of them appears in any usual encoding
/// (spec 6.3).
/// </summary>
public abstract class KeepingSecretsOutOfTheDatabase(ServerFixture f)
{
    private const string Account = ServerFixture.Account;

    [Fact]
    public async Task No_api_key_password_or_private_key_is_stored_in_plaintext()
    {
        var needles = new Dictionary<string, byte[]>();
        void AddText(string what, string value) => KeepingSecretsOutOfTheDatabase.AddText(needles, what, value);

        // An account created with an admin password, as `account create --password-from-stdin` does.
        const string adminPassword = "Admin-Password-Of-Vault-77";
        var vault = World.Unique("vault");
        var created = await f.CreateAccountAsync(vault, adminPassword);
        AddText("admin password", adminPassword);
        AddText("new account's admin API key", created.AdminApiKey);
        AddText("fixture admin API key", f.AdminApiKey);

        // A user whose key is rotated and whose password is changed over HTTP.
        var login = World.Unique("alice");
        const string firstPassword = "First-Password-Of-Alice-1";
        const string secondPassword = "Second-Password-Of-Alice-2";
        var firstKey = await DirectRoles.CreateUserAsync(f, login, firstPassword);
        using var rotate = await f.Client.SendAsync(Requests.Make(HttpMethod.Put, $"/authn/{Account}/api_key", auth: ServerFixture.Basic(login, firstPassword)));
        Assert.Equal(HttpStatusCode.OK, rotate.StatusCode);
        var secondKey = await rotate.Content.ReadAsStringAsync();
        using var change = await f.Client.SendAsync(Requests.Make(HttpMethod.Put, $"/authn/{Account}/password", secondPassword, ServerFixture.Basic(login, secondKey)));
        Assert.Equal(HttpStatusCode.NoContent, change.StatusCode);
        using var login2 = await f.Client.SendAsync(Requests.Make(HttpMethod.Get, $"/authn/{Account}/login", auth: ServerFixture.Basic(login, secondPassword)));
        Assert.Equal(secondKey, await login2.Content.ReadAsStringAsync());
        AddText("first password", firstPassword);
        AddText("second password", secondPassword);
        AddText("first API key", firstKey);
        AddText("rotated API key", secondKey);

        // A host, whose key a later login hands back.
        var host = World.Unique("app");
        AddText("host API key", await DirectRoles.CreateHostAsync(f, host));

        // The token-signing private keys and the data key itself.
        foreach (var account in new[] { Account, vault })
        {
            using var key = await TokenForge.AccountKeyAsync(f, account);
            var pkcs8 = key.ExportPkcs8PrivateKey();
            needles[$"{account} signing key (PKCS#8)"] = pkcs8;
            needles[$"{account} signing key (private scalar)"] = key.ExportParameters(true).D!;
            AddText($"{account} signing key (base64)", Convert.ToBase64String(pkcs8));
        }

        needles["data key"] = f.Settings.Encryption.DataKey;
        AddText("data key (base64)", Convert.ToBase64String(f.Settings.Encryption.DataKey));

        // Hashes are encrypted too: not even the PHC prefix of an Argon2id hash is visible.
        needles["argon2id PHC prefix"] = Encoding.ASCII.GetBytes("$argon2id$");

        await AssertStoredOnlyEncryptedAsync(needles, $"{Account}:user:{login}", $"{Account}:host:{host}");
    }

    [Fact]
    public async Task No_secret_value_or_api_key_from_a_policy_load_is_stored_in_plaintext()
    {
        var needles = new Dictionary<string, byte[]>();
        using var admin = await f.AdminClientAsync();
        var branch = World.Unique("vault");
        var policy = $"- !policy\n  id: {branch}\n  body:\n  - !variable db/password\n  - !user robot\n  - !host app\n";
        foreach (var (roleId, apiKey) in (await World.LoadAsync(admin, HttpMethod.Post, "root", policy)).CreatedRoles)
        {
            AddText(needles, roleId + " API key", apiKey);
        }

        Assert.Equal(4 * 2, needles.Count);
        var variable = $"/secrets/{Account}/variable/{Uri.EscapeDataString($"{branch}/db/password")}";
        const string first = "First-Secret-Value-Of-The-Database";
        var second = new byte[] { 0x00, 0xff, 0xfe, 0x80, 0x42, 0x13, 0x37, 0xc3, 0x28, 0x99, 0xab, 0xcd, 0xef, 0x01, 0x02, 0x03 };
        using (var store1 = await admin.PostAsync(variable, new StringContent(first)))
        {
            Assert.Equal(HttpStatusCode.Created, store1.StatusCode);
        }

        using (var store2 = await admin.PostAsync(variable, new ByteArrayContent(second)))
        {
            Assert.Equal(HttpStatusCode.Created, store2.StatusCode);
        }

        using (var fetched = await admin.GetAsync(variable))
        {
            Assert.Equal(second, await fetched.Content.ReadAsByteArrayAsync());
        }

        AddText(needles, "first secret version", first);
        needles["second secret version (binary)"] = second;

        await AssertStoredOnlyEncryptedAsync(needles, $"{Account}:variable:{branch}/db/password", $"{Account}:user:robot@{branch}");
    }

    [Fact]
    public async Task Encrypted_columns_are_bound_to_their_row()
    {
        var login = World.Unique("bound");
        await DirectRoles.CreateUserAsync(f, login, "Bound-Password-12");
        var roleId = $"{Account}:user:{login}";
        var (password, signingKey) = await f.WithDbAsync(async db =>
        (
            (await db.Credentials.AsNoTracking().SingleAsync(c => c.RoleId == roleId)).EncryptedPasswordHash!,
            (await db.SigningKeys.AsNoTracking().SingleAsync(k => k.Account == Account)).PrivateKey));
        using var cipher = new DataKeyCipher(f.Settings.Encryption.DataKey);

        Assert.True(cipher.TryDecrypt(password, roleId, out _));
        Assert.False(cipher.TryDecrypt(password, $"{Account}:user:admin", out _));
        Assert.True(cipher.TryDecrypt(signingKey, SigningKeyEntity.IdFor(Account), out _));
        Assert.False(cipher.TryDecrypt(signingKey, SigningKeyEntity.IdFor("other"), out _));
    }

    /// <summary>A text in the encodings a careless store would use: UTF-8, UTF-16, base64 and hex.</summary>
    private static void AddText(Dictionary<string, byte[]> needles, string what, string value)
    {
        var utf8 = Encoding.UTF8.GetBytes(value);
        needles[what + " (utf-8)"] = utf8;
        needles[what + " (utf-16)"] = Encoding.Unicode.GetBytes(value);
        needles[what + " (base64)"] = Encoding.ASCII.GetBytes(Convert.ToBase64String(utf8).TrimEnd('='));
        needles[what + " (hex)"] = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(utf8));
    }

    /// <summary>
    /// Reads the raw database and asserts no needle is in it. <paramref name="storedIds"/> are stored in the clear and
    /// must be found: they show the scan sees the rows written.
    /// </summary>
    private async Task AssertStoredOnlyEncryptedAsync(Dictionary<string, byte[]> needles, params string[] storedIds)
    {
        var contents = f.Store == Store.Sqlite ? await SqliteFilesAsync() : await PostgresCellsAsync();

        foreach (var id in storedIds)
        {
            Assert.True(contents.Exists(c => c.AsSpan().IndexOf(Encoding.UTF8.GetBytes(id)) >= 0), $"the scan does not see {id}");
        }

        var found = needles.Where(n => contents.Exists(c => c.AsSpan().IndexOf(n.Value) >= 0)).Select(n => n.Key).ToList();
        Assert.Empty(found);
    }

    /// <summary>The SQLite database file and its WAL/SHM/journal companions, byte for byte.</summary>
    private async Task<List<byte[]>> SqliteFilesAsync()
    {
        var path = new SqliteConnectionStringBuilder(f.Settings.Database.ConnectionString).DataSource;
        var files = new List<byte[]>();
        foreach (var file in new[] { path, path + "-wal", path + "-shm", path + "-journal" }.Where(File.Exists))
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer);
            files.Add(buffer.ToArray());
        }

        Assert.NotEmpty(files);
        return files;
    }

    /// <summary>Every cell of every table in the database's public schema, as bytes (text as UTF-8).</summary>
    private async Task<List<byte[]>> PostgresCellsAsync()
    {
        var cells = new List<byte[]>();
        await using var conn = new NpgsqlConnection(f.Settings.Database.ConnectionString);
        await conn.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", conn))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Contains("credentials", tables);
        Assert.Contains("signing_keys", tables);
        foreach (var table in tables)
        {
            await using var select = new NpgsqlCommand($"SELECT * FROM \"{table}\"", conn);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    cells.Add(reader.IsDBNull(i) ? [] : reader.GetValue(i) switch
                    {
                        byte[] bytes => bytes,
                        var other => Encoding.UTF8.GetBytes(Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture) ?? ""),
                    });
                }
            }
        }

        return cells;
    }
}

public sealed class KeepingSecretsOutOfTheDatabaseOnSqlite(SqliteServer f) : KeepingSecretsOutOfTheDatabase(f), IClassFixture<SqliteServer>;

public sealed class KeepingSecretsOutOfTheDatabaseOnPostgres(PostgresServerFixture f) : KeepingSecretsOutOfTheDatabase(f), IClassFixture<PostgresServerFixture>;
