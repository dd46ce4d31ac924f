using System.Diagnostics;
using System.Diagnostics.Metrics;
using DualStack.Core.Replay;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace DualStack.Proxy;

/// <summary>
/// OpenTelemetry tracing, off by default and switched on by the standard <c>OTEL_*</c> variables: an OTLP endpoint
/// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>) or <c>OTEL_TRACES_EXPORTER=otlp</c>.
/// <c>OTEL_TRACES_EXPORTER=none</c> or <c>OTEL_SDK_DISABLED=true</c> keep it off. The OTLP exporter reads the rest
/// (protocol, headers, timeout) from the same variables; <c>OTEL_SERVICE_NAME</c> overrides the service name.
/// </summary>
public sealed record TracingSettings
{
    /// <summary>Values of <c>OTEL_TRACES_EXPORTER</c> this tool understands.</summary>
    public static readonly IReadOnlyList<string> Exporters = ["otlp", "none"];

    /// <summary>Export spans with the OTLP exporter; default true. Tests turn it off and add an in-memory exporter.</summary>
    public bool Otlp { get; init; } = true;

    /// <summary>More configuration of the tracer provider (an extra exporter or processor); default none.</summary>
    public Action<TracerProviderBuilder>? Configure { get; init; }

    /// <summary>
    /// The settings the environment asks for, or null when tracing stays off (no <c>OTEL_*</c> variable that turns it on).
    /// Throws <see cref="ArgumentException"/> naming the variable, the value and the allowed values.
    /// </summary>
    public static TracingSettings? FromEnvironment(Func<string, string?> variable)
    {
        if (string.Equals(variable("OTEL_SDK_DISABLED")?.Trim(), "true", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (variable("OTEL_TRACES_EXPORTER") is { } exporters && !string.IsNullOrWhiteSpace(exporters))
        {
            var names = exporters.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            foreach (var name in names)
            {
                if (!Exporters.Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    throw new ArgumentException($"OTEL_TRACES_EXPORTER: '{name}' is not one of {string.Join(", ", Exporters)}");
                }
            }

            return names.Contains("otlp", StringComparer.OrdinalIgnoreCase) ? new TracingSettings() : null;
        }

        return string.IsNullOrWhiteSpace(variable("OTEL_EXPORTER_OTLP_ENDPOINT")) && string.IsNullOrWhiteSpace(variable("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
            ? null
            : new TracingSettings();
    }

    internal static void AddService(ResourceBuilder resource, string serviceName)
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME")))
        {
            resource.AddService(serviceName, serviceVersion: typeof(TracingSettings).Assembly.GetName().Version?.ToString(3));
        }
    }

    /// <summary>Service name, sources, exporters; <paramref name="serviceName"/> unless <c>OTEL_SERVICE_NAME</c> is set.</summary>
    internal void Apply(TracerProviderBuilder builder, string serviceName)
    {
        builder.ConfigureResource(r => AddService(r, serviceName));
        builder.AddHttpClientInstrumentation();
        if (Otlp)
        {
            builder.AddOtlpExporter();
        }

        Configure?.Invoke(builder);
    }
}

/// <summary>Tracing of the CLI's own work: replay turns, the calls to each stack, and the HTTP requests under them.</summary>
public static class CliTracing
{
    /// <summary>Service name of the CLI's spans unless <c>OTEL_SERVICE_NAME</c> is set.</summary>
    public const string ServiceName = "dualstack";

    /// <summary>A tracer provider for the replayer's spans, or null when <paramref name="settings"/> is null (tracing off).
    /// Dispose it before exit: that flushes the spans not yet exported.</summary>
    public static TracerProvider? Start(TracingSettings? settings)
    {
        if (settings is null)
        {
            return null;
        }

        var builder = Sdk.CreateTracerProviderBuilder().AddSource(ReplayTelemetry.SourceName);
        settings.Apply(builder, ServiceName);
        return builder.Build();
    }
}

/// <summary>Wires the proxy's metrics (always) and tracing (when asked) into its host.</summary>
internal static class ProxyTelemetry
{
    /// <summary>Service name of the proxy's spans unless <c>OTEL_SERVICE_NAME</c> is set.</summary>
    public const string ServiceName = "dualstack-proxy";

    /// <summary>Kestrel's built-in meter (connections, TLS handshakes, queued requests).</summary>
    public const string KestrelMeter = "Microsoft.AspNetCore.Server.Kestrel";

    /// <summary>HttpClient's built-in meter (request durations, open connections) of the proxy's own handlers.</summary>
    public const string HttpClientMeter = "System.Net.Http";

    /// <summary>The runtime's built-in meter: GC, heap, JIT, thread pool, CPU time, working set (dotnet_*).</summary>
    public const string RuntimeMeter = "System.Runtime";

    /// <summary>
    /// Metrics from the proxy's meter, Kestrel, its HttpClient handlers, the runtime and the process, served at /metrics
    /// in the Prometheus text format (OpenMetrics when the scraper asks for it) by OpenTelemetry's Prometheus exporter.
    /// </summary>
    /// <param name="ownFactory">The host's meter factory once built: instruments of meters made by another host's factory
    /// (a second proxy in the same process) are dropped, so each /metrics counts only its own proxy.</param>
    public static void AddMetrics(IServiceCollection services, Func<IMeterFactory?> ownFactory, TracingSettings? tracing)
    {
        var otel = services.AddOpenTelemetry();
        // Names the proxy in target_info (and in spans) unless OTEL_SERVICE_NAME does.
        otel.ConfigureResource(r => TracingSettings.AddService(r, ServiceName));
        otel.WithMetrics(metrics => metrics
            .AddMeter(ProxyMetrics.MeterName, KestrelMeter, HttpClientMeter, RuntimeMeter)
            .AddView(instrument => Belongs(instrument, ownFactory()) ? null : MetricStreamConfiguration.Drop)
            .AddProcessInstrumentation()
            .AddPrometheusExporter(o =>
            {
                // Every scrape reads the current values (the default would answer from a 300 ms cache).
                o.ScrapeResponseCacheDurationMilliseconds = 0;
                // Series keep the labels they had before the exporter changed: no otel_scope_* labels on each line.
                o.ScopeInfoEnabled = false;
            }));
        if (tracing is not null)
        {
            otel.WithTracing(t =>
            {
                t.AddAspNetCoreInstrumentation();
                tracing.Apply(t, ServiceName);
            });
        }
    }

    /// <summary>Serves exactly <c>/metrics</c> before the proxy's own handler sees the request.</summary>
    // The exporter's default match would also take /metrics/anything, which belongs to the old stack and is forwarded.
    public static void UseMetricsEndpoint(WebApplication app) =>
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context => string.Equals(context.Request.Path.Value, "/metrics", StringComparison.Ordinal));

    /// <summary>Picks the console formatter.</summary>
    public static void AddConsole(ILoggingBuilder logging, LogFormat format)
    {
        if (format == LogFormat.Json)
        {
            logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            logging.AddSimpleConsole(o => o.SingleLine = true);
        }
    }

    // Meters made by a host's factory carry that factory as their scope; the runtime's and the process meter have none.
    private static bool Belongs(Instrument instrument, IMeterFactory? own) => instrument.Meter.Scope is { } scope
        ? ReferenceEquals(scope, own)
        // HttpClients built without this host's factory (other code in the process) report on a shared static meter.
        : instrument.Meter.Name != HttpClientMeter && instrument.Meter.Name != ProxyMetrics.MeterName;
}
