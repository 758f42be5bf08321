using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace Secrets.Server.Data;

/// <summary>What the node knows of its store, from the outcome of the requests that used it.</summary>
internal enum StoreState
{
    Available,

    /// <summary>The store cannot be reached (PostgreSQL down or restarting, the network cut, SQLite locked or unopenable).</summary>
    Unreachable,

    /// <summary>The store answers but refuses writes (a full disk, an I/O error, a read-only file).</summary>
    WritesFailing,
}

/// <summary>
/// Tells store outages from bugs, and logs an outage as one warning when it starts, a reminder at most every
/// <see cref="ReminderInterval"/> while it lasts, and one line when it ends; the exceptions themselves only at debug
/// level (an 11-second outage used to write 6,000 stack traces). The state moves back to available on evidence, never
/// on a timer: a command that ran ends <see cref="StoreState.Unreachable"/>, a committed write ends
/// <see cref="StoreState.WritesFailing"/> (<see cref="StoreAvailabilityInterceptor"/> reports both).
/// </summary>
internal sealed partial class StoreAvailability(ILogger<StoreAvailability> logger, TimeProvider time)
{
    /// <summary>How long clients are told to wait (Retry-After) before they try again.</summary>
    public const int RetryAfterSeconds = 5;

    public static readonly TimeSpan ReminderInterval = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private volatile StoreState _state = StoreState.Available;
    private DateTimeOffset _since;
    private DateTimeOffset _lastMessage;
    private long _refusedSinceMessage;

    public StoreState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>
    /// The state a failure means, or null when it is not a store outage (a constraint violation, a bug). Only errors
    /// that come from the drivers count: a socket error of an outgoing HTTP call (a JWKS fetch) is no store outage.
    /// </summary>
    public static StoreState? Classify(Exception? e)
    {
        for (var current = e; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException pg:
                    return pg.SqlState switch
                    {
                        // Class 53 insufficient resources: 53100 disk_full, 53200 out_of_memory, 53400 configuration_limit.
                        "53100" => StoreState.WritesFailing,

                        // Class 08 connection exception; 53300 too_many_connections; 57P01..57P03 admin/crash shutdown,
                        // cannot_connect_now (starting up or in recovery); class 58 system errors (58030 io_error).
                        _ when pg.SqlState.StartsWith("08", StringComparison.Ordinal) => StoreState.Unreachable,
                        "53300" or "57P01" or "57P02" or "57P03" => StoreState.Unreachable,
                        _ when pg.SqlState.StartsWith("58", StringComparison.Ordinal) => StoreState.WritesFailing,
                        "25006" => StoreState.WritesFailing,
                        _ => null,
                    };
                case NpgsqlException:
                    // Not a server error: the socket was refused, reset or timed out (Npgsql wraps SocketException,
                    // IOException and TimeoutException in NpgsqlException).
                    return StoreState.Unreachable;
                case SqliteException sqlite:
                    // The primary result code is the low byte of the extended one (https://sqlite.org/rescode.html).
                    return (sqlite.SqliteErrorCode & 0xFF) switch
                    {
                        13 /* SQLITE_FULL */ or 10 /* SQLITE_IOERR */ or 8 /* SQLITE_READONLY */ or 7 /* SQLITE_NOMEM */ => StoreState.WritesFailing,
                        5 /* SQLITE_BUSY */ or 6 /* SQLITE_LOCKED */ or 14 /* SQLITE_CANTOPEN */ or 15 /* SQLITE_PROTOCOL */ => StoreState.Unreachable,
                        _ => null,
                    };
                default:
                    continue;
            }
        }

