using System.Collections.Concurrent;
using System.Data;
using Microsoft.Data.Sqlite;
using Npgsql;
using Secrets.Server.Configuration;
using Secrets.Server.Variables;

namespace Secrets.Server.Data;

/// <summary>
/// The two reads on the path of every authenticated request, done without EF Core: the authorization version
/// counter and the latest version of one secret (spec 2.4 single fetch). EF Core costs more than the query here:
/// each query opens and closes a connection (on SQLite that re-registers functions and pragmas), builds a
/// shaper delegate and a data reader; on the hot path that was most of the request. These reads use prepared
/// statements on connections that stay open (SQLite) or on Npgsql's pool with automatic preparation (PostgreSQL).
/// Everything else keeps using EF Core.
/// </summary>
internal abstract class HotReads : IAsyncDisposable
{
    /// <summary>Reads the authorization version (also the listener's re-read, AuthorizationVersions.cs).</summary>
    internal const string VersionSql = "SELECT number FROM server_state WHERE key = 'authz_version'";

    // The latest version and the mime-type annotation in one statement (as SecretQueries does with EF).
    protected const string LatestSecretSql =
        "SELECT s.version, s.value, (SELECT a.value FROM annotations a WHERE a.resource_id = s.resource_id AND a.name = 'conjur/mime_type') "
        + "FROM secrets s WHERE s.resource_id = @id ORDER BY s.version DESC LIMIT 1";

    public static HotReads Create(DatabaseTarget target) => target.Provider == DatabaseProvider.Sqlite
        ? new SqliteHotReads(target.ConnectionString)
        : new PostgresHotReads(target.ConnectionString);

    /// <summary>The current value of <c>server_state.authz_version</c>, read from the database now.</summary>
    public abstract Task<long> AuthorizationVersionAsync(CancellationToken ct);

    /// <summary>The latest version of <paramref name="resourceId"/>'s secret (still encrypted), or null when it has none.</summary>
    public abstract Task<StoredSecret?> LatestSecretAsync(string resourceId, CancellationToken ct);

    public abstract ValueTask DisposeAsync();

    private static StoredSecret? ReadSecret(NpgsqlDataReader reader) =>
        reader.Read() ? new StoredSecret(reader.GetInt32(0), (byte[])reader.GetValue(1), reader.IsDBNull(2) ? null : reader.GetString(2)) : null;

    /// <summary>
    /// Open connections, each with its statements prepared once, lent to one request at a time, driven through
    /// SQLite's own API (SQLitePCLRaw, which Microsoft.Data.Sqlite itself sits on): binding, one step and a reset
    /// cost a few microseconds, where a SqliteCommand and its data reader cost several times that on every request.
    /// Reads are synchronous and short (WAL: readers never wait for the writer); a statement holds no read
    /// transaction once it is reset.
    /// </summary>
    private sealed class SqliteHotReads : HotReads
    {
        private static readonly int MaxIdle = Math.Max(4, Environment.ProcessorCount * 4);
        private readonly ConcurrentQueue<Lease> _idle = new();
        private readonly string _path;
        private int _disposed;

        public SqliteHotReads(string connectionString)
        {
            SQLitePCL.Batteries_V2.Init();
            _path = new SqliteConnectionStringBuilder(connectionString).DataSource;
        }

        public override Task<long> AuthorizationVersionAsync(CancellationToken ct)
        {
            var lease = Rent();
            try
            {
                var statement = lease.Version;
                var version = Step(lease, statement) ? SQLitePCL.raw.sqlite3_column_int64(statement, 0) : 0L;
                return Task.FromResult(version);
            }
            finally
            {
                Return(lease);
            }
        }

        public override Task<StoredSecret?> LatestSecretAsync(string resourceId, CancellationToken ct)
        {
            var lease = Rent();
            try
            {
                var statement = lease.Latest;
                Check(lease, SQLitePCL.raw.sqlite3_bind_text(statement, 1, resourceId));
                StoredSecret? found = null;
                if (Step(lease, statement))
                {
                    var mime = SQLitePCL.raw.sqlite3_column_type(statement, 2) == SQLitePCL.raw.SQLITE_NULL
                        ? null
                        : SQLitePCL.raw.sqlite3_column_text(statement, 2).utf8_to_string();
                    found = new StoredSecret(SQLitePCL.raw.sqlite3_column_int(statement, 0), SQLitePCL.raw.sqlite3_column_blob(statement, 1).ToArray(), mime);
                }

                return Task.FromResult(found);
            }
            finally
            {
                Return(lease);
            }
        }

