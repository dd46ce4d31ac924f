using DualStack.Core.Privacy;
using System.Text;
using System.Threading.Channels;

namespace DualStack.Core.Capture;

/// <summary>
/// An exchange as the proxy saw it, before redaction and header rules. The writer reads the body buffers later on
/// its own thread: they must stay unchanged after <see cref="CaptureWriter.TryEnqueue"/> (no pooled buffers).
/// </summary>
public sealed record PendingExchange
{
    /// <summary>When the request arrived (UTC).</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>HTTP method.</summary>
    public required string Method { get; init; }

    /// <summary>Request path (no query string).</summary>
    public required string Path { get; init; }

    /// <summary>Query string including '?', or empty (the default).</summary>
    public string Query { get; init; } = string.Empty;

    /// <summary>Conversation key from <see cref="ConversationKeyExtractor"/>; null when none matched.</summary>
    public string? ConversationKey { get; init; }

    /// <summary>Request headers as received (repeated names allowed); empty by default.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> RequestHeaders { get; init; } = [];

    /// <summary>Request body bytes as buffered (may already be cut by the proxy); empty by default.</summary>
    public ReadOnlyMemory<byte> RequestBody { get; init; }

    /// <summary>True when the proxy already cut the request body.</summary>
    public bool RequestTruncated { get; init; }

    /// <summary>Response status; 0 when the old stack gave no response.</summary>
    public int Status { get; init; }

    /// <summary>Response headers as received; empty by default.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ResponseHeaders { get; init; } = [];

    /// <summary>Response body bytes as buffered (may already be cut by the proxy); empty by default.</summary>
    public ReadOnlyMemory<byte> ResponseBody { get; init; }

    /// <summary>True when the proxy already cut the response body.</summary>
    public bool ResponseTruncated { get; init; }

    /// <summary>Time from request start to the end of the response body, in milliseconds.</summary>
    public double DurationMs { get; init; }

    /// <summary>Forwarding error; null on a normal response.</summary>
    public string? Error { get; init; }
}

/// <summary>
/// Writes captured exchanges off the request path: <see cref="TryEnqueue"/> puts them in a bounded queue (never
/// blocks, never throws) and a background loop redacts them and appends them to the store in batches. Nothing is
/// logged: the host reads the counters. A failing store loses its batch (counted) and the loop goes on.
/// </summary>
public sealed class CaptureWriter : IAsyncDisposable
{
    /// <summary>Value stored for headers that are not allow-listed.</summary>
    public const string RedactedValue = "[Redacted]";

