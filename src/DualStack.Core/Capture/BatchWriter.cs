using System.Threading.Channels;

namespace DualStack.Core.Capture;

/// <summary>Queue and batch limits of a <see cref="BatchWriter{TItem, TRecord}"/>.</summary>
/// <param name="QueueCapacity">Items held in memory before new ones are dropped (at least 1).</param>
/// <param name="BatchSize">Items per store transaction at most (at least 1).</param>
/// <param name="Linger">
/// How long the loop waits for more items when fewer than <paramref name="BatchSize"/> are queued, so that a busy
/// proxy commits a few large transactions instead of one per item; zero writes whatever is queued at once.
/// </param>
public sealed record BatchWriterOptions(int QueueCapacity, int BatchSize, TimeSpan Linger);

/// <summary>
/// Group commit off the request path, for every store the proxy writes (captures, shadow pairs):
/// <see cref="TryEnqueue"/> puts an item in a bounded queue (never blocks, never throws) and one background loop takes
/// what is queued, up to the batch size, lingers once for a partial batch, converts each item and appends the batch
/// with one store call (one transaction). Items leave in the order they were queued. A failing store loses its batch
/// (counted, reported to the failure callback) and the loop goes on; nothing is thrown to the caller.
/// </summary>
/// <typeparam name="TItem">What the caller queues.</typeparam>
/// <typeparam name="TRecord">What the store appends (the converted item).</typeparam>
public sealed class BatchWriter<TItem, TRecord> : IAsyncDisposable
{
    private readonly Func<IReadOnlyList<TRecord>, CancellationToken, Task> _append;
    private readonly Func<TItem, TRecord> _convert;
    private readonly Action<IReadOnlyList<TRecord>>? _committed;
    private readonly Action<string, Exception>? _failed;
    private readonly string _what;
    private readonly string _unit;
    private readonly TimeProvider _time;
    private readonly int _batchSize;
    private readonly TimeSpan _linger;
    private readonly Channel<TItem> _channel;
    private readonly Task _loop;
    private TaskCompletionSource _progress = NewSignal();
    private long _enqueued;
    private long _written;
    private long _dropped;
    private long _storeFailures;
    private long _batches;
    private long _processed;
    private string? _lastError;
    private long _lastErrorAtTicks;
    private int _disposed;

    /// <summary>Creates the writer and starts its background loop.</summary>
    /// <param name="append">Appends one batch in one transaction; throws when nothing of it was stored. It gets its own copy of the list.</param>
    /// <param name="convert">Runs on the loop for each item before its batch is appended (redaction, serialisation); an item that throws is dropped and counted.</param>
    /// <param name="options">Queue capacity, batch size and linger.</param>
    /// <param name="what">Names the store in <see cref="LastError"/> ("capture", "shadow").</param>
    /// <param name="unit">Names the items in <see cref="LastError"/> ("exchange(s)", "pair(s)").</param>
    /// <param name="time">Clock for <see cref="LastErrorAt"/>; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="committed">Called on the loop after a batch is appended, with the records stored; none by default.</param>
    /// <param name="failed">Called on the loop when a conversion or an append fails, with <see cref="LastError"/>'s text and the exception; none by default.</param>
    public BatchWriter(
        Func<IReadOnlyList<TRecord>, CancellationToken, Task> append,
        Func<TItem, TRecord> convert,
        BatchWriterOptions options,
        string what,
        string unit,
        TimeProvider? time = null,
        Action<IReadOnlyList<TRecord>>? committed = null,
        Action<string, Exception>? failed = null)
    {
        ArgumentNullException.ThrowIfNull(append);
        ArgumentNullException.ThrowIfNull(convert);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.QueueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Linger, TimeSpan.Zero);
        _append = append;
        _convert = convert;
        _committed = committed;
        _failed = failed;
        _what = what;
        _unit = unit;
        _time = time ?? TimeProvider.System;
        _batchSize = options.BatchSize;
        _linger = options.Linger;
        _channel = Channel.CreateBounded<TItem>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite: "full" means false, nothing waits
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Items accepted into the queue.</summary>
    public long Enqueued => Interlocked.Read(ref _enqueued);

