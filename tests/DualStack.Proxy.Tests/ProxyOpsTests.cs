using System.Net;
using System.Text;
using System.Text.Json;
using DualStack.Core.Capture;
using DualStack.Core.Privacy;
using DualStack.SampleAgent;
using DualStack.TestUtils;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace DualStack.Proxy.Tests;

/// <summary>Issue 18 items 3–7: health that tells the truth, failures that are seen once, not a thousand times.</summary>
public sealed class ProxyOpsTests : TempDirectoryTest
{
    private const string Token = "test-admin-token-123";
    [Test]
    public async Task Healthz_OldStackDown_Returns503NamingTheFailedCheck()
    {
        using var closed = new ClosedPort();
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = closed.Url, StorePath = StorePath });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        using var health = await http.GetAsync("healthz");
        using var live = await http.GetAsync("livez");

        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        var checks = await Checks(health);
        Assert.That(checks["old-stack"], Is.EqualTo("unhealthy"));
        Assert.That(checks["capture-store"], Is.EqualTo("healthy"));
        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK), "liveness checks no dependency");
    }

    [Test]
    public async Task Healthz_EverythingUp_Returns200WithEveryNamedCheckHealthy()
    {
        await using var agent = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = agent.BaseAddress, StorePath = StorePath, Shadow = agent.BaseAddress });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        using var health = await http.GetAsync("healthz");

        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var checks = await Checks(health);
        Assert.That(checks, Is.EquivalentTo(new Dictionary<string, string> { ["capture-store"] = "healthy", ["old-stack"] = "healthy", ["shadow-stack"] = "healthy" }));
    }

    [Test]
    public async Task Healthz_CaptureStoreLocked_Returns503AndLogsFailureOnceThenRecovery()
    {
        var time = new FakeTimeProvider();
        var log = new ListLogger();
        await using var old = await LoopbackApp.StartAsync(app => app.MapGet("/ok", () => "ok"));
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions
        {
            Old = old.Address, StorePath = StorePath, Time = time, LogSink = log,
            Capture = new CaptureOptions { QueueCapacity = 1, BatchSize = 1, BatchLinger = TimeSpan.Zero },
        });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        (await http.GetAsync("ok")).Dispose();
        await proxy.FlushAsync(CancellationToken.None);

        // Another process holds an exclusive lock: the writer's batch waits on it, the one-slot queue fills, captures drop.
        var locker = new SqliteConnection($"Data Source={StorePath};Pooling=false");
        await locker.OpenAsync();
        await using (var command = locker.CreateCommand())
        {
            command.CommandText = "BEGIN EXCLUSIVE;";
            await command.ExecuteNonQueryAsync();
        }

        for (var i = 0; i < 50 && proxy.Writer!.Dropped == 0; i++)
        {
            using var response = await http.GetAsync("ok");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "traffic is served while captures drop");
        }

        proxy.FailureLogs!.Tick();
        using (var failing = await http.GetAsync("healthz"))
        {
            Assert.That(failing.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That((await Checks(failing))["capture-store"], Is.EqualTo("unhealthy"));
        }

        await locker.DisposeAsync(); // releases the lock: the waiting batch goes through
        await proxy.FlushAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(1));
        proxy.FailureLogs.Tick();
        using var recovered = await http.GetAsync("healthz");

        Assert.That(recovered.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var store = log.ProxyWarnings.Where(e => e.Message.StartsWith("capture store", StringComparison.Ordinal)).Select(e => e.Message).ToArray();
        Assert.That(store, Has.Length.EqualTo(2), string.Join("\n", store));
        Assert.That(store[0], Does.StartWith("capture store failing: 0 failed write(s), ").And.Contain("capture queue full"));
        Assert.That(store[1], Does.StartWith("capture store recovered"));
    }

    [Test]
    public async Task Healthz_ShadowCircuitOpen_DegradedButStill200()
    {
        await using var agent = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        using var closed = new ClosedPort();
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions
        {
            Old = agent.BaseAddress, Shadow = closed.Url, ShadowJudge = ShadowJudgeMode.InProcess, ShadowWorkers = 1, ShadowBreakerFailures = 1,
            Time = new FakeTimeProvider(), LogSink = new ListLogger(),
        });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        (await http.PostAsync("v1/conversations/c-1/turns", Json("""{"userId":"u-1","message":"hi"}"""))).Dispose();
        await WaitFor(() => proxy.Metrics.ShadowFailed == 1);
        using var health = await http.GetAsync("healthz");

        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a dead shadow stack must not take the primary path out of a load balancer");
        var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement;
        Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("degraded"));
        Assert.That((await Checks(health))["shadow-stack"], Is.EqualTo("degraded"));
    }

    [Test]
    public async Task Healthz_SplitRolledBack_SplitCheckDegraded()
    {
        await using var stack = await LoopbackApp.StartAsync(app => app.MapGet("/v1/health", () => Results.Json(new { status = "ok" })));
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = stack.Address, New = stack.Address, Split = new SplitSettings { InitialPercent = 50, AdminToken = Token } });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        proxy.Split!.State.Rollback("test", "drill", "rollback");

        using var health = await http.GetAsync("healthz");

        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await Checks(health))["split"], Is.EqualTo("degraded"));
    }

    [Test]
    public async Task Forward_BackendDown_OneLinePerKindPerIntervalWithCountAndNoStackTraces()
    {
        var time = new FakeTimeProvider();
        var log = new ListLogger();
        using var closed = new ClosedPort();
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = closed.Url, Time = time, LogSink = log });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        for (var i = 0; i < 30; i++)
        {
            using var response = await http.GetAsync("x");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway));
        }

        proxy.FailureLogs!.Tick();
        for (var i = 0; i < 20; i++)
        {
            (await http.GetAsync("x")).Dispose();
        }

        time.Advance(TimeSpan.FromSeconds(5));
        proxy.FailureLogs.Tick(); // within the interval: nothing
        time.Advance(TimeSpan.FromSeconds(5));
        proxy.FailureLogs.Tick(); // one summary
        time.Advance(TimeSpan.FromSeconds(10));
        proxy.FailureLogs.Tick(); // quiet for an interval: recovered

        var lines = log.ProxyWarnings;
        Assert.That(lines, Has.Count.EqualTo(3), string.Join("\n", lines.Select(e => e.Message)));
        Assert.That(lines[0].Message, Does.StartWith("primary forward (Request) failing: 30 failure(s), last: Request: "));
        Assert.That(lines[1].Message, Does.StartWith("primary forward (Request) still failing: 20 failure(s) in the last 10 s, last: Request: "));
        Assert.That(lines[2].Message, Is.EqualTo("primary forward (Request) recovered: no failure for 10 s; failures lasted 5 s (50 in all)"));
        Assert.That(lines[0].Message, Does.Contain("Connection refused").Or.Contain("actively refused"));
        Assert.That(log.Entries.Where(e => e.Level >= LogLevel.Warning && e.Exception is not null), Is.Empty, "stack traces go to debug level only, YARP's own included");
    }

    [Test]
    public async Task Forward_ClientAbandonsRequest_CountedAsAbortNotAsBackendErrorNorInTheGateWindow()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var stack = await LoopbackApp.StartAsync(app => app.MapPost("/v1/conversations/{id}/turns", async (HttpContext c) =>
        {
            arrived.TrySetResult();
            await release.Task.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(false);
            return Results.Json(new { reply = "late" });
        }));
        var log = new ListLogger();
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions
        {
            Old = stack.Address, New = stack.Address, LogSink = log, Time = new FakeTimeProvider(),
            Split = new SplitSettings { InitialPercent = 100, AdminToken = Token },
        });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        using (var cts = new CancellationTokenSource())
        {
            var request = http.PostAsync("v1/conversations/c-1/turns", Json("""{"userId":"u-1","message":"hi"}"""), cts.Token);
            await arrived.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await cts.CancelAsync();
            Assert.That(async () => await request, Throws.InstanceOf<OperationCanceledException>());
        }

        await WaitFor(() => proxy.Metrics.Requests >= 1);
        release.SetResult();
        proxy.FailureLogs!.Tick();
        var metrics = PrometheusText.Parse(await http.GetStringAsync("metrics"));

        Assert.That(metrics.Value("dualstack_client_aborts_total"), Is.EqualTo(1));
        Assert.That(metrics.Value("dualstack_forward_errors_total"), Is.Zero);
        Assert.That(metrics.Value("dualstack_responses_total", ("class", "5xx")), Is.Zero);
        var window = proxy.Split!.NewWindow.Stats();
        Assert.That((window.Requests, window.Errors), Is.EqualTo((0L, 0L)), "a disconnect storm must not roll back a healthy new stack");
        Assert.That(log.ProxyWarnings, Is.Empty);
    }

    [Test]
    public async Task Shadow_StackDown_CircuitOpensAndLaterTurnsAreDroppedWithoutBeingSent()
    {
        var log = new ListLogger();
        await using var agent = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        using var closed = new ClosedPort();
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions
        {
            Old = agent.BaseAddress, Shadow = closed.Url, ShadowJudge = ShadowJudgeMode.InProcess, ShadowWorkers = 1, ShadowBreakerFailures = 3,
            Time = new FakeTimeProvider(), LogSink = log,
        });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        for (var i = 0; i < 6; i++)
        {
            using var response = await http.PostAsync($"v1/conversations/c-{i}/turns", Json("""{"userId":"u-1","message":"Where is order 4411?"}"""));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        // The exchange is handed to the mirror just after the client has its answer: wait until all six are accounted for.
        await WaitFor(() => proxy.Metrics.ShadowFailed + proxy.Metrics.ShadowDropped == 6);
        await proxy.Shadow!.DrainAsync(TimeSpan.FromSeconds(20));
        proxy.FailureLogs!.Tick();
        var metrics = PrometheusText.Parse(await http.GetStringAsync("metrics"));

        Assert.That((proxy.Metrics.ShadowSent, proxy.Metrics.ShadowFailed, proxy.Metrics.ShadowDropped), Is.EqualTo((3L, 3L, 3L)));
        Assert.That((metrics.Value("dualstack_shadow_failed_total"), metrics.Value("dualstack_shadow_dropped_total"), metrics.Value("dualstack_shadow_circuit_open")), Is.EqualTo((3.0, 3.0, 1.0)));
        var warnings = log.ProxyWarnings.Select(e => e.Message).ToArray();
        Assert.That(warnings.Count(m => m.StartsWith("shadow circuit open after 3 consecutive", StringComparison.Ordinal)), Is.EqualTo(1), string.Join("\n", warnings));
        Assert.That(warnings.Count(m => m.StartsWith("shadow stack failing: 3 failure(s)", StringComparison.Ordinal)), Is.EqualTo(1), string.Join("\n", warnings));
        Assert.That(warnings, Has.Length.EqualTo(2), string.Join("\n", warnings));
    }

    [Test]
    public void Breaker_PauseEnds_OneTrialThenClosesOnSuccessOrReopensWithDoubledPause()
    {
        var time = new FakeTimeProvider();
        var breaker = new ShadowBreaker(2, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(8), time, new ListLogger());

        breaker.OnFailure("refused");
        Assert.That(breaker.TryAcquire(), Is.True, "one failure is below the threshold");
        breaker.OnFailure("refused");
        Assert.That((breaker.State, breaker.TryAcquire()), Is.EqualTo((BreakerState.Open, false)));

        time.Advance(TimeSpan.FromSeconds(5));
        Assert.That(breaker.TryAcquire(), Is.True, "the pause ended: one trial");
        Assert.That(breaker.TryAcquire(), Is.False, "only one trial at a time");
        breaker.OnFailure("refused");
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.That(breaker.TryAcquire(), Is.False, "the pause doubled (capped at 8 s)");
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.That(breaker.TryAcquire(), Is.True);
        breaker.OnSuccess();

        Assert.That((breaker.State, breaker.TryAcquire(), breaker.Opened), Is.EqualTo((BreakerState.Closed, true, 2L)));
    }

    [Test]
    public async Task StoreMonitor_StoreFailsRepeatedly_FirstFailureThenOneSummaryPerIntervalThenRecovery()
    {
        var time = new FakeTimeProvider();
        var log = new ListLogger();
        var store = new FlakyStore { Failing = true };
        await using var writer = new CaptureWriter(store, new CaptureOptions { BatchSize = 1, BatchLinger = TimeSpan.Zero }, new Redactor([]), time);
        var monitor = new CaptureStoreMonitor(writer, log.CreateLogger("DualStack.Proxy"), TimeSpan.FromSeconds(10));

        await Write(writer, 1);
        monitor.Tick(time.GetUtcNow());
        for (var second = 1; second <= 9; second++)
        {
            await Write(writer, 10);
            time.Advance(TimeSpan.FromSeconds(1));
            monitor.Tick(time.GetUtcNow());
        }

        Assert.That(log.ProxyWarnings, Has.Count.EqualTo(1), "at most one line per 10 s");
        time.Advance(TimeSpan.FromSeconds(1));
        monitor.Tick(time.GetUtcNow());
        store.Failing = false;
        await Write(writer, 1);
        time.Advance(TimeSpan.FromSeconds(1));
        monitor.Tick(time.GetUtcNow());

        Assert.That(log.ProxyWarnings.Select(e => e.Message), Is.EqualTo(new[]
        {
            "capture store failing: 1 failed write(s), 1 exchange(s) dropped, last error: capture store failed, 1 exchange(s) dropped: IOException: No space left on device (traffic is served; further failures are summarised at most every 10 s)",
            "capture store still failing: 90 failed write(s), 90 exchange(s) dropped in the last 10 s, last error: capture store failed, 1 exchange(s) dropped: IOException: No space left on device",
            "capture store recovered: writing again after 11 s (91 failed write(s), 91 exchange(s) dropped in all)",
        }));
        Assert.That(monitor.Failing, Is.False);
    }

    private static async Task Write(CaptureWriter writer, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.That(writer.TryEnqueue(new PendingExchange { Method = "GET", Path = "/x" }), Is.True);
        }

        await writer.FlushAsync(CancellationToken.None);
    }

    private static async Task<Dictionary<string, string>> Checks(HttpResponseMessage health)
    {
        using var json = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("status").GetString()!);
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        for (var i = 0; i < 400 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.That(condition(), Is.True, "condition not reached within 20 s");
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private sealed class FlakyStore : ICaptureStore
    {
        public volatile bool Failing;

        public Task AppendAsync(IReadOnlyList<CapturedExchange> batch, CancellationToken cancellationToken) =>
            Failing ? Task.FromException(new IOException("No space left on device")) : Task.CompletedTask;

        public IAsyncEnumerable<CapturedExchange> ReadAsync(long afterId, string? conversationKey, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<CaptureStats> GetStatsAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<Pruned> DeleteBeforeAsync(DateTimeOffset cutoff, IProgress<Pruned>? progress, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
