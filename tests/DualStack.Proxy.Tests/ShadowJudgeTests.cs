using System.Text;
using DualStack.Core.Capture;
using DualStack.Core.Comparison;
using DualStack.Core.Verdicts;
using DualStack.SampleAgent;
using DualStack.TestUtils;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DualStack.Proxy.Tests;

/// <summary>
/// The out-of-process shadow judge over stores a real shadowing proxy wrote: every pair judged exactly once, whether
/// a judge dies mid-run or several share a PostgreSQL store, and the same verdicts every time.
/// </summary>
public sealed class ShadowJudgeTests : TempDirectoryTest
{
    private static readonly string[] Messages =
    [
        "Where is order 4411?", "I want a refund for order 4411.", "Please remember that I prefer email.", "Hello there!",
    ];

    private static VerdictEngine Lexical() => new(new ComparisonConfig());

    [Test]
    public async Task Judge_KilledMidRunAndRestarted_JudgesEveryPairExactlyOnce()
    {
        var pairs = await ShadowTrafficAsync(StorePath, conversations: 6);
        await using var queue = await ShadowJudgeQueues.OpenAsync(StorePath, "--source", null, CancellationToken.None);

        // The first judge dies (its process is gone: no renewal, no completion) after three judgements, holding the
        // rest of its claim.
        using var kill = new CancellationTokenSource();
        var judgedByFirst = 0;
        var first = new ShadowJudge(queue, Lexical(), "judge-1") { BatchSize = 8, Lease = TimeSpan.FromSeconds(3), Judged = (_, _) => { if (++judgedByFirst == 3) { kill.Cancel(); } } };
        Assert.That(async () => await first.RunAsync(follow: false, kill.Token), Throws.InstanceOf<OperationCanceledException>());
        var afterKill = await queue.ProgressAsync(null, CancellationToken.None);
        Assert.That((afterKill.Done, afterKill.Leased), Is.EqualTo((3L, 5L)), "three judged, the other five still held by the dead judge");

        var second = new ShadowJudge(queue, Lexical(), "judge-2") { BatchSize = 8, Lease = TimeSpan.FromSeconds(3) };
        var judgedBySecond = await second.RunAsync(follow: false, CancellationToken.None);

        var final = await queue.ProgressAsync(null, CancellationToken.None);
        Assert.That(judgedByFirst + judgedBySecond, Is.EqualTo(pairs));
        Assert.That((final.Total, final.Done, final.Leased, final.Pending), Is.EqualTo(((long)pairs, (long)pairs, 0L, 0L)));
        Assert.That(final.Reclaimed, Is.EqualTo(5), "the dead judge's pairs were claimed again once its lease expired");
        var judgements = await ReadAllAsync(queue);
        Assert.That(judgements.Select(j => j.PairId).ToArray(), Is.Unique.And.Length.EqualTo(pairs), "one judgement per pair");
    }

    [Test]
    public async Task Judge_SameStoreTwice_IdenticalVerdicts()
    {
        await ShadowTrafficAsync(StorePath, conversations: 5, faults: ["drop-skill"]);
        var copy = Path.Combine(Dir, "copy.db");
        SqliteConnection.ClearAllPools();
        await using (var connection = new SqliteConnection($"Data Source={StorePath};Pooling=false"))
        {
            await connection.OpenAsync();
            await using var vacuum = connection.CreateCommand();
            vacuum.CommandText = $"VACUUM INTO '{copy}'";
            await vacuum.ExecuteNonQueryAsync();
        }

        var runs = new List<string>();
        foreach (var path in new[] { StorePath, copy })
        {
            await using var queue = await ShadowJudgeQueues.OpenAsync(path, "--source", null, CancellationToken.None);
            var engine = Lexical();
            await new ShadowJudge(queue, engine).RunAsync(follow: false, CancellationToken.None);
            var run = await ShadowJudgeRun.BuildAsync(queue, null, engine, "r", "captures.db", DateTimeOffset.UnixEpoch, false, null, CancellationToken.None);
            Assert.That(run.Summary.Regressions, Is.Positive, "the dropped skill is found");
            runs.Add(string.Join('\n', run.Conversations.SelectMany(c => c.Turns.Select(t => $"{c.Conversation.Id} {t.Index} {t.Verdict} {t.Severity} {t.Reason}"))));
        }

        Assert.That(runs[1], Is.EqualTo(runs[0]));
    }

