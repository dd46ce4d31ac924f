using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using DualStack.Core.Capture;
using DualStack.Core.Model;
using DualStack.Core.Privacy;
using DualStack.Core.Stacks;
using DualStack.Proxy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace DualStack.Benchmarks;

/// <summary>
/// CPU time per mirrored turn behind the request thread (<c>-- shadow-cpu URL [rounds]</c>), by stage, against a stub
/// shadow stack at URL (bench/shadow-cost.sh's static nginx answer): a plain HttpClient POST of the same body (the
/// floor any mirror pays), the same POST sent synchronously from dedicated threads, both again with the turns paced one
/// a millisecond (what a rare turn costs a sender that was idle before it), the pair work with no send in it (both answers read, the pair redacted), the store writer
/// alone (redacted pairs into SQLite in batches), the turn sent through the native adapter (Refit, the answer read into an observation), then
/// the whole mirror (that, plus the primary answer parsed, the pair redacted and stored in SQLite in batches). Process
/// CPU time, not wall clock: what the proxy's cores spend per turn. Tiered JIT settles over the first rounds: compare
/// the later ones, side by side with another build.
/// </summary>
internal static class ShadowCpu
{
    private const int PerRound = 20_000;
    private const int Concurrency = ProxyOptions.DefaultShadowWorkers;
    private const int Paced = 3_000;
    private const string TurnBody = """{"userId":"u-1","message":"Hello there!","channel":"web"}""";

    private static readonly byte[] PrimaryBody = Encoding.UTF8.GetBytes("""{"conversationId":"bench-7","turnIndex":12,"reply":"Hello! How can I help you today? You can ask me about your orders, your account or our opening hours.","skillCalls":[],"memory":{"retrieved":[{"id":"m-1","text":"name is Ada","score":0.9}],"written":[]}}""");

    public static async Task RunAsync(Uri stub, int rounds)
    {
        using (var raw = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = stub })
        {
            await StageAsync("plain HttpClient POST", rounds, count => RawRoundAsync(raw, count));
        }

