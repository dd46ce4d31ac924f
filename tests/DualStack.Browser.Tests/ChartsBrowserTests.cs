using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DualStack.Core.Drills;
using DualStack.Core.Gates;
using DualStack.Core.Judgement;
using DualStack.Core.Reports;
using DualStack.Core.Results;
using DualStack.Core.Runs;
using DualStack.Core.Scenarios;
using DualStack.Core.Stacks;
using DualStack.Proxy;
using DualStack.SampleAgent;
using DualStack.Sandbox;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DualStack.Browser.Tests;

/// <summary>
/// The charts as a reviewer sees them in headless Chromium: present, visible, and drawn from the same numbers as the
/// JSON written next to them (results.json, drill.json, the admin state). Screenshots go to the test's work folder;
/// with <c>DUALSTACK_README_IMAGES=1</c> they also replace the README's pictures in <c>docs/img/</c>.
/// </summary>
[NonParallelizable]
public sealed class ChartsBrowserTests : BrowserTest
{
    private const string Token = "charts-token-17";

    [Test]
    public async Task RunReport_DemoWithWrongSkillArgs_ChartsVisibleAndAgreeWithResultsJson()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var result = await SampleRuns.DemoWithFaultAsync("wrong-skill-args", timeout.Token);

        var directory = Path.Combine(TempRoot, "run");
        var resultsPath = await ResultsFile.WriteAsync(result, directory, timeout.Token);
        var reportPath = await HtmlReport.WriteAsync(result, directory, timeout.Token);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(resultsPath, timeout.Token));
        var results = json.RootElement;

        await using var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, message) => { if (message.Type is "error" or "warning") { lock (problems) { problems.Add(message.Text); } } };
        await page.GotoAsync(new Uri(reportPath).AbsoluteUri);

        // Latency CDF: one line per lane, its count and nearest-rank p50/p95 recomputed from results.json.
        await Expect(page.Locator("#chart-latency")).ToBeVisibleAsync();
        var lanes = new Dictionary<string, string> { ["A"] = "old", ["A′"] = "oldRepeat", ["B"] = "new" };
        foreach (var (lane, property) in lanes)
        {
            var latencies = Turns(results)
                .Select(t => t.TryGetProperty(property, out var o) ? o : default)
                .Where(o => o.ValueKind == JsonValueKind.Object && !o.TryGetProperty("error", out _))
                .Select(o => o.GetProperty("latencyMs").GetDouble())
                .Order()
                .ToArray();
            Assert.That(latencies, Is.Not.Empty, $"lane {lane} has observations in results.json");
            var g = page.Locator($"#chart-latency g.cdf-lane[data-lane='{lane}']");
            await Expect(g).ToBeVisibleAsync();
            Assert.That(await g.GetAttributeAsync("data-count"), Is.EqualTo(latencies.Length.ToString(CultureInfo.InvariantCulture)), lane);
            // The chart writes milliseconds rounded to 2 decimals: compared as written. "Within half a unit" failed a run
            // when a p95 of 37.735 was written 37.74, half a unit plus a rounding error away.
            Assert.That(Number(await g.GetAttributeAsync("data-p50")), Is.EqualTo(Shown(NearestRank(latencies, 0.50))), $"{lane} p50");
            Assert.That(Number(await g.GetAttributeAsync("data-p95")), Is.EqualTo(Shown(NearestRank(latencies, 0.95))), $"{lane} p95");
            Assert.That(Number(await g.GetAttributeAsync("data-max")), Is.EqualTo(Shown(latencies[^1])), $"{lane} max");
        }

        // Raw-vs-noise bars: one per key in results.json (up to the cap), same raw and noise counts.
        await Expect(page.Locator("#chart-keys")).ToBeVisibleAsync();
        var keys = results.GetProperty("keys").EnumerateArray().ToDictionary(k => k.GetProperty("key").GetString()!, k => (Raw: k.GetProperty("raw").GetInt32(), Noise: k.GetProperty("noise").GetInt32(), Reported: k.GetProperty("reported").GetBoolean()));
        Assert.That(keys.Values.Any(k => k.Reported), Is.True, "the wrong refund amount is a reported key");
        var bars = page.Locator("#chart-keys g.key-bar");
        Assert.That(await bars.CountAsync(), Is.EqualTo(Math.Min(keys.Count, 25)));
        for (var i = 0; i < await bars.CountAsync(); i++)
        {
            var bar = bars.Nth(i);
            var key = await bar.GetAttributeAsync("data-key");
            Assert.That(keys.ContainsKey(key!), Is.True, $"bar for unknown key {key}");
            Assert.That((Int(await bar.GetAttributeAsync("data-raw")), Int(await bar.GetAttributeAsync("data-noise")), await bar.GetAttributeAsync("data-reported") == "true"), Is.EqualTo(keys[key!]), key);
        }

        // Verdicts per dimension: each segment's count is the summary's count for that dimension and verdict.
        await Expect(page.Locator("#chart-dimensions")).ToBeVisibleAsync();
        var byDimension = results.GetProperty("summary").GetProperty("byDimension");
        var checkedSegments = 0;
        foreach (var dimension in byDimension.EnumerateObject())
        {
            var total = 0;
            foreach (var verdict in dimension.Value.EnumerateObject())
            {
                total += verdict.Value.GetInt32();
                if (verdict.Value.GetInt32() > 0)
                {
                    var segment = page.Locator($"#chart-dimensions g[data-dimension='{dimension.Name.ToLowerInvariant()}'] rect[data-verdict='{verdict.Name.ToLowerInvariant()}']");
                    await Expect(segment).ToHaveAttributeAsync("data-count", verdict.Value.GetInt32().ToString(CultureInfo.InvariantCulture));
                    checkedSegments++;
                }
            }

            await Expect(page.Locator($"#chart-dimensions g[data-dimension='{dimension.Name.ToLowerInvariant()}']")).ToHaveAttributeAsync("data-total", total.ToString(CultureInfo.InvariantCulture));
        }

        Assert.That(checkedSegments, Is.GreaterThan(2));
        Assert.That(result.Summary.ByDimension[Dimension.Skills].GetValueOrDefault(Verdict.Regression), Is.GreaterThan(0));
        await Expect(page.Locator("#chart-latency title").First).ToContainTextAsync("Latency per lane");
        Assert.That(problems, Is.Empty, "console errors (a CSP violation would show here)");

        await SaveAsync(page.Locator("#charts"), "report-charts");
        await SaveAsync(page.Locator("#figure-keys"), "report-keys");
    }

    [Test]
    public async Task DrillReport_FaultDrill_TimelineVisibleAndAgreesWithDrillJson()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var configPath = EmbeddedStacks.FindRepoFile(Path.Combine("scenarios", "drill-fault.json")) ?? throw new InvalidOperationException("scenarios/drill-fault.json not found");
        var report = await EmbeddedDrill.RunAsync(DrillConfig.Load(configPath), DrillMerge.MergeAsync, adminToken: null, progress: null, timeout.Token);
        var directory = await DrillReportWriter.WriteAsync(report, Path.Combine(TempRoot, "drill"), timeout.Token);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "drill.json"), timeout.Token));
        var drill = json.RootElement;
        Assert.That(drill.TryGetProperty("rolledBackAt", out _), Is.True, "the fault drill rolled back");

        await using var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 900 } });
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, message) => { if (message.Type is "error" or "warning") { lock (problems) { problems.Add(message.Text); } } };
        await page.GotoAsync(new Uri(Path.Combine(directory, "drill.html")).AbsoluteUri);

        var chart = page.Locator("#chart-timeline");
        await Expect(chart).ToBeVisibleAsync();
        var timeline = drill.GetProperty("timeline");
        var buckets = timeline.GetProperty("buckets").EnumerateArray().ToArray();
        Assert.That(buckets.Sum(b => b.GetProperty("new").GetInt32()), Is.EqualTo(drill.GetProperty("servedByNew").GetInt32()), "drill.json: the timeline adds up to its own totals");
        Assert.That(buckets.Sum(b => b.GetProperty("old").GetInt32() + b.GetProperty("new").GetInt32() + b.GetProperty("other").GetInt32()), Is.EqualTo(drill.GetProperty("requests").GetInt32()));
        await Expect(chart).ToHaveAttributeAsync("data-requests", drill.GetProperty("requests").GetInt32().ToString(CultureInfo.InvariantCulture));
        await Expect(chart).ToHaveAttributeAsync("data-new", drill.GetProperty("servedByNew").GetInt32().ToString(CultureInfo.InvariantCulture));
        await Expect(chart).ToHaveAttributeAsync("data-failed", drill.GetProperty("failedRequests").GetInt32().ToString(CultureInfo.InvariantCulture));
        await Expect(chart).ToHaveAttributeAsync("data-bucket-ms", timeline.GetProperty("bucketMs").GetInt32().ToString(CultureInfo.InvariantCulture));

        var drawn = page.Locator("#chart-timeline g.bucket");
        var drawnNew = 0;
        for (var i = 0; i < await drawn.CountAsync(); i++)
        {
            drawnNew += Int(await drawn.Nth(i).GetAttributeAsync("data-new"));
        }

        Assert.That(drawnNew, Is.EqualTo(drill.GetProperty("servedByNew").GetInt32()), "the bars drawn add up to drill.json");
        var started = drill.GetProperty("startedAt").GetDateTimeOffset();
        var trigger = page.Locator("#chart-timeline g.marker[data-marker='trigger']");
        var rollback = page.Locator("#chart-timeline g.marker[data-marker='rollback']");
        await Expect(trigger).ToBeVisibleAsync();
        await Expect(rollback).ToBeVisibleAsync();
        Assert.That(Number(await trigger.GetAttributeAsync("data-at-ms")), Is.EqualTo((drill.GetProperty("triggeredAt").GetDateTimeOffset() - started).TotalMilliseconds).Within(0.01));
        Assert.That(Number(await rollback.GetAttributeAsync("data-at-ms")), Is.EqualTo((drill.GetProperty("rolledBackAt").GetDateTimeOffset() - started).TotalMilliseconds).Within(0.01));
        Assert.That(Number(await rollback.GetAttributeAsync("data-at-ms")), Is.GreaterThanOrEqualTo(Number(await trigger.GetAttributeAsync("data-at-ms"))), "an automatic rollback follows its trigger");
        Assert.That(problems, Is.Empty, "console errors (a CSP violation would show here)");

        await SaveAsync(page.Locator("#figure-timeline"), "drill-timeline");
    }

    [Test]
    public async Task Dashboard_TrafficOnBothStacks_SparklinesShowTheStateAndTheGateLimits()
    {
        await using var old = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await using var @new = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2" });
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions
        {
            Old = old.BaseAddress,
            New = @new.BaseAddress,
            Split = new SplitSettings { InitialPercent = 50, AdminToken = Token, TickInterval = TimeSpan.FromMilliseconds(100), Gates = new GateConfig { MinRequests = 5 } },
        });
        using (var http = new HttpClient { BaseAddress = proxy.BaseAddress })
        {
            for (var i = 0; i < 40; i++)
            {
                using var content = new StringContent($$"""{"userId":"u-{{i}}","message":"Where is order 4411?","channel":"web"}""", Encoding.UTF8, "application/json");
                using var response = await http.PostAsync($"v1/conversations/chart-{i}/turns", content);
                response.EnsureSuccessStatusCode();
            }
        }

        await using var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, message) => { if (message.Type is "error" or "warning") { lock (problems) { problems.Add(message.Text); } } };
        await page.GotoAsync(new Uri(proxy.BaseAddress, "admin/ui").AbsoluteUri);
        await page.FillAsync("#token", Token);
        await page.ClickAsync("#login");
        await Expect(page.Locator("#split-percent")).ToHaveTextAsync("50 %");
        lock (problems)
        {
            problems.Clear(); // the sign-in page itself is served with 401, which Chromium logs
        }

        // Limits appear once a tick has sampled both stacks past MinRequests: wait for that condition, not for time.
        await Expect(page.Locator("#spark-p95[data-limit]")).ToBeVisibleAsync();
        await Expect(page.Locator("#spark-error-rate[data-limit]")).ToBeVisibleAsync();
        await Expect(page.Locator("#spark-split")).ToHaveAttributeAsync("data-last", "50");

        using var admin = new HttpClient { BaseAddress = proxy.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var state = JsonDocument.Parse(await admin.GetStringAsync("admin/api/state"));
        var newStats = state.RootElement.GetProperty("new");
        var oldStats = state.RootElement.GetProperty("old");
        var gates = new GateConfig();
        Assert.That(newStats.GetProperty("requests").GetInt64(), Is.GreaterThanOrEqualTo(5));
        var p95 = page.Locator("#spark-p95");
        Assert.That(Number(await p95.GetAttributeAsync("data-last")), Is.EqualTo(newStats.GetProperty("p95Ms").GetDouble()).Within(0.006), "the latest sample is the window the state reports (no traffic since)");
        Assert.That(Number(await p95.GetAttributeAsync("data-limit")), Is.EqualTo((oldStats.GetProperty("p95Ms").GetDouble() * gates.MaxP95Ratio) + gates.P95SlackMs).Within(0.006), "old p95 × 1.10 + 5 ms");
        Assert.That(Number(await page.Locator("#spark-error-rate").GetAttributeAsync("data-last")), Is.EqualTo(newStats.GetProperty("errorRate").GetDouble() * 100).Within(0.006));
        Assert.That(Number(await page.Locator("#spark-error-rate").GetAttributeAsync("data-limit")), Is.EqualTo((oldStats.GetProperty("errorRate").GetDouble() + gates.AbsoluteErrorTolerance) * 100).Within(0.006));
        await Expect(page.Locator("#spark-split title")).ToContainTextAsync("now 50 %");
        Assert.That(problems, Is.Empty, "console errors (a CSP violation would show here)");

        await SaveAsync(page.Locator("#trends"), "dashboard-trends");
    }

    private static IEnumerable<JsonElement> Turns(JsonElement results) =>
        results.GetProperty("conversations").EnumerateArray().SelectMany(c => c.GetProperty("turns").EnumerateArray());

    private static double NearestRank(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length), 1, sorted.Length) - 1];

    // As the report writes a millisecond figure (Svg.F): rounded to 2 decimals, then read back.
    private static double Shown(double ms) => Number(Math.Round(ms, 2).ToString("0.##", CultureInfo.InvariantCulture));

    private static double Number(string? text) => double.Parse(text ?? throw new AssertionException("attribute missing"), CultureInfo.InvariantCulture);

    private static int Int(string? text) => int.Parse(text ?? throw new AssertionException("attribute missing"), CultureInfo.InvariantCulture);

    private static async Task SaveAsync(ILocator element, string name)
    {
        var directory = Path.Combine(TestContext.CurrentContext.WorkDirectory, "screenshots");
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, name + ".png");
        await element.ScreenshotAsync(new LocatorScreenshotOptions { Path = file });
        TestContext.AddTestAttachment(file, name);
        if (Environment.GetEnvironmentVariable("DUALSTACK_README_IMAGES") == "1" && EmbeddedStacks.FindRepoFile("README.md") is { } readme)
        {
            var images = Path.Combine(Path.GetDirectoryName(readme)!, "docs", "img");
            Directory.CreateDirectory(images);
            File.Copy(file, Path.Combine(images, name + ".png"), overwrite: true);
        }
    }
}
