using DualStack.Core.Capture;
using DualStack.Core.Privacy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace DualStack.Proxy;

/// <summary>
/// The proxy's composition root: its parts, registered in its web host's container as singletons of one proxy
/// instance. Optional parts (capture, shadow, split) are registered only when the options turn them on, and the
/// health checks are built from the same parts. <see cref="ProxyServer.StartAsync"/> resolves the parts in order,
/// because each starts its own loop; it also disposes them in order (the container's later dispose does nothing).
/// </summary>
internal static class ProxyServices
{
    /// <summary>Category of the proxy's own log lines.</summary>
    public const string LogCategory = "DualStack.Proxy";

    // Key of the old-stack health probe's own client (disposed with the container).
    private const string HealthClient = "health";

    public static IServiceCollection AddProxyParts(this IServiceCollection services, ProxyOptions options, Redactor redactor, ProxyStores stores)
    {
        // options.Time (a fake clock in tests) is handed to the parts it is documented for, never registered as the
        // host's TimeProvider, where ASP.NET's own components would pick it up.
        services.AddSingleton(options);
        services.AddSingleton(redactor);
        services.AddSingleton<ProxyMetrics>();
        services.AddSingleton(sp => new ForwardFailures(Logger(sp), options.FailureLogInterval));
        services.AddSingleton<IFailureTicker>(sp => sp.GetRequiredService<ForwardFailures>());
        if (stores.Capture is { } store)
        {
            services.AddSingleton(store);
            services.AddSingleton(_ => new CaptureWriter(store, options.Capture, redactor, options.Time));
            services.AddSingleton(sp => new CaptureStoreMonitor(sp.GetRequiredService<CaptureWriter>(), Logger(sp), options.FailureLogInterval));
            services.AddSingleton<IFailureTicker>(sp => sp.GetRequiredService<CaptureStoreMonitor>());
        }

        if (stores.ShadowResults is { } shadowResults)
        {
            services.AddSingleton(shadowResults);
        }

        if (options.Shadow is not null)
        {
            services.AddSingleton(sp => new ShadowMirror(options, sp.GetService<IShadowResultStore>(), sp.GetRequiredService<ProxyMetrics>(), Logger(sp), redactor));
            services.AddSingleton<IFailureTicker>(sp => sp.GetRequiredService<ShadowMirror>().Failures);
            services.AddSingleton<IFailureTicker>(sp => sp.GetRequiredService<ShadowMirror>().StoreFailures);
        }

        if (options.New is not null)
        {
            // The split's windows, pins and ramp run on the wall clock; ProxyOptions.Time covers logs, breaker and health.
            services.AddSingleton(sp => new SplitRouter(options, TimeProvider.System, Logger(sp)));
            services.AddSingleton(sp => new AdminEndpoints(sp.GetRequiredService<SplitRouter>(), options.Split.AdminToken!, Logger(sp), options.Split.AdminSessionLifetime, sp.GetRequiredService<ProxyMetrics>()));
        }

        services.AddSingleton(sp => new FailureLogPump(sp.GetServices<IFailureTicker>().ToArray(), options.Time));
        AddHealthChecks(services, options);
        return services;
    }

    /// <summary>The proxy's own logger (category <see cref="LogCategory"/>).</summary>
    public static ILogger Logger(IServiceProvider services) => services.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory);

    // One check per part that runs; each check is created per run from the container's parts.
    private static void AddHealthChecks(IServiceCollection services, ProxyOptions options)
    {
        var checks = services.AddHealthChecks();
        if (options.StorePath is not null)
        {
            checks.Add(new HealthCheckRegistration(ProxyHealth.CaptureStore, sp => new CaptureStoreHealthCheck(sp.GetRequiredService<CaptureWriter>(), sp.GetRequiredService<CaptureStoreMonitor>()), HealthStatus.Unhealthy, null));
        }

        var probe = new Uri(options.Old, options.OldHealthPath);
        services.AddKeyedSingleton(HealthClient, (_, _) => OldStackHealthCheck.CreateClient());
        checks.Add(new HealthCheckRegistration(ProxyHealth.OldStack, sp => new OldStackHealthCheck(sp.GetRequiredKeyedService<HttpMessageInvoker>(HealthClient), probe, TimeSpan.FromSeconds(2)), HealthStatus.Unhealthy, null));
        if (options.Shadow is not null)
        {
            checks.Add(new HealthCheckRegistration(ProxyHealth.ShadowStack, sp => new ShadowHealthCheck(sp.GetRequiredService<ShadowMirror>(), sp.GetRequiredService<ProxyMetrics>()), HealthStatus.Degraded, null));
        }

        if (options.New is not null)
        {
            checks.Add(new HealthCheckRegistration(ProxyHealth.Split, sp => new SplitHealthCheck(sp.GetRequiredService<SplitRouter>()), HealthStatus.Degraded, null));
        }
    }
}