    /// <summary>Items stored (counted after their batch committed).</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Items lost: queue full, writer disposed, conversion failed or their batch failed in the store.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Store calls that threw (each lost its whole batch).</summary>
    public long StoreFailures => Interlocked.Read(ref _storeFailures);

    /// <summary>Batches stored successfully (store transactions committed).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Items accepted but not yet written or dropped.</summary>
    public long Pending => Math.Max(0, Enqueued - Interlocked.Read(ref _processed));

    /// <summary>Message of the last failure (store or conversion), with its exception type; null when none.</summary>
    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>When <see cref="LastError"/> happened; null when none.</summary>
    public DateTimeOffset? LastErrorAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _lastErrorAtTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>Queues an item; false (and counted in <see cref="Dropped"/>) when the queue is full or the writer is disposed. Never blocks, never throws.</summary>
    public bool TryEnqueue(TItem item)
    {
        if (item is not null && _channel.Writer.TryWrite(item))
        {
            Interlocked.Increment(ref _enqueued);
            return true;
        }

        Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>Completes when every item enqueued before the call has been written or dropped.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var target = Enqueued;
        while (true)
        {
            // Read the signal before the count: a batch finishing in between still completes this signal.
            var signal = Volatile.Read(ref _progress);
            if (Interlocked.Read(ref _processed) >= target)
            {
                return;
            }

            await signal.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops accepting items and waits until the queue is drained into the store (or dropped). Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _channel.Writer.TryComplete();
        }

        await _loop.ConfigureAwait(false);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task RunAsync()
    {
        var reader = _channel.Reader;
        var pending = new List<TItem>(_batchSize);
        var batch = new List<TRecord>(_batchSize);
        while (await WaitToReadAsync(reader).ConfigureAwait(false))
        {
            // Whatever is available, up to the batch size. When that is a partial batch, linger once for the items
            // already in flight: one commit of 50 rows costs about what one commit of 1 row does.
            while (pending.Count < _batchSize && reader.TryRead(out var item))
            {
                pending.Add(item);
            }

            if (pending.Count < _batchSize && _linger > TimeSpan.Zero && Volatile.Read(ref _disposed) == 0)
            {
                // Real time, not the injected clock (which only stamps LastErrorAt): the items being waited for are real.
                await Task.Delay(_linger, TimeProvider.System).ConfigureAwait(false);
                while (pending.Count < _batchSize && reader.TryRead(out var item))
                {
                    pending.Add(item);
                }
            }

            foreach (var item in pending)
            {
                try
                {
                    batch.Add(_convert(item));
                }
                catch (Exception ex)
                {
                    Interlocked.Increment(ref _dropped);
                    RecordError($"{_what} conversion failed", ex);
                }
            }

            if (batch.Count > 0)
            {
                await AppendAsync(batch.ToArray()).ConfigureAwait(false);
            }

            Interlocked.Add(ref _processed, pending.Count);
            pending.Clear();
            batch.Clear();
            Interlocked.Exchange(ref _progress, NewSignal()).TrySetResult();
        }
    }

    private async Task AppendAsync(TRecord[] batch)
    {
        try
        {
            // The store gets its own copy: it may keep the list (an in-memory store does).
            await _append(batch, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Interlocked.Add(ref _dropped, batch.Length);
            Interlocked.Increment(ref _storeFailures);
            RecordError($"{_what} store failed, {batch.Length} {_unit} dropped", ex);
            return;
        }

        Interlocked.Add(ref _written, batch.Length);
        Interlocked.Increment(ref _batches);
        try
        {
            _committed?.Invoke(batch);
        }
        catch (Exception ex)
        {
            // The batch is stored; a faulty observer must not stop the loop.
            RecordError($"{_what} commit callback failed", ex);
        }
    }

    private static async ValueTask<bool> WaitToReadAsync(ChannelReader<TItem> reader)
    {
        try
        {
            return await reader.WaitToReadAsync().ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return false;
        }
    }

    private void RecordError(string what, Exception ex)
    {
        var message = $"{what}: {ex.GetType().Name}: {ex.Message}";
        Volatile.Write(ref _lastError, message);
        Interlocked.Exchange(ref _lastErrorAtTicks, _time.GetUtcNow().UtcTicks);
        try
        {
            _failed?.Invoke(message, ex);
        }
        catch (Exception)
        {
            // Reporting a failure must not become one: LastError already holds it.
        }
    }
}
