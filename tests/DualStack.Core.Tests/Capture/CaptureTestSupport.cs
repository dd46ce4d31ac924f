using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using DualStack.Core.Capture;

namespace DualStack.Core.Tests.Capture;

/// <summary>A temporary directory under the system temp path, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dualstack-capture-" + Guid.NewGuid().ToString("N")[..8]);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>An in-memory capture store whose appends can be held (gate) or made to fail.</summary>
internal sealed class MemoryCaptureStore : ICaptureStore
{
    private readonly ConcurrentQueue<CapturedExchange> _stored = new();
    private long _nextId;
    private int _calls;

    /// <summary>When set, each append waits for one release (after counting itself as started).</summary>
    public SemaphoreSlim? Gate { get; init; }

    /// <summary>Signalled each time an append starts.</summary>
    public SemaphoreSlim Started { get; } = new(0);

    /// <summary>Receives the 1-based call number; return an exception to throw it.</summary>
    public Func<int, Exception?>? Fail { get; init; }

    public IReadOnlyList<CapturedExchange> Stored => [.. _stored];

    public List<int> BatchSizes { get; } = [];

    public async Task AppendAsync(IReadOnlyList<CapturedExchange> batch, CancellationToken cancellationToken)
    {
        var call = Interlocked.Increment(ref _calls);
        Started.Release();
        if (Gate is not null)
        {
            await Gate.WaitAsync(cancellationToken);
        }

        if (Fail?.Invoke(call) is { } ex)
        {
            throw ex;
        }

        lock (BatchSizes)
        {
            BatchSizes.Add(batch.Count);
        }

        foreach (var exchange in batch)
        {
            _stored.Enqueue(exchange with { Id = Interlocked.Increment(ref _nextId) });
        }
    }

    public async IAsyncEnumerable<CapturedExchange> ReadAsync(long afterId, string? conversationKey, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var exchange in _stored)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (exchange.Id > afterId && (conversationKey is null || exchange.ConversationKey == conversationKey))
            {
                yield return exchange;
            }
        }
    }

    public Task<CaptureStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        var all = Stored;
        return Task.FromResult(new CaptureStats(
            all.Count,
            all.Select(e => e.ConversationKey).Where(k => k is not null).Distinct().Count(),
            all.Count == 0 ? null : all.Min(e => e.Timestamp),
            all.Count == 0 ? null : all.Max(e => e.Timestamp),
            all.Count(e => e.RequestTruncated || e.ResponseTruncated),
            all.Count(e => e.Error is not null || e.Status == 0)));
    }

    public Task<Pruned> DeleteBeforeAsync(DateTimeOffset cutoff, IProgress<Pruned>? progress, CancellationToken cancellationToken)
    {
        var kept = new List<CapturedExchange>();
        long deleted = 0;
        while (_stored.TryDequeue(out var exchange))
        {
            if (exchange.Timestamp < cutoff)
            {
                deleted++;
            }
            else
            {
                kept.Add(exchange);
            }
        }

        kept.ForEach(_stored.Enqueue);
        return Task.FromResult(new Pruned(deleted, 0));
    }

    public void Add(CapturedExchange exchange) => _stored.Enqueue(exchange with { Id = Interlocked.Increment(ref _nextId) });

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Allocation measurements of hot paths.</summary>
internal static class Allocations
{
    /// <summary>
    /// Bytes one call allocates once the JIT has optimised the code: unoptimised (tier-0) code allocates scratch
    /// arrays that optimised code keeps on the stack, so rounds run until a call stays within
    /// <paramref name="expectedAtMost"/> (or 50 rounds pass); returns the last measurement.
    /// </summary>
    public static long SteadyState(Action call, long expectedAtMost)
    {
        var allocated = long.MaxValue;
        for (var round = 0; round < 50 && allocated > expectedAtMost; round++)
        {
            for (var i = 0; i < 2000; i++)
            {
                call();
            }

            Thread.Sleep(100);
            var before = GC.GetAllocatedBytesForCurrentThread();
            call();
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        return allocated;
    }
}
