using DualStack.Core.Capture;
using DualStack.Core.Comparison;
using DualStack.Core.Gates;
using DualStack.Core.Routing;
using DualStack.Core.Stacks;
using Microsoft.Extensions.Logging;

namespace DualStack.Proxy;

/// <summary>Settings of the capture proxy. The primary path forwards to <see cref="Old"/>; capture and shadow are optional side paths.</summary>
public sealed record ProxyOptions
{
    /// <summary>Address to listen on; default http://127.0.0.1:0 (a free port).</summary>
    public Uri Listen { get; init; } = new("http://127.0.0.1:0");

    /// <summary>The old (primary) stack every request is forwarded to.</summary>
    public required Uri Old { get; init; }

    /// <summary>Capture store: a SQLite file, or a PostgreSQL connection string (<c>postgres://…</c> or <c>Host=…</c>); null = forward only.</summary>
    public string? StorePath { get; init; }

    /// <summary>Captures older than this are deleted (at start, then periodically); null = kept forever.</summary>
    public TimeSpan? Retain { get; init; }

    /// <summary>Capture limits, header allow-list, queue and redaction.</summary>
    public CaptureOptions Capture { get; init; } = new();

    /// <summary>How the conversation key is found.</summary>
    public ConversationKeyOptions Keys { get; init; } = new();

    /// <summary>The new stack to mirror turns to; null = no shadow.</summary>
    public Uri? Shadow { get; init; }

    /// <summary>Contract the shadow stack speaks; default native.</summary>
    public AdapterKind ShadowAdapter { get; init; } = AdapterKind.Native;

    /// <summary>Share of conversations mirrored (by hash of the key, consistent across instances); default 100.</summary>
    public double ShadowSamplePercent { get; init; } = 100;

    /// <summary>Routes mirrored (templates with {id}); default: the v1 turn endpoint only — nothing else is ever replayed.</summary>
    public IReadOnlyList<string> ShadowRoutes { get; init; } = ["/v1/conversations/{id}/turns"];

    /// <summary>Shadow turns waiting before new ones are dropped; default 1,000.</summary>
    public int ShadowQueueCapacity { get; init; } = 1_000;

    /// <summary>Default of <see cref="ShadowWorkers"/>.</summary>
    public const int DefaultShadowWorkers = 4;

    /// <summary>Parallel shadow workers (each conversation stays on one, in order); default <see cref="DefaultShadowWorkers"/>.</summary>
    public int ShadowWorkers { get; init; } = DefaultShadowWorkers;

    /// <summary>Per-turn timeout on the shadow stack; default 30 s.</summary>
    public TimeSpan ShadowTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How shadow answers are compared with the primary ones.</summary>
    public ComparisonConfig Comparison { get; init; } = new();

    /// <summary>
    /// Where shadow pairs are judged; default <see cref="ShadowJudgeMode.Store"/>: the proxy only stores them (needs
    /// <see cref="StorePath"/>) and <c>dualstack shadow judge</c> judges them in its own process.
    /// </summary>
    public ShadowJudgeMode ShadowJudge { get; init; } = ShadowJudgeMode.Store;

    /// <summary>Optional meaning similarity for in-process shadow comparisons (<see cref="ShadowJudgeMode.InProcess"/>); null = lexical.</summary>
    public ITextSimilarity? Semantic { get; init; }

    /// <summary>Idle timeout of a forwarded request (no bytes either way); default 100 s.</summary>
    public TimeSpan ForwardTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>The new stack for split mode; null = capture proxy only (everything to <see cref="Old"/>).</summary>
    public Uri? New { get; init; }

    /// <summary>Split controller settings (used when <see cref="New"/> is set).</summary>
    public SplitSettings Split { get; init; } = new();

    /// <summary>Path probed on the old stack by the <c>old-stack</c> health check (any answer below 500 means reachable); default <c>/v1/health</c>.</summary>
    public string OldHealthPath { get; init; } = "/v1/health";

    /// <summary>Failures of one kind (store, forward, shadow) are summarised in the log at most once per this interval; default 10 s.</summary>
    public TimeSpan FailureLogInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Shadow circuit breaker: consecutive failed shadow turns (timeout, connection, 5xx) that open it; default 5.</summary>
    public int ShadowBreakerFailures { get; init; } = 5;

    /// <summary>Shadow circuit breaker: first pause while open, doubled after each failed trial turn; default 5 s.</summary>
    public TimeSpan ShadowBreakerPause { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Shadow circuit breaker: longest pause while open; default 60 s.</summary>
    public TimeSpan ShadowBreakerMaxPause { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Clock of log rate limits, the shadow circuit breaker and health state; default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>An extra log sink next to the console (embedding hosts, tests); default none.</summary>
    public ILoggerProvider? LogSink { get; init; }

    /// <summary>Console log lines: single-line text (default) or one JSON object per line (the built-in JSON console formatter).</summary>
    public LogFormat LogFormat { get; init; } = LogFormat.Text;

    /// <summary>OpenTelemetry tracing of requests, forwards and shadow calls; null (default) = off, no tracer provider.</summary>
    public TracingSettings? Tracing { get; init; }
}

/// <summary>How the hosts write console log lines.</summary>
public enum LogFormat
{
    /// <summary>One line of text per entry (the simple console formatter).</summary>
    Text,

    /// <summary>One JSON object per entry (the built-in JSON console formatter): timestamp, level, category, message, state.</summary>
    Json,
}

/// <summary>Split controller settings.</summary>
public sealed record SplitSettings
{
    /// <summary>Share of conversations routed to the new stack at start; default 0.</summary>
    public double InitialPercent { get; init; }

    /// <summary>A conversation stays on the stack that started it until idle this long; default 30 minutes.</summary>
    public TimeSpan PinIdleTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Pinned conversations kept in memory at most; default 100,000.</summary>
    public int MaxPins { get; init; } = 100_000;

    /// <summary>Ramp plan (steps, hold, gates); null = no automatic advance, gates still roll back automatically.</summary>
    public RampPlan? Ramp { get; init; }

    /// <summary>Bearer token of the admin API and dashboard; required in split mode.</summary>
    public string? AdminToken { get; init; }

    /// <summary>How long a dashboard sign-in lasts before the token must be entered again; default 8 hours.</summary>
    public TimeSpan AdminSessionLifetime { get; init; } = TimeSpan.FromHours(8);

    /// <summary>JSONL audit log of every change; null = in memory only.</summary>
    public string? AuditPath { get; init; }

    /// <summary>Header used to route requests that carry no conversation key; default X-Request-Id (else a per-request id).</summary>
    public string FallbackKeyHeader { get; init; } = "X-Request-Id";

    /// <summary>Gates used without a ramp plan (with one, the plan's gates apply); default <see cref="GateConfig"/>.</summary>
    public GateConfig Gates { get; init; } = new();

    /// <summary>Sliding window of the per-stack metrics without a ramp plan, in seconds; default 60.</summary>
    public int WindowSeconds { get; init; } = 60;

    /// <summary>Split state shared with other instances through PostgreSQL; null = this instance only.</summary>
    public SharedStateSettings? Shared { get; init; }

    /// <summary>How often the ramp controller evaluates the gates; default 1 s.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromSeconds(1);
}
