using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql;

namespace Secrets.Server.Configuration;

internal enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>Which database, parsed from SECRETS_DATABASE / DATABASE_URL or defaulted to SQLite in the data directory.</summary>
internal sealed record DatabaseTarget(DatabaseProvider Provider, string ConnectionString)
{
    /// <summary>
    /// SECRETS_SQLITE_MAX_PAGE_COUNT: a quota on the embedded database, in SQLite pages (4 KiB by default), set with
    /// <c>PRAGMA max_page_count</c> on every connection. A write beyond it fails with SQLITE_FULL, exactly as on a full
    /// disk, which is how the tests fill the disk (docs/robustness.md).
    /// </summary>
    public long? SqliteMaxPageCount { get; init; }

    /// <summary>
    /// Accepts <c>postgres://user:pass@host:port/db</c> (Conjur's DATABASE_URL form), an Npgsql connection string
    /// (<c>Host=…;Username=…</c>), or <c>sqlite:PATH</c>. Returns null and a message for anything else.
    /// </summary>
    public static DatabaseTarget? Parse(string value, out string? error)
    {
        error = null;
        var v = value.Trim();
        if (v.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            var path = v["sqlite:".Length..];
            if (path.Length == 0)
            {
                error = "sqlite: needs a file path, e.g. sqlite:/var/lib/secrets/secrets.db";
                return null;
            }

            return ForSqliteFile(path);
        }

        if (v.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || v.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(v, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            {
                error = "the database URL is not a valid postgres:// URL";
                return null;
            }

            var b = new NpgsqlConnectionStringBuilder
            {
                Host = uri.Host,
                Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
                Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
            };
            if (!string.IsNullOrEmpty(uri.UserInfo))
            {
                var parts = uri.UserInfo.Split(':', 2);
                b.Username = Uri.UnescapeDataString(parts[0]);
                if (parts.Length == 2)
                {
                    b.Password = Uri.UnescapeDataString(parts[1]);
                }
            }

            foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var kv = pair.Split('=', 2);
                if (kv.Length == 2 && kv[0].Equals("sslmode", StringComparison.OrdinalIgnoreCase)
                    && Enum.TryParse<SslMode>(kv[1].Replace("-", "", StringComparison.Ordinal), true, out var mode))
                {
                    b.SslMode = mode;
                }
            }

            return new DatabaseTarget(DatabaseProvider.Postgres, b.ConnectionString);
        }

        if (v.Contains("Host=", StringComparison.OrdinalIgnoreCase) || v.Contains("Server=", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return new DatabaseTarget(DatabaseProvider.Postgres, new NpgsqlConnectionStringBuilder(v).ConnectionString);
            }
            catch (ArgumentException)
            {
                error = "the database connection string is not a valid Npgsql connection string";
                return null;
            }
        }

        error = "unrecognised database setting: use postgres://user:pass@host:port/db, an Npgsql connection string, or sqlite:PATH";
        return null;
    }

    public static DatabaseTarget ForSqliteFile(string path) => new(
        DatabaseProvider.Sqlite,
        new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ConnectionString);

    /// <summary>A description safe to log: never the password.</summary>
    public string Describe()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            return "sqlite:" + new SqliteConnectionStringBuilder(ConnectionString).DataSource;
        }

        var b = new NpgsqlConnectionStringBuilder(ConnectionString);
        return $"postgres://{b.Host}:{b.Port}/{b.Database}";
    }
}
