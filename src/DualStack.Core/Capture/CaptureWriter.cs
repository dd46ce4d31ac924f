using DualStack.Core.Privacy;
using System.Text;

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
/// blocks, never throws) and a background loop (a <see cref="BatchWriter{TItem, TRecord}"/>) redacts them and appends
/// them to the store in batches. Nothing is logged: the host reads the counters. A failing store loses its batch
/// (counted) and the loop goes on.
/// </summary>
public sealed class CaptureWriter : IAsyncDisposable
{
    /// <summary>Value stored for headers that are not allow-listed.</summary>
    public const string RedactedValue = "[Redacted]";

    private static readonly HashSet<string> NeverStored = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie",
    };

    private readonly Redactor _redactor;
    private readonly int _maxBodyBytes;
    private readonly HashSet<string> _allowedHeaders;
    private readonly BatchWriter<PendingExchange, CapturedExchange> _writer;

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
        _redactor = redactor;
        _maxBodyBytes = options.MaxBodyBytes;
        _allowedHeaders = new HashSet<string>(options.AllowedHeaders, StringComparer.OrdinalIgnoreCase);
        _writer = new BatchWriter<PendingExchange, CapturedExchange>(
            store.AppendAsync,
            ToCaptured,
            new BatchWriterOptions(options.QueueCapacity, options.BatchSize, options.BatchLinger),
            "capture",
            "exchange(s)",
            time);
    }

    /// <summary>Exchanges accepted into the queue.</summary>
    public long Enqueued => _writer.Enqueued;

    /// <summary>Exchanges stored.</summary>
    public long Written => _writer.Written;

    /// <summary>Exchanges lost: queue full, writer disposed, conversion failed or their batch failed in the store.</summary>
    public long Dropped => _writer.Dropped;

    /// <summary>Store calls that threw (each lost its whole batch).</summary>
    public long StoreFailures => _writer.StoreFailures;

    /// <summary>Batches stored successfully.</summary>
    public long Batches => _writer.Batches;

    /// <summary>Exchanges accepted but not yet written or dropped.</summary>
    public long Pending => _writer.Pending;

    /// <summary>Message of the last failure (store or conversion), with its exception type; null when none.</summary>
    public string? LastError => _writer.LastError;

    /// <summary>When <see cref="LastError"/> happened; null when none.</summary>
    public DateTimeOffset? LastErrorAt => _writer.LastErrorAt;

    /// <summary>Queues an exchange; false (and counted in <see cref="Dropped"/>) when the queue is full or the writer is disposed. Never blocks, never throws.</summary>
    public bool TryEnqueue(PendingExchange exchange) => _writer.TryEnqueue(exchange);

    /// <summary>Completes when every exchange enqueued before the call has been written or dropped.</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => _writer.FlushAsync(cancellationToken);

    /// <summary>Stops accepting exchanges and waits until the queue is drained into the store (or dropped). Idempotent.</summary>
    public ValueTask DisposeAsync() => _writer.DisposeAsync();

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
            RequestBody = requestBody is null ? null : IsForm(pending.RequestHeaders) ? _redactor.RedactQuery(requestBody) : _redactor.RedactJsonText(requestBody),
            RequestTruncated = pending.RequestTruncated || requestCut,
            Status = pending.Status,
            ResponseHeaders = ApplyHeaderRules(pending.ResponseHeaders),
            ResponseBody = responseBody is null ? null : _redactor.RedactJsonText(responseBody),
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
