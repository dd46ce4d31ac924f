using DualStack.Core.Capture;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace DualStack.Proxy;

/// <summary>Something the <see cref="FailureLogPump"/> looks at once per tick (never on the request path).</summary>
internal interface IFailureTicker
{
    /// <summary>Reads the counters and logs what changed since the last tick. Called on one thread at a time.</summary>
    void Tick(DateTimeOffset now);
}

/// <summary>The last error of a kind: message plus the exception whose stack trace goes to debug level only.</summary>
internal sealed record FailureSample(string Message, Exception? Exception);

/// <summary>
/// Failures of one kind counted on a hot path (an increment and a reference write) and logged from the pump: the first
/// failure of an episode on the next tick, then at most one summary per interval with the count and the last error,
/// then one recovery line once a whole interval passed without a failure.
/// </summary>
internal sealed class FailureLog : IFailureTicker
{
    private readonly string _what;
    private readonly ILogger _logger;
    private readonly TimeSpan _interval;
    private long _count;
    private FailureSample? _last;

    // Tick state: only touched by Tick (one thread at a time).
    private long _seen;
    private bool _failing;
    private DateTimeOffset _episodeStart;
    private DateTimeOffset _lastLogged;
    private DateTimeOffset _lastFailure;
    private long _sinceLogged;
    private long _episodeTotal;

    public FailureLog(string what, ILogger logger, TimeSpan interval)
    {
        _what = what;
        _logger = logger;
        _interval = interval;
    }

    public long Count => Interlocked.Read(ref _count);

    /// <summary>True from the tick that saw a failure until the tick that logs recovery.</summary>
    public bool Failing => Volatile.Read(ref _failing);

    public FailureSample? Last => Volatile.Read(ref _last);

    public void Record(string message, Exception? exception)
    {
        Volatile.Write(ref _last, new FailureSample(message, exception));
        Interlocked.Increment(ref _count);
    }

    public void Tick(DateTimeOffset now)
    {
        var count = Count;
        var delta = count - _seen;
        _seen = count;
        if (delta > 0)
        {
            var last = Last;
            _lastFailure = now;
            _episodeTotal += delta;
            if (!_failing)
            {
                Volatile.Write(ref _failing, true);
                _episodeStart = now;
                _lastLogged = now;
                _sinceLogged = 0;
                Log.FailureStarted(_logger, _what, delta, last?.Message ?? "unknown", _interval.TotalSeconds);
                if (last?.Exception is { } exception)
                {
                    Log.FailureDetail(_logger, _what, exception);
                }

                return;
            }

            _sinceLogged += delta;
        }

        if (!_failing)
        {
            return;
        }

        if (_sinceLogged > 0 && now - _lastLogged >= _interval)
        {
            Log.FailureSummary(_logger, _what, _sinceLogged, (now - _lastLogged).TotalSeconds, Last?.Message ?? "unknown");
            _lastLogged = now;
            _sinceLogged = 0;
        }
        else if (delta == 0 && now - _lastFailure >= _interval)
        {
            Log.FailureRecovered(_logger, _what, _interval.TotalSeconds, (_lastFailure - _episodeStart).TotalSeconds, _episodeTotal);
            Volatile.Write(ref _failing, false);
            _episodeTotal = 0;
            _sinceLogged = 0;
        }
    }
}

/// <summary>
/// Forwarding failures of the primary path, one <see cref="FailureLog"/> per YARP error kind, so a dead backend gives
/// one line per kind per interval instead of one per request.
/// </summary>
internal sealed class ForwardFailures : IFailureTicker
{
    private readonly FailureLog[] _kinds;

    public ForwardFailures(ILogger logger, TimeSpan interval)
    {
        var values = Enum.GetValues<ForwarderError>();
        _kinds = new FailureLog[values.Max(v => (int)v) + 1];
        foreach (var value in values)
        {
            _kinds[(int)value] = new FailureLog($"primary forward ({value})", logger, interval);
        }
    }

    /// <summary>True while any kind is in a failure episode.</summary>
    public bool Failing => _kinds.Any(k => k.Failing);

    public void Record(ForwarderError error, string message, Exception? exception)
    {
        var index = (int)error;
        if ((uint)index < (uint)_kinds.Length)
        {
            _kinds[index].Record(message, exception);
        }
    }

    public void Tick(DateTimeOffset now)
    {
        foreach (var kind in _kinds)
        {
            kind.Tick(now);
        }
    }
}

