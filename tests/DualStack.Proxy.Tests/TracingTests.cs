using DualStack.TestUtils;
using System.Diagnostics;
using DualStack.Core.Model;
using DualStack.Core.Replay;
using DualStack.Core.Scenarios;
using DualStack.Core.Stacks;
using DualStack.SampleAgent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Trace;

namespace DualStack.Proxy.Tests;

public sealed class TracingTests
{
    private static Dictionary<string, string?> Env(params (string Name, string Value)[] vars) => vars.ToDictionary(v => v.Name, v => (string?)v.Value);

    [Test]
    public void FromEnvironment_NoOtelVariable_TracingOffAndNoProvider()
    {
        var settings = TracingSettings.FromEnvironment(_ => null);

        Assert.That(settings, Is.Null);
        Assert.That(CliTracing.Start(settings), Is.Null);
    }

    [TestCase("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317", true)]
    [TestCase("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:4318/v1/traces", true)]
    [TestCase("OTEL_TRACES_EXPORTER", "otlp", true)]
    [TestCase("OTEL_TRACES_EXPORTER", "none", false)]
    [TestCase("OTEL_SERVICE_NAME", "agent-proxy", false)]
    public void FromEnvironment_OneVariable_TurnsTracingOnOnlyWhenItAsksForAnExporter(string name, string value, bool on)
    {
        var env = Env((name, value));

        Assert.That(TracingSettings.FromEnvironment(n => env.GetValueOrDefault(n)) is not null, Is.EqualTo(on));
    }

    [Test]
    public void FromEnvironment_SdkDisabledOrExporterNone_WinsOverAnEndpoint()
    {
        var disabled = Env(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317"), ("OTEL_SDK_DISABLED", "true"));
        var none = Env(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317"), ("OTEL_TRACES_EXPORTER", "none"));

        Assert.That(TracingSettings.FromEnvironment(n => disabled.GetValueOrDefault(n)), Is.Null);
        Assert.That(TracingSettings.FromEnvironment(n => none.GetValueOrDefault(n)), Is.Null);
    }

    [Test]
    public void FromEnvironment_UnknownExporter_NamesVariableValueAndAllowedValues()
    {
        var env = Env(("OTEL_TRACES_EXPORTER", "otlp,jaeger"));

        Assert.That(() => TracingSettings.FromEnvironment(n => env.GetValueOrDefault(n)),
            Throws.ArgumentException.With.Message.EqualTo("OTEL_TRACES_EXPORTER: 'jaeger' is not one of otlp, none"));
    }

    [Test]
    public async Task Proxy_TracingOff_HasNoTracerProvider()
    {
        await using var old = await LoopbackApp.StartAsync(app => app.MapGet("/ok", () => "ok"));
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = old.Address });

        Assert.That(proxy.TracerProvider, Is.Null);
    }

    [Test]
    public async Task Proxy_TracingOn_ProxiedRequestExportsServerSpanWithTheForwardUnderItAndPropagatesIt()
    {
        var spans = new SpanList();
        var traceparent = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var old = await LoopbackApp.StartAsync(app => app.MapGet("/ok", (HttpRequest request) =>
        {
            traceparent.TrySetResult(request.Headers["traceparent"].ToString());
            return "ok";
        }));
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions
        {
            Old = old.Address,
            Tracing = new TracingSettings { Otlp = false, Configure = b => b.AddInMemoryExporter(spans) },
        });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        Assert.That(proxy.TracerProvider, Is.Not.Null);
        Assert.That(await http.GetStringAsync("ok"), Is.EqualTo("ok"));
        // Server spans end once the response is complete, which can be just after the client has read it. The test's
        // client and the old stack run in this process too, so the same listener sees their spans: the whole chain.
        await WaitFor(() => spans.Count(s => s.Kind == ActivityKind.Server) == 2,
            () => string.Join("\n", spans.Select(s => $"{s.Source.Name} {s.Kind} {s.DisplayName} " + string.Join(",", s.TagObjects.Select(t => $"{t.Key}={t.Value}")))));

