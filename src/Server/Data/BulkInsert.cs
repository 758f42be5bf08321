using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Secrets.Server.Data;

/// <summary>
/// Inserts many rows inside the context's current transaction without the change tracker: binary COPY on
/// PostgreSQL, one prepared INSERT reused per row on SQLite. A policy of 10,000 hosts writes ~70,000 rows; through
/// EF's change tracker that takes tens of seconds, this way a fraction of one. Column names and value types match
/// the EF model (SecretsDbContext), whose migrations own the schema; values are string, bool, DateTime (UTC),
/// byte[] or null.
/// </summary>
internal static class BulkInsert
{
    public static async Task RunAsync<T>(SecretsDbContext db, string table, string[] columns, IReadOnlyCollection<T> rows, Func<T, object?[]> values, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("bulk inserts run inside a transaction");
        if (connection is NpgsqlConnection npgsql)
        {
            await CopyAsync(npgsql, table, columns, rows, values, ct);
        }
        else
        {
            await InsertEachAsync(connection, transaction, table, columns, rows, values, ct);
        }
    }

    private static async Task CopyAsync<T>(NpgsqlConnection connection, string table, string[] columns, IReadOnlyCollection<T> rows, Func<T, object?[]> values, CancellationToken ct)
    {
        await using var importer = await connection.BeginBinaryImportAsync(
            $"COPY {table} ({string.Join(", ", columns)}) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var row in rows)
        {
            await importer.StartRowAsync(ct);
            foreach (var value in values(row))
            {
                switch (value)
                {
                    case null:
                        await importer.WriteNullAsync(ct);
                        break;
                    case string s:
                        await importer.WriteAsync(s, NpgsqlDbType.Text, ct);
                        break;
                    case bool b:
                        await importer.WriteAsync(b, NpgsqlDbType.Boolean, ct);
                        break;
                    case DateTime t:
                        await importer.WriteAsync(DateTime.SpecifyKind(t, DateTimeKind.Utc), NpgsqlDbType.TimestampTz, ct);
                        break;
                    case byte[] bytes:
                        await importer.WriteAsync(bytes, NpgsqlDbType.Bytea, ct);
                        break;
                    default:
                        throw new InvalidOperationException($"unsupported bulk value type {value.GetType().Name}");
                }
            }
        }

        await importer.CompleteAsync(ct);
    }

    private static async Task InsertEachAsync<T>(DbConnection connection, DbTransaction transaction, string table, string[] columns, IReadOnlyCollection<T> rows, Func<T, object?[]> values, CancellationToken ct)
    {
        // Many rows per INSERT: SQLite's cost is mostly per statement executed, not per row. Full batches reuse one
        // prepared statement; the remainder gets its own.
        var batch = Math.Max(1, Math.Min(200, 30_000 / columns.Length));
        DbCommand? full = null;
        try
        {
            foreach (var chunk in rows.Chunk(batch))
            {
                DbCommand command;
                if (chunk.Length == batch)
                {
                    full ??= await PrepareAsync(connection, transaction, table, columns, batch, ct);
                    command = full;
                }
                else
                {
                    command = await PrepareAsync(connection, transaction, table, columns, chunk.Length, ct);
                }

                try
                {
                    var p = 0;
                    foreach (var row in chunk)
                    {
                        foreach (var value in values(row))
                        {
                            command.Parameters[p++].Value = value switch
                            {
                                null => DBNull.Value,
                                // EF Core's SQLite provider stores DateTime as this text; keep one format in the file.
                                DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", System.Globalization.CultureInfo.InvariantCulture),
                                var other => other,
                            };
                        }
                    }

                    // Microsoft.Data.Sqlite runs synchronously whatever the API; the synchronous call skips a task per batch.
                    ct.ThrowIfCancellationRequested();
                    command.ExecuteNonQuery();
                }
                finally
                {
                    if (command != full)
                    {
                        await command.DisposeAsync();
                    }
                }
            }
        }
        finally
        {
            if (full is not null)
            {
                await full.DisposeAsync();
            }
        }
    }

    private static async Task<DbCommand> PrepareAsync(DbConnection connection, DbTransaction transaction, string table, string[] columns, int rowCount, CancellationToken ct)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        var sql = new System.Text.StringBuilder($"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ");
        for (var r = 0; r < rowCount; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < columns.Length; c++)
            {
                var name = $"@p{(r * columns.Length) + c}";
                sql.Append(c == 0 ? name : ", " + name);
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                command.Parameters.Add(parameter);
            }

            sql.Append(')');
        }

        command.CommandText = sql.ToString();
        await command.PrepareAsync(ct);
        return command;
    }
}
