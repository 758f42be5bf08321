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
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => "@p" + i))})";
        var parameters = new DbParameter[columns.Length];
        for (var i = 0; i < columns.Length; i++)
        {
            parameters[i] = command.CreateParameter();
            parameters[i].ParameterName = "@p" + i;
            command.Parameters.Add(parameters[i]);
        }

        await command.PrepareAsync(ct);
        foreach (var row in rows)
        {
            var v = values(row);
            for (var i = 0; i < v.Length; i++)
            {
                parameters[i].Value = v[i] switch
                {
                    null => DBNull.Value,
                    // EF Core's SQLite provider stores DateTime as this text; keep one format in the file.
                    DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", System.Globalization.CultureInfo.InvariantCulture),
                    var other => other,
                };
            }

            await command.ExecuteNonQueryAsync(ct);
        }
    }
}
