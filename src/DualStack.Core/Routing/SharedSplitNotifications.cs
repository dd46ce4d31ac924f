using DualStack.Core.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DualStack.Core.Routing;

/// <summary>
/// Both ends of the <c>dualstack_split</c> channel: a committed change NOTIFYs it (<see cref="NotifyAsync"/>), and every
/// instance LISTENs (<see cref="RunAsync"/>), reading the state row on each notification and at least every poll
/// interval, so a lost notification delays a change by one poll at most. Reconnects with backoff and reports the
/// database unreachable (once) and connected again.
/// </summary>
internal sealed class SharedSplitNotifications
{
    private const string Channel = "dualstack_split";

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeSpan _pollInterval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly Func<NpgsqlConnection, CancellationToken, Task> _read;
    private readonly Func<Exception, CancellationToken, Task> _repair;
    private long _readFailures;
    private int _connected;

    /// <summary>Listens on the shared split channel and polls as a fallback, reading the state row on every change.</summary>
    /// <param name="dataSource">The shared PostgreSQL database.</param>
    /// <param name="pollInterval">How often the row is read when no notification arrives.</param>
    /// <param name="time">The clock the poll and the back-off wait on.</param>
    /// <param name="logger">Where lost and regained connections are logged.</param>
    /// <param name="name">This instance's name in log lines.</param>
    /// <param name="read">Reads the state row and applies it (on the listening connection).</param>
    /// <param name="repair">After a failure: re-creates the schema if a table is missing; never throws.</param>
    public SharedSplitNotifications(NpgsqlDataSource dataSource, TimeSpan pollInterval, TimeProvider time, ILogger logger, string name, Func<NpgsqlConnection, CancellationToken, Task> read, Func<Exception, CancellationToken, Task> repair)
    {
        _dataSource = dataSource;
        _pollInterval = pollInterval;
        _time = time;
        _logger = logger;
        _name = name;
        _read = read;
        _repair = repair;
    }

    /// <summary>Failed connections or reads of the listening loop.</summary>
    public long ReadFailures => Interlocked.Read(ref _readFailures);

    /// <summary>Tells every listening instance that the state row is now at <paramref name="version"/> (delivered at commit).</summary>
    public static Task NotifyAsync(NpgsqlConnection connection, long version, CancellationToken cancellationToken) =>
        PostgresSchema.ExecuteAsync(connection, $"SELECT pg_notify('{Channel}', '{version}')", cancellationToken);

    /// <summary>Listens until cancelled: catches up on connect, then reads on every notification or poll interval.</summary>
    public async Task RunAsync(CancellationToken token)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!token.IsCancellationRequested)
        {
            try
            {
                var connection = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    await PostgresSchema.ExecuteAsync(connection, $"LISTEN {Channel}", token).ConfigureAwait(false);
                    if (Interlocked.Exchange(ref _connected, 1) == 0)
                    {
                        Log.SharedConnected(_logger, _name);
                    }

                    backoff = TimeSpan.FromMilliseconds(100);
                    // Catch up on anything missed while disconnected, then wake on each NOTIFY or poll interval.
                    await _read(connection, token).ConfigureAwait(false);
                    while (!token.IsCancellationRequested)
                    {
                        await connection.WaitAsync(_pollInterval, token).ConfigureAwait(false);
                        await _read(connection, token).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref _readFailures);
                if (Interlocked.Exchange(ref _connected, 0) == 1)
                {
                    Log.SharedUnreachable(_logger, _name, PostgresConnection.Redact(ex.Message));
                }

                try
                {
                    await _repair(ex, token).ConfigureAwait(false);
                    await Task.Delay(backoff, _time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = TimeSpan.FromMilliseconds(Math.Min(Math.Max(_pollInterval.TotalMilliseconds, 100), backoff.TotalMilliseconds * 2));
            }
        }
    }
}
