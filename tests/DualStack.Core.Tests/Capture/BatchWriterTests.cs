using DualStack.Core.Capture;

namespace DualStack.Core.Tests.Capture;

/// <summary>
/// The one group-commit loop behind the capture writer and the shadow store writer: queue order kept across batches,
/// "written" counted only after a commit, a failed batch lost and reported while the loop goes on. The capture
/// writer's tests cover queue-full, linger, flush and dispose through the same loop.
/// </summary>
public sealed class BatchWriterTests
{
    private static readonly BatchWriterOptions Options = new(QueueCapacity: 1_000, BatchSize: 7, Linger: TimeSpan.Zero);

    [Test]
    public async Task TryEnqueue_MoreThanOneBatch_AppendedInQueueOrderAndCountedAfterEachCommit()
    {
        using var gate = new SemaphoreSlim(0);
        var appended = new List<int[]>();
        var committed = new List<int>();
        var writer = new BatchWriter<int, string>(
            async (batch, _) =>
            {
                await gate.WaitAsync();
                appended.Add([.. batch.Select(int.Parse)]);
            },
            n => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Options,
            "test",
            "item(s)",
            committed: batch => committed.Add(batch.Count));
        for (var n = 0; n < 50; n++)
        {
            Assert.That(writer.TryEnqueue(n), Is.True);
        }

        Assert.That((writer.Written, writer.Batches), Is.EqualTo((0L, 0L)), "nothing is counted stored before its commit");
        gate.Release(50);
        await writer.DisposeAsync();

        Assert.That(appended.SelectMany(b => b), Is.EqualTo(Enumerable.Range(0, 50)), "queue order, across batches");
        Assert.That(appended.Select(b => b.Length), Has.All.InRange(1, 7));
        Assert.That(committed, Is.EqualTo(appended.Select(b => b.Length)));
        Assert.That((writer.Written, writer.Batches, writer.Dropped), Is.EqualTo((50L, (long)appended.Count, 0L)));
    }

    [Test]
    public async Task Append_Throws_BatchDroppedFailureReportedAndLaterBatchesWritten()
    {
        var calls = 0;
        var stored = new List<int>();
        var failures = new List<(string Message, Exception Error)>();
        await using var writer = new BatchWriter<int, int>(
            (batch, _) =>
            {
                if (++calls == 1)
                {
                    throw new IOException("No space left on device");
                }

                stored.AddRange(batch);
                return Task.CompletedTask;
            },
            n => n,
            Options,
            "shadow",
            "pair(s)",
            failed: (message, ex) => failures.Add((message, ex)));

        writer.TryEnqueue(1);
        writer.TryEnqueue(2);
        await writer.FlushAsync(CancellationToken.None);
        writer.TryEnqueue(3);
        await writer.FlushAsync(CancellationToken.None);

        Assert.That(stored, Is.EqualTo(new[] { 3 }));
        Assert.That((writer.Written, writer.Dropped, writer.StoreFailures, writer.Batches), Is.EqualTo((1L, 2L, 1L, 1L)));
        Assert.That(failures.Select(f => f.Message), Is.EqualTo(new[] { "shadow store failed, 2 pair(s) dropped: IOException: No space left on device" }));
        Assert.That(failures[0].Error, Is.InstanceOf<IOException>());
        Assert.That(writer.LastError, Is.EqualTo(failures[0].Message));
    }

    [Test]
    public async Task Callbacks_Throw_LoopGoesOnAndStoredItemsStayCounted()
    {
        var stored = new List<int>();
        await using var writer = new BatchWriter<int, int>(
            (batch, _) =>
            {
                stored.AddRange(batch);
                return Task.CompletedTask;
            },
            n => n == 2 ? throw new FormatException("bad item") : n,
            Options,
            "test",
            "item(s)",
            committed: _ => throw new InvalidOperationException("observer bug"),
            failed: (_, _) => throw new InvalidOperationException("observer bug"));

        writer.TryEnqueue(1);
        await writer.FlushAsync(CancellationToken.None);
        writer.TryEnqueue(2);
        writer.TryEnqueue(3);
        await writer.FlushAsync(CancellationToken.None);

        Assert.That(stored, Is.EqualTo(new[] { 1, 3 }));
        Assert.That((writer.Written, writer.Dropped, writer.Pending), Is.EqualTo((2L, 1L, 0L)), "the item that failed conversion is dropped, the rest stored");
    }
}
