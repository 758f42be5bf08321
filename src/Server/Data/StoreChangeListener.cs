using Npgsql;
using Secrets.Server.Configuration;

namespace Secrets.Server.Data;

/// <summary>
/// In-memory state derived from the store that every node must drop or refresh when any node writes (PostgreSQL
/// only): the authorization version and the copy of secret values. Each one names the <c>NOTIFY</c> channel its
/// writers use; <see cref="StoreChangeListener"/> delivers to it.
/// </summary>
internal interface IStoreChangeSubscriber
{
    /// <summary>The channel whose notifications this subscriber reads.</summary>
    string Channel { get; }

    /// <summary>A notification on <see cref="Channel"/>, delivered at the writer's commit.</summary>
    void Notified(string payload);

    /// <summary>
    /// The listener is listening: right after it connected (<paramref name="connected"/> true, notifications may
    /// have been missed before), and every few seconds while no notification came (in case one was lost). Read
    /// what a missed notification would have said, on the listener's own connection.
    /// </summary>
    Task CatchUpAsync(NpgsqlConnection connection, bool connected, CancellationToken ct);

    /// <summary>The listener lost its connection: from now on notifications may be missed until the next catch-up.</summary>
    void Disconnected();
}

/// <summary>
/// PostgreSQL only: the node's one <c>LISTEN</c> connection, for every subscriber's channel. Reconnects with a
/// delay after any failure; subscribers fall back to reading the database meanwhile (each one decides how).
/// </summary>
internal sealed partial class StoreChangeListener(
    IEnumerable<IStoreChangeSubscriber> subscribers, DatabaseTarget target, TimeProvider time, ILogger<StoreChangeListener> logger)
    : BackgroundService
{
    /// <summary>The listener connection's application_name (visible in pg_stat_activity).</summary>
    public const string ListenerName = "secrets-change-listener";

    private static readonly TimeSpan Resync = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Reminder = TimeSpan.FromMinutes(1);

    private readonly IStoreChangeSubscriber[] _subscribers = [.. subscribers];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var byChannel = _subscribers.ToLookup(s => s.Channel, StringComparer.Ordinal);
        var builder = new NpgsqlConnectionStringBuilder(target.ConnectionString) { Pooling = false, KeepAlive = 10, CommandTimeout = 5, Timeout = 5, ApplicationName = ListenerName };
        var down = false;
        var lastWarned = 0L;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(builder.ConnectionString);
                connection.Notification += (_, e) =>
                {
                    foreach (var subscriber in byChannel[e.Channel])
                    {
                        subscriber.Notified(e.Payload);
                    }
                };
                await connection.OpenAsync(stoppingToken);
                var listen = string.Join("; ", byChannel.Select(g => $"LISTEN {g.Key}"));
                await using (var command = new NpgsqlCommand(listen, connection))
                {
                    await command.ExecuteNonQueryAsync(stoppingToken);
                }

                // Listening first, then catching up: a commit in between is in the read or in a notification.
                await CatchUpAsync(connection, connected: true, stoppingToken);
                if (down)
                {
                    LogListenerBack(logger);
                    down = false;
                }

                while (!stoppingToken.IsCancellationRequested)
                {
                    if (!await connection.WaitAsync(Resync, stoppingToken))
                    {
                        await CatchUpAsync(connection, connected: false, stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                Disconnected();

                // One warning when the listener goes down, then one reminder a minute while it stays down (issue 9:
                // an outage must not flood the log with a line a second).
                if (!down || time.GetElapsedTime(lastWarned) >= Reminder)
                {
                    LogListenerDown(logger, ex.GetType().Name);
                    lastWarned = time.GetTimestamp();
                }

                down = true;
                try
                {
                    await Task.Delay(RetryDelay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            finally
            {
                Disconnected();
            }
        }
    }

    private async Task CatchUpAsync(NpgsqlConnection connection, bool connected, CancellationToken ct)
    {
        foreach (var subscriber in _subscribers)
        {
            await subscriber.CatchUpAsync(connection, connected, ct);
        }
    }

    private void Disconnected()
    {
        foreach (var subscriber in _subscribers)
        {
            subscriber.Disconnected();
        }
    }

    [LoggerMessage(EventId = 3000, Level = LogLevel.Warning, Message = "Change listener disconnected ({Reason}); reading the authorization version per request and fetching secrets without the value copy until it reconnects")]
    private static partial void LogListenerDown(ILogger logger, string reason);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Change listener reconnected")]
    private static partial void LogListenerBack(ILogger logger);
}
