using DualStack.Core.Capture;
using Microsoft.AspNetCore.Http;

namespace DualStack.Proxy;

/// <summary>The capture proxy's side paths: the exchange handed to the capture writer and the shadow mirror, and the health of its parts.</summary>
public sealed partial class ProxyServer
{
    private void Record(HttpContext context, string path, DateTimeOffset timestamp, double durationMs, List<KeyValuePair<string, string>> requestHeaders, BodyCopy requestCopy, BodyCopy responseCopy, string? error, bool shadowWanted, string? shadowKey)
    {
        var request = context.Request;
        var key = shadowKey ?? _keys.Extract(path, name => request.Headers.TryGetValue(name, out var v) ? v.ToString() : null, requestCopy.Memory.Span);
        var status = error is null || context.Response.HasStarted ? context.Response.StatusCode : 0;
        byte[]? requestBody = null;
        byte[]? responseBody = null;
        if (Writer is not null)
        {
            requestBody = requestCopy.ToArray();
            responseBody = responseCopy.ToArray();
            // A full queue is counted by the writer and reported by the store monitor, rate-limited: nothing per request.
            Writer.TryEnqueue(new PendingExchange
            {
                Timestamp = timestamp,
                Method = request.Method,
                Path = path,
                Query = request.QueryString.Value ?? string.Empty,
                ConversationKey = key,
                RequestHeaders = requestHeaders,
                RequestBody = requestBody,
                RequestTruncated = requestCopy.Truncated,
                Status = status,
                ResponseHeaders = Headers(context.Response.Headers),
                ResponseBody = responseBody,
                ResponseTruncated = responseCopy.Truncated,
                DurationMs = durationMs,
                Error = error,
            });
        }

        // Decided before forwarding (turn route, POST, served by the old stack: turns the new stack served itself are
        // not mirrored to it again); a key found only in the body is sampled here.
        if (shadowWanted && key is not null && (shadowKey is not null || Shadow!.IsSampled(key))
            && !requestCopy.Truncated && !responseCopy.Truncated)
        {
            Shadow!.TryEnqueue(new ShadowWork(key, timestamp, requestBody ?? requestCopy.ToArray(), status, responseBody ?? responseCopy.ToArray(), durationMs, error));
        }
    }

    /// <summary>
    /// The key the split routes on: header or route first (free), else the JSON body (buffered up to the body limit and
    /// rewound, so it still streams to the stack), else the fallback header, else a per-request id.
    /// </summary>
    private async ValueTask<string> RoutingKeyAsync(HttpContext context, string path)
    {
        var request = context.Request;
        var key = _keys.Extract(path, name => request.Headers.TryGetValue(name, out var v) ? v.ToString() : null, ReadOnlySpan<byte>.Empty);
        if (key is null && request.ContentLength is > 0 and var length && length <= _options.Capture.MaxBodyBytes
            && request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true)
        {
            request.EnableBuffering(_options.Capture.MaxBodyBytes);
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)length);
            try
            {
                var read = 0;
                while (read < length)
                {
                    var n = await request.Body.ReadAsync(buffer.AsMemory(read, (int)length - read), context.RequestAborted).ConfigureAwait(false);
                    if (n == 0)
                    {
                        break;
                    }

                    read += n;
                }

                request.Body.Position = 0;
                key = _keys.Extract(path, _ => null, buffer.AsSpan(0, read));
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        return key
            ?? (request.Headers.TryGetValue(_options.Split.FallbackKeyHeader, out var fallback) && fallback.Count > 0 ? "req:" + fallback : "req:" + context.TraceIdentifier);
    }

    /// <summary>The headers as received, names and values, for the capture writer (which applies the header rules).</summary>
    private static List<KeyValuePair<string, string>> Headers(IHeaderDictionary headers)
    {
        var list = new List<KeyValuePair<string, string>>(headers.Count);
        foreach (var (name, value) in headers)
        {
            list.Add(new(name, value.ToString()));
        }

        return list;
    }

    /// <summary>Instruments of the optional parts this instance runs (capture store, shadow breaker, retention, shared state).</summary>
    private void ObserveParts()
    {
        if (Writer is { } writer)
        {
            Metrics.Counter("dualstack_captures_enqueued_total", "Exchanges handed to the capture writer.", () => writer.Enqueued);
            Metrics.Counter("dualstack_captures_written_total", "Exchanges written to the capture store.", () => writer.Written);
            Metrics.Counter("dualstack_capture_batches_total", "Store transactions committed (exchanges written per batch = written / batches).", () => writer.Batches);
            Metrics.Counter("dualstack_captures_dropped_total", "Exchanges not captured (queue full or store failure); traffic was served.", () => writer.Dropped);
            Metrics.Counter("dualstack_capture_store_failures_total", "Failed store writes.", () => writer.StoreFailures);
        }

        if (Shadow is { } shadow)
        {
            Metrics.Gauge("dualstack_shadow_circuit_open", "1 while the shadow circuit breaker is open or half-open (shadow stack down, turns dropped).", () => shadow.Breaker.State == BreakerState.Closed ? 0 : 1);
            Metrics.Counter("dualstack_shadow_circuit_opened_total", "Times the shadow circuit breaker opened.", () => shadow.Breaker.Opened);
            if (shadow.Store is { } store)
            {
                Metrics.Counter("dualstack_shadow_store_batches_total", "Shadow store transactions committed (pairs stored per batch = dualstack_shadow_stored_total / batches).", () => store.Batches);
                Metrics.Counter("dualstack_shadow_store_dropped_total", "Mirrored pairs not stored: the store writer's queue was full or their batch failed in the store; traffic was served.", () => store.Dropped);
                Metrics.Counter("dualstack_shadow_store_failures_total", "Failed shadow store transactions (each lost its whole batch).", () => store.StoreFailures);
            }
        }

        if (_stores.Retention is { } retention)
        {
            Metrics.Counter("dualstack_capture_retention_deleted_total", "Captures deleted by retention (--retain).", () => retention.Deleted);
            Metrics.Counter("dualstack_shadow_retention_deleted_total", "Shadow pairs (with their judgements) deleted by retention (--retain).", () => retention.DeletedShadowPairs);
            Metrics.Counter("dualstack_capture_retention_failures_total", "Retention rounds that failed (retried).", () => retention.Failures);
        }

        if (Split?.Shared is { } shared)
        {
            Metrics.Gauge("dualstack_shared_state_stale", "1 when the shared split state could not be read from PostgreSQL recently: routing runs on the last known state.", () => shared.Stale ? 1 : 0);
            Metrics.Gauge("dualstack_shared_state_age_seconds", "Seconds since the shared split state was last read from PostgreSQL.", () => Math.Round(shared.Age.TotalSeconds, 3));
            Metrics.Gauge("dualstack_shared_state_version", "Version of the shared split state this instance knows.", () => shared.Version);
            Metrics.Gauge("dualstack_shared_state_pending_writes", "Local split changes not yet written to PostgreSQL.", () => shared.PendingWrites);
            Metrics.Counter("dualstack_shared_state_write_failures_total", "Failed writes of split changes (retried).", () => shared.WriteFailures);
            Metrics.Counter("dualstack_shared_state_read_failures_total", "Failed reads or lost LISTEN connections.", () => shared.ReadFailures);
            Metrics.Counter("dualstack_shared_pins_written_total", "Conversation pins written for the other instances.", () => shared.PinsWritten);
            Metrics.Counter("dualstack_shared_pins_dropped_total", "Conversation pins not shared (queue full or database unreachable).", () => shared.PinsDropped);
        }
    }
}
