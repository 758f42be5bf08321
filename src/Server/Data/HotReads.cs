using System.Collections.Concurrent;
using System.Data;
using Microsoft.Data.Sqlite;
using Npgsql;
using Secrets.Server.Secrets;

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
    protected const string VersionSql = "SELECT number FROM server_state WHERE key = 'authz_version'";

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

    private static StoredSecret? ReadSecret(IDataReader reader) =>
        reader.Read() ? new StoredSecret(reader.GetInt32(0), (byte[])reader.GetValue(1), reader.IsDBNull(2) ? null : reader.GetString(2)) : null;

    /// <summary>
    /// Open connections, each with its statements prepared once, lent to one request at a time. SQLite reads are
    /// synchronous and short (WAL: readers never wait for the writer); a statement holds no read transaction
    /// once its reader is disposed.
    /// </summary>
    private sealed class SqliteHotReads(string connectionString) : HotReads
    {
        private static readonly int MaxIdle = Math.Max(4, Environment.ProcessorCount * 4);
        private readonly ConcurrentQueue<Lease> _idle = new();
        private int _disposed;

        public override Task<long> AuthorizationVersionAsync(CancellationToken ct)
        {
            var lease = Rent();
            try
            {
                return Task.FromResult(Convert.ToInt64(lease.Version.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture));
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
                lease.Latest.Parameters[0].Value = resourceId;
                using var reader = lease.Latest.ExecuteReader();
                return Task.FromResult(ReadSecret(reader));
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

        private Lease Rent() => _idle.TryDequeue(out var lease) ? lease : new Lease(connectionString);

        private void Return(Lease lease)
        {
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
            private readonly SqliteConnection _connection;

            public Lease(string connectionString)
            {
                _connection = new SqliteConnection(connectionString);
                _connection.Open();
                Version = _connection.CreateCommand();
                Version.CommandText = VersionSql;
                Version.Prepare();
                Latest = _connection.CreateCommand();
                Latest.CommandText = LatestSecretSql;
                Latest.Parameters.Add("@id", SqliteType.Text);
                Latest.Prepare();
            }

            public SqliteCommand Version { get; }

            public SqliteCommand Latest { get; }

            public void Dispose()
            {
                Version.Dispose();
                Latest.Dispose();
                _connection.Dispose();
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