    [Test]
    [Category("postgres")]
    public async Task Judge_TwoJudgesOnPostgres_ShareTheWorkAndNoPairIsJudgedTwice()
    {
        var database = await PostgresCluster.NewDatabaseAsync("shadowjudge");
        var pairs = await ShadowTrafficAsync(database, conversations: 10);
        await using var queueA = await ShadowJudgeQueues.OpenAsync(database, "--source", null, CancellationToken.None);
        await using var queueB = await ShadowJudgeQueues.OpenAsync(database, "--source", null, CancellationToken.None);
        var claimedA = new List<long>();
        var claimedB = new List<long>();
        // Judge A holds its first batch until B has judged a pair: without that, whichever judge starts first may take
        // every pair before the other claims one, and "both did part of the work" would depend on thread timing.
        var bJudged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var counts = await Task.WhenAll(
            new ShadowJudge(queueA, Lexical(), "judge-a")
            {
                BatchSize = 3,
                Judged = (p, _) =>
                {
                    int count;
                    lock (claimedA)
                    {
                        claimedA.Add(p.Id);
                        count = claimedA.Count;
                    }

                    if (count == 1)
                    {
                        bJudged.Task.Wait(TimeSpan.FromSeconds(30));
                    }
                },
            }.RunAsync(follow: false, CancellationToken.None),
            new ShadowJudge(queueB, Lexical(), "judge-b")
            {
                BatchSize = 3,
                Judged = (p, _) =>
                {
                    lock (claimedB)
                    {
                        claimedB.Add(p.Id);
                    }

                    bJudged.TrySetResult();
                },
            }.RunAsync(follow: false, CancellationToken.None));

        Assert.That(counts.Sum(), Is.EqualTo(pairs));
        Assert.That(claimedA.Intersect(claimedB), Is.Empty, "no pair judged by both");
        var progress = await queueA.ProgressAsync(null, CancellationToken.None);
        Assert.That((progress.Total, progress.Done, progress.Reclaimed), Is.EqualTo(((long)pairs, (long)pairs, 0L)));
        Assert.That((await ReadAllAsync(queueA)).Select(j => j.PairId).ToArray(), Is.Unique.And.Length.EqualTo(pairs));
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var judges = new NpgsqlCommand("SELECT COUNT(DISTINCT owner) FROM shadow_judgements", connection);
        Assert.That(await judges.ExecuteScalarAsync(), Is.EqualTo(2L), "both judges did part of the work");
    }

    [Test]
    [Category("postgres")]
    public async Task Judge_KilledOnPostgresAndRestarted_JudgesEveryPairExactlyOnce()
    {
        var database = await PostgresCluster.NewDatabaseAsync("shadowkill");
        var pairs = await ShadowTrafficAsync(database, conversations: 4);
        await using var queue = await ShadowJudgeQueues.OpenAsync(database, "--source", null, CancellationToken.None);
        using var kill = new CancellationTokenSource();
        var judgedByFirst = 0;
        var first = new ShadowJudge(queue, Lexical(), "judge-1") { BatchSize = 5, Lease = TimeSpan.FromSeconds(1), Judged = (_, _) => { if (++judgedByFirst == 2) { kill.Cancel(); } } };
        Assert.That(async () => await first.RunAsync(follow: false, kill.Token), Throws.InstanceOf<OperationCanceledException>());

        var judgedBySecond = await new ShadowJudge(queue, Lexical(), "judge-2") { BatchSize = 5, Lease = TimeSpan.FromSeconds(1) }.RunAsync(follow: false, CancellationToken.None);

        Assert.That(judgedByFirst + judgedBySecond, Is.EqualTo(pairs));
        var progress = await queue.ProgressAsync(null, CancellationToken.None);
        Assert.That((progress.Done, progress.Reclaimed), Is.EqualTo(((long)pairs, 3L)));
    }

    [Test]
    public async Task Judge_SinceWindow_OnlyPairsOfTheWindowAreJudged()
    {
        var pairs = await ShadowTrafficAsync(StorePath, conversations: 3);
        await using (var connection = new SqliteConnection($"Data Source={StorePath};Pooling=false"))
        {
            // Two pairs are from two days ago.
            await connection.OpenAsync();
            await using var age = connection.CreateCommand();
            age.CommandText = "UPDATE shadow_turns SET ts = $old WHERE id IN (SELECT id FROM shadow_turns ORDER BY id LIMIT 2)";
            age.Parameters.AddWithValue("$old", DateTimeOffset.UtcNow.AddDays(-2).ToString("O"));
            await age.ExecuteNonQueryAsync();
        }

        await using var queue = await ShadowJudgeQueues.OpenAsync(StorePath, "--source", null, CancellationToken.None);
        var judged = await new ShadowJudge(queue, Lexical()) { Window = TimeSpan.FromHours(24) }.RunAsync(follow: false, CancellationToken.None);

        Assert.That(judged, Is.EqualTo(pairs - 2));
        Assert.That((await queue.ProgressAsync(null, CancellationToken.None)).Pending, Is.EqualTo(2), "the older pairs wait for a judge without the window");
    }

    private static async Task<List<ShadowJudgement>> ReadAllAsync(IShadowJudgeQueue queue)
    {
        var all = new List<ShadowJudgement>();
        await foreach (var judgement in queue.ReadJudgementsAsync(null, CancellationToken.None))
        {
            all.Add(judgement);
        }

        return all;
    }

    /// <summary>Live traffic through a real shadowing proxy (old v1, new v2 with <paramref name="faults"/>) into <paramref name="store"/>; returns the pairs stored.</summary>
    private static async Task<int> ShadowTrafficAsync(string store, int conversations, string[]? faults = null)
    {
        await using var oldAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v1" });
        await using var newAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2", Faults = faults ?? [] });
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = oldAgent.BaseAddress, StorePath = store, Shadow = newAgent.BaseAddress });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        var sent = 0;
        for (var c = 0; c < conversations; c++)
        {
            foreach (var message in Messages.Take(1 + (c % 3)))
            {
                using var response = await http.PostAsync($"v1/conversations/conv-{c}/turns", new StringContent($$"""{"userId":"u-{{c}}","message":"{{message}}"}""", Encoding.UTF8, "application/json"));
                Assert.That(response.IsSuccessStatusCode, Is.True);
                sent++;
            }
        }

        for (var i = 0; i < 400 && proxy.Metrics.ShadowStored < sent; i++)
        {
            await Task.Delay(50);
        }

        Assert.That(proxy.Metrics.ShadowStored, Is.EqualTo(sent), "every mirrored turn stored as a pair");
        return sent;
    }
}