    private static readonly HashSet<string> NeverStored = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie",
    };

    private readonly ICaptureStore _store;
    private readonly Redactor _redactor;
    private readonly TimeProvider _time;
    private readonly int _maxBodyBytes;
    private readonly int _batchSize;
    private readonly TimeSpan _linger;
    private readonly HashSet<string> _allowedHeaders;
    private readonly Channel<PendingExchange> _channel;
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
    /// <param name="store">Where batches go; the writer does not dispose it.</param>
    /// <param name="options">Body limit, header allow-list, queue capacity and batch size.</param>
    /// <param name="redactor">Redacts bodies, allow-listed header values, path, query, key and error.</param>
    /// <param name="time">Clock for <see cref="LastErrorAt"/>; default <see cref="TimeProvider.System"/>.</param>
    public CaptureWriter(ICaptureStore store, CaptureOptions options, Redactor redactor, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(redactor);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxBodyBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.QueueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchLinger, TimeSpan.Zero);
        _store = store;
        _redactor = redactor;
        _time = time ?? TimeProvider.System;
        _maxBodyBytes = options.MaxBodyBytes;
        _batchSize = options.BatchSize;
        _linger = options.BatchLinger;
        _allowedHeaders = new HashSet<string>(options.AllowedHeaders, StringComparer.OrdinalIgnoreCase);
        _channel = Channel.CreateBounded<PendingExchange>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite: "full" means false, nothing waits
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Exchanges accepted into the queue.</summary>
    public long Enqueued => Interlocked.Read(ref _enqueued);

    /// <summary>Exchanges stored.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Exchanges lost: queue full, writer disposed, conversion failed or their batch failed in the store.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Store calls that threw (each lost its whole batch).</summary>
    public long StoreFailures => Interlocked.Read(ref _storeFailures);

    /// <summary>Batches stored successfully.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Exchanges accepted but not yet written or dropped.</summary>
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

    /// <summary>Queues an exchange; false (and counted in <see cref="Dropped"/>) when the queue is full or the writer is disposed. Never blocks, never throws.</summary>
    public bool TryEnqueue(PendingExchange exchange)
    {
        if (exchange is not null && _channel.Writer.TryWrite(exchange))
        {
            Interlocked.Increment(ref _enqueued);
            return true;
        }

        Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>Completes when every exchange enqueued before the call has been written or dropped.</summary>
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

    /// <summary>Stops accepting exchanges and waits until the queue is drained into the store (or dropped). Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _channel.Writer.TryComplete();
        }

        await _loop.ConfigureAwait(false);
    }

    /// <summary>Applies body limits, header rules and redaction.</summary>
    internal CapturedExchange ToCaptured(PendingExchange pending)
    {
        var (requestBody, requestCut) = DecodeBody(pending.RequestBody.Span);
        var (responseBody, responseCut) = DecodeBody(pending.ResponseBody.Span);
        return new CapturedExchange
        {
            Timestamp = pending.Timestamp,
            Method = pending.Method,
            Path = _redactor.Redact(pending.Path),
            Query = _redactor.RedactQuery(pending.Query ?? string.Empty),
            ConversationKey = pending.ConversationKey is null ? null : _redactor.Redact(pending.ConversationKey),
            RequestHeaders = ApplyHeaderRules(pending.RequestHeaders),
            RequestBody = requestBody is null ? null : IsForm(pending.RequestHeaders) ? _redactor.RedactQuery(requestBody) : _redactor.Redact(requestBody),
            RequestTruncated = pending.RequestTruncated || requestCut,
            Status = pending.Status,
            ResponseHeaders = ApplyHeaderRules(pending.ResponseHeaders),
            ResponseBody = responseBody is null ? null : _redactor.Redact(responseBody),
            ResponseTruncated = pending.ResponseTruncated || responseCut,
            DurationMs = pending.DurationMs,
            Error = pending.Error is null ? null : _redactor.Redact(pending.Error),
        };
    }

    // In a form body '+' stands for a space, as in a query string.
    private static bool IsForm(IReadOnlyList<KeyValuePair<string, string>>? headers)
    {
        if (headers is null)
        {
            return false;
        }

        foreach (var (name, value) in headers)
        {
            if (string.Equals(name, "Content-Type", StringComparison.OrdinalIgnoreCase)
                && value?.Contains("x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true)
            {
                return true;
            }
        }

        return false;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task RunAsync()
    {
        var reader = _channel.Reader;
        var pending = new List<PendingExchange>(_batchSize);
        var batch = new List<CapturedExchange>(_batchSize);
        while (await WaitToReadAsync(reader).ConfigureAwait(false))
        {
            // Whatever is available, up to the batch size. When that is a partial batch, linger once for the requests
            // already in flight: one commit of 50 rows costs about what one commit of 1 row does.
            while (pending.Count < _batchSize && reader.TryRead(out var item))
            {
                pending.Add(item);
            }

            if (pending.Count < _batchSize && _linger > TimeSpan.Zero && Volatile.Read(ref _disposed) == 0)
            {
                // Real time, not the injected clock (which only stamps LastErrorAt): the requests being waited for are real.
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
                    batch.Add(ToCaptured(item));
                }
                catch (Exception ex)
                {
                    Interlocked.Increment(ref _dropped);
                    RecordError("capture conversion failed", ex);
                }
            }

            if (batch.Count > 0)
            {
                try
                {
                    // The store gets its own copy: it may keep the list (an in-memory store does).
                    await _store.AppendAsync(batch.ToArray(), CancellationToken.None).ConfigureAwait(false);
                    Interlocked.Add(ref _written, batch.Count);
                    Interlocked.Increment(ref _batches);
                }
                catch (Exception ex)
                {
                    Interlocked.Add(ref _dropped, batch.Count);
                    Interlocked.Increment(ref _storeFailures);
                    RecordError($"capture store failed, {batch.Count} exchange(s) dropped", ex);
                }
            }

            Interlocked.Add(ref _processed, pending.Count);
            pending.Clear();
            batch.Clear();
            Interlocked.Exchange(ref _progress, NewSignal()).TrySetResult();
        }
    }

    private static async ValueTask<bool> WaitToReadAsync(ChannelReader<PendingExchange> reader)
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
        Volatile.Write(ref _lastError, $"{what}: {ex.GetType().Name}: {ex.Message}");
        Interlocked.Exchange(ref _lastErrorAtTicks, _time.GetUtcNow().UtcTicks);
    }

    private (string? Text, bool Cut) DecodeBody(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return (null, false);
        }

        var cut = body.Length > _maxBodyBytes;
        if (cut)
        {
            var end = _maxBodyBytes;
            // Do not split a UTF-8 sequence: back up over continuation bytes (10xxxxxx) to a character start.
            for (var back = 0; back < 3 && end > 0 && end < body.Length && (body[end] & 0xC0) == 0x80; back++)
            {
                end--;
            }

            body = body[..end];
        }

        return (Encoding.UTF8.GetString(body), cut);
    }

    private Dictionary<string, string> ApplyHeaderRules(IReadOnlyList<KeyValuePair<string, string>>? headers)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (headers is null)
        {
            return result;
        }

        foreach (var (name, value) in headers)
        {
            if (string.IsNullOrEmpty(name) || NeverStored.Contains(name))
            {
                continue;
            }

            if (!_allowedHeaders.Contains(name))
            {
                result[name] = RedactedValue;
                continue;
            }

            var redacted = _redactor.Redact(value ?? string.Empty);
            result[name] = result.TryGetValue(name, out var earlier) ? earlier + ", " + redacted : redacted;
        }

        return result;
    }
}
