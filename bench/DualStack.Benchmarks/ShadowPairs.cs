using System.Diagnostics;
using System.Net.Http.Json;
using DualStack.Core.Capture;
using DualStack.Core.Comparison;
using DualStack.Core.Scenarios;
using DualStack.Core.Synthetic;
using DualStack.Core.Verdicts;
using DualStack.Proxy;
using DualStack.SampleAgent;

namespace DualStack.Benchmarks;

/// <summary>
/// <c>-- shadow-judge [pairs=10000] [store]</c>: fills a SQLite store through a real shadowing proxy (sample agent v1
/// primary, v2 nondeterministic shadow, synthetic conversations), then judges it with <see cref="ShadowJudge"/>
/// lexically and with MiniLM (each on a fresh copy of the store) and prints pairs per second and per CPU-second;
/// judges the lexical copy's store twice to check the verdicts are identical.
/// </summary>
internal static class ShadowPairs
{
    public static async Task RunAsync(int pairs, string? storePath)
    {
        var dir = Directory.CreateTempSubdirectory("shadow-judge-bench-").FullName;
        var store = storePath ?? Path.Combine(dir, "pairs.db");
        try
        {
            if (!File.Exists(store))
            {
                await FillAsync(store, pairs);
            }

            foreach (var lexical in new[] { true, false })
            {
                var copy = Path.Combine(dir, lexical ? "lexical.db" : "minilm.db");
                File.Copy(store, copy, overwrite: true);
                using var semantic = lexical ? null : new DualStack.Semantic.MiniLmSimilarity();
                var engine = new VerdictEngine(new ComparisonConfig(), semantic);
                await using var queue = await ShadowJudgeQueues.OpenAsync(copy, "--source", null, CancellationToken.None);
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                var judged = await new ShadowJudge(queue, engine) { BatchSize = 64 }.RunAsync(follow: false, CancellationToken.None);
                var seconds = clock.Elapsed.TotalSeconds;
                var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
                var run = await ShadowJudgeRun.BuildAsync(queue, null, engine, "bench", "pairs.db", DateTimeOffset.UnixEpoch, false, null, CancellationToken.None);
                Console.WriteLine($"{engine.Similarity}: judged {judged} pairs in {seconds:F1} s = {judged / seconds:N0} pairs/s wall, {judged / cpuSeconds:N0} pairs per CPU-second; run: {run.Summary.Conversations} conversations, {run.Summary.Regressions} regressions, {run.Summary.Errors} errors");
                if (lexical)
                {
                    // Judging the same pairs again from scratch gives the same verdicts.
                    var again = Path.Combine(dir, "again.db");
                    File.Copy(store, again, overwrite: true);
                    await using var second = await ShadowJudgeQueues.OpenAsync(again, "--source", null, CancellationToken.None);
                    await new ShadowJudge(second, engine) { BatchSize = 64 }.RunAsync(follow: false, CancellationToken.None);
                    var rerun = await ShadowJudgeRun.BuildAsync(second, null, engine, "bench", "pairs.db", DateTimeOffset.UnixEpoch, false, null, CancellationToken.None);
                    var same = run.Conversations.SelectMany(c => c.Turns.Select(t => (c.Conversation.Id, t.Index, t.Verdict, t.Severity, t.Reason)))
                        .SequenceEqual(rerun.Conversations.SelectMany(c => c.Turns.Select(t => (c.Conversation.Id, t.Index, t.Verdict, t.Severity, t.Reason))));
                    Console.WriteLine($"judged twice from scratch: verdicts identical: {same}");
                }
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task FillAsync(string store, int pairs)
    {
        await using var oldAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v1" });
        await using var newAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2", Nondeterministic = true, Faults = ["wrong-skill-args"] });
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions
        {
            Old = oldAgent.BaseAddress, StorePath = store, Shadow = newAgent.BaseAddress, ShadowQueueCapacity = 100_000, ShadowWorkers = 8,
        });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        var clock = Stopwatch.StartNew();
        var sent = 0;
        var seed = 1;
        while (sent < pairs)
        {
            foreach (var conversation in SyntheticGenerator.Generate(new SyntheticConfig { Count = 200, Seed = seed++ }))
            {
                foreach (var turn in conversation.Turns)
                {
                    if (sent == pairs)
                    {
                        break;
                    }

                    using var response = await http.PostAsJsonAsync($"v1/conversations/{conversation.Id}-{seed}/turns", new { userId = conversation.UserId, message = turn.Message, channel = "web" });
                    sent++;
                }
            }
        }

        while (proxy.Metrics.ShadowStored + proxy.Metrics.ShadowDropped < sent)
        {
            await Task.Delay(200);
        }

        await proxy.FlushAsync(CancellationToken.None);
        Console.WriteLine($"filled {store}: {proxy.Metrics.ShadowStored} pairs stored ({proxy.Metrics.ShadowDropped} dropped) from {sent} turns in {clock.Elapsed.TotalSeconds:F0} s");
    }
}
