using System.Threading.Channels;
using DualStack.Core.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DualStack.Core.Routing;

/// <summary>
/// Keeps a proxy's <see cref="SplitState"/> in step with every other instance through PostgreSQL. The routing path
/// never waits on the database: it reads the in-memory state, and routed conversations are queued and written as pins
/// in batches. A change made on this instance (admin API, ramp, gates) is applied here at once and written with its
/// audit row in one transaction that ends with <c>NOTIFY dualstack_split</c>; every instance LISTENs and also reads
/// the state row every <see cref="SharedStateSettings.PollInterval"/>, so a lost notification delays a change by one
/// poll at most. Conflicts: the last change committed wins, except automatic ramp advances, which are written only when
/// nothing changed since they were decided (a rollback is never undone by a ramp step on another instance). When the
/// database is unreachable the instance keeps routing on its last known state, retries in the background, and reports
/// <c>dualstack_shared_state_stale 1</c> once no read succeeded for <see cref="SharedStateSettings.StaleAfter"/>.
/// After every change each instance imports the live pins of the other instances (<see cref="SharedPins"/>). The tables
/// are in <see cref="SharedSplitSchema"/>, the channel in <see cref="SharedSplitNotifications"/>.
/// </summary>
internal sealed class SharedSplitState : ISharedSplitState
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly SplitState _state;
    private readonly SharedStateSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _instance;
    private readonly Channel<PendingChange> _changes = Channel.CreateUnbounded<PendingChange>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SharedPins _pins;
    private readonly SharedSplitNotifications _notifications;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _applyGate = new(1, 1);
    private Task _writer = Task.CompletedTask;
    private Task _listener = Task.CompletedTask;
    private Task _pinWriter = Task.CompletedTask;
    private long _knownVersion;

    // Identity of the last applied row: versions alone can repeat after a database lost its last commits.
    private volatile string? _knownChange;
    private long _lastReadTimestamp;
    private int _pendingWrites;
    private long _writeFailures;

    private SharedSplitState(NpgsqlDataSource dataSource, SplitState state, SharedStateSettings settings, TimeSpan pinIdle, TimeProvider time, ILogger logger, string name)
    {
        _dataSource = dataSource;
        _state = state;
        _settings = settings;
        _time = time;
        _logger = logger;
        Name = name;
        _instance = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";
        _pins = new SharedPins(dataSource, state, settings, pinIdle, time, logger);
        _notifications = new SharedSplitNotifications(dataSource, settings.PollInterval, time, logger, name, ReadAndApplyAsync, RepairIfTablesMissingAsync);
    }

    /// <summary>The state version last read from or written to the database.</summary>
    public long Version => Interlocked.Read(ref _knownVersion);

    /// <summary>Time since the state was last read from the database successfully.</summary>
    public TimeSpan Age => _time.GetElapsedTime(Interlocked.Read(ref _lastReadTimestamp));

    /// <summary>True when no read succeeded for <see cref="SharedStateSettings.StaleAfter"/>: routing runs on the last known state.</summary>
    public bool Stale => Age > _settings.StaleAfter;

    /// <summary>Local changes not yet written to the database.</summary>
    public int PendingWrites => Volatile.Read(ref _pendingWrites);

    /// <inheritdoc />
    public long WriteFailures => Interlocked.Read(ref _writeFailures);

    /// <inheritdoc />
    public long ReadFailures => _notifications.ReadFailures;

    /// <inheritdoc />
    public long PinsWritten => _pins.Written;

    /// <inheritdoc />
    public long PinsDropped => _pins.Dropped;

    /// <summary>Completed imports of other instances' pins.</summary>
    public long PinImports => _pins.Imports;

    /// <summary>The connection string without its password.</summary>
    public string Name { get; }

    /// <summary>
    /// Connects, creates or migrates the tables, adopts the stored state (an empty database is seeded with this
    /// instance's state) and starts listening. Throws <see cref="ArgumentException"/> or <see cref="InvalidDataException"/>
    /// naming the option and the value without its password when the database cannot be used at start.
    /// </summary>
    public static async Task<ISharedSplitState> StartAsync(SplitState state, SharedStateSettings settings, TimeSpan pinIdle, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var builder = PostgresConnection.Parse(settings.ConnectionString, "--shared-state");
        // Short timeouts: a dead database must turn into "stale" quickly, never into a hung background loop.
        if (!builder.ContainsKey("Timeout") || builder.Timeout > 5)
        {
            builder.Timeout = 5;
        }

        if (builder.CommandTimeout > 10)
        {
            builder.CommandTimeout = 10;
        }

        var redacted = PostgresConnection.Redact(settings.ConnectionString);
        var dataSource = NpgsqlDataSource.Create(builder);
        var shared = new SharedSplitState(dataSource, state, settings, pinIdle, time, logger, redacted);
        try
        {
            await SharedSplitSchema.EnsureAsync(dataSource, state.Snapshot, cancellationToken).ConfigureAwait(false);

            shared._knownChange = null;
            var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                await shared.ReadAndApplyAsync(connection, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw new InvalidDataException($"--shared-state: cannot use PostgreSQL at '{redacted}': {PostgresConnection.Redact(ex.Message)}", ex);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        state.Changed += shared.OnLocalChanged;
        shared._pins.RequestImport();
        shared._writer = Task.Run(shared.WriteLoopAsync);
        shared._listener = Task.Run(() => shared._notifications.RunAsync(shared._stop.Token));
        shared._pinWriter = Task.Run(() => shared._pins.RunAsync(shared._stop.Token));
        return shared;
    }

    /// <summary>After a failed statement: re-creates the schema when the failure was a missing table; never throws.</summary>
    private async Task RepairIfTablesMissingAsync(Exception failure, CancellationToken cancellationToken)
    {
        if (!SharedSplitSchema.IsMissingTable(failure))
        {
            return;
        }

        try
        {
            await SharedSplitSchema.EnsureAsync(_dataSource, _state.Snapshot, cancellationToken).ConfigureAwait(false);
            Log.SharedSchemaRecreated(_logger, Name);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.SharedWriteFailed(_logger, "schema", PostgresConnection.Redact(ex.Message));
        }
    }

    /// <summary>Queues the stack a conversation was routed to, to be written as a pin; never blocks.</summary>
    public void RecordRoute(string key, StackChoice stack) => _pins.Record(key, stack);

    /// <summary>Writes the pins queued so far (tests and shutdown).</summary>
    public Task FlushPinsAsync(CancellationToken cancellationToken) => _pins.FlushAsync(cancellationToken);

    /// <summary>The newest <paramref name="count"/> audit rows, newest first.</summary>
    public async Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(int count, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT at, who, action, from_percent, to_percent, reason FROM split_audit ORDER BY id DESC LIMIT @n");
        command.Parameters.AddWithValue("n", count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var entries = new List<AuditEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(new AuditEntry(new DateTimeOffset(reader.GetDateTime(0), TimeSpan.Zero), reader.GetString(1), reader.GetString(2), reader.GetDouble(3), reader.GetDouble(4), reader.GetString(5)));
        }

        return entries;
    }

    private void OnLocalChanged(SplitSnapshot snapshot, AuditEntry entry)
    {
        if (_state.IsApplyingShared)
        {
            return;
        }

        // Runs under the split's change lock: only queue. Ramp advances are conditional (see the class remarks).
        Interlocked.Increment(ref _pendingWrites);
        _changes.Writer.TryWrite(new PendingChange(snapshot, entry, Interlocked.Read(ref _knownVersion), Conditional: entry.Action == AuditActions.AutoAdvance));
        _pins.RequestImport();
    }

    private async Task WriteLoopAsync()
    {
        var token = _stop.Token;
        try
        {
            await foreach (var change in _changes.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                var delay = TimeSpan.FromMilliseconds(100);
                while (true)
                {
                    try
                    {
                        await WriteChangeAsync(change, token).ConfigureAwait(false);
                        break;
                    }
                    catch (Exception ex) when (!token.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref _writeFailures);
                        Log.SharedWriteFailed(_logger, change.Entry.Action, PostgresConnection.Redact(ex.Message));
                        await RepairIfTablesMissingAsync(ex, token).ConfigureAwait(false);
                        await Task.Delay(delay, _time, token).ConfigureAwait(false);
                        delay = TimeSpan.FromMilliseconds(Math.Min(2000, delay.TotalMilliseconds * 2));
                    }
                }

                Interlocked.Decrement(ref _pendingWrites);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private async Task WriteChangeAsync(PendingChange change, CancellationToken cancellationToken)
    {
        var snapshot = change.Snapshot;
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await using var update = new NpgsqlCommand(
                    "UPDATE split_state SET percent = @p, rolled_back = @rb, rollback_reason = @reason, ramp_step = @step, changed_at = @at, version = version + 1, change_id = gen_random_uuid() WHERE id = 1"
                    + (change.Conditional ? " AND version = @base" : string.Empty) + " RETURNING version",
                    connection, transaction);
                update.Parameters.AddWithValue("p", snapshot.Percent);
                update.Parameters.AddWithValue("rb", snapshot.RolledBack);
                update.Parameters.AddWithValue("reason", (object?)snapshot.RollbackReason ?? DBNull.Value);
                update.Parameters.AddWithValue("step", snapshot.RampStep);
                update.Parameters.AddWithValue("at", snapshot.ChangedAt.ToUniversalTime());
                update.Parameters.AddWithValue("base", change.BaseVersion);
                if (await update.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not long version)
                {
                    // Another instance changed the split after this automatic step was decided: theirs stands.
                    await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                    Log.SharedStepSuperseded(_logger, change.Entry.Action, change.Snapshot.Percent);
                    _knownChange = null;
                    // This change no longer counts as pending: the stored state must be applied over it.
                    Interlocked.Decrement(ref _pendingWrites);
                    try
                    {
                        await ReadAndApplyAsync(connection, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        Interlocked.Increment(ref _pendingWrites);
                    }

                    return;
                }

                var entry = change.Entry;
                await using (var audit = new NpgsqlCommand(
                    "INSERT INTO split_audit (at, who, action, from_percent, to_percent, reason, instance, version) VALUES (@at, @who, @action, @from, @to, @reason, @instance, @version)",
                    connection, transaction))
                {
                    audit.Parameters.AddWithValue("at", entry.At.ToUniversalTime());
                    audit.Parameters.AddWithValue("who", entry.Who);
                    audit.Parameters.AddWithValue("action", entry.Action);
                    audit.Parameters.AddWithValue("from", entry.FromPercent);
                    audit.Parameters.AddWithValue("to", entry.ToPercent);
                    audit.Parameters.AddWithValue("reason", entry.Reason ?? string.Empty);
                    audit.Parameters.AddWithValue("instance", _instance);
                    audit.Parameters.AddWithValue("version", version);
                    await audit.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await SharedSplitNotifications.NotifyAsync(connection, version, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            // The known change is not updated here: the listener reads this row back (NOTIFY) and re-applies it only if a
            // change from elsewhere slipped in locally while this one was being written.
            if (snapshot.RolledBack)
            {
                // After the commit, so the rollback's NOTIFY goes out first; never retried as a change.
                await _pins.DropNewStackPinsAsync(connection, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Reads the state row; applies it when it is newer than what this instance knows and no local change is waiting to be written.</summary>
    private async Task ReadAndApplyAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // Read and apply under one gate, so an older read can never be applied after a newer one.
        await _applyGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ReadAndApplyLockedAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _applyGate.Release();
        }
    }

    private async Task ReadAndApplyLockedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT s.percent, s.rolled_back, s.rollback_reason, s.ramp_step, s.changed_at, s.version, a.who, a.action, a.reason, s.change_id::text
            FROM split_state s LEFT JOIN LATERAL (SELECT who, action, reason FROM split_audit WHERE version = s.version ORDER BY id DESC LIMIT 1) a ON true
            WHERE s.id = 1
            """,
            connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidDataException("split_state has no row");
        }

        var percent = reader.GetDouble(0);
        var rolledBack = reader.GetBoolean(1);
        var reason = reader.IsDBNull(2) ? null : reader.GetString(2);
        var step = reader.GetInt32(3);
        var at = new DateTimeOffset(reader.GetDateTime(4), TimeSpan.Zero);
        var version = reader.GetInt64(5);
        var who = reader.IsDBNull(6) ? "shared-state" : reader.GetString(6);
        var action = reader.IsDBNull(7) ? "sync" : reader.GetString(7);
        var why = reader.IsDBNull(8) ? "state read from PostgreSQL" : reader.GetString(8);
        var changeId = reader.GetString(9);
        Interlocked.Exchange(ref _lastReadTimestamp, _time.GetTimestamp());

        await reader.DisposeAsync().ConfigureAwait(false);

        // Any row other than the one last applied is applied, older versions too: a database restored from a backup or
        // failed over with its last commits lost is still the truth all instances must agree on (and may even reuse a
        // version number, hence the change id).
        if (changeId == _knownChange || Volatile.Read(ref _pendingWrites) > 0)
        {
            return;
        }

        var local = _state.Snapshot;
        if (local.Percent != percent || local.RolledBack != rolledBack || local.RampStep != step)
        {
            _state.ApplyShared(percent, rolledBack, reason, step, new AuditEntry(at, who, action, local.Percent, percent, why));
            _pins.RequestImport();
        }

        Interlocked.Exchange(ref _knownVersion, version);
        _knownChange = changeId;
    }

    public async ValueTask DisposeAsync()
    {
        _state.Changed -= OnLocalChanged;
        _changes.Writer.TryComplete();
        // Give queued changes and pins a moment to reach the database, then stop.
        var drain = Task.WhenAll(_writer, FlushPinsQuietlyAsync());
        await Task.WhenAny(drain, Task.Delay(TimeSpan.FromSeconds(2), _time)).ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_writer, _listener, _pinWriter).ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _applyGate.Dispose();
    }

    private async Task FlushPinsQuietlyAsync()
    {
        try
        {
            await FlushPinsAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or OperationCanceledException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
        }
    }

    private sealed record PendingChange(SplitSnapshot Snapshot, AuditEntry Entry, long BaseVersion, bool Conditional);
}
