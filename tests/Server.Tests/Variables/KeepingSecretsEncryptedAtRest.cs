using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Variables;

/// <summary>Spec 6.3: secret values (variables and public keys written through the API) are stored encrypted only.</summary>
public abstract class KeepingSecretsEncryptedAtRest(ServerFixture f)
{
    [Fact]
    public async Task No_secret_value_appears_in_plaintext_anywhere_in_the_database()
    {
        var marker = "plaintext-marker-" + Guid.NewGuid().ToString("N");
        using var w = await SecretsWorld.CreateAsync(f, ["db/password", "other"], publicKeys: ["ssh-rsa AAAAB3NzaC1yc2E laptop"]);
        await w.SetAsync("db/password", marker);
        await w.SetAsync("db/password", marker + "-v2");
        await w.SetAsync("other", "prefix " + marker + " suffix");
        using (var key = await w.Admin.PostAsync(
            $"/secrets/{ServerFixture.Account}/public_key/{Uri.EscapeDataString($"user/keyholder@{w.Branch}/laptop")}",
            new StringContent($"ssh-rsa AAAAB3NzaC1yc2E {marker}")))
        {
            Assert.Equal(System.Net.HttpStatusCode.Created, key.StatusCode);
        }

        // The values are really there (and readable through the API), so the scan below is not vacuous.
        Assert.Equal(marker + "-v2", await w.Host.GetStringAsync(w.SecretPath("db/password")));
        Assert.Equal(2, await f.WithDbAsync(db => db.Secrets.AsNoTracking().CountAsync(s => s.ResourceId == w.VariableId("db/password"))));

        var dump = f.Store == Store.Sqlite ? SqliteFileBytes() : await PostgresDumpAsync();
        Assert.Contains(w.VariableId("db/password"), dump, StringComparison.Ordinal);
        Assert.DoesNotContain(marker, dump, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower(Encoding.UTF8.GetBytes(marker)), dump, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(f.Audit.Lines, l => l.Contains(marker, StringComparison.Ordinal));
    }

    /// <summary>The database file and its WAL/shared-memory files, byte for byte (Latin-1 keeps every byte as one char).</summary>
    private string SqliteFileBytes()
    {
        var path = new SqliteConnectionStringBuilder(f.Settings.Database.ConnectionString).DataSource;
        var all = new StringBuilder();
        foreach (var file in new[] { path, path + "-wal", path + "-shm", path + "-journal" }.Where(File.Exists))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var ms = new MemoryStream();
            stream.CopyTo(ms);
            all.Append(Encoding.Latin1.GetString(ms.ToArray()));
        }

        return all.ToString();
    }

    /// <summary>Every row of every table as PostgreSQL's text rendering (bytea shows as hex), like a plain pg_dump.</summary>
    private async Task<string> PostgresDumpAsync()
    {
        await using var conn = new NpgsqlConnection(f.Settings.Database.ConnectionString);
        await conn.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')", conn))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add($"\"{reader.GetString(0)}\".\"{reader.GetString(1)}\"");
            }
        }

        Assert.Contains("\"public\".\"secrets\"", tables);
        var all = new StringBuilder();
        foreach (var table in tables)
        {
#pragma warning disable CA2100 // table names come from pg_tables, quoted
            await using var select = new NpgsqlCommand($"SELECT t::text FROM {table} t", conn);
#pragma warning restore CA2100
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                all.Append(reader.GetString(0)).Append('\n');
            }
        }

        return all.ToString();
    }
}

public sealed class KeepingSecretsEncryptedAtRestOnSqlite(SqliteServer f) : KeepingSecretsEncryptedAtRest(f), IClassFixture<SqliteServer>;

public sealed class KeepingSecretsEncryptedAtRestOnPostgres(PostgresServerFixture f) : KeepingSecretsEncryptedAtRest(f), IClassFixture<PostgresServerFixture>;
