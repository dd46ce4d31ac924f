using System.Globalization;
using System.Text.Json;
using DualStack.Core.Model;
using DualStack.Core.Stacks;

namespace DualStack.Core.Memory;

/// <summary>
/// Copies, compares and merges long-term memory between stacks over contract v1's memory API
/// (<c>GET /v1/memory?since=&amp;limit=</c>, <c>PUT /v1/memory/{id}</c>). Every operation streams the change feed page
/// by page (<see cref="MemorySyncOptions.PageSize"/>); none holds a stack's whole memory. Upserts by id are idempotent,
/// so repeating any operation, or part of one, never duplicates an entry.
/// </summary>
/// <remarks>
/// The change feed lists entries in write order and lists an entry again when it is changed, so a read that overlaps
/// writes can see an id twice; the later version is the current one and every operation here treats it so.
/// Stack failures throw <see cref="MemorySyncException"/> with a one-line message; cancellation throws
/// <see cref="OperationCanceledException"/>, except <see cref="ReplicateAsync"/>, which returns its counts.
/// </remarks>
public sealed partial class MemorySync
{
    private readonly MemorySyncOptions _options;
    private readonly TimeProvider _time;
    private readonly MemoryFeed _feed;

    /// <summary>Creates the engine.</summary>
    /// <param name="options">Page size, concurrency and timeouts; defaults when null.</param>
    /// <param name="timeProvider">Clock for timeouts, poll delays and checkpoint times; the system clock when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public MemorySync(MemorySyncOptions? options = null, TimeProvider? timeProvider = null)
    {
        _options = options ?? new MemorySyncOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.PageSize, 1, "PageSize");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_options.PageSize, 10_000, "PageSize");
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.Concurrency, 1, "Concurrency");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.RequestTimeout, TimeSpan.Zero, "RequestTimeout");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.MaxRetryDelay, TimeSpan.Zero, "MaxRetryDelay");
        _time = timeProvider ?? TimeProvider.System;
        _feed = new MemoryFeed(_options, _time);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
