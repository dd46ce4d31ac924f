using System.Threading.Channels;
using DualStack.Core.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace DualStack.Core.Routing;

/// <summary>
/// Replicates sticky conversations between proxy instances through <c>split_pins</c>: the stacks this instance routed
/// conversations to are queued (never blocking the routing path) and upserted in batches; after every change the live
/// pins of all instances are imported into the local <see cref="SplitState"/> (at once and one second later), so a
/// conversation started elsewhere keeps its stack here too. Idle rows are purged once a minute. Best effort: a lost
/// batch only means those conversations route by hash on the other instances.
/// </summary>
internal sealed class SharedPins
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly SplitState _state;
    private readonly SharedStateSettings _settings;
    private readonly TimeSpan _pinIdle;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<(string Key, StackChoice Stack)> _queue;
    private long _written;
    private long _dropped;
    private long _imports;
    private long _importRequestedAt = -1;
    private long _secondImportAt = -1;

    public SharedPins(NpgsqlDataSource dataSource, SplitState state, SharedStateSettings settings, TimeSpan pinIdle, TimeProvider time, ILogger logger)
    {
        _dataSource = dataSource;
        _state = state;
        _settings = settings;
        _pinIdle = pinIdle;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<(string, StackChoice)>(new BoundedChannelOptions(Math.Max(1, settings.PinQueueCapacity))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Pins written to the database.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Pins dropped: queue full or batch write failed.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Completed imports of other instances' pins.</summary>
    public long Imports => Interlocked.Read(ref _imports);

    /// <summary>Queues the stack a conversation was routed to; never blocks (a full queue drops and counts the pin).</summary>
    public void Record(string key, StackChoice stack)
    {
        if (!_queue.Writer.TryWrite((key, stack)))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>Asks the loop to import the other instances' pins (now and one second later).</summary>
    public void RequestImport() => Interlocked.Exchange(ref _importRequestedAt, _time.GetTimestamp());

    /// <summary>Writes the pins queued so far.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var batch = Drain();
        if (batch.Count > 0)
        {
            await WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Drops every new-stack pin row after a rollback. Every instance drops its own new-stack pins too, so a failure here
    /// only leaves rows that imports ignore while rolled back: logged, never thrown.
    /// </summary>
    public async Task DropNewStackPinsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            await PostgresSchema.ExecuteAsync(connection, "DELETE FROM split_pins WHERE stack = 1", cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            Log.SharedPinsFailed(_logger, PostgresConnection.Redact(ex.Message));
        }
    }

    /// <summary>Every <see cref="SharedStateSettings.PinFlushInterval"/>: write, import when asked, purge once a minute; until cancelled.</summary>
    public async Task RunAsync(CancellationToken token)
    {
        var purgeEvery = _time.TimestampFrequency * 60;
        var lastPurge = _time.GetTimestamp();
        while (!token.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_settings.PinFlushInterval, _time, token).ConfigureAwait(false);
                await FlushAsync(token).ConfigureAwait(false);

                var now = _time.GetTimestamp();
                var requested = Interlocked.Exchange(ref _importRequestedAt, -1);
                if (requested >= 0 || (Interlocked.Read(ref _secondImportAt) is >= 0 and var second && now >= second))
                {
                    // Once at once, once a second later: pins other instances flushed just after the change.
                    Interlocked.Exchange(ref _secondImportAt, requested >= 0 ? now + _time.TimestampFrequency : -1);
                    await ImportAsync(token).ConfigureAwait(false);
                }

                if (now - lastPurge > purgeEvery)
                {
                    lastPurge = now;
                    await using var purge = _dataSource.CreateCommand("DELETE FROM split_pins WHERE last_seen < now() - @idle");
                    purge.Parameters.AddWithValue("idle", _pinIdle);
                    await purge.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Pins are best effort: a lost batch only means those conversations route by hash elsewhere.
                Log.SharedPinsFailed(_logger, PostgresConnection.Redact(ex.Message));
            }
        }
    }

    private List<(string Key, StackChoice Stack)> Drain()
    {
        var latest = new Dictionary<string, StackChoice>(StringComparer.Ordinal);
        while (_queue.Reader.TryRead(out var pin))
        {
            latest[pin.Key] = pin.Stack;
        }

        // Sorted, so two instances upserting overlapping keys lock rows in the same order (no deadlock).
        return latest.Select(p => (p.Key, p.Value)).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
    }

    private async Task WriteAsync(List<(string Key, StackChoice Stack)> batch, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = _dataSource.CreateCommand(
                """
                INSERT INTO split_pins (conversation_key, stack, last_seen)
                SELECT k, s, now() FROM unnest(@keys, @stacks) AS t(k, s)
                ON CONFLICT (conversation_key) DO UPDATE SET
                    stack = CASE WHEN split_pins.last_seen < now() - @idle THEN excluded.stack ELSE split_pins.stack END,
                    last_seen = excluded.last_seen
                """);
            command.Parameters.Add(new NpgsqlParameter("keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = batch.Select(p => p.Key).ToArray() });
            command.Parameters.Add(new NpgsqlParameter("stacks", NpgsqlDbType.Array | NpgsqlDbType.Smallint) { Value = batch.Select(p => (short)p.Stack).ToArray() });
            command.Parameters.AddWithValue("idle", _pinIdle);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _written, batch.Count);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            Interlocked.Add(ref _dropped, batch.Count);
            throw;
        }
    }

    private async Task ImportAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT conversation_key, stack, EXTRACT(EPOCH FROM (now() - last_seen))::float8 FROM split_pins WHERE last_seen > now() - @idle");
        command.Parameters.AddWithValue("idle", _pinIdle);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            _state.ImportPin(reader.GetString(0), (StackChoice)reader.GetInt16(1), TimeSpan.FromSeconds(reader.GetDouble(2)));
        }

        Interlocked.Increment(ref _imports);
    }
}
