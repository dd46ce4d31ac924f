using DualStack.TestUtils;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using DualStack.Core.Capture;
using DualStack.Core.Judgement;
using DualStack.Core.Verdicts;
using DualStack.SampleAgent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;

namespace DualStack.Proxy.Tests;

public sealed class CaptureProxyTests : TempDirectoryTest
{
    // Shadow answers are judged like verify judges them: meaning by the local MiniLM model, as `dualstack capture` does by default.
    private static readonly Lazy<DualStack.Semantic.MiniLmSimilarity> Semantic = new(() => new DualStack.Semantic.MiniLmSimilarity());
    [Test]
    public async Task Forward_OldStackAnswers500_ClientSeesTheSameStatusBodyAndHeaders()
    {
        await using var old = await LoopbackApp.StartAsync(app => app.MapPost("/v1/conversations/{id}/turns", (HttpContext c) =>
        {
            c.Response.Headers["X-Old"] = "yes";
            return Results.Problem("database down", statusCode: 500);
        }));
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = old.Address, StorePath = StorePath });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        using var response = await http.PostAsync("v1/conversations/c-1/turns", Json("""{"userId":"u-1","message":"hi"}"""));

        Assert.That((int)response.StatusCode, Is.EqualTo(500));
        Assert.That(response.Headers.GetValues("X-Old"), Is.EqualTo(new[] { "yes" }));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("database down"));
        await proxy.FlushAsync(CancellationToken.None);
        var stored = await ReadAll();
        Assert.That(stored.Single().Status, Is.EqualTo(500));
        Assert.That(stored.Single().ConversationKey, Is.EqualTo("c-1"));
    }

    [Test]
    public async Task Capture_ManyConcurrentExchanges_EachStoredWithItsOwnBodies()
    {
        // The body buffers are pooled and handed to the writer: a buffer reused too early would show up here as
        // another exchange's bytes.
        await using var old = await LoopbackApp.StartAsync(app => app.MapPost("/v1/conversations/{id}/turns", async (HttpContext c, string id) =>
        {
            using var reader = new StreamReader(c.Request.Body);
            var body = await reader.ReadToEndAsync();
            c.Response.ContentType = "application/json";
            await c.Response.WriteAsync($$"""{"conversationId":"{{id}}","reply":"echo {{body.Length}} {{new string('r', 100 + (id.Length * 37 % 900))}}"}""");
        }));
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = old.Address, StorePath = StorePath });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        await Parallel.ForEachAsync(Enumerable.Range(0, 300), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var padding = new string((char)('a' + (i % 26)), 50 + (i * 131 % 3000));
            using var response = await http.PostAsync($"v1/conversations/k-{i}/turns", Json($$"""{"userId":"u-{{i}}","message":"{{padding}}"}"""), ct);
            response.EnsureSuccessStatusCode();
        });
        await proxy.FlushAsync(CancellationToken.None);

        var stored = await ReadAll();
        Assert.That(stored, Has.Count.EqualTo(300));
        foreach (var exchange in stored)
        {
            var i = int.Parse(exchange.ConversationKey!.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture);
            var padding = new string((char)('a' + (i % 26)), 50 + (i * 131 % 3000));
            Assert.That(exchange.RequestBody, Is.EqualTo($$"""{"userId":"u-{{i}}","message":"{{padding}}"}"""), $"request body of k-{i}");
            Assert.That(exchange.ResponseBody, Does.StartWith($$"""{"conversationId":"k-{{i}}","reply":"echo {{exchange.RequestBody!.Length}} """), $"response body of k-{i}");
            Assert.That(exchange.ResponseBody, Has.Length.EqualTo(exchange.ResponseBody!.IndexOf("echo", StringComparison.Ordinal) + 5 + exchange.RequestBody.Length.ToString(System.Globalization.CultureInfo.InvariantCulture).Length + 1 + 100 + ($"k-{i}".Length * 37 % 900) + 2));
        }
    }

    [Test]
    public async Task Forward_OldStackTimesOut_ClientGets504AndTheExchangeIsRecordedWithTheError()
    {
        var release = new TaskCompletionSource();
        await using var old = await LoopbackApp.StartAsync(app => app.MapGet("/slow", async () =>
        {
            await release.Task;
            return "late";
        }));
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = old.Address, StorePath = StorePath, ForwardTimeout = TimeSpan.FromMilliseconds(300) });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        using var response = await http.GetAsync("slow");
        release.SetResult();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.GatewayTimeout));
        await proxy.FlushAsync(CancellationToken.None);
        Assert.That((await ReadAll()).Single().Error, Does.Contain("RequestTimedOut"));
    }

    [Test]
    public async Task Forward_OldStackResetsTheConnection_ClientGets502AndNothingCrashes()
    {
        await using var old = await LoopbackApp.StartAsync(app => app.MapGet("/reset", (HttpContext c) => c.Abort()));
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = old.Address, StorePath = StorePath });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        using var response = await http.GetAsync("reset");
        using var healthy = await http.GetAsync("healthz");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway));
        Assert.That(healthy.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the proxy keeps serving");
    }

    [Test]
    public async Task Forward_FiveMegabyteBinaryBodiesBothWays_PassThroughIntactAndCaptureIsTruncatedAndFlagged()
    {
        await using var old = await LoopbackApp.StartAsync(app => app.MapPost("/echo", async (HttpContext c) =>
        {
            c.Response.ContentType = "application/octet-stream";
            await c.Request.Body.CopyToAsync(c.Response.Body);
        }));
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = old.Address, StorePath = StorePath });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        var payload = RandomNumberGenerator.GetBytes(5 * 1024 * 1024);

        using var response = await http.PostAsync("echo", new ByteArrayContent(payload));
        var echoed = await response.Content.ReadAsByteArrayAsync();

        Assert.That(SHA256.HashData(echoed), Is.EqualTo(SHA256.HashData(payload)));
        await proxy.FlushAsync(CancellationToken.None);
        var stored = (await ReadAll()).Single();
        Assert.That(stored.RequestTruncated && stored.ResponseTruncated, Is.True);
    }

    [Test]
    public async Task Forward_NonJsonBodyOnATurnRoute_PassesThroughUnchanged()
    {
        await using var old = await LoopbackApp.StartAsync(app => app.MapPost("/v1/conversations/{id}/turns", async (HttpContext c) =>
        {
            using var reader = new StreamReader(c.Request.Body);
            var body = await reader.ReadToEndAsync();
            c.Response.ContentType = "text/plain";
            await c.Response.WriteAsync("got:" + body);
        }));
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = old.Address, StorePath = StorePath, Shadow = new Uri("http://127.0.0.1:9/") });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        using var response = await http.PostAsync("v1/conversations/c-9/turns", new StringContent("not json { at all", Encoding.UTF8, "text/plain"));

        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("got:not json { at all"));
    }

    [Test]
    public async Task Forward_ServerSentEvents_FirstEventReachesTheClientBeforeTheLastIsProduced()
    {
        var clientSawFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var old = await LoopbackApp.StartAsync(app => app.MapGet("/stream", async (HttpContext c) =>
        {
            c.Response.ContentType = "text/event-stream";
            await c.Response.WriteAsync("data: first\n\n");
            await c.Response.Body.FlushAsync();
            // The last event is produced only once the client has the first: a buffering proxy would deadlock here.
            await clientSawFirst.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await c.Response.WriteAsync("data: last\n\n");
        }));
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = old.Address, StorePath = StorePath });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        using var response = await http.GetAsync("stream", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = await reader.ReadLineAsync();
        clientSawFirst.SetResult();
        var rest = await reader.ReadToEndAsync();

        Assert.That(first, Is.EqualTo("data: first"));
        Assert.That(rest, Does.Contain("data: last"));
        await proxy.FlushAsync(CancellationToken.None);
        Assert.That((await ReadAll()).Single().ResponseBody, Does.Contain("data: last"));
    }

    [Test]
    public async Task Capture_SecretsAndPersonalData_NeverReachTheDisk()
    {
        await using var old = await LoopbackApp.StartAsync(app => app.MapPost("/v1/conversations/{id}/turns", () => Results.Json(new { reply = "We'll write to jane.doe@example.com", conversationId = "c-1" })));
        await using (var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = old.Address, StorePath = StorePath }))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/conversations/c-1/turns")
            {
                Content = Json("""{"userId":"u-1","message":"My card is 4111 1111 1111 1111, mail jane.doe@example.com, call +44 20 7946 0958"}"""),
            };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "sk-live-TOPSECRET");
            request.Headers.Add("Cookie", "session=COOKIESECRET");
            request.Headers.Add("X-Internal", "internal-value");
            using var response = await http.SendAsync(request);
            Assert.That(response.IsSuccessStatusCode, Is.True);
            await proxy.FlushAsync(CancellationToken.None);
        }

        SqliteConnection.ClearAllPools();
        var bytes = Encoding.UTF8.GetString(Directory.GetFiles(Dir).SelectMany(File.ReadAllBytes).ToArray());
        Assert.That(bytes, Does.Not.Contain("TOPSECRET").And.Not.Contain("COOKIESECRET").And.Not.Contain("jane.doe@example.com").And.Not.Contain("4111 1111 1111 1111").And.Not.Contain("7946 0958").And.Not.Contain("internal-value"));
        var stored = (await ReadAll()).Single();
        Assert.That(stored.RequestHeaders.Keys, Has.None.EqualTo("Authorization").IgnoreCase.And.None.EqualTo("Cookie").IgnoreCase);
        Assert.That(stored.RequestHeaders["X-Internal"], Is.EqualTo("[Redacted]"));
        Assert.That(stored.RequestBody, Does.Contain("<email:"));
    }

    [Test]
    public async Task Capture_StoreLockedMidRun_RequestsStillSucceedAndDropsAreCounted()
    {
        await using var old = await LoopbackApp.StartAsync(app => app.MapGet("/ok", () => "ok"));
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = old.Address, StorePath = StorePath, Capture = new CaptureOptions { QueueCapacity = 16, BatchSize = 4 } });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        Assert.That((await http.GetAsync("ok")).IsSuccessStatusCode, Is.True);
        await proxy.FlushAsync(CancellationToken.None);

        // Another process holds an exclusive lock: every capture write now fails or waits.
        await using var locker = new SqliteConnection($"Data Source={StorePath};Pooling=false");
        await locker.OpenAsync();
        await using (var command = locker.CreateCommand())
        {
            command.CommandText = "PRAGMA busy_timeout=0; BEGIN EXCLUSIVE;";
            await command.ExecuteNonQueryAsync();
        }

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 100; i++)
        {
            using var response = await http.GetAsync("ok");
            statuses.Add(response.StatusCode);
        }

        Assert.That(statuses, Has.All.EqualTo(HttpStatusCode.OK));
        Assert.That(proxy.Writer!.Dropped, Is.GreaterThan(0), "captures that could not be stored are dropped and counted, never blocking");
        var metrics = PrometheusText.Parse(await http.GetStringAsync("metrics"));
        Assert.That(metrics.Value("dualstack_captures_dropped_total"), Is.GreaterThan(0));
    }

    [Test]
    public async Task Capture_StoreFileDeletedMidRun_RequestsStillSucceed()
    {
        await using var old = await LoopbackApp.StartAsync(app => app.MapGet("/ok", () => "ok"));
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = old.Address, StorePath = StorePath });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        Assert.That((await http.GetAsync("ok")).IsSuccessStatusCode, Is.True);

        foreach (var file in Directory.GetFiles(Dir))
        {
            File.Delete(file);
        }

        for (var i = 0; i < 20; i++)
        {
            using var response = await http.GetAsync("ok");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
    }

    [Test]
    public async Task Shadow_NewStackDown_PrimaryAnswersUnchangedFailureCountedAndConversationNoLongerMirrored()
    {
        await using var agent = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = agent.BaseAddress, StorePath = StorePath, Shadow = new Uri("http://127.0.0.1:9/") });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        for (var i = 0; i < 5; i++)
        {
            using var response = await http.PostAsync("v1/conversations/c-1/turns", Json("""{"userId":"u-1","message":"Where is order 4411?"}"""));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("4411"));
        }

        // Handed to the mirror just after the client has its answer: wait until all five turns are accounted for.
        for (var i = 0; i < 400 && proxy.Metrics.ShadowStored + proxy.Metrics.ShadowDropped < 5; i++)
        {
            await Task.Delay(50);
        }

        await proxy.Shadow!.DrainAsync(TimeSpan.FromSeconds(20));
        Assert.That(proxy.Metrics.ShadowStored, Is.EqualTo(1), "the failed turn is stored as a pair: the judge calls it an Error");
        Assert.That(proxy.Metrics.ShadowDropped, Is.EqualTo(4), "the rest of the conversation is not mirrored: whole or not at all");
        var metrics = PrometheusText.Parse(await http.GetStringAsync("metrics"));
        Assert.That((metrics.Value("dualstack_shadow_failed_total"), metrics.Value("dualstack_shadow_dropped_total")), Is.EqualTo((1.0, 4.0)));
        await proxy.FlushAsync(CancellationToken.None);
        var run = await JudgeStoreAsync(lexical: true);
        Assert.That(run.Conversations.Single().Verdict, Is.EqualTo(Verdict.Error), "an unreachable shadow stack is an Error, not a regression");
    }

    [TestCase(500)]
    [TestCase(-1)]
    public async Task Shadow_NewStackAnswers500OrHangs_EveryPrimaryRequestSucceeds(int status)
    {
        var hang = new TaskCompletionSource();
        await using var broken = await LoopbackApp.StartAsync(app => app.MapPost("/v1/conversations/{id}/turns", async (HttpContext c) =>
        {
            if (status < 0)
            {
                await hang.Task.WaitAsync(c.RequestAborted);
            }

            return Results.Problem("new stack broken", statusCode: 500);
        }));
        await using var agent = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions
        {
            Old = agent.BaseAddress, StorePath = StorePath, Shadow = broken.Address, ShadowTimeout = TimeSpan.FromMilliseconds(300), ShadowQueueCapacity = 4, ShadowWorkers = 1,
        });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        for (var i = 0; i < 40; i++)
        {
            using var response = await http.PostAsync($"v1/conversations/c-{i}/turns", Json("""{"userId":"u-1","message":"Where is order 4411?"}"""));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"request {i}");
            Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("4411"));
        }

        hang.TrySetResult();
        await proxy.FlushAsync(CancellationToken.None);
        Assert.That(proxy.Writer!.Written, Is.EqualTo(40), "every exchange is still captured");
    }

    [Test]
    public async Task Shadow_NewStackDropsASkill_RegressionFoundAndNewAnswerNeverReturned()
    {
        await using var oldAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v1" });
        await using var newAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2", Faults = ["drop-skill"] });
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = oldAgent.BaseAddress, StorePath = StorePath, Shadow = newAgent.BaseAddress });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        using var first = await http.PostAsync("v1/conversations/c-7/turns", Json("""{"userId":"u-7","message":"Where is order 4411?"}"""));
        using var second = await http.PostAsync("v1/conversations/c-7/turns", Json("""{"userId":"u-7","message":"I want a refund for order 4411."}"""));
        var secondBody = await second.Content.ReadAsStringAsync();
        await proxy.Shadow!.DrainAsync(TimeSpan.FromSeconds(20));

        Assert.That(secondBody, Does.Contain("send_email"), "the client gets the old stack's answer, which sends the e-mail");
        Assert.That(proxy.Metrics.ShadowStored, Is.EqualTo(2));
        Assert.That(proxy.Metrics.ShadowCompared, Is.Zero, "the proxy only stores the pairs; the judge runs in its own process");
        var run = await JudgeStoreAsync(lexical: false);
        Assert.That(run.Conversations.Single().Turns.Select(t => t.Verdict), Is.EqualTo(new[] { Verdict.Match, Verdict.Regression }).Or.EqualTo(new[] { Verdict.Noise, Verdict.Regression }));
        Assert.That(run.Conversations.Single().Verdict, Is.EqualTo(Verdict.Regression));
        Assert.That(run.Conversations.Single().Reason, Does.Contain("send_email"));
        Assert.That(run.Conversations.Single().Turns.Select(t => t.Index), Is.EqualTo(new[] { 0, 1 }), "mirrored in conversation order");
    }

    [Test]
    public async Task Shadow_RewordedNewStackWithoutFaults_NoRegression()
    {
        await using var oldAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v1" });
        await using var newAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2", Nondeterministic = true });
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = oldAgent.BaseAddress, StorePath = StorePath, Shadow = newAgent.BaseAddress });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        foreach (var message in new[] { "Where is order 4411?", "Please remember that I prefer email.", "Please refund $25.00 for order 4411." })
        {
            using var response = await http.PostAsync("v1/conversations/c-8/turns", Json($$"""{"userId":"u-8","message":"{{message}}"}"""));
            Assert.That(response.IsSuccessStatusCode, Is.True);
        }

        await proxy.Shadow!.DrainAsync(TimeSpan.FromSeconds(20));
        Assert.That(proxy.Metrics.ShadowStored, Is.EqualTo(3));
        var run = await JudgeStoreAsync(lexical: false);
        Assert.That(run.Summary.Turns, Is.EqualTo(3));
        Assert.That(run.Summary.Regressions, Is.Zero, "reworded replies with the same skills and memory are not regressions");
    }

    [Test]
    public async Task Shadow_InProcessJudgeChosen_ProxyComparesItselfAndStillStoresThePairs()
    {
        await using var oldAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v1" });
        await using var newAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2", Faults = ["drop-skill"] });
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = oldAgent.BaseAddress, StorePath = StorePath, Shadow = newAgent.BaseAddress, ShadowJudge = ShadowJudgeMode.InProcess, Semantic = Semantic.Value });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        using var refund = await http.PostAsync("v1/conversations/c-7/turns", Json("""{"userId":"u-7","message":"I want a refund for order 4411."}"""));
        await proxy.Shadow!.DrainAsync(TimeSpan.FromSeconds(20));

        Assert.That(proxy.Metrics.Verdicts(Verdict.Regression), Is.EqualTo(1));
        Assert.That(proxy.Metrics.ShadowStored, Is.EqualTo(1));
    }

    [Test]
    public async Task Shadow_StoreJudgeWithoutAStore_RefusedAtStart()
    {
        await using var agent = await SampleAgentServer.StartAsync(new SampleAgentOptions());

        var refused = Assert.ThrowsAsync<ArgumentException>(async () => await ProxyServer.StartAsync(new ProxyOptions { Old = agent.BaseAddress, Shadow = agent.BaseAddress }));

        Assert.That(refused!.Message, Does.Contain("--shadow-judge inproc"));
    }

    private async Task<DualStack.Core.Results.RunResult> JudgeStoreAsync(bool lexical)
    {
        await using var queue = await ShadowJudgeQueues.OpenAsync(StorePath, "--source", null, CancellationToken.None);
        var engine = new VerdictEngine(new DualStack.Core.Comparison.ComparisonConfig(), lexical ? null : Semantic.Value);
        await new ShadowJudge(queue, engine).RunAsync(follow: false, CancellationToken.None);
        return await ShadowJudgeRun.BuildAsync(queue, null, engine, "test-run", "captures.db", DateTimeOffset.UtcNow, false, null, CancellationToken.None);
    }

    [Test]
    public async Task Shadow_ZeroPercentSample_MirrorsNothing()
    {
        await using var agent = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = agent.BaseAddress, StorePath = StorePath, Shadow = agent.BaseAddress, ShadowSamplePercent = 0 });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        using var response = await http.PostAsync("v1/conversations/c-1/turns", Json("""{"userId":"u-1","message":"hi"}"""));
        await proxy.Shadow!.DrainAsync(TimeSpan.FromSeconds(5));

        Assert.That(proxy.Metrics.ShadowSent, Is.Zero);
    }

    [Test]
    public async Task Shadow_UnsampledConversations_NothingCopiedOrQueuedForTheShadow()
    {
        await using var agent = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        // No capture: any body copy would be the shadow's. 10 % sampled; the keys below are all outside the sample.
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = agent.BaseAddress, Shadow = agent.BaseAddress, ShadowJudge = ShadowJudgeMode.InProcess, ShadowSamplePercent = 10 });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        var unsampled = Enumerable.Range(0, 400).Select(i => $"c-{i}").Where(k => !proxy.Shadow!.IsSampled(k)).Take(30).ToArray();
        var sampled = Enumerable.Range(0, 400).Select(i => $"c-{i}").First(proxy.Shadow!.IsSampled);

        foreach (var key in unsampled)
        {
            using var response = await http.PostAsync($"v1/conversations/{key}/turns", Json("""{"userId":"u-1","message":"hi"}"""));
            Assert.That(response.IsSuccessStatusCode, Is.True);
        }

        Assert.That(proxy.BodyCopies, Is.Zero, "an unsampled turn is forwarded without a copy of either body");
        Assert.That(proxy.Metrics.ShadowEnqueued, Is.Zero, "and nothing is queued for the shadow sender");
        using (var response = await http.PostAsync($"v1/conversations/{sampled}/turns", Json("""{"userId":"u-1","message":"hi"}""")))
        {
            Assert.That(response.IsSuccessStatusCode, Is.True);
        }

        await proxy.Shadow!.DrainAsync(TimeSpan.FromSeconds(20));
        Assert.That((proxy.BodyCopies, proxy.Metrics.ShadowEnqueued, proxy.Metrics.ShadowSent), Is.EqualTo((1L, 1L, 1L)), "the sampled conversation is copied and mirrored");
    }

    [Test]
    public async Task Shadow_NonTurnRoutes_AreNeverReplayed()
    {
        await using var agent = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = agent.BaseAddress, StorePath = StorePath, Shadow = agent.BaseAddress });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        using var webhook = await http.PostAsync("v1/webhooks/payment", Json("""{"conversationId":"c-1","status":"paid"}"""));
        using var memory = await http.PutAsync("v1/memory/m-1", Json("""{"userId":"u-1","text":"x","conversationId":"c-1"}"""));
        await proxy.Shadow!.DrainAsync(TimeSpan.FromSeconds(5));

        Assert.That(proxy.Metrics.ShadowSent, Is.Zero, "non-idempotent calls outside the turn endpoint are not mirrored");
    }

    [Test]
    public async Task Metrics_SlowBackend_ProxyAddedTimeExcludesTheBackendsTime()
    {
        // The backend sleeps before its headers: that time is the backend's, so the proxy-added histogram must not hold it.
        await using var old = await LoopbackApp.StartAsync(app => app.MapGet("/slow", async () =>
        {
            await Task.Delay(300);
            return "ok";
        }));
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = old.Address, StorePath = StorePath });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        for (var i = 0; i < 3; i++)
        {
            Assert.That(await http.GetStringAsync("slow"), Is.EqualTo("ok"));
        }

        var metrics = PrometheusText.Parse(await http.GetStringAsync("metrics"));
        double Value(string name) => metrics.Value(name);
        Assert.That(Value("dualstack_proxy_added_seconds_count"), Is.EqualTo(3));
        Assert.That(Value("dualstack_request_duration_seconds_sum") - Value("dualstack_proxy_added_seconds_sum"), Is.GreaterThanOrEqualTo(3 * 0.3), "the backend's 3 × 300 ms are not counted as proxy time");
        Assert.That(Value("dualstack_proxy_added_seconds_sum"), Is.GreaterThan(0));
    }

    [Test]
    public async Task Metrics_AfterTraffic_ExposesPrometheusCounters()
    {
        await using var old = await LoopbackApp.StartAsync(app => app.MapGet("/ok", () => "ok"));
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = old.Address, StorePath = StorePath });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        for (var i = 0; i < 3; i++)
        {
            (await http.GetAsync("ok")).Dispose();
        }

        await proxy.FlushAsync(CancellationToken.None);
        var metrics = PrometheusText.Parse(await http.GetStringAsync("metrics"));

        Assert.That(metrics.Value("dualstack_requests_total"), Is.EqualTo(3));
        Assert.That(metrics.Value("dualstack_captures_written_total"), Is.EqualTo(3));
        Assert.That(metrics.Value("dualstack_request_duration_seconds_count"), Is.EqualTo(3));
        Assert.That(metrics.Families["dualstack_request_duration_seconds"].Type, Is.EqualTo("histogram"));
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<List<CapturedExchange>> ReadAll()
    {
        await using var store = await SqliteCaptureStore.OpenAsync(StorePath, CancellationToken.None);
        var list = new List<CapturedExchange>();
        await foreach (var e in store.ReadAsync(0, null, CancellationToken.None))
        {
            list.Add(e);
        }

        return list;
    }
}
