using System.Net;
using System.Text;
using DualStack.Core.Capture;
using DualStack.Core.Model;
using DualStack.Core.Privacy;
using DualStack.SampleAgent;
using DualStack.TestUtils;
using Microsoft.Data.Sqlite;

namespace DualStack.Cli.Tests;

public sealed class CaptureProcessTests
{
    [Test]
    public async Task Capture_ProxyKilledMidRun_StoreReopensIntactWithAnInOrderPrefixOfTheTraffic()
    {
        var dir = Directory.CreateTempSubdirectory("capture-kill-").FullName;
        var store = Path.Combine(dir, "captures.db");
        await using var agent = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        var proxy = await CaptureProcess.StartAsync(dir, "--old", agent.BaseAddress.AbsoluteUri, "--store", store);
        try
        {
            var http = proxy.Http;
            var sent = 0;
            for (var i = 0; i < 120; i++)
            {
                using var response = await http.PostAsync($"v1/conversations/k-{i % 7}/turns", new StringContent($$"""{"userId":"u-{{i % 7}}","message":"Where is order {{4400 + i}}?"}""", Encoding.UTF8, "application/json"));
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
                sent++;
                if (i == 59)
                {
                    // Mid-run means some batches are on disk and more traffic is in flight when the process dies.
                    await proxy.WaitForMetricAsync("dualstack_captures_written_total", 1);
                }
            }

            await proxy.Process.KillAsync(); // SIGKILL: no flush, no orderly shutdown

            SqliteConnection.ClearAllPools();
            await using (var check = new SqliteConnection($"Data Source={store};Pooling=false"))
            {
                await check.OpenAsync();
                await using var command = check.CreateCommand();
                command.CommandText = "PRAGMA integrity_check";
                Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo("ok"));
            }

            await using var reopened = await SqliteCaptureStore.OpenAsync(store, CancellationToken.None);
            var messages = new List<string>();
            await foreach (var exchange in reopened.ReadAsync(0, null, CancellationToken.None))
            {
                messages.Add(exchange.RequestBody!);
            }

            Assert.That(messages.Count, Is.LessThanOrEqualTo(sent));
            Assert.That(messages.Count, Is.GreaterThan(0), "batches written before the kill survive");
            for (var i = 0; i < messages.Count; i++)
            {
                Assert.That(messages[i], Does.Contain($"order {4400 + i}"), "what survives is the first N exchanges, in order, none torn");
            }

            TestContext.Out.WriteLine($"sent {sent}, survived {messages.Count}");
        }
        finally
        {
            await proxy.DisposeAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task CapturesPrune_OldExchangesAndShadowPairs_BothDeletedAndCounted()
    {
        var dir = Directory.CreateTempSubdirectory("captures-prune-").FullName;
        var store = Path.Combine(dir, "captures.db");
        try
        {
            var now = DateTimeOffset.UtcNow;
            await using (var captures = await SqliteCaptureStore.OpenAsync(store, CancellationToken.None))
            {
                await using var pairs = await ShadowResultStores.OpenBesideAsync(captures, store, CancellationToken.None);
                await captures.AppendAsync([Exchange(now.AddDays(-20)), Exchange(now.AddDays(-15)), Exchange(now)], CancellationToken.None);
                await pairs.AppendAsync([Pair("old", now.AddDays(-20)), Pair("new", now)], CancellationToken.None);
            }

            SqliteConnection.ClearAllPools();
            var result = await CliRunner.RunAsync(dir, "captures", "prune", "--store", store, "--retain", "14d");

            Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
            Assert.That(result.Stdout, Does.Contain("deleted 2 exchanges and 1 shadow pairs recorded before"), result.ToString());
            await using var reopened = await ShadowResultStores.OpenAsync(store, CancellationToken.None);
            var left = new List<string>();
            await foreach (var pair in reopened.ReadAsync(CancellationToken.None))
            {
                left.Add(pair.ConversationKey);
            }

            Assert.That(left, Is.EqualTo(new[] { "new" }));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static CapturedExchange Exchange(DateTimeOffset at) => new()
    {
        Timestamp = at,
        Method = "POST",
        Path = "/v1/conversations/c-1/turns",
        ConversationKey = "c-1",
        RequestBody = """{"userId":"u-1","message":"hi"}""",
        Status = 200,
        ResponseBody = """{"reply":"ok"}""",
        DurationMs = 10,
    };

    private static StoredShadowTurn Pair(string key, DateTimeOffset at) => new ShadowTurn(
        key,
        0,
        at,
        "hi",
        "u-1",
        new StackObservation { Stack = "old", ConversationId = key, HttpStatus = 200, Reply = "ok" },
        new StackObservation { Stack = "new", ConversationId = key + "~b~x", HttpStatus = 200, Reply = "ok" }).Redact(new Redactor([]));
}
