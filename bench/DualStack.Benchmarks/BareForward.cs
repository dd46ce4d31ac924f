using DualStack.Proxy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace DualStack.Benchmarks;

/// <summary>
/// The floor under the proxy's × nginx figures: YARP's direct forwarding on a slim Kestrel host and nothing else (no
/// metrics, no timing transformer, no health or admin routes, no capture), with the client <c>dualstack capture</c> forwards
/// through (<see cref="ProxyServer.ForwardClient"/>). <c>bench/run.sh</c> measures it side by side with nginx and the proxy: what forward-only
/// loses to it is the proxy's own per-request work; what it loses to nginx is YARP and Kestrel on this machine.
/// </summary>
internal static class BareForward
{
    public static async Task RunAsync(Uri listen, Uri destination)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(listen.GetLeftPart(UriPartial.Authority));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.AddServerHeader = false;
        });
        builder.Services.AddHttpForwarder();
        await using var app = builder.Build();
        using var client = ProxyServer.ForwardClient(meters: null, propagator: null);
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        var config = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromSeconds(100) };
        var prefix = destination.AbsoluteUri;
        app.Run(async context => await forwarder.SendAsync(context, prefix, client, config, HttpTransformer.Default).ConfigureAwait(false));
        Console.WriteLine($"bare YARP forwarder on {listen} → {prefix} (Ctrl+C stops)");
        await app.RunAsync().ConfigureAwait(false);
    }
}
