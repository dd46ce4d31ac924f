using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using DualStack.Core.Capture;
using DualStack.Core.Privacy;
using DualStack.SampleAgent;
using DualStack.TestUtils;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace DualStack.Proxy.Tests;

/// <summary>
/// Shadow pairs reach the store through one batching writer (group commit): many pairs per transaction, in
/// conversation order, a failing store costing only its batches (counted, logged) and never a primary request, and
/// everything queued written before shutdown.
/// </summary>
public sealed class ShadowStoreWriterTests : TempDirectoryTest
{
    private const int Conversations = 6;
    private const int TurnsEach = 10;

    [Test]
    public async Task Mirror_ManyPairsWhileTheStoreCommits_FarFewerCommitsThanPairsInConversationOrder()
    {
        await using var newAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2" });
        using var gate = new SemaphoreSlim(0);
        var store = new MemoryShadowStore { Gate = gate };
        var (mirror, metrics) = Mirror(newAgent.BaseAddress, store);
        await using (mirror)
        {
            EnqueueTurns(mirror);

            // The first commit is held (a slow disk) until every pair has reached the writer: the rest wait and go together.
            await WaitFor(() => mirror.Store!.Enqueued == Conversations * TurnsEach);
            gate.Release(int.MaxValue / 2);
            await mirror.DrainAsync(TimeSpan.FromSeconds(60));

            Assert.That(metrics.ShadowStored, Is.EqualTo(Conversations * TurnsEach), "every pair stored, counted after its commit");
            Assert.That(mirror.Store!.Batches, Is.InRange(1, 2), "60 pairs in at most two transactions, not 60");
            Assert.That(store.Batches, Has.Count.EqualTo(mirror.Store.Batches));
            Assert.That((mirror.Store.Dropped, metrics.ShadowFailed), Is.EqualTo((0L, 0L)));
            foreach (var conversation in store.Stored.GroupBy(t => t.ConversationKey))
            {
                Assert.That(conversation.Select(t => t.TurnIndex), Is.EqualTo(Enumerable.Range(0, TurnsEach)), $"{conversation.Key}: stored in turn order");
            }
        }
    }

    [Test]
    public async Task Dispose_PairsQueuedBehindABusyStore_AllWrittenBeforeItReturns()
    {
        await using var newAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2" });
        using var gate = new SemaphoreSlim(0);
        var store = new MemoryShadowStore { Gate = gate };
        var (mirror, metrics) = Mirror(newAgent.BaseAddress, store);
        EnqueueTurns(mirror);
        await WaitFor(() => mirror.Store!.Enqueued == Conversations * TurnsEach);
        Assert.That(store.Stored, Is.Empty, "all pairs are still queued or held");

        var disposing = mirror.DisposeAsync();
        gate.Release(int.MaxValue / 2);
        await disposing;

        Assert.That(store.Stored, Has.Count.EqualTo(Conversations * TurnsEach));
        Assert.That(metrics.ShadowStored, Is.EqualTo(Conversations * TurnsEach));
    }

