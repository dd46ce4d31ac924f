using DualStack.TestUtils;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace DualStack.Proxy.Tests;

public sealed class MetricsExpositionTests
{
    [Test]
    public async Task Metrics_AfterTraffic_ParseStrictlyWithDualStackProcessRuntimeKestrelAndHttpClientSeries()
    {
        await using var old = await LoopbackApp.StartAsync(app => app.MapGet("/ok", () => "ok"));
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = old.Address });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        for (var i = 0; i < 3; i++)
        {
            Assert.That(await http.GetStringAsync("ok"), Is.EqualTo("ok"));
        }

        using var response = await http.GetAsync("metrics");
        var metrics = PrometheusText.Parse(await response.Content.ReadAsStringAsync());

        Assert.Multiple(() =>
        {
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));
            Assert.That(metrics.Families["target_info"].Samples.Single().Label("service_name"), Is.EqualTo("dualstack-proxy"));
            // The DualStack series keep their names, types and buckets.
            Assert.That(metrics.Value("dualstack_requests_total"), Is.EqualTo(3));
            Assert.That(metrics.Families["dualstack_requests_total"].Type, Is.EqualTo("counter"));
            Assert.That(metrics.Value("dualstack_responses_total", ("class", "2xx")), Is.EqualTo(3));
            Assert.That(metrics.Value("dualstack_responses_total", ("class", "none")), Is.Zero);
            Assert.That(metrics.Value("dualstack_forward_errors_total"), Is.Zero);
            Assert.That(metrics.Families["dualstack_request_duration_seconds"].Type, Is.EqualTo("histogram"));
            Assert.That(metrics.Value("dualstack_request_duration_seconds_count"), Is.EqualTo(3));
            Assert.That(metrics.Families["dualstack_request_duration_seconds"].Samples.Where(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal)).Select(s => s.Label("le")),
                Is.EqualTo(new[] { "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf" }));
            Assert.That(metrics.Value("dualstack_proxy_added_seconds_bucket", ("le", "0.0001")), Is.GreaterThanOrEqualTo(0), "the proxy-added histogram keeps its sub-millisecond buckets");
            Assert.That(metrics.Value("dualstack_proxy_added_seconds_count"), Is.EqualTo(3));
            Assert.That(metrics.Value("dualstack_shadow_verdicts_total", ("verdict", "regression")), Is.Zero);
            Assert.That(metrics.Value("dualstack_admin_throttled_total"), Is.Zero);
            // Process, runtime (GC), Kestrel and the forwarder's HttpClient, from their standard meters.
            Assert.That(metrics.Value("process_memory_usage_bytes"), Is.GreaterThan(0));
            Assert.That(metrics.Families.Keys.Where(k => k.StartsWith("process_", StringComparison.Ordinal)), Does.Contain("process_cpu_time_seconds_total").And.Contain("process_thread_count"));
            Assert.That(metrics.Families["dotnet_gc_collections_total"].Type, Is.EqualTo("counter"));
            Assert.That(metrics.Value("dotnet_process_memory_working_set_bytes"), Is.GreaterThan(0));
            Assert.That(metrics.Families.Keys, Does.Contain("dotnet_gc_heap_total_allocated_bytes_total"));
            Assert.That(metrics.Families.Keys.Where(k => k.StartsWith("kestrel_", StringComparison.Ordinal)), Does.Contain("kestrel_active_connections"));
            var forwards = metrics.Families["http_client_request_duration_seconds"].Samples
                .Where(s => s.Name.EndsWith("_count", StringComparison.Ordinal) && s.Label("server_port") == old.Address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.That(forwards.Sum(s => s.Value), Is.EqualTo(3), "the three forwards to the old stack, on the proxy's own HttpClient series");
        });
    }

    [Test]
    public async Task Metrics_TwoProxiesInOneProcess_EachCountsOnlyItsOwnRequests()
    {
        await using var old = await LoopbackApp.StartAsync(app => app.MapGet("/ok", () => "ok"));
        await using var a = await ProxyServer.StartAsync(new ProxyOptions { Old = old.Address });
        await using var b = await ProxyServer.StartAsync(new ProxyOptions { Old = old.Address });
        using var httpA = new HttpClient { BaseAddress = a.BaseAddress };
        using var httpB = new HttpClient { BaseAddress = b.BaseAddress };
        for (var i = 0; i < 2; i++)
        {
            (await httpA.GetAsync("ok")).Dispose();
        }

        (await httpB.GetAsync("ok")).Dispose();

        var metricsA = PrometheusText.Parse(await httpA.GetStringAsync("metrics"));
        var metricsB = PrometheusText.Parse(await httpB.GetStringAsync("metrics"));
        Assert.That((metricsA.Value("dualstack_requests_total"), metricsB.Value("dualstack_requests_total")), Is.EqualTo((2.0, 1.0)));
        Assert.That((metricsA.Value("dualstack_request_duration_seconds_count"), metricsB.Value("dualstack_request_duration_seconds_count")), Is.EqualTo((2.0, 1.0)));
    }

    [Test]
    public async Task Metrics_PathBelowMetrics_IsForwardedToTheOldStackLikeAnyOtherPath()
    {
        await using var old = await LoopbackApp.StartAsync(app => app.MapGet("/metrics/custom", () => "the old stack's own"));
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = old.Address });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        Assert.That(await http.GetStringAsync("metrics/custom"), Is.EqualTo("the old stack's own"));
        Assert.That(PrometheusText.Parse(await http.GetStringAsync("metrics")).Value("dualstack_requests_total"), Is.EqualTo(1));
    }

    [Test]
    public async Task Metrics_OpenMetricsRequested_AnswersOpenMetricsWithEof()
    {
        await using var old = await LoopbackApp.StartAsync(app => app.MapGet("/ok", () => "ok"));
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = old.Address });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        (await http.GetAsync("ok")).Dispose();
        using var request = new HttpRequestMessage(HttpMethod.Get, "metrics");
        request.Headers.Accept.ParseAdd("application/openmetrics-text; version=1.0.0");

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/openmetrics-text"));
        Assert.That(text, Does.EndWith("# EOF\n"));
        Assert.That(text, Does.Contain("# TYPE dualstack_requests counter"));
    }
}

