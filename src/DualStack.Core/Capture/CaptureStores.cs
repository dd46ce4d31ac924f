using System.Globalization;
using DualStack.Core.Postgres;

namespace DualStack.Core.Capture;

/// <summary>Opens the capture store a <c>--store</c> value names, and parses retention periods.</summary>
public static class CaptureStores
{
    /// <summary>
    /// A PostgreSQL store for a <c>postgres://</c>, <c>postgresql://</c> or <c>Host=…</c> value, else a SQLite file.
    /// Throws <see cref="ArgumentException"/> or <see cref="InvalidDataException"/> naming <paramref name="option"/> and
    /// the value (its password redacted).
    /// </summary>
    public static async Task<ICaptureStore> OpenAsync(string value, CancellationToken cancellationToken, string option = "--store")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        return PostgresConnection.IsPostgres(value)
            ? await PostgresCaptureStore.OpenAsync(value, cancellationToken, option).ConfigureAwait(false)
            : await SqliteCaptureStore.OpenAsync(value, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The store's name for messages: the path, or the connection string without its password.</summary>
    public static string Describe(string value) => PostgresConnection.IsPostgres(value) ? PostgresConnection.Redact(value) : value;

    /// <summary>
    /// Parses a retention period such as <c>14d</c>, <c>36h</c>, <c>90m</c> or <c>2w</c>; throws
    /// <see cref="FormatException"/> naming <paramref name="option"/> and the value.
    /// </summary>
    public static TimeSpan ParseRetention(string value, string option = "--retain")
    {
        var text = value?.Trim() ?? string.Empty;
        if (text.Length >= 2 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount > 0 && double.IsFinite(amount))
        {
            TimeSpan? span = char.ToLowerInvariant(text[^1]) switch
            {
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                'w' => TimeSpan.FromDays(7 * amount),
                _ => null,
            };
            if (span is { } result)
            {
                return result;
            }
        }

        throw new FormatException($"{option}: '{value}' is not a retention period (a positive number with m, h, d or w, e.g. 14d)");
    }
}

/// <summary>
/// Deletes captures older than the retention period: once at start, then every <c>min(1 h, retention / 10)</c>
/// (at least every minute). Failures are counted and retried at the next round; capture is never blocked.
/// </summary>
public sealed class CaptureRetention : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _deleted;
    private long _deletedPairs;
    private long _failures;

    /// <summary>Starts the retention loop over <paramref name="store"/>.</summary>
    public CaptureRetention(ICaptureStore store, TimeSpan retain, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        var clock = time ?? TimeProvider.System;
        var interval = TimeSpan.FromTicks(Math.Clamp(retain.Ticks / 10, TimeSpan.FromMinutes(1).Ticks, TimeSpan.FromHours(1).Ticks));
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    // The counters move after every slice, so /metrics shows a long first pass at work.
                    var pass = new PassCounters(this, Deleted, DeletedShadowPairs);
                    pass.Report(await store.DeleteBeforeAsync(clock.GetUtcNow() - retain, pass, _stop.Token).ConfigureAwait(false));
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception)
                {
                    // The store is down or busy: the next round retries; captures older than the period wait a little longer.
                    Interlocked.Increment(ref _failures);
                }

                try
                {
                    await Task.Delay(interval, clock, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
    }

    /// <summary>Exchanges deleted so far.</summary>
    public long Deleted => Interlocked.Read(ref _deleted);

    /// <summary>Shadow pairs deleted so far (with their judgements).</summary>
    public long DeletedShadowPairs => Interlocked.Read(ref _deletedPairs);

    // A pass's running counts added to what the passes before it deleted (one pass at a time: the loop's).
    private sealed class PassCounters(CaptureRetention owner, long exchanges, long pairs) : IProgress<Pruned>
    {
        public void Report(Pruned value)
        {
            Interlocked.Exchange(ref owner._deleted, exchanges + value.Exchanges);
            Interlocked.Exchange(ref owner._deletedPairs, pairs + value.ShadowPairs);
        }
    }

    /// <summary>Failed retention rounds.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
