using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace DualStack.TestUtils;

/// <summary>A scriptable HTTP server on 127.0.0.1:0 (Kestrel, no logging, no body-size limit): the caller maps its routes.</summary>
public sealed class LoopbackApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackApp(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The bound address, ending in <c>/</c>.</summary>
    public Uri Address { get; }

    /// <summary>Starts the server once <paramref name="map"/> has mapped its routes or middleware.</summary>
    public static async Task<LoopbackApp> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return new LoopbackApp(app, new Uri(app.Urls.First() + "/"));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
