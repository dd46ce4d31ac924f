namespace DualStack.Cli;

/// <summary>
/// Reports on the caller's thread, one report at a time (<see cref="Progress{T}"/> would post to the thread pool and
/// reorder lines).
/// </summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    private readonly Lock _lock = new();

    public void Report(T value)
    {
        lock (_lock)
        {
            report(value);
        }
    }
}
