using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DualStack.Core.Gates;
using DualStack.Core.Model;
using DualStack.Core.Routing;
using DualStack.SampleAgent;
using DualStack.TestUtils;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace DualStack.Proxy.Tests;

public sealed class SplitProxyTests
{
    private const string Token = "test-admin-token-123";

    private static Task<LoopbackApp> Stack(string name) => LoopbackApp.StartAsync(app =>
    {
        app.MapPost("/v1/conversations/{id}/turns", (string id) => Results.Json(new { conversationId = id, reply = name }));
        app.MapPost("/v1/webhooks/{hook}", () => Results.Json(new { received = name }));
    });

    private static Task<ProxyServer> Split(Uri old, Uri @new, double percent, string? audit = null, RampPlan? ramp = null) =>
        ProxyServer.StartAsync(new ProxyOptions
        {
            Old = old,
            New = @new,
            Split = new SplitSettings { InitialPercent = percent, AdminToken = Token, AuditPath = audit, Ramp = ramp, TickInterval = TimeSpan.FromMilliseconds(100) },
        });

    [Test]
    public async Task Route_FiftyPercent_SplitsConversationsByHashWithinTolerance()
    {
        await using var old = await Stack("old");
        await using var @new = await Stack("new");
        await using var proxy = await Split(old.Address, @new.Address, 50);
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        var toNew = 0;
        const int conversations = 600;
        for (var i = 0; i < conversations; i++)
        {
            var reply = await Turn(http, $"conv-{i}");
            toNew += reply == "new" ? 1 : 0;
            Assert.That(reply, Is.EqualTo(ConversationHash.IsSelected($"conv-{i}", 50) ? "new" : "old"), "every instance computes the same decision from the key");
        }

        Assert.That(toNew / (double)conversations, Is.InRange(0.44, 0.56));
    }

