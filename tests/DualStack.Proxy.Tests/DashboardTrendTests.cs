using DualStack.TestUtils;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using DualStack.Core.Gates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace DualStack.Proxy.Tests;

public sealed class DashboardTrendTests
{
    private const string Token = "trend-admin-token-7";
    private static readonly DateTimeOffset At = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public void Points_MoreSamplesThanTheRing_KeepsTheLatestOldestFirst()
    {
        var trend = new DashboardTrend(new GateConfig(), capacity: 3);

        for (var i = 1; i <= 5; i++)
        {
            trend.Record(new TrendPoint(At.AddSeconds(i), i * 10, false, WindowStats.Empty, WindowStats.Empty));
        }

        Assert.That(trend.Points().Select(p => p.Percent), Is.EqualTo(new[] { 30d, 40, 50 }));
    }

    [Test]
    public void RenderCharts_BothStacksJudged_DrawsTheGateLimitsFromTheOldStack()
    {
        var gates = new GateConfig { MinRequests = 100, AbsoluteErrorTolerance = 0.01, MaxP95Ratio = 1.5, P95SlackMs = 10 };
        var trend = new DashboardTrend(gates);
        var old = new WindowStats(200, 2, 0.01, 40, 100, 120);
        trend.Record(new TrendPoint(At, 20, false, old with { Requests = 99 }, new WindowStats(99, 0, 0, 40, 90, 100)));
        trend.Record(new TrendPoint(At.AddSeconds(1), 20, false, old, new WindowStats(150, 6, 0.04, 50, 170, 200)));

        var html = trend.RenderCharts();

        // error rate: limit (1 % + 1 point) = 2 %, new 4 % is over; p95: limit 100 × 1.5 + 10 = 160 ms, new 170 ms is over.
        Assert.That(html, Does.Contain("id=\"spark-error-rate\"").And.Contain("data-count=\"2\" data-max=\"5\" data-last=\"4\" data-limit=\"2\" data-over=\"1\""));
        Assert.That(html, Does.Contain("id=\"spark-p95\"").And.Contain("data-last=\"170\" data-limit=\"160\" data-over=\"1\""));
        Assert.That(html, Does.Contain("id=\"spark-split\"").And.Contain("data-count=\"2\" data-max=\"100\" data-last=\"20\" data-over=\"0\""));
        Assert.That(trend.P95LimitMs(trend.Points()[0]), Is.NaN, "no limit before both stacks have MinRequests");
    }

    [Test]
    public async Task AdminCharts_SplitChanged_ShowsTheNewPercentAtOnceAndOnlyWithTheToken()
    {
        await using var old = await LoopbackApp.StartAsync(app => app.MapPost("/v1/conversations/{id}/turns", () => Results.Json(new { reply = "old" })));
        await using var @new = await LoopbackApp.StartAsync(app => app.MapPost("/v1/conversations/{id}/turns", () => Results.Json(new { reply = "new" })));
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions
        {
            Old = old.Address,
            New = @new.Address,
            Split = new SplitSettings { InitialPercent = 5, AdminToken = Token },
        });
        using var anonymous = new HttpClient { BaseAddress = proxy.BaseAddress };
        using var admin = new HttpClient { BaseAddress = proxy.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

        using var denied = await anonymous.GetAsync("admin/ui/charts");
        using (await admin.PostAsJsonAsync("admin/api/percent", new { percent = 25, reason = "step" }))
        {
        }

        using var charts = await admin.GetAsync("admin/ui/charts");
        using var page = await admin.GetAsync("admin/ui");

        Assert.That(denied.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(charts.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await charts.Content.ReadAsStringAsync(), Does.Match("id=\"spark-split\"[^>]*data-last=\"25\""));
        Assert.That(await page.Content.ReadAsStringAsync(), Does.Match("id=\"spark-split\"[^>]*data-last=\"25\""), "the page itself carries the charts, drawn without script");
        Assert.That(page.Headers.GetValues("Content-Security-Policy").Single(), Does.StartWith("default-src 'none'; script-src 'sha256-").And.Contain("connect-src 'self'"));
    }
}