        // The same POST sent synchronously (HttpClient.Send) from dedicated threads: no thread-pool hop and no socket
        // completion on the event thread; the thread blocks in the kernel until the answer is there.
        using (var blocking = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = stub })
        {
            await StageAsync("plain HttpClient Send, synchronous, dedicated threads", rounds, count => RawSyncRound(blocking, count));
        }

        // Turns that arrive one at a time (about one a millisecond, as 10 % of a loaded proxy's turns do): what a rare
        // turn costs when the sender is idle before it, async workers against dedicated threads.
        using (var raw = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = stub })
        {
            await StageAsync("paced: plain HttpClient POST, async workers", rounds, count => PacedAsyncRoundAsync(raw, count), perRound: Paced);
        }

        using (var blocking = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = stub })
        {
            await StageAsync("paced: plain HttpClient Send, dedicated threads", rounds, count => PacedSyncRound(blocking, count), perRound: Paced);
        }

        await StageAsync("pair work without a send (parse both answers, redact)", rounds, count => PairRoundAsync(count));

        using var stack = StackFactory.Create("new", new StackConfig { Url = stub.AbsoluteUri });
        await StageAsync("send to the new stack", rounds, count => SendRoundAsync(stack, count));

        var dir = Directory.CreateTempSubdirectory("shadow-cpu-").FullName;
        try
        {
            await using var store = await ShadowResultStores.OpenAsync(Path.Combine(dir, "pairs.db"), CancellationToken.None);
            await using (var alone = await ShadowResultStores.OpenAsync(Path.Combine(dir, "store-only.db"), CancellationToken.None))
            {
                await StageAsync("store only (redacted pairs through the batch writer into SQLite)", rounds, count => StoreRoundAsync(alone, count));
            }

            await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
            var metrics = new ProxyMetrics(services.GetRequiredService<IMeterFactory>());
            var options = new ProxyOptions { Old = new Uri("http://127.0.0.1:1/"), Shadow = stub, ShadowQueueCapacity = 100_000 };
            await using var mirror = new ShadowMirror(options, store, metrics, NullLogger.Instance, new Redactor([]));
            await StageAsync(
                "whole mirror (send, parse, redact, store)",
                rounds,
                count => MirrorRoundAsync(mirror, metrics, count),
                () => $" ({metrics.ShadowStored:N0} stored, {metrics.ShadowDropped} dropped, {metrics.ShadowFailed} failed)");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    // A warm-up round, then the measured ones: process CPU time and bytes allocated per turn.
    private static async Task StageAsync(string stage, int rounds, Func<int, Task> round, Func<string>? counters = null, int perRound = PerRound)
    {
        await round(Math.Min(5_000, perRound));
        for (var i = 0; i < rounds; i++)
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            await round(perRound);
            var micros = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / perRound;
            var bytes = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)perRound;
            Console.WriteLine($"round {i + 1}: {stage}: {micros:F1} µs CPU per turn, {bytes:N0} bytes allocated per turn{counters?.Invoke()}");
        }
    }

    // Each stage's senders: as many as the proxy's shadow workers, each taking the next turn when its last one is
    // answered. Written out per stage rather than shared through a per-turn delegate, whose allocation would be counted.
    private static async Task RawRoundAsync(HttpClient client, int count)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                using var content = new StringContent("""{"userId":"u-1","message":"Hello there!","channel":"web"}""", Encoding.UTF8, "application/json");
                using var response = await client.PostAsync("v1/conversations/bench-" + (i % 64) + "/turns", content);
                await response.Content.ReadAsByteArrayAsync();
            }
        }));
    }

    private static Task RawSyncRound(HttpClient client, int count)
    {
        var next = -1;
        var threads = Enumerable.Range(0, Concurrency).Select(_ => new Thread(() =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                SendBlocking(client, i);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return Task.CompletedTask;
    }

    private static void SendBlocking(HttpClient client, int i)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, "v1/conversations/bench-" + (i % 64) + "/turns") { Content = new StringContent(TurnBody, Encoding.UTF8, "application/json") };
        using var response = client.Send(message, HttpCompletionOption.ResponseHeadersRead);
        using var body = response.Content.ReadAsStream();
        body.CopyTo(Stream.Null);
    }

    // One turn about every millisecond from a producer thread, to Concurrency queues by turn number.
    private static async Task PacedAsyncRoundAsync(HttpClient client, int count)
    {
        var queues = Enumerable.Range(0, Concurrency).Select(_ => System.Threading.Channels.Channel.CreateUnbounded<int>(new() { SingleReader = true })).ToArray();
        var workers = queues.Select(q => Task.Run(async () =>
        {
            await foreach (var i in q.Reader.ReadAllAsync())
            {
                using var content = new StringContent(TurnBody, Encoding.UTF8, "application/json");
                using var response = await client.PostAsync("v1/conversations/bench-" + (i % 64) + "/turns", content);
                await response.Content.ReadAsByteArrayAsync();
            }
        })).ToArray();
        Pace(count, i => queues[i % Concurrency].Writer.TryWrite(i));
        foreach (var q in queues)
        {
            q.Writer.Complete();
        }

        await Task.WhenAll(workers);
    }

    private static Task PacedSyncRound(HttpClient client, int count)
    {
        var queues = Enumerable.Range(0, Concurrency).Select(_ => new System.Collections.Concurrent.BlockingCollection<int>()).ToArray();
        var threads = queues.Select(q => new Thread(() =>
        {
            foreach (var i in q.GetConsumingEnumerable())
            {
                SendBlocking(client, i);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        Pace(count, i => queues[i % Concurrency].Add(i));
        foreach (var q in queues)
        {
            q.CompleteAdding();
        }

        threads.ForEach(t => t.Join());
        return Task.CompletedTask;
    }

    private static void Pace(int count, Action<int> hand)
    {
        for (var i = 0; i < count; i++)
        {
            hand(i);
            Thread.Sleep(1);
        }
    }

    private static async Task SendRoundAsync(IAgentStack stack, int count)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var observation = await stack.SendTurnAsync(new TurnRequest { ConversationId = "bench-" + (i % 64), UserId = "u-1", Message = "Hello there!", Channel = "web", TurnIndex = i }, CancellationToken.None);
                if (observation.Error is { } error)
                {
                    throw new InvalidOperationException($"stub at the shadow URL failed: {error.Kind}: {error.Message}");
                }
            }
        }));
    }

    // What a worker does for a turn besides the send, on one thread: the request and both answers read, the pair
    // redacted into its stored form. The part of a mirrored turn that is ours, with no network in it.
    private static Task PairRoundAsync(int count)
    {
        var redactor = new Redactor([]);
        for (var i = 0; i < count; i++)
        {
            GC.KeepAlive(Pair(redactor, i));
        }

        return Task.CompletedTask;
    }

    // The store writer alone, fed pairs already in their stored form, as the proxy's workers hand them over.
    private static async Task StoreRoundAsync(IShadowResultStore store, int count)
    {
        var pair = Pair(new Redactor([]), 0);
        // The batch size and linger the proxy's shadow writer takes (its capture options' defaults).
        var capture = new CaptureOptions();
        await using var writer = new BatchWriter<StoredShadowTurn, StoredShadowTurn>(store.AppendAsync, static turn => turn, new BatchWriterOptions(count, capture.BatchSize, capture.BatchLinger), "shadow", "pair(s)");
        for (var i = 0; i < count; i++)
        {
            if (!writer.TryEnqueue(pair with { TurnIndex = i }))
            {
                throw new InvalidOperationException("the store queue was full");
            }
        }

        await writer.FlushAsync(CancellationToken.None);
    }

    private static StoredShadowTurn Pair(Redactor redactor, int i)
    {
        var request = NativeContract.TryParseTurnRequest(Encoding.UTF8.GetBytes($$"""{"userId":"u-{{i % 64}}","message":"Hello there!","channel":"web"}"""))!;
        var key = "bench-" + (i % 64);
        var primary = NativeContract.ParseTurnResponse("old", key, i, 200, Encoding.UTF8.GetString(PrimaryBody), 1.2);
        var shadow = NativeContract.ParseTurnResponse("new", key + "~b~abcdef", i, 200, Encoding.UTF8.GetString(PrimaryBody), 1.3);
        return new ShadowTurn(key, i, DateTimeOffset.UtcNow, request.Message, request.UserId, primary, shadow).Redact(redactor);
    }

    // Queues the turns as the proxy does (the queue holds a whole round) and waits until every one is stored.
    private static async Task MirrorRoundAsync(ShadowMirror mirror, ProxyMetrics metrics, int count)
    {
        var target = metrics.ShadowStored + metrics.ShadowDropped + metrics.ShadowFailed + count;
        for (var i = 0; i < count; i++)
        {
            var key = "bench-" + (i % 64);
            var work = new ShadowWork(key, DateTimeOffset.UtcNow, Encoding.UTF8.GetBytes($$"""{"userId":"u-{{i % 64}}","message":"Hello there!","channel":"web"}"""), 200, PrimaryBody, 1.2, null);
            if (!mirror.TryEnqueue(work))
            {
                throw new InvalidOperationException("the shadow queue was full: a dropped turn would take its conversation out of step");
            }
        }

        while (metrics.ShadowStored + metrics.ShadowDropped + metrics.ShadowFailed < target)
        {
            await Task.Delay(5);
        }
    }
}