    [Test]
    public async Task Route_PinnedConversation_StaysOnItsStackWhenThePercentageDropsButNotAfterRollback()
    {
        await using var old = await Stack("old");
        await using var @new = await Stack("new");
        await using var proxy = await Split(old.Address, @new.Address, 100);
        using var http = Admin(proxy);

        Assert.That(await Turn(http, "c-pinned"), Is.EqualTo("new"));
        await http.PostAsJsonAsync("admin/api/percent", new { percent = 0, reason = "lower" });
        Assert.That(await Turn(http, "c-pinned"), Is.EqualTo("new"), "a conversation in progress stays on the stack that started it");
        Assert.That(await Turn(http, "c-fresh"), Is.EqualTo("old"));

        using var webhook = await http.PostAsync("v1/webhooks/payment", new StringContent("""{"conversationId":"c-pinned","status":"paid"}""", Encoding.UTF8, "application/json"));
        Assert.That((await webhook.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("received").GetString(), Is.EqualTo("new"), "webhooks go to the stack that owns the conversation");

        await http.PostAsJsonAsync("admin/api/rollback", new { reason = "drill" });
        Assert.That(await Turn(http, "c-pinned"), Is.EqualTo("old"), "rollback moves everything to old at once");
    }

    [TestCase(null)]
    [TestCase("wrong-token")]
    public async Task Admin_MissingOrWrongToken_Is401AndChangesNothing(string? token)
    {
        await using var old = await Stack("old");
        await using var @new = await Stack("new");
        await using var proxy = await Split(old.Address, @new.Address, 10);
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var state = await http.GetAsync("admin/api/state");
        using var set = await http.PostAsJsonAsync("admin/api/percent", new { percent = 100 });
        using var ui = await http.GetAsync("admin/ui");

        Assert.That(state.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(set.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(ui.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await ui.Content.ReadAsStringAsync(), Does.Contain("admin token").And.Not.Contain(Token));
        Assert.That(proxy.Split!.State.Snapshot.Percent, Is.EqualTo(10));
    }

    [Test]
    public async Task Admin_ValidToken_SetsPercentRecordsAuditAndRejectsBadValues()
    {
        var audit = Path.Combine(Path.GetTempPath(), $"audit-{Guid.NewGuid():N}.jsonl");
        await using var old = await Stack("old");
        await using var @new = await Stack("new");
        await using (var proxy = await Split(old.Address, @new.Address, 0, audit))
        {
            using var http = Admin(proxy);
            http.DefaultRequestHeaders.Add("X-DualStack-User", "alice");

            using var set = await http.PostAsJsonAsync("admin/api/percent", new { percent = 25, reason = "step 2" });
            var status = await set.Content.ReadFromJsonAsync<SplitStatus>(DualStackJson.Options);
            using var bad = await http.PostAsJsonAsync("admin/api/percent", new { percent = 150 });

            Assert.That(set.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(status!.Split.Percent, Is.EqualTo(25));
            Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await bad.Content.ReadAsStringAsync(), Does.Contain("percent"));
        }

        var lines = File.ReadAllLines(audit);
        File.Delete(audit);
        Assert.That(lines, Has.Length.EqualTo(1));
        Assert.That(lines[0], Does.Contain("alice").And.Contain("step 2").And.Not.Contain(Token));
    }

    [Test]
    public async Task Ramp_NewStackWithTenPercentErrors_IsRolledBackAutomaticallyUnderLoad()
    {
        await using var old = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await using var @new = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2", Faults = ["errors:10"] });
        var plan = new RampPlan { Steps = [50, 100], HoldSeconds = 3600, WindowSeconds = 60, MinRequests = 150 };
        await using var proxy = await Split(old.BaseAddress, @new.BaseAddress, 0, ramp: plan);

        var rolledBack = await LoadUntil(proxy, () => proxy.Split!.State.Snapshot.RolledBack, maxRequests: 6000);

        Assert.That(rolledBack, Is.True, "the error-rate gate must fire");
        Assert.That(proxy.Split!.State.Snapshot.RollbackReason, Does.Contain("error"));
        // Routing switches first; the audit entry follows once the new-stack pins are swept, a moment later.
        Assert.That(() => proxy.Split.Status().History.First().Action, Is.EqualTo("auto-rollback").After(5_000, 50));
    }

    [Test]
    public async Task Ramp_NewStackWith300msExtraLatency_IsRolledBackAutomaticallyOnP95()
    {
        await using var old = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await using var @new = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2", Faults = ["latency:300"] });
        var plan = new RampPlan { Steps = [50, 100], HoldSeconds = 3600, WindowSeconds = 60, MinRequests = 40 };
        await using var proxy = await Split(old.BaseAddress, @new.BaseAddress, 0, ramp: plan);

        var rolledBack = await LoadUntil(proxy, () => proxy.Split!.State.Snapshot.RolledBack, maxRequests: 3000, parallel: 16);

        Assert.That(rolledBack, Is.True, "the p95 gate must fire");
        Assert.That(proxy.Split!.State.Snapshot.RollbackReason, Does.Contain("p95"));
    }

    [Test]
    public async Task Ramp_HealthyNewStack_AdvancesThroughItsSteps()
    {
        await using var old = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await using var @new = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2" });
        // Generous latency slack: on a busy CI machine two identical stacks differ by tens of milliseconds at p95.
        var plan = new RampPlan { Steps = [25, 100], HoldSeconds = 0, WindowSeconds = 60, MinRequests = 30, Gates = new GateConfig { P95SlackMs = 500 } };
        await using var proxy = await Split(old.BaseAddress, @new.BaseAddress, 0, ramp: plan);

        var promoted = await LoadUntil(proxy, () => proxy.Split!.State.Snapshot.Percent >= 100 || proxy.Split.State.Snapshot.RolledBack, maxRequests: 6000);

        var status = proxy.Split!.Status();
        var story = string.Join("; ", status.History.Select(h => $"{h.Action} {h.FromPercent}→{h.ToPercent}: {h.Reason}")) + " | gates: " + string.Join("; ", status.Gates.Select(g => $"{g.Name} {g.Status} {g.Evidence}"));
        Assert.That(promoted && proxy.Split.State.Snapshot.Percent >= 100, Is.True, story);
        Assert.That(proxy.Split!.State.Snapshot.RolledBack, Is.False);
        Assert.That(proxy.Split.Status().History.Select(h => h.Action), Has.Some.EqualTo("auto-advance"));
    }

    private static async Task<bool> LoadUntil(ProxyServer proxy, Func<bool> condition, int maxRequests, int parallel = 8)
    {
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        var sent = 0;
        var tasks = Enumerable.Range(0, parallel).Select(async worker =>
        {
            while (!condition() && Interlocked.Increment(ref sent) <= maxRequests)
            {
                var n = Volatile.Read(ref sent);
                using var response = await http.PostAsync($"v1/conversations/load-{worker}-{n}/turns", new StringContent($$"""{"userId":"u-{{n}}","message":"Hello!"}""", Encoding.UTF8, "application/json"));
            }
        });
        await Task.WhenAll(tasks);
        for (var i = 0; i < 30 && !condition(); i++)
        {
            await Task.Delay(100); // let the ramp controller's next tick see the last requests
        }

        return condition();
    }

    private static HttpClient Admin(ProxyServer proxy)
    {
        var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return http;
    }

    private static async Task<string?> Turn(HttpClient http, string conversation)
    {
        using var response = await http.PostAsync($"v1/conversations/{conversation}/turns", new StringContent("""{"userId":"u-1","message":"hi"}""", Encoding.UTF8, "application/json"));
        var reply = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reply").GetString();
        Assert.That(response.Headers.GetValues(ProxyServer.StackHeader).Single(), Is.EqualTo(reply), "the proxy names the stack that served the request");
        return reply;
    }
}