public sealed class PrometheusTextTests
{
    private const string Valid = """
        # HELP req_total Requests \\ seen.
        # TYPE req_total counter
        req_total{class="2xx",path="/a\"b\\c\n"} 3
        req_total{class="5xx"} 0 1700000000000
        # TYPE lat_seconds histogram
        lat_seconds_bucket{le="0.1"} 1
        lat_seconds_bucket{le="1"} 2
        lat_seconds_bucket{le="+Inf"} 2
        lat_seconds_sum 0.65
        lat_seconds_count 2
        up NaN

        """;

    [Test]
    public void Parse_ValidExposition_ReadsFamiliesLabelsAndValues()
    {
        var scrape = PrometheusText.Parse(Valid);

        Assert.That(scrape.Families["req_total"].Help, Is.EqualTo("Requests \\ seen."));
        Assert.That(scrape.Value("req_total", ("class", "2xx"), ("path", "/a\"b\\c\n")), Is.EqualTo(3));
        Assert.That(scrape.Families["req_total"].Samples[1].Timestamp, Is.EqualTo(1700000000000));
        Assert.That(scrape.Value("lat_seconds_bucket", ("le", "1")), Is.EqualTo(2));
        Assert.That(scrape.Families["up"].Type, Is.EqualTo("untyped"));
        Assert.That(double.IsNaN(scrape.Value("up")));
    }

    [TestCase("lat_seconds_bucket{le=\"1\"} 2", "lat_seconds_bucket{le=\"1\"} 0", "not cumulative")]
    [TestCase("lat_seconds_bucket{le=\"+Inf\"} 2", "lat_seconds_bucket{le=\"+Inf\"} 3", "differs from the +Inf bucket")]
    [TestCase("lat_seconds_bucket{le=\"+Inf\"} 2\n", "", "no +Inf bucket")]
    [TestCase("up NaN", "up NaN\nup 2", "duplicate series")]
    [TestCase("req_total{class=\"5xx\"} 0 1700000000000", "req_total{class=\"5xx\"} -1", "negative")]
    [TestCase("up NaN", "req_total{class=\"4xx\"} 1", "not in one group")]
    [TestCase("# TYPE lat_seconds histogram", "# TYPE lat_seconds summary\n# TYPE lat_seconds histogram", "second TYPE")]
    [TestCase("lat_seconds_sum 0.65", "lat_seconds_sum 0.65\nlat_seconds_bucket 1", "does not fit histogram")]
    [TestCase("req_total{class=\"2xx\",", "req_total{class=\"2xx\" ", "expected ',' or '}'")]
    [TestCase("up NaN", "up 1,5", "is not a float")]
    [TestCase("up NaN", "up{__name__=\"x\"} 1", "reserved")]
    [TestCase("up NaN", "up{a=\"\\t\"} 1", "unknown escape")]
    [TestCase("up NaN", "9up 1", "is not a metric name")]
    public void Parse_BrokenExposition_ThrowsNamingTheFault(string replace, string with, string fault)
    {
        var text = Valid.Replace(replace, with, StringComparison.Ordinal);
        Assert.That(text, Is.Not.EqualTo(Valid), "the case changes the exposition");

        Assert.That(() => PrometheusText.Parse(text), Throws.InstanceOf<FormatException>().With.Message.Contains(fault));
    }
}
