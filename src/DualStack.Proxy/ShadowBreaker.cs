using Microsoft.Extensions.Logging;

namespace DualStack.Proxy;

/// <summary>State of the shadow circuit breaker.</summary>
internal enum BreakerState
{
    /// <summary>Turns are mirrored.</summary>
    Closed,

    /// <summary>The shadow stack is considered down: turns are dropped without being sent until the pause ends.</summary>
    Open,

    /// <summary>The pause ended: one trial turn is in flight; its outcome closes or re-opens the breaker.</summary>
    HalfOpen,
}

/// <summary>
/// Circuit breaker of the shadow path (Polly-style, without the per-call allocation): opens after
/// <c>failures</c> consecutive shadow turns that failed because the stack is down (timeout, connection, 5xx), drops
/// turns while open, lets one trial turn through after the pause, closes on its success, and re-opens with the pause
/// doubled (up to the maximum) on its failure. Consulted by the shadow workers only, never on the request path.
/// </summary>
internal sealed class ShadowBreaker
{
    private readonly int _threshold;
    private readonly TimeSpan _firstPause;
    private readonly TimeSpan _maxPause;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private BreakerState _state;
    private int _consecutive;
    private TimeSpan _pause;
    private DateTimeOffset _openUntil;
    private long _opened;

    public ShadowBreaker(int failures, TimeSpan pause, TimeSpan maxPause, TimeProvider time, ILogger logger)
    {
        _threshold = Math.Max(1, failures);
        _firstPause = pause;
        _maxPause = maxPause < pause ? pause : maxPause;
        _pause = pause;
        _time = time;
        _logger = logger;
    }

    public BreakerState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>Times the breaker opened (first opening and each failed trial).</summary>
    public long Opened => Interlocked.Read(ref _opened);

    /// <summary>When an open breaker lets its next trial turn through.</summary>
    public DateTimeOffset OpenUntil
    {
        get
        {
            lock (_lock)
            {
                return _openUntil;
            }
        }
    }

    /// <summary>True when a turn may be sent now; false while open (or while another trial is in flight).</summary>
    public bool TryAcquire()
    {
        lock (_lock)
        {
            switch (_state)
            {
                case BreakerState.Closed:
                    return true;
                case BreakerState.Open when _time.GetUtcNow() >= _openUntil:
                    _state = BreakerState.HalfOpen;
                    return true;
                default:
                    return false;
            }
        }
    }

    /// <summary>The shadow stack answered (any status below 500).</summary>
    public void OnSuccess()
    {
        bool closed;
        lock (_lock)
        {
            closed = _state != BreakerState.Closed;
            _state = BreakerState.Closed;
            _consecutive = 0;
            _pause = _firstPause;
        }

        if (closed)
        {
            Log.ShadowBreakerClosed(_logger);
        }
    }

    /// <summary>The shadow stack did not answer (timeout, connection) or answered 5xx.</summary>
    public void OnFailure(string error)
    {
        TimeSpan? opened = null;
        int consecutive;
        lock (_lock)
        {
            consecutive = ++_consecutive;
            if (_state == BreakerState.HalfOpen)
            {
                _pause = _pause * 2 > _maxPause ? _maxPause : _pause * 2;
                opened = Open();
            }
            else if (_state == BreakerState.Closed && _consecutive >= _threshold)
            {
                opened = Open();
            }
        }

        if (opened is { } pause)
        {
            Interlocked.Increment(ref _opened);
            Log.ShadowBreakerOpened(_logger, consecutive, pause.TotalSeconds, error);
        }
    }

    private TimeSpan Open()
    {
        _state = BreakerState.Open;
        _openUntil = _time.GetUtcNow() + _pause;
        return _pause;
    }
}
