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
    private readonly ProxyStores _stores;
    private readonly HealthCheckService _health;
    private readonly ForwardFailures _forwardFailures;
    private AdminEndpoints? _admin;
    private long _bodyCopies;

    private ProxyServer(WebApplication app, ProxyOptions options, ProxyStores stores)
    {
        _app = app;
        _options = options;
        _stores = stores;
        _forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        _logger = ProxyServices.Logger(app.Services);
        _health = app.Services.GetRequiredService<HealthCheckService>();
        _keys = new ConversationKeyExtractor(options.Keys);
        _destination = options.Old.AbsoluteUri;
        _requestConfig = new ForwarderRequestConfig { ActivityTimeout = options.ForwardTimeout };
        _forwardFailures = app.Services.GetRequiredService<ForwardFailures>();
        Metrics = app.Services.GetRequiredService<ProxyMetrics>();
        var meters = app.Services.GetRequiredService<IMeterFactory>();
        // The old stack sees the client's trace headers unchanged; with tracing on, the forward span's context instead.
        _client = ForwardClient(meters, options.Tracing is null ? null : DistributedContextPropagator.Current);
    }

    /// <summary>
    /// The client every forward goes through: no proxy, redirects, decompression or cookies of its own (the client's
    /// request and the stack's answer pass unchanged), connections without limit. Also the bare-YARP benchmark's.
    /// </summary>
    /// <param name="meters">The host's meter factory: forwards count on this proxy's http_client_* series, not on a
    /// meter shared by the whole process; null for the runtime's shared meter.</param>
    /// <param name="propagator">Trace headers written on forwards; null leaves the client's own headers unchanged.</param>
    internal static HttpMessageInvoker ForwardClient(IMeterFactory? meters, DistributedContextPropagator? propagator) => new(new SocketsHttpHandler
    {
        MeterFactory = meters,
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
        ActivityHeadersPropagator = propagator,
        ConnectTimeout = TimeSpan.FromSeconds(15),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        MaxConnectionsPerServer = int.MaxValue,
    });

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
        var stores = await ProxyStores.OpenAsync(options, cancellationToken).ConfigureAwait(false);
        WebApplication app;
        IMeterFactory? meterFactory = null;
        try
        {
            Validate(options, stores);
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
            ProxyTelemetry.AddMetrics(builder.Services, () => meterFactory, options.Tracing);
            builder.Services.AddProxyParts(options, redactor, stores);
            app = builder.Build();
        }
        catch
        {
            await stores.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        meterFactory = app.Services.GetRequiredService<IMeterFactory>();
        var server = new ProxyServer(app, options, stores);
        try
        {
            // Resolved in this order on purpose: each part starts its own loop as it is built.
            var services = app.Services;
            server.Writer = services.GetService<CaptureWriter>();
            server.Shadow = services.GetService<ShadowMirror>();
            server.Split = services.GetService<SplitRouter>();
            if (server.Split is not null && options.Split.Shared is { } shared)
            {
                await server.Split.ShareAsync(shared, options.Split.PinIdleTimeout, server._time, cancellationToken).ConfigureAwait(false);
            }

            server._admin = services.GetService<AdminEndpoints>();
            server.FailureLogs = services.GetRequiredService<FailureLogPump>();
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

    private static void Validate(ProxyOptions options, ProxyStores stores)
    {
        if (options.Shadow is not null && options.ShadowJudge == ShadowJudgeMode.Store && stores.ShadowResults is null)
        {
            throw new ArgumentException("shadow pairs are judged out of process from the store: give a store (--store), or judge in this process with --shadow-judge inproc");
        }

        if (options.New is not null && string.IsNullOrEmpty(options.Split.AdminToken))
        {
            throw new ArgumentException("split mode needs an admin token (--token-env or --token-file)");
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

    /// <summary>YARP's kinds for "the client cancelled or its connection failed", as opposed to the destination.</summary>
    internal static bool IsClientAbort(ForwarderError error) => error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled
        or ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient
        or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeRequestClient or ForwarderError.UpgradeResponseCanceled
        or ForwarderError.UpgradeResponseClient;

    /// <summary>Waits until the captured exchanges queued so far are written (or dropped).</summary>
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
        // No new requests, then the parts that write (split, shadow, capture), the failure log's last look, then the
        // stores they wrote to. The container then disposes what it built (those parts again, which does nothing).
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

        await _stores.DisposeAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
    }
}