        var client = spans.Single(s => s.Kind == ActivityKind.Client && Equals(s.GetTagItem("server.port"), proxy.BaseAddress.Port));
        var server = spans.Single(s => s.Kind == ActivityKind.Server && s.ParentSpanId == client.SpanId);
        var forward = spans.Single(s => s.Kind == ActivityKind.Client && Equals(s.GetTagItem("server.port"), old.Address.Port));
        var backend = spans.Single(s => s.Kind == ActivityKind.Server && s.GetTagItem("http.route") as string == "/ok");
        Assert.That(server.GetTagItem("url.path"), Is.EqualTo("/ok"));
        Assert.That(forward.ParentSpanId, Is.EqualTo(server.SpanId), "the forward to the old stack is a child of the proxied request");
        Assert.That(backend.ParentSpanId, Is.EqualTo(forward.SpanId), "the old stack's span joins the trace under the forward");
        Assert.That(new[] { server.TraceId, forward.TraceId, backend.TraceId }, Is.All.EqualTo(client.TraceId));
        Assert.That(await traceparent.Task.WaitAsync(TimeSpan.FromSeconds(10)), Does.Contain(forward.TraceId.ToHexString()).And.Contain(forward.SpanId.ToHexString()),
            "the old stack joins the trace");
    }

    [Test]
    public async Task Replay_TracingOn_ExportsATurnSpanPerTurnWithTheStackCallsAndTheirHttpRequestsUnderIt()
    {
        var spans = new SpanList();
        await using var oldAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await using var newAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        using var old = StackFactory.Create("old", new StackConfig { Url = oldAgent.BaseAddress.ToString() });
        using var @new = StackFactory.Create("new", new StackConfig { Url = newAgent.BaseAddress.ToString() });
        var conversation = new Conversation
        {
            Id = "c-trace", UserId = "u-1",
            Turns = [new Turn { Message = "Where is order 4411?" }, new Turn { Message = "thanks" }],
        };

        using (CliTracing.Start(new TracingSettings { Otlp = false, Configure = b => b.AddInMemoryExporter(spans) }))
        {
            var replays = await new Replayer(old, @new, new ReplayConfig { Concurrency = 1, RepeatOld = true }).RunAsync([conversation], null, CancellationToken.None);
            Assert.That(replays.Single().Turns, Has.Count.EqualTo(2));
        }

        var turns = spans.Where(s => s.Source.Name == ReplayTelemetry.SourceName && s.DisplayName == "replay turn").ToArray();
        Assert.That(turns.Select(t => t.GetTagItem("dualstack.turn.index")), Is.EquivalentTo(new object[] { 0, 1 }));
        foreach (var turn in turns)
        {
            var calls = spans.Where(s => s.DisplayName == "stack turn" && s.ParentSpanId == turn.SpanId).ToArray();
            Assert.That(calls.Select(c => c.GetTagItem("dualstack.lane")), Is.EquivalentTo(new[] { "Old", "OldRepeat", "New" }), "one span per lane");
            foreach (var call in calls)
            {
                Assert.That(spans.Count(s => s.Source.Name == "System.Net.Http" && s.ParentSpanId == call.SpanId), Is.GreaterThanOrEqualTo(1), "the adapter's HTTP request nests under its stack call");
            }
        }
    }

    /// <summary>The exporter adds from the threads that end spans while the test reads: a locked list.</summary>
    private sealed class SpanList : ICollection<Activity>
    {
        private readonly List<Activity> _items = [];

        public int Count
        {
            get
            {
                lock (_items)
                {
                    return _items.Count;
                }
            }
        }

        public bool IsReadOnly => false;

        public void Add(Activity item)
        {
            lock (_items)
            {
                _items.Add(item);
            }
        }

        public void Clear()
        {
            lock (_items)
            {
                _items.Clear();
            }
        }

        public bool Contains(Activity item) => Snapshot().Contains(item);

        public void CopyTo(Activity[] array, int arrayIndex) => Snapshot().CopyTo(array, arrayIndex);

        public bool Remove(Activity item)
        {
            lock (_items)
            {
                return _items.Remove(item);
            }
        }

        public IEnumerator<Activity> GetEnumerator() => ((IEnumerable<Activity>)Snapshot()).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        private Activity[] Snapshot()
        {
            lock (_items)
            {
                return [.. _items];
            }
        }
    }

    private static async Task WaitFor(Func<bool> condition, Func<string>? describe = null)
    {
        for (var i = 0; i < 400 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.That(condition(), Is.True, "condition not met within 10 s; " + describe?.Invoke());
    }
}
