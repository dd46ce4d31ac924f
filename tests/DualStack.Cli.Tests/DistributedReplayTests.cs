using DualStack.Core.Capture;
using DualStack.Core.Results;
using DualStack.Sandbox;
using DualStack.TestUtils;
using Npgsql;

namespace DualStack.Cli.Tests;

/// <summary>`verify --queue` with `dualstack worker` processes on a real PostgreSQL (a private cluster).</summary>
[Category("postgres")]
public sealed class DistributedReplayTests
{
    [Test]
    public async Task Verify_WorkerKilledMidRun_NothingLostNothingJudgedTwice()
    {
        var queue = await PostgresCluster.NewDatabaseAsync("replay");
        // 300 ms per new-stack turn: a claimed batch is still in flight when the worker is killed.
        await using var stacks = await EmbeddedStacks.StartAsync(new EmbeddedStackOptions { NewFaults = ["latency:300"] }, CancellationToken.None);
        var reports = Directory.CreateTempSubdirectory("distributed-").FullName;
        const string RunId = "kill-test";
        Task<CliRunner.CliResult>? workerRun = null;
        var killedIds = new List<string>();

        var coordinator = await CliRunner.RunAsync(CliRunner.RepoRoot, (_, line) =>
        {
            if (line.StartsWith("distributed run", StringComparison.Ordinal) && workerRun is null)
            {
                workerRun = CliRunner.RunAsync(CliRunner.RepoRoot, (worker, workerLine) =>
                {
                    if (workerLine.StartsWith("claimed", StringComparison.Ordinal) && killedIds.Count == 0)
                    {
                        worker.Kill(entireProcessTree: true); // SIGKILL with a batch in hand
                        killedIds.AddRange(workerLine.Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
                    }
                }, "worker", "--queue", queue, "--run", RunId, "--batch", "2", "--lease-seconds", "3");
            }
        }, "verify", "--scenario", Path.Combine("scenarios", "demo.json"), "--old", stacks.OldServer.BaseAddress.AbsoluteUri, "--new", stacks.NewServer.BaseAddress.AbsoluteUri,
            "--synthetic", "16", "--seed", "5", "--lexical", "--queue", queue, "--workers", "1", "--run-id", RunId, "--batch", "2", "--lease-seconds", "3", "--reports", reports);

        Assert.That(workerRun, Is.Not.Null, coordinator.ToString());
        var worker = await workerRun!;
        Assert.That(killedIds, Is.Not.Empty, "the worker was killed holding a batch\n" + worker);
        Assert.That(coordinator.ExitCode, Is.AnyOf(0, 1), coordinator.ToString());
        var resultsPath = coordinator.Stdout.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("results: ", StringComparison.Ordinal))["results: ".Length..];
        var result = await ResultsFile.ReadAsync(Path.Combine(CliRunner.RepoRoot, resultsPath), CancellationToken.None);
        var ids = result.Conversations.Select(c => c.Conversation.Id).ToArray();
        var total = int.Parse(System.Text.RegularExpressions.Regex.Match(coordinator.Stdout, @"replaying (\d+) conversations").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(total, Is.GreaterThanOrEqualTo(16));
        Assert.That(ids, Has.Length.EqualTo(total), "every conversation judged (scripted + 16 synthetic)\n" + coordinator + "\n" + worker);
        Assert.That(ids, Is.Unique, "no conversation judged twice");
        Assert.That(ids, Is.SupersetOf(killedIds), "the killed worker's batch was judged by someone else");
        Assert.That(result.Cancelled, Is.False);

        await using var connection = new NpgsqlConnection(queue);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT (SELECT COUNT(*) FROM replay_results WHERE run_id = @r), (SELECT MIN(attempts) FROM replay_items WHERE run_id = @r AND conversation_id = ANY(@ids))", connection);
        count.Parameters.AddWithValue("r", RunId);
        count.Parameters.AddWithValue("ids", killedIds.ToArray());
        await using var reader = await count.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.That(reader.GetInt64(0), Is.EqualTo(total), "one stored result per conversation");
        Assert.That(reader.GetInt32(1), Is.GreaterThanOrEqualTo(2), "the killed worker's conversations were claimed again after the lease expired");
        TestContext.Out.WriteLine($"killed worker held {string.Join(", ", killedIds)}; coordinator output:\n{coordinator.Stdout}");
    }

    [Test]
    public async Task Verify_QueueFedFromCaptureStore_ReplayResultsStoredRedacted()
    {
        // Issue 18: a run folder made from captures is redacted, so the results the distributed queue stores for the
        // same run must be too. The stacks' integrations know a customer's e-mail (an order item engraved for her),
        // which reaches both stacks' skill results although the captured message holds nothing personal.
        const string Email = "jane.doe1@example.com";
        var queue = await PostgresCluster.NewDatabaseAsync("replayredact");
        var fixtures = new SandboxFixtures
        {
            Orders = [new OrderFixture { OrderId = "4411", Status = "shipped", Total = 19.5m, Items = [new OrderItem { Sku = "MUG-1", Name = $"Engraved mug for {Email}", Price = 19.5m }] }],
        };
        await using var stacks = await EmbeddedStacks.StartAsync(new EmbeddedStackOptions { Fixtures = fixtures }, CancellationToken.None);
        var dir = Directory.CreateTempSubdirectory("distributed-redact-").FullName;
        var store = Path.Combine(dir, "captures.db");
        await using (var captures = await SqliteCaptureStore.OpenAsync(store, CancellationToken.None))
        {
            await captures.AppendAsync(
                [
                    new CapturedExchange
                    {
                        Timestamp = DateTimeOffset.UtcNow,
                        Method = "POST",
                        Path = "/v1/conversations/c-mug/turns",
                        ConversationKey = "c-mug",
                        RequestBody = """{"userId":"u-mug","message":"Where is order 4411?","channel":"web"}""",
                        Status = 200,
                        ResponseBody = """{"conversationId":"c-mug","turnIndex":0,"reply":"Order 4411 has shipped."}""",
                        DurationMs = 3,
                    },
                ],
                CancellationToken.None);
        }

        // No worker in the coordinator: a separate `dualstack worker` process, which knows only what the queue stores,
        // judges the run.
        const string RunId = "redact-test";
        Task<CliRunner.CliResult>? workerRun = null;
        var verify = await CliRunner.RunAsync(CliRunner.RepoRoot, (_, line) =>
        {
            if (line.StartsWith("distributed run", StringComparison.Ordinal) && workerRun is null)
            {
                workerRun = CliRunner.RunAsync(CliRunner.RepoRoot, "worker", "--queue", queue, "--run", RunId);
            }
        }, "verify", "--scenario", Path.Combine("scenarios", "demo.json"), "--old", stacks.OldServer.BaseAddress.AbsoluteUri, "--new", stacks.NewServer.BaseAddress.AbsoluteUri,
            "--source", store, "--lexical", "--queue", queue, "--workers", "0", "--run-id", RunId, "--reports", Path.Combine(dir, "reports"));
        Assert.That(workerRun, Is.Not.Null, verify.ToString());
        var worker = await workerRun!;
        Assert.That(worker.ExitCode, Is.Zero, worker.ToString());
        Assert.That(verify.ExitCode, Is.AnyOf(0, 1), verify.ToString());

        await using var connection = new NpgsqlConnection(queue);
        await connection.OpenAsync();
        var texts = new List<string>();
        foreach (var sql in new[]
        {
            "SELECT result::text FROM replay_results WHERE run_id = @r AND conversation_id = 'c-mug'",
            "SELECT string_agg(result::text, E'\\n') FROM replay_results WHERE run_id = @r",
            "SELECT string_agg(conversation::text, E'\\n') FROM replay_items WHERE run_id = @r",
            "SELECT settings::text FROM replay_runs WHERE run_id = @r",
        })
        {
            await using var read = new NpgsqlCommand(sql, connection);
            read.Parameters.AddWithValue("r", RunId);
            texts.Add(await read.ExecuteScalarAsync() as string ?? string.Empty);
        }

        Assert.That(texts[0], Does.Contain("Engraved mug for"), "the captured conversation was judged and its skill result (with the customer's e-mail) stored\n" + verify);
        Assert.That(string.Join('\n', texts), Does.Not.Contain(Email).And.Not.Contain("jane.doe1@"), "replay_results, replay_items and replay_runs hold no e-mail in clear");
        var runFolder = string.Concat(Directory.GetFiles(Path.Combine(dir, "reports"), "*", SearchOption.AllDirectories).Select(File.ReadAllText));
        Assert.That(runFolder, Does.Contain("Engraved mug for").And.Not.Contain(Email), "the run folder is redacted as before");
    }
}