        public override ValueTask DisposeAsync()
        {
            Interlocked.Exchange(ref _disposed, 1);
            while (_idle.TryDequeue(out var lease))
            {
                lease.Dispose();
            }

            return ValueTask.CompletedTask;
        }

        /// <summary>One step: true on a row, false when there is none; the statement is reset for the next use either way.</summary>
        private static bool Step(Lease lease, SQLitePCL.sqlite3_stmt statement)
        {
            var rc = SQLitePCL.raw.sqlite3_step(statement);
            if (rc is SQLitePCL.raw.SQLITE_ROW or SQLitePCL.raw.SQLITE_DONE)
            {
                return rc == SQLitePCL.raw.SQLITE_ROW;
            }

            SQLitePCL.raw.sqlite3_reset(statement);
            throw new SqliteException(SQLitePCL.raw.sqlite3_errmsg(lease.Db).utf8_to_string(), rc);
        }

        private static void Check(Lease lease, int rc)
        {
            if (rc != SQLitePCL.raw.SQLITE_OK)
            {
                throw new SqliteException(SQLitePCL.raw.sqlite3_errmsg(lease.Db).utf8_to_string(), rc);
            }
        }

        private Lease Rent() => _idle.TryDequeue(out var lease) ? lease : new Lease(_path);

        private void Return(Lease lease)
        {
            // Reset after the row was copied out: the statement then holds no snapshot of the database.
            SQLitePCL.raw.sqlite3_reset(lease.Version);
            SQLitePCL.raw.sqlite3_reset(lease.Latest);
            SQLitePCL.raw.sqlite3_clear_bindings(lease.Latest);
            if (Volatile.Read(ref _disposed) == 0 && _idle.Count < MaxIdle)
            {
                _idle.Enqueue(lease);
            }
            else
            {
                lease.Dispose();
            }
        }

        private sealed class Lease : IDisposable
        {
            public Lease(string path)
            {
                var rc = SQLitePCL.raw.sqlite3_open_v2(path, out var db, SQLitePCL.raw.SQLITE_OPEN_READWRITE, null);
                Db = db;
                if (rc != SQLitePCL.raw.SQLITE_OK)
                {
                    var message = SQLitePCL.raw.sqlite3_errmsg(db).utf8_to_string();
                    db.Dispose();
                    throw new SqliteException(message, rc);
                }

                SQLitePCL.raw.sqlite3_busy_timeout(Db, 30_000);
                Version = Prepare(VersionSql);
                Latest = Prepare(LatestSecretSql.Replace("@id", "?1", StringComparison.Ordinal));
            }

            public SQLitePCL.sqlite3 Db { get; }

            public SQLitePCL.sqlite3_stmt Version { get; }

            public SQLitePCL.sqlite3_stmt Latest { get; }

            public void Dispose()
            {
                Version.Dispose();
                Latest.Dispose();
                Db.Dispose();
            }

            private SQLitePCL.sqlite3_stmt Prepare(string sql)
            {
                var rc = SQLitePCL.raw.sqlite3_prepare_v2(Db, sql, out var statement);
                if (rc != SQLitePCL.raw.SQLITE_OK)
                {
                    throw new SqliteException(SQLitePCL.raw.sqlite3_errmsg(Db).utf8_to_string(), rc);
                }

                return statement;
            }
        }
    }

    /// <summary>Npgsql's pool, with automatic preparation of the statements used repeatedly on each physical connection.</summary>
    private sealed class PostgresHotReads : HotReads
    {
        private readonly NpgsqlDataSource _source;

        public PostgresHotReads(string connectionString)
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (builder.MaxAutoPrepare == 0)
            {
                builder.MaxAutoPrepare = 8;
            }

            _source = NpgsqlDataSource.Create(builder);
        }

        public override async Task<long> AuthorizationVersionAsync(CancellationToken ct)
        {
            await using var command = _source.CreateCommand(VersionSql);
            return (long)(await command.ExecuteScalarAsync(ct) ?? 0L);
        }

        public override async Task<StoredSecret?> LatestSecretAsync(string resourceId, CancellationToken ct)
        {
            await using var command = _source.CreateCommand(LatestSecretSql);
            command.Parameters.AddWithValue("id", resourceId);
            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, ct);
            return ReadSecret(reader);
        }

        public override ValueTask DisposeAsync() => _source.DisposeAsync();
    }
}
