namespace DualStack.Core.Capture;

/// <summary>One request/response exchange seen by the capture proxy, as stored (already redacted).</summary>
public sealed record CapturedExchange
{
    /// <summary>Store-assigned sequence number (0 before it is stored); orders exchanges globally.</summary>
    public long Id { get; init; }

    /// <summary>When the request arrived (UTC).</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>HTTP method.</summary>
    public required string Method { get; init; }

    /// <summary>Request path (no query string).</summary>
    public required string Path { get; init; }

    /// <summary>Query string including '?', or empty.</summary>
    public string Query { get; init; } = string.Empty;

    /// <summary>Conversation key extracted by the configured strategy; null when none matched.</summary>
    public string? ConversationKey { get; init; }

    /// <summary>Request headers: allow-listed ones with their (redacted) values, others with the value "[Redacted]"; Authorization and cookies never present.</summary>
    public IReadOnlyDictionary<string, string> RequestHeaders { get; init; } = new Dictionary<string, string>();

    /// <summary>Request body as UTF-8 text (redacted), up to the body limit.</summary>
    public string? RequestBody { get; init; }

    /// <summary>True when the request body was longer than the limit and was cut.</summary>
    public bool RequestTruncated { get; init; }

    /// <summary>Response status; 0 when the old stack gave no response (see <see cref="Error"/>).</summary>
    public int Status { get; init; }

    /// <summary>Response headers, same rules as request headers (Set-Cookie never present).</summary>
    public IReadOnlyDictionary<string, string> ResponseHeaders { get; init; } = new Dictionary<string, string>();

    /// <summary>Response body as UTF-8 text (redacted), up to the body limit.</summary>
    public string? ResponseBody { get; init; }

    /// <summary>True when the response body was longer than the limit and was cut.</summary>
    public bool ResponseTruncated { get; init; }

    /// <summary>Time from request start to the end of the response body, in milliseconds.</summary>
    public double DurationMs { get; init; }

    /// <summary>Forwarding error (connection refused, reset, timeout); null on a normal response.</summary>
    public string? Error { get; init; }
}

/// <summary>Counts of a capture store.</summary>
/// <param name="Exchanges">Exchanges stored.</param>
/// <param name="Conversations">Distinct conversation keys.</param>
/// <param name="First">Oldest exchange time; null when empty.</param>
/// <param name="Last">Newest exchange time; null when empty.</param>
/// <param name="Truncated">Exchanges with a truncated request or response body.</param>
/// <param name="Errors">Exchanges where the old stack gave no response.</param>
public sealed record CaptureStats(long Exchanges, long Conversations, DateTimeOffset? First, DateTimeOffset? Last, long Truncated, long Errors);

/// <summary>Where captured exchanges are kept. Implementations are safe for one writer and many readers.</summary>
public interface ICaptureStore : IAsyncDisposable
{
    /// <summary>Appends a batch in one transaction; assigns ids in order. Throws on I/O failure (the writer counts the batch as dropped).</summary>
    Task AppendAsync(IReadOnlyList<CapturedExchange> batch, CancellationToken cancellationToken);

    /// <summary>Reads exchanges in id order, optionally only those after <paramref name="afterId"/> or of one conversation; streams, never loads all.</summary>
    IAsyncEnumerable<CapturedExchange> ReadAsync(long afterId, string? conversationKey, CancellationToken cancellationToken);

    /// <summary>Counts.</summary>
    Task<CaptureStats> GetStatsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Deletes what was recorded before <paramref name="cutoff"/> (retention): exchanges, and the shadow pairs stored
    /// beside them (<c>shadow_turns</c>, with their judgements) when the store holds any; returns how many of each.
    /// A pass over a large backlog takes minutes: <paramref name="progress"/>, when given, gets the counts so far after
    /// every slice, on the deleting thread.
    /// </summary>
    Task<Pruned> DeleteBeforeAsync(DateTimeOffset cutoff, IProgress<Pruned>? progress, CancellationToken cancellationToken);
}

/// <summary>What one retention pass deleted.</summary>
/// <param name="Exchanges">Captured exchanges.</param>
/// <param name="ShadowPairs">Shadow pairs (old and new answer to one mirrored turn), each with its judgement if it had one.</param>
public readonly record struct Pruned(long Exchanges, long ShadowPairs);

/// <summary>Capture settings.</summary>
public sealed record CaptureOptions
{
    /// <summary>Bodies longer than this many bytes are cut and flagged truncated; default 64 KB.</summary>
    public int MaxBodyBytes { get; init; } = 64 * 1024;

    /// <summary>Headers stored with their value (case-insensitive); all others are stored as "[Redacted]". Authorization, Cookie, Set-Cookie, Proxy-Authorization are never stored.</summary>
    public IReadOnlyList<string> AllowedHeaders { get; init; } = ["Content-Type", "Content-Length", "Accept", "User-Agent", "X-Request-Id", "Traceparent"];

    /// <summary>Pending exchanges held in memory before new ones are dropped; default 10,000.</summary>
    public int QueueCapacity { get; init; } = 10_000;

    /// <summary>Exchanges written per store transaction at most; default 256.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>
    /// How long the writer waits for more exchanges when fewer than <see cref="BatchSize"/> are queued, so that a busy
    /// proxy commits a few large transactions instead of one per request (each SQLite commit rewrites whole pages into
    /// the WAL); default 10 ms. Zero writes whatever is queued at once.
    /// </summary>
    public TimeSpan BatchLinger { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Extra regexes whose matches are redacted (besides e-mails, phone numbers and Luhn-valid card numbers).</summary>
    public IReadOnlyList<string> RedactPatterns { get; init; } = [];
}

/// <summary>How the conversation key is found in a request; strategies are tried in order and the first hit wins.</summary>
public sealed record ConversationKeyOptions
{
    /// <summary>Request header carrying the key (e.g. <c>x-openclaw-session-key</c>); none by default.</summary>
    public string? Header { get; init; }

    /// <summary>JSON path into the request body, e.g. <c>$.conversationId</c> or <c>$.user</c>; default <c>$.conversationId</c> then <c>$.user</c>.</summary>
    public IReadOnlyList<string> JsonPaths { get; init; } = ["$.conversationId", "$.user"];

    /// <summary>Route templates with an <c>{id}</c> segment; default <c>/v1/conversations/{id}/turns</c>.</summary>
    public IReadOnlyList<string> Routes { get; init; } = ["/v1/conversations/{id}/turns"];
}
