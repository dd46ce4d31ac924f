using DualStack.Core.Privacy;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using DualStack.Core.Capture;
using DualStack.Core.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace DualStack.Proxy;

/// <summary>
/// The capture proxy: forwards every request to the old stack with YARP's <see cref="IHttpForwarder"/> (headers,
/// status and streaming bodies unchanged, nothing buffered), copies up to the body limit of each side on the way
/// through, and hands the exchange to the capture writer and the shadow mirror off the request path. Serves
/// <c>/metrics</c> (Prometheus), <c>/healthz</c> (named health checks, 503 when one is unhealthy) and <c>/livez</c>
/// (the process answers; no dependency is checked).
/// </summary>
public sealed partial class ProxyServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ProxyOptions _options;
    private readonly HttpMessageInvoker _client;
    private readonly IHttpForwarder _forwarder;
    private readonly ForwarderRequestConfig _requestConfig;
    private readonly ConversationKeyExtractor _keys;
    private readonly ILogger _logger;
    private readonly TimeProvider _time = TimeProvider.System;
    private readonly string _destination;
    private ICaptureStore? _store;
    private IShadowResultStore? _shadowResults;
    private AdminEndpoints? _admin;
    private CaptureRetention? _retention;
    private CaptureStoreMonitor? _storeMonitor;
    private HealthCheckService _health = null!;
    private readonly HttpMessageInvoker _healthClient = OldStackHealthCheck.CreateClient();
    private readonly ForwardFailures _forwardFailures;
    private long _bodyCopies;

    private ProxyServer(WebApplication app, ProxyOptions options)
    {
        _app = app;
        _options = options;
        _forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        _logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("DualStack.Proxy");
        _keys = new ConversationKeyExtractor(options.Keys);
        _destination = options.Old.AbsoluteUri;
        _requestConfig = new ForwarderRequestConfig { ActivityTimeout = options.ForwardTimeout };
        _forwardFailures = new ForwardFailures(_logger, options.FailureLogInterval);
        var meters = app.Services.GetRequiredService<IMeterFactory>();
        Metrics = new ProxyMetrics(meters);
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            // Forwards count on this proxy's http_client_* series, not on a meter shared by the whole process.
            MeterFactory = meters,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            // The old stack sees the client's trace headers unchanged; with tracing on, the forward span's context instead.
            ActivityHeadersPropagator = options.Tracing is null ? null : DistributedContextPropagator.Current,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            MaxConnectionsPerServer = int.MaxValue,
        });
    }

    /// <summary>Response header naming the stack that served a request in split mode (<c>old</c> or <c>new</c>).</summary>
    public const string StackHeader = "X-DualStack-Stack";

    /// <summary>Where the proxy listens.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    internal ProxyMetrics Metrics { get; }

    internal CaptureWriter? Writer { get; private set; }

    internal ShadowMirror? Shadow { get; private set; }

    /// <summary>Requests whose bodies were copied for capture or shadow (the tee); a plain forward copies nothing.</summary>
    internal long BodyCopies => Interlocked.Read(ref _bodyCopies);

    internal SplitRouter? Split { get; private set; }

    /// <summary>The tracer provider when tracing is on (<see cref="ProxyOptions.Tracing"/>); null when off.</summary>
    internal OpenTelemetry.Trace.TracerProvider? TracerProvider => _app.Services.GetService<OpenTelemetry.Trace.TracerProvider>();

    /// <summary>Ticks the rate-limited failure logs (store, forward, shadow) once a second.</summary>
    internal FailureLogPump? FailureLogs { get; private set; }

    /// <summary>Starts the proxy; throws <see cref="InvalidDataException"/> when the store cannot be opened.</summary>
    public static async Task<ProxyServer> StartAsync(ProxyOptions options, LogLevel minimumLevel = LogLevel.Warning, CancellationToken cancellationToken = default)
    {
        // One redactor for everything this process writes: captures, shadow comparisons and log lines, so a value
        // gets the same token in all of them.
        var redactor = new Redactor(options.Capture.RedactPatterns);
        // The proxy takes no appsettings.json reloads: with reload on, a file watcher watches the working folder and
        // everything under it, and wakes for every write of a capture store kept there (2 % of the proxy's CPU).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        ProxyTelemetry.AddConsole(builder.Logging, options.LogFormat);
        RedactLogs(builder.Services, redactor);
        builder.Logging.SetMinimumLevel(minimumLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // YARP logs every failed or client-aborted forward at warning level with a stack trace (a flood when the backend
        // is down); the proxy's own rate-limited failure log reports them instead.
        builder.Logging.AddFilter("Yarp", LogLevel.Error);
        if (options.LogSink is { } sink)
        {
            // Redacted like the console: an embedding host's sink must not see what the captures may not hold.
            builder.Logging.AddProvider(new RedactingLoggerProvider(sink, redactor));
        }
        builder.WebHost.UseUrls(options.Listen.GetLeftPart(UriPartial.Authority));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.AddServerHeader = false;
        });
        builder.Services.AddHttpForwarder();
        IMeterFactory? meterFactory = null;
        ProxyTelemetry.AddMetrics(builder.Services, () => meterFactory, options.Tracing);
        // Checks are created per run from the server's parts, which exist only after Build.
        ProxyServer? self = null;
        var checks = builder.Services.AddHealthChecks();
        if (options.StorePath is not null)
        {
            checks.Add(new HealthCheckRegistration(ProxyHealth.CaptureStore, _ => new CaptureStoreHealthCheck(self!.Writer!, self._storeMonitor!), HealthStatus.Unhealthy, null));
        }

        var probe = new Uri(options.Old, options.OldHealthPath);
        checks.Add(new HealthCheckRegistration(ProxyHealth.OldStack, _ => new OldStackHealthCheck(self!._healthClient, probe, TimeSpan.FromSeconds(2)), HealthStatus.Unhealthy, null));
        if (options.Shadow is not null)
        {
            checks.Add(new HealthCheckRegistration(ProxyHealth.ShadowStack, _ => new ShadowHealthCheck(self!.Shadow!, self.Metrics), HealthStatus.Degraded, null));
        }

        if (options.New is not null)
        {
            checks.Add(new HealthCheckRegistration(ProxyHealth.Split, _ => new SplitHealthCheck(self!.Split!), HealthStatus.Degraded, null));
        }

        var app = builder.Build();
        meterFactory = app.Services.GetRequiredService<IMeterFactory>();
        var server = new ProxyServer(app, options);
        self = server;
        server._health = app.Services.GetRequiredService<HealthCheckService>();
        try
        {
            if (options.StorePath is { } path)
            {
                server._store = await CaptureStores.OpenAsync(path, cancellationToken).ConfigureAwait(false);
                server.Writer = new CaptureWriter(server._store, options.Capture, redactor, options.Time);
                server._storeMonitor = new CaptureStoreMonitor(server.Writer, server._logger, options.FailureLogInterval);
                if (options.Retain is { } retain)
                {
                    server._retention = new CaptureRetention(server._store, retain);
                }

                if (options.Shadow is not null)
                {
                    server._shadowResults = await ShadowResultStores.OpenAsync(path, cancellationToken).ConfigureAwait(false);
                }
            }

            if (options.Shadow is not null && options.ShadowJudge == ShadowJudgeMode.Store && server._shadowResults is null)
            {
                throw new ArgumentException("shadow pairs are judged out of process from the store: give a store (--store), or judge in this process with --shadow-judge inproc");
            }

            if (options.Shadow is not null)
            {
                server.Shadow = new ShadowMirror(options, server._shadowResults, server.Metrics, server._logger, redactor);
            }

            if (options.New is not null)
            {
                if (string.IsNullOrEmpty(options.Split.AdminToken))
                {
                    throw new ArgumentException("split mode needs an admin token (--token-env or --token-file)");
                }

                server.Split = new SplitRouter(options, server._time, server._logger);
                if (options.Split.Shared is { } shared)
                {
                    await server.Split.ShareAsync(shared, options.Split.PinIdleTimeout, server._time, cancellationToken).ConfigureAwait(false);
                }

                server._admin = new AdminEndpoints(server.Split, options.Split.AdminToken, server._logger, options.Split.AdminSessionLifetime, server.Metrics);
            }

            var tickers = new List<IFailureTicker> { server._forwardFailures };
            if (server._storeMonitor is not null)
            {
                tickers.Add(server._storeMonitor);
            }

            if (server.Shadow is not null)
            {
                tickers.Add(server.Shadow.Failures);
                tickers.Add(server.Shadow.StoreFailures);
            }

            server.FailureLogs = new FailureLogPump(tickers, options.Time);
            server.ObserveParts();
            ProxyTelemetry.UseMetricsEndpoint(app);
            app.Run(server.HandleAsync);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            server.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // Wraps every registered log sink so each line goes through the redactor first.
    private static void RedactLogs(IServiceCollection services, Redactor redactor)
    {
        var sinks = services.Where(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType is not null).ToArray();
        foreach (var sink in sinks)
        {
            services.Remove(sink);
            var type = sink.ImplementationType!;
            services.AddSingleton<ILoggerProvider>(sp => new RedactingLoggerProvider((ILoggerProvider)ActivatorUtilities.CreateInstance(sp, type), redactor));
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        switch (path)
        {
            case "/healthz":
                await ProxyHealth.WriteAsync(context, await _health.CheckHealthAsync(context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
                return;
            case "/livez":
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"status\":\"alive\"}").ConfigureAwait(false);
                return;
        }

        if (_admin is not null && path.StartsWith("/admin/", StringComparison.Ordinal))
        {
            await _admin.HandleAsync(context, path).ConfigureAwait(false);
            return;
        }

        var started = _time.GetTimestamp();
        var now = _time.GetUtcNow();
        var destination = _destination;
        var choice = StackChoice.Old;
        if (Split is not null)
        {
            var key = await RoutingKeyAsync(context, path).ConfigureAwait(false);
            choice = Split.Route(key);
            destination = Split.Destination(choice);
            // Tells clients and drills which stack served the request.
            context.Response.Headers[StackHeader] = choice == StackChoice.New ? "new" : "old";
        }

        // Shadow pays only for what is sampled: the key from the route or a header is free, so an unsampled (or out of
        // step) conversation is known before anything is copied. Only a key that lives in the body needs the copy first.
        string? shadowKey = null;
        var shadowWanted = false;
        if (Shadow is not null && choice == StackChoice.Old && HttpMethods.IsPost(context.Request.Method) && ConversationKeyExtractor.IsTurnRoute(path, _options.ShadowRoutes))
        {
            var request = context.Request;
            shadowKey = _keys.Extract(path, name => request.Headers.TryGetValue(name, out var v) ? v.ToString() : null, ReadOnlySpan<byte>.Empty);
            shadowWanted = shadowKey is null || Shadow.Wants(shadowKey);
        }

        var sideEffects = Writer is not null || shadowWanted;
        if (sideEffects)
        {
            Interlocked.Increment(ref _bodyCopies);
        }

        using var requestCopy = sideEffects ? new BodyCopy(_options.Capture.MaxBodyBytes) : null;
        using var responseCopy = sideEffects ? new BodyCopy(_options.Capture.MaxBodyBytes) : null;
        List<KeyValuePair<string, string>>? requestHeaders = null;
        Stream? originalResponse = null;
        if (sideEffects)
        {
            requestHeaders = Headers(context.Request.Headers);
            context.Request.Body = new TeeReadStream(context.Request.Body, requestCopy!);
            originalResponse = context.Response.Body;
            context.Response.Body = new TeeWriteStream(originalResponse, responseCopy!);
        }

        var timing = new BackendTiming();
        var error = await _forwarder.SendAsync(context, destination, _client, _requestConfig, timing).ConfigureAwait(false);
        var elapsed = _time.GetElapsedTime(started);
        if (timing.Backend is { } backend)
        {
            // The primary-cost meter: what the proxy adds to a request, the backend's time to its response headers excluded.
            Metrics.ProxyAdded((elapsed - backend).TotalSeconds);
        }

        string? errorText = null;
        var clientAbort = false;
        if (error != ForwarderError.None)
        {
            var exception = context.GetForwarderErrorFeature()?.Exception;
            errorText = $"{error}: {exception?.Message ?? "no response"}";
            // The client went away (wrk stopping, a closed tab): not something the stack did. Counted apart, kept out
            // of forward errors, the failure log and the split gate windows.
            clientAbort = IsClientAbort(error) || context.RequestAborted.IsCancellationRequested;
            if (!clientAbort)
            {
                _forwardFailures.Record(error, errorText, exception);
            }

            Log.ForwardFailed(_logger, errorText, path, exception);
        }

        Metrics.Request(clientAbort && !context.Response.HasStarted ? 0 : context.Response.StatusCode, elapsed.TotalSeconds, error != ForwarderError.None, clientAbort);
        if (!clientAbort)
        {
            Split?.Observe(choice, elapsed.TotalMilliseconds, error != ForwarderError.None || context.Response.StatusCode >= 500, path.StartsWith("/v1/webhooks/", StringComparison.Ordinal));
        }
        if (!sideEffects)
        {
            return;
        }

        context.Response.Body = originalResponse!;
        try
        {
            // The client gets the end of its response now, not after the bookkeeping below.
            await context.Response.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The client went away: what was forwarded is still recorded below.
        }

        try
        {
            Record(context, path, now, elapsed.TotalMilliseconds, requestHeaders!, requestCopy!, responseCopy!, errorText, shadowWanted, shadowKey);
        }
        catch (Exception ex)
        {
            // Capture and shadow are side paths: the client already has its answer.
            Log.CaptureFailed(_logger, ex.Message, ex);
        }
    }

    internal static bool IsClientAbort(ForwarderError error) => error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled
        or ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient
        or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeRequestClient or ForwarderError.UpgradeResponseCanceled
        or ForwarderError.UpgradeResponseClient;

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (Writer is not null)
        {
            await Writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        if (Split is not null)
        {
            await Split.DisposeAsync().ConfigureAwait(false);
        }

        if (Shadow is not null)
        {
            await Shadow.DisposeAsync().ConfigureAwait(false);
        }

        if (Writer is not null)
        {
            await Writer.DisposeAsync().ConfigureAwait(false);
        }

        if (FailureLogs is not null)
        {
            await FailureLogs.DisposeAsync().ConfigureAwait(false);
        }

        if (_retention is not null)
        {
            await _retention.DisposeAsync().ConfigureAwait(false);
        }

        if (_store is not null)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }

        if (_shadowResults is not null)
        {
            await _shadowResults.DisposeAsync().ConfigureAwait(false);
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
        _healthClient.Dispose();
    }
}