        return null;
    }

    /// <summary>Records a request refused because of the store; logs only on a change of state or a due reminder.</summary>
    public void ReportFailure(StoreState state, Exception e)
    {
        var now = time.GetUtcNow();
        LogFailureDetail(logger, e);
        lock (_gate)
        {
            if (_state == StoreState.Available)
            {
                _state = state;
                _since = now;
                _lastMessage = now;
                _refusedSinceMessage = 0;
                LogUnavailable(logger, Describe(state), Reason(e));
                return;
            }

            // A full disk seen while unreachable (or the reverse) is the same outage; the worse kind is kept.
            if (state == StoreState.Unreachable)
            {
                _state = state;
            }

            _refusedSinceMessage++;
            if (now - _lastMessage >= ReminderInterval)
            {
                LogStillUnavailable(logger, Describe(_state), (long)(now - _since).TotalSeconds, _refusedSinceMessage, Reason(e));
                _lastMessage = now;
                _refusedSinceMessage = 0;
            }
        }
    }

    /// <summary>A command ran at the store: it is reachable again (writes may still fail).</summary>
    public void ReportReachable()
    {
        if (_state == StoreState.Unreachable)
        {
            Recover(StoreState.Unreachable);
        }
    }

    /// <summary>A write committed: the store is fully available.</summary>
    public void ReportWriteCommitted()
    {
        if (_state != StoreState.Available)
        {
            Recover(null);
        }
    }

    private void Recover(StoreState? only)
    {
        lock (_gate)
        {
            if (_state == StoreState.Available || (only is { } s && _state != s))
            {
                return;
            }

            LogBack(logger, (long)(time.GetUtcNow() - _since).TotalSeconds);
            _state = StoreState.Available;
        }
    }

    public static string Describe(StoreState state) => state switch
    {
        StoreState.Unreachable => "unreachable",
        StoreState.WritesFailing => "refusing writes",
        _ => "available",
    };

    /// <summary>The kind of failure, never a driver message (it could quote a value) and never a connection string.</summary>
    public static string Reason(Exception e)
    {
        for (var current = e; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException pg:
                    return $"PostgreSQL error {pg.SqlState}";
                case SocketException socket:
                    return $"socket error {socket.SocketErrorCode}";
                case SqliteException sqlite:
                    return $"SQLite error {sqlite.SqliteErrorCode} (extended {sqlite.SqliteExtendedErrorCode})";
                case TimeoutException:
                    return "timeout";
                case IOException:
                    return "connection lost";
            }
        }

        return e.GetType().Name;
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "The store is {State} ({Reason}): requests that need it answer 503 until it is back")]
    private static partial void LogUnavailable(ILogger logger, string state, string reason);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "The store is still {State} after {Seconds} s; {Refused} more requests answered 503 ({Reason})")]
    private static partial void LogStillUnavailable(ILogger logger, string state, long seconds, long refused, string reason);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "The store is available again after {Seconds} s")]
    private static partial void LogBack(ILogger logger, long seconds);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Debug, Message = "Store failure detail")]
    private static partial void LogFailureDetail(ILogger logger, Exception exception);
}

/// <summary>Reports to <see cref="StoreAvailability"/> the evidence that the store works: commands that ran, writes that committed.</summary>
internal sealed class StoreAvailabilityInterceptor(StoreAvailability availability) : IDbCommandInterceptor, IDbTransactionInterceptor, ISaveChangesInterceptor
{
    public DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        availability.ReportReachable();
        return result;
    }

    public ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        availability.ReportReachable();
        return ValueTask.FromResult(result);
    }

    public object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        availability.ReportReachable();
        return result;
    }

    public ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        availability.ReportReachable();
        return ValueTask.FromResult(result);
    }

    public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        availability.ReportReachable();
        return result;
    }

    public ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        availability.ReportReachable();
        return ValueTask.FromResult(result);
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => availability.ReportWriteCommitted();

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        availability.ReportWriteCommitted();
        return Task.CompletedTask;
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        SavedOutsideTransaction(eventData);
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        SavedOutsideTransaction(eventData);
        return ValueTask.FromResult(result);
    }

    // Inside an explicit transaction the commit is the evidence, not the save: the commit can still fail.
    private void SavedOutsideTransaction(SaveChangesCompletedEventData eventData)
    {
        if (eventData.Context?.Database.CurrentTransaction is null)
        {
            availability.ReportWriteCommitted();
        }
    }
}
