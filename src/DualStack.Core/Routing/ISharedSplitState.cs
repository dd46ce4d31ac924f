using Microsoft.Extensions.Logging;

namespace DualStack.Core.Routing;

/// <summary>Settings of the split state shared through PostgreSQL.</summary>
public sealed record SharedStateSettings
{
    /// <summary>PostgreSQL connection string (URL or key/value form).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>How often the state row is read even without a notification (the polling fallback); default 1 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Without a successful read for this long the instance reports itself stale; default 5 s.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often routed conversations (pins) are written in one batch; default 200 ms.</summary>
    public TimeSpan PinFlushInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Routed conversations waiting to be written before new ones are dropped (counted); default 100,000.</summary>
    public int PinQueueCapacity { get; init; } = 100_000;
}

/// <summary>
/// A <see cref="SplitState"/> kept in step with every other proxy instance (the PostgreSQL implementation's remarks say
/// how); what a host reads for health, metrics and the audit, and where it reports routed conversations.
/// </summary>
public interface ISharedSplitState : IAsyncDisposable
{
    /// <summary>The connection string without its password.</summary>
    string Name { get; }

    /// <summary>The state version last read from or written to the database.</summary>
    long Version { get; }

    /// <summary>Time since the state was last read from the database successfully.</summary>
    TimeSpan Age { get; }

    /// <summary>True when no read succeeded for <see cref="SharedStateSettings.StaleAfter"/>: routing runs on the last known state.</summary>
    bool Stale { get; }

    /// <summary>Local changes not yet written to the database.</summary>
    int PendingWrites { get; }

    /// <summary>Writes of a change that failed (each is retried).</summary>
    long WriteFailures { get; }

    /// <summary>Reads of the state row that failed.</summary>
    long ReadFailures { get; }

    /// <summary>Routed conversations written as pins.</summary>
    long PinsWritten { get; }

    /// <summary>Routed conversations dropped because the pin queue was full.</summary>
    long PinsDropped { get; }

    /// <summary>Completed imports of other instances' pins.</summary>
    long PinImports { get; }

    /// <summary>Queues the stack a conversation was routed to, to be written as a pin; never blocks.</summary>
    void RecordRoute(string key, StackChoice stack);

    /// <summary>Writes the pins queued so far (tests and shutdown).</summary>
    Task FlushPinsAsync(CancellationToken cancellationToken);

    /// <summary>The newest <paramref name="count"/> audit rows, newest first.</summary>
    Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(int count, CancellationToken cancellationToken);
}

/// <summary>Starts a shared split state.</summary>
public static class SharedSplit
{
    /// <summary>
    /// Connects to PostgreSQL, creates or migrates the tables, adopts the stored state (an empty database is seeded with
    /// <paramref name="state"/>) and starts listening. Throws <see cref="ArgumentException"/> or
    /// <see cref="InvalidDataException"/> naming the option and the value without its password when the database cannot
    /// be used at start.
    /// </summary>
    public static Task<ISharedSplitState> StartAsync(SplitState state, SharedStateSettings settings, TimeSpan pinIdle, TimeProvider time, ILogger logger, CancellationToken cancellationToken) =>
        SharedSplitState.StartAsync(state, settings, pinIdle, time, logger, cancellationToken);
}
