namespace DualStack.Cli;

/// <summary>
/// Progress for long work on a plain console (a pipe, a CI log): reports at most once per <c>every</c>, the first one
/// <c>every</c> after the start, each on the caller's thread and one at a time like <see cref="SynchronousProgress{T}"/>.
/// The reports in between are skipped, not queued: a report carries the counts so far, so the next one shown says it all.
/// </summary>
internal sealed class ThrottledProgress<T> : IProgress<T>
{
    private readonly Lock _lock = new();
    private readonly TimeSpan _every;
    private readonly Action<T> _report;
    private readonly TimeProvider _time;
    private long _last;

    public ThrottledProgress(TimeSpan every, Action<T> report, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(every, TimeSpan.Zero);
        _every = every;
        _report = report;
        _time = time ?? TimeProvider.System;
        _last = _time.GetTimestamp();
    }

    public void Report(T value)
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            if (_time.GetElapsedTime(_last, now) < _every)
            {
                return;
            }

            _last = now;
            _report(value);
        }
    }
}