/// <summary>
/// Watches the capture writer's counters: logs the first failed write or dropped capture, then at most one summary per
/// interval (failed writes, dropped exchanges, last error), then recovery once a batch is written again with no new
/// failure. Its <see cref="Failing"/> state is what the <c>capture-store</c> health check reports.
/// </summary>
internal sealed class CaptureStoreMonitor : IFailureTicker
{
    private readonly CaptureWriter _writer;
    private readonly ILogger _logger;
    private readonly TimeSpan _interval;
    private long _seenFailures;
    private long _seenDropped;
    private long _seenBatches;
    private bool _failing;
    private DateTimeOffset _episodeStart;
    private DateTimeOffset _lastLogged;
    private long _failuresSinceLogged;
    private long _droppedSinceLogged;
    private long _episodeFailures;
    private long _episodeDropped;
    private string _lastError = string.Empty;

    public CaptureStoreMonitor(CaptureWriter writer, ILogger logger, TimeSpan interval)
    {
        _writer = writer;
        _logger = logger;
        _interval = interval;
    }

    /// <summary>True from the tick that saw a failed write or a drop until a batch is written again without one.</summary>
    public bool Failing => Volatile.Read(ref _failing);

    /// <summary>Last error seen by the monitor (store error or "queue full").</summary>
    public string LastError => Volatile.Read(ref _lastError);

    public void Tick(DateTimeOffset now)
    {
        var failures = _writer.StoreFailures;
        var dropped = _writer.Dropped;
        var batches = _writer.Batches;
        var newFailures = failures - _seenFailures;
        var newDropped = dropped - _seenDropped;
        var wrote = batches > _seenBatches;
        _seenFailures = failures;
        _seenDropped = dropped;
        _seenBatches = batches;
        if (newFailures > 0 || newDropped > 0)
        {
            // Drops without a failed write mean the queue was full: the store is too slow for the traffic.
            var error = newFailures > 0 ? _writer.LastError ?? "store write failed" : "capture queue full (store too slow for the traffic)";
            Volatile.Write(ref _lastError, error);
            _episodeFailures += newFailures;
            _episodeDropped += newDropped;
            if (!_failing)
            {
                Volatile.Write(ref _failing, true);
                _episodeStart = now;
                _lastLogged = now;
                _failuresSinceLogged = 0;
                _droppedSinceLogged = 0;
                Log.StoreFailing(_logger, newFailures, newDropped, error, _interval.TotalSeconds);
                return;
            }

            _failuresSinceLogged += newFailures;
            _droppedSinceLogged += newDropped;
        }

        if (!_failing)
        {
            return;
        }

        if ((_failuresSinceLogged > 0 || _droppedSinceLogged > 0) && now - _lastLogged >= _interval)
        {
            Log.StoreFailureSummary(_logger, _failuresSinceLogged, _droppedSinceLogged, (now - _lastLogged).TotalSeconds, LastError);
            _lastLogged = now;
            _failuresSinceLogged = 0;
            _droppedSinceLogged = 0;
        }

        // Recovered when a batch was written and nothing failed or was dropped since the last tick. Without traffic
        // the state stays failing: nothing proves the store writable again.
        if (wrote && newFailures == 0 && newDropped == 0)
        {
            Log.StoreRecovered(_logger, (now - _episodeStart).TotalSeconds, _episodeFailures, _episodeDropped);
            Volatile.Write(ref _failing, false);
            _episodeFailures = 0;
            _episodeDropped = 0;
            _failuresSinceLogged = 0;
            _droppedSinceLogged = 0;
        }
    }
}

/// <summary>Ticks the failure logs once a second on the proxy's <see cref="TimeProvider"/>, off the request path.</summary>
internal sealed class FailureLogPump : IAsyncDisposable
{
    private readonly IReadOnlyList<IFailureTicker> _tickers;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly PeriodicTimer _timer;
    private readonly Task _loop;
    private int _disposed;

    public FailureLogPump(IReadOnlyList<IFailureTicker> tickers, TimeProvider time)
    {
        _tickers = tickers;
        _time = time;
        _timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Runs every ticker once now (the loop calls it every second; tests call it after moving a fake clock).</summary>
    public void Tick()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            foreach (var ticker in _tickers)
            {
                ticker.Tick(now);
            }
        }
    }

    private async Task RunAsync()
    {
        try
        {
            while (await _timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                Tick();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The host's container disposes the parts it built after the server has, in order: the second call does nothing.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _timer.Dispose();
        await _loop.ConfigureAwait(false);
        Tick(); // a last look: what failed just before shutdown is still logged
        _stop.Dispose();
    }
}