    [Test]
    public async Task Proxy_ShadowStoreFails_BatchesDroppedCountedLoggedAndEveryPrimaryRequestServed()
    {
        var log = new ListLogger();
        await using var oldAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v1" });
        await using var newAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2" });
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions
        {
            Old = oldAgent.BaseAddress, StorePath = StorePath, Shadow = newAgent.BaseAddress, Time = new FakeTimeProvider(), LogSink = log,
        });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        // The shadow table refuses every insert (as a full disk would), the captures table does not.
        await ExecuteAsync("CREATE TRIGGER refuse_shadow BEFORE INSERT ON shadow_turns BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;");

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var response = await http.PostAsync($"v1/conversations/c-{i % 2}/turns", Json($$"""{"userId":"u-1","message":"turn {{i}}"}"""));
            statuses.Add(response.StatusCode);
        }

        var store = proxy.Shadow!.Store!;
        await WaitFor(() => store.Dropped == 8);
        Assert.That(statuses, Has.All.EqualTo(HttpStatusCode.OK), "the primary path never sees the shadow store");
        Assert.That((proxy.Metrics.ShadowStored, store.Written, store.Batches), Is.EqualTo((0L, 0L, 0L)));
        Assert.That(store.StoreFailures, Is.InRange(1, 8), "each failed transaction lost its whole batch");
        Assert.That(proxy.Metrics.ShadowFailed, Is.Zero, "the shadow stack answered every turn: a store failure is not a shadow failure");

        // The store is writable again: the same conversations go on being stored.
        await ExecuteAsync("DROP TRIGGER refuse_shadow;");
        for (var i = 8; i < 10; i++)
        {
            using var response = await http.PostAsync($"v1/conversations/c-{i % 2}/turns", Json($$"""{"userId":"u-1","message":"turn {{i}}"}"""));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        await WaitFor(() => proxy.Metrics.ShadowStored == 2);
        proxy.FailureLogs!.Tick();
        var metrics = PrometheusText.Parse(await http.GetStringAsync("metrics"));

        Assert.That(metrics.Value("dualstack_shadow_store_dropped_total"), Is.EqualTo(8));
        Assert.That(metrics.Value("dualstack_shadow_store_failures_total"), Is.EqualTo(store.StoreFailures));
        Assert.That(metrics.Value("dualstack_shadow_store_batches_total"), Is.EqualTo(store.Batches).And.Positive);
        Assert.That(metrics.Value("dualstack_shadow_stored_total"), Is.EqualTo(2));
        Assert.That(await ScalarAsync("SELECT count(*) FROM shadow_turns"), Is.EqualTo(2));
        var warnings = log.ProxyWarnings.Select(e => e.Message).ToArray();
        Assert.That(
            warnings.Count(m => m.StartsWith("shadow store failing: ", StringComparison.Ordinal) && m.Contains("SqliteException", StringComparison.Ordinal) && m.Contains("disk I/O error", StringComparison.Ordinal)),
            Is.EqualTo(1),
            string.Join("\n", warnings));
    }

    private static (ShadowMirror Mirror, ProxyMetrics Metrics) Mirror(Uri shadow, IShadowResultStore store)
    {
        var metrics = new ProxyMetrics(new TestMeterFactory());
        var options = new ProxyOptions { Old = new Uri("http://127.0.0.1:9/"), Shadow = shadow };
        return (new ShadowMirror(options, store, metrics, new ListLogger().CreateLogger("DualStack.Proxy"), new Redactor([])), metrics);
    }

    // Interleaved, as live traffic arrives: turn t of every conversation, then turn t + 1.
    private static void EnqueueTurns(ShadowMirror mirror)
    {
        for (var t = 0; t < TurnsEach; t++)
        {
            for (var c = 0; c < Conversations; c++)
            {
                var key = $"c-{c}";
                var request = Encoding.UTF8.GetBytes($$"""{"userId":"u-{{c}}","message":"turn {{t}}"}""");
                var response = Encoding.UTF8.GetBytes($$$"""{"conversationId":"{{{key}}}","turnIndex":{{{t}}},"reply":"ok {{{t}}}","skillCalls":[],"memory":{"retrieved":[],"written":[]}}""");
                Assert.That(mirror.TryEnqueue(new ShadowWork(key, DateTimeOffset.UnixEpoch.AddSeconds(t), request, 200, response, 5, null)), Is.True);
            }
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={StorePath};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={StorePath};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync())!;
    }

    // A condition on the counters, polled; bounded only so that a broken build fails instead of hanging.
    private static async Task WaitFor(Func<bool> condition)
    {
        for (var i = 0; i < 1200 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.That(condition(), Is.True, "condition not reached within 60 s");
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }

    /// <summary>Shadow pairs in memory; each append waits for one release of <see cref="Gate"/> when set.</summary>
    private sealed class MemoryShadowStore : IShadowResultStore
    {
        private readonly ConcurrentQueue<StoredShadowTurn> _stored = new();

        public SemaphoreSlim? Gate { get; init; }

        public ConcurrentQueue<int> Batches { get; } = new();

        public IReadOnlyList<StoredShadowTurn> Stored => [.. _stored];

        public async Task AppendAsync(IReadOnlyList<StoredShadowTurn> batch, CancellationToken cancellationToken)
        {
            if (Gate is not null)
            {
                await Gate.WaitAsync(cancellationToken);
            }

            Batches.Enqueue(batch.Count);
            foreach (var turn in batch)
            {
                _stored.Enqueue(turn);
            }
        }

        public async IAsyncEnumerable<ShadowTurn> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            foreach (var turn in _stored)
            {
                yield return turn.Read();
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
